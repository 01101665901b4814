"""Every knob of the service, read once from `REWRITER_*` environment variables (and `.env`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from . import limits

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL = "local/gemma3-270m"

CommaList = Annotated[list[str], NoDecode]


def _split_commas(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="REWRITER_", env_file=".env", extra="ignore", frozen=True, populate_by_name=True
    )

    # --- model -----------------------------------------------------------------------------
    model: str = Field(DEFAULT_MODEL, description="litellm model string used by default")
    model_api_base: str | None = Field(None, description="api_base for the model (and same-provider fallbacks)")
    model_api_key: SecretStr | None = Field(None, description="API key for the model (and same-provider fallbacks)")
    fallback_models: CommaList = Field(default_factory=list, description="ordered fallback models")
    allowed_models: CommaList = Field(
        default_factory=list,
        description="models a caller may ask for; empty means the default model and its fallbacks",
    )
    completion_models: CommaList = Field(
        default_factory=lambda: ["local/"],
        description="models (or prefixes ending in '/') prompted with a template's completion form",
    )
    litellm_only: bool = Field(
        False,
        description="send every model through litellm, OpenAI-compatible ones too (for litellm's callbacks); "
        "by default openai/, hosted_vllm/, lm_studio/, groq/ and together_ai/ models go through the openai SDK",
    )
    http_transport: Literal["auto", "httpx", "aiohttp"] = Field(
        "auto", description="HTTP client to providers: auto = aiohttp on the openai lane and httpx on litellm's "
        "(the faster of each, benchmarks/README.md); httpx or aiohttp for both"
    )
    timeout_s: float = Field(60.0, gt=0, description="deadline for one rewrite, retries and fallbacks included")
    max_retries: int = Field(2, ge=0, le=10, description="retries per model on transient upstream failures")
    retry_backoff_s: float = Field(0.5, ge=0, description="first backoff; doubles each retry, with jitter")
    retry_max_backoff_s: float = Field(8.0, ge=0, description="cap for one backoff, Retry-After included")

    # --- local model ------------------------------------------------------------------------
    local_model_path: Path | None = Field(None, description="GGUF file for local/ models (default: the packaged Gemma 3 270M)")
    local_model_threads: int = Field(0, ge=0, description="llama.cpp threads (0 = all cores)")
    local_model_ctx: int = Field(2048, ge=256, description="llama.cpp context window in tokens")
    local_queue_size: int = Field(8, ge=1, description="requests waiting for the local model before 503")
    cache_dir: Path = Field(Path.home() / ".cache" / "reply-rewriter", description="where the assembled model lives")

    # --- templates --------------------------------------------------------------------------
    prompts_dir: Path = Field(PROJECT_ROOT / "prompts", description="template directory")
    default_template: str = Field("empathetic", description="template used when a request names none")

    # --- HTTP server ------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=64, description="uvicorn worker processes (each loads its own model)")
    shutdown_grace_s: float = Field(
        30.0, ge=0, description="on SIGTERM: how long in-flight requests may run before the process exits"
    )

    # --- access and limits -----------------------------------------------------------------
    api_keys: CommaList = Field(
        default_factory=list,
        description="`NAME:SHA256` entries (optionally `NAME:SHA256:RPM:CONCURRENT`), one per "
        "integration; `python -m api new-key NAME` makes one. Empty disables auth",
    )
    rate_limit_rpm: int = Field(0, ge=0, description="requests per minute per key (0 = no limit)")
    rate_limit_concurrent: int = Field(0, ge=0, description="requests in flight per key (0 = no limit)")
    redis_url: str | None = Field(
        None,
        validation_alias=AliasChoices("REWRITER_REDIS_URL", "REDIS_URL"),
        description="share rate limits across replicas through Redis (`REDIS_URL` works too)",
    )
    cors_origins: CommaList = Field(
        default_factory=list, description="origins allowed by CORS (`*` for any); empty turns CORS off"
    )
    max_draft_chars: int = Field(8000, ge=1, description="longest draft or customer message, in characters")
    max_body_bytes: int = Field(1_000_000, ge=1024, description="largest request body")
    max_batch_items: int = Field(100, ge=1, description="most items in one batch")
    batch_concurrency: int = Field(8, ge=1, description="batch items rewritten at once")
    max_variables: int = Field(20, ge=0, le=limits.MAX_VARIABLES, description="most template variables in one request")
    max_variable_chars: int = Field(500, ge=1, le=limits.MAX_VARIABLE_CHARS, description="longest template variable value")

    flips_block: bool = Field(
        True, description="a meaning flip (a negation dropped or added, rejected -> approved) is a "
        "guard violation (repair, then fallback); false: only a warning"
    )

    # --- privacy and logs ------------------------------------------------------------------
    mask_pii: bool = Field(
        False, description="mask emails, phones, card numbers, IBANs and national ID numbers before the "
        "model sees them (a request's `mask_pii` overrides it)"
    )
    log_level: str = "INFO"
    log_format: Literal["json", "text"] = Field("json", description="one JSON object per line, or plain text")
    log_content: bool = Field(
        False, description="include draft and customer text in logs (off: never logged)"
    )

    # --- feedback and experiments (api/feedback) -------------------------------------------
    feedback: bool = Field(
        False, description="record each rewrite served over HTTP, and take the agents' feedback on it "
        "(POST /v1/rewrites/{id}/feedback); off: nothing is stored"
    )
    feedback_db: str | None = Field(
        None, description="SQLAlchemy URL of the feedback store: sqlite+aiosqlite:///PATH or "
        "postgresql+asyncpg://USER:PASSWORD@HOST/DB (default: feedback.db in REWRITER_CACHE_DIR)"
    )
    feedback_retention_days: int = Field(
        30, ge=1, le=3650, description="rewrites and their feedback are deleted this many days after the rewrite"
    )
    feedback_store_pii: bool = Field(
        False, description="store drafts, customer messages, rewrites and sent texts as written; off: "
        "emails, phones, card numbers, IBANs, national ID numbers and the customer's name are replaced "
        "by their kind ([email]) before they are stored"
    )
    template_split: str | None = Field(
        None, description="NAME@VERSION:WEIGHT,... (e.g. empathetic@2:90,empathetic@3:10): a request "
        "that names the template (or defaults to it) but no version gets a version by weight, the same "
        "one for every request of a conversation_id"
    )

    _split = field_validator(
        "fallback_models", "allowed_models", "api_keys", "completion_models", "cors_origins", mode="before"
    )(
        classmethod(lambda cls, v: _split_commas(v))
    )

    @field_validator("template_split")
    @classmethod
    def _split_parses(cls, value: str | None) -> str | None:
        from .split import parse

        parse(value)  # a ValueError here names the bad entry
        return value

    @property
    def feedback_url(self) -> str:
        """The feedback store's URL: REWRITER_FEEDBACK_DB, or a SQLite file in the cache directory."""
        return self.feedback_db or f"sqlite+aiosqlite:///{self.cache_dir / 'feedback.db'}"

    @property
    def models(self) -> list[str]:
        """The default model followed by its fallbacks, in order."""
        return [self.model, *[m for m in self.fallback_models if m != self.model]]

    def uses_completion_form(self, model: str) -> bool:
        return any(
            model.startswith(entry) if entry.endswith("/") else model == entry
            for entry in self.completion_models
        )

    def is_model_allowed(self, model: str) -> bool:
        return model in (self.allowed_models or self.models)

    @property
    def uses_local_model(self) -> bool:
        """Whether the default model or a fallback is the embedded one (`local/...`)."""
        return any(provider_of(m) == "local" for m in self.models)

    def provider_kwargs(self, model: str) -> dict[str, str]:
        """Where and how to reach `model`: the configured api_base and key apply to models of the
        default model's provider (others use their provider's own environment variables)."""
        kwargs: dict[str, str] = {}
        if provider_of(model) == provider_of(self.model):
            if self.model_api_base:
                kwargs["api_base"] = self.model_api_base
            if self.model_api_key:
                kwargs["api_key"] = self.model_api_key.get_secret_value()
        return kwargs


def provider_of(model: str) -> str:
    """The provider part of a model string (`openai/gpt-4o-mini` -> openai; bare names: openai)."""
    return model.split("/", 1)[0] if "/" in model else "openai"


@lru_cache
def get_settings() -> Settings:
    return Settings()
