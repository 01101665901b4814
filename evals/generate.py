"""Generating one cell: through the same core rewriter the API uses, or a running service's API."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from pydantic import ValidationError

from api import __version__
from api.core.errors import RewriterError, describe_fields
from api.core.rewriter import Rewriter
from api.core.schemas import RewriteRequest
from api.core.settings import Settings
from api.core.template_files import parse_version

from .dataset import Case


@dataclass(frozen=True)
class Cell:
    """One (case x template x model x repeat) of the matrix."""

    case: Case
    template: str  # resolved, name@vN
    template_sha256: str
    model: str
    repeat: int

    def request(self, temperature: float | None, max_tokens: int | None) -> RewriteRequest:
        """The cell as a request; a case the service would refuse is a failed cell, not a crash."""
        name, _, version = self.template.partition("@")
        try:
            return self._request(name, version, temperature, max_tokens)
        except ValidationError as exc:
            raise CellFailed(f"invalid request: {describe_fields(exc.errors())}") from exc

    def _request(self, name: str, version: str, temperature: float | None, max_tokens: int | None) -> RewriteRequest:
        return RewriteRequest(
            draft=self.case.draft,
            customer_message=self.case.customer_message,
            format=self.case.format,
            template=name,
            template_version=version,
            variables=self.case.variables,
            model=self.model,
            temperature=temperature,
            max_tokens=max_tokens,
        )


class CellFailed(Exception):
    """The cell produced no rewrite (model error, deadline, refused request)."""


class Generator(Protocol):
    source: str

    async def template_sha256(self, ref: str) -> tuple[str, str]: ...

    async def rewrite(self, request: RewriteRequest) -> dict[str, Any]: ...

    async def aclose(self) -> None: ...


class CoreGenerator:
    """In-process: the service's own core, with its settings (REWRITER_MODEL_API_BASE and
    friends apply), the named models allowed and no fallbacks, so a cell measures its model."""

    def __init__(self, settings: Settings, models: list[str]) -> None:
        # The service's own model settings stay (REWRITER_MODEL decides which provider gets
        # REWRITER_MODEL_API_BASE); only fallbacks are switched off and the named models allowed.
        self.settings = settings.model_copy(update={"fallback_models": [], "allowed_models": list(models)})
        self.rewriter = Rewriter.from_settings(self.settings)
        self.source = f"core {__version__}"

    async def template_sha256(self, ref: str) -> tuple[str, str]:
        template = self.rewriter.templates.get(ref)
        return template.ref, template.sha256

    async def rewrite(self, request: RewriteRequest) -> dict[str, Any]:
        try:
            result = await self.rewriter.rewrite(request)
        except RewriterError as exc:
            raise CellFailed(f"{exc.title}: {exc.detail}") from exc
        return result.model_dump(mode="json")

    async def aclose(self) -> None:
        return None


class EndpointGenerator:
    """Over HTTP, against a running service (`--endpoint URL`); the key comes from
    REWRITER_EVAL_API_KEY when the service wants one."""

    def __init__(self, endpoint: str, timeout_s: float = 300.0) -> None:
        headers = {}
        if key := os.environ.get("REWRITER_EVAL_API_KEY"):
            headers["authorization"] = f"Bearer {key}"
        self.client = httpx.AsyncClient(base_url=endpoint.rstrip("/"), headers=headers, timeout=timeout_s)
        self.source = f"endpoint {endpoint}"

    async def template_sha256(self, ref: str) -> tuple[str, str]:
        name, _, pinned = ref.partition("@")
        response = await self.client.get(f"/v1/templates/{name}")
        if response.status_code != 200:
            raise CellFailed(f"template {ref}: HTTP {response.status_code}: {response.text[:200]}")
        versions = response.json()["versions"]
        try:
            wanted = parse_version(pinned) if pinned else versions[-1]["version"]
        except ValueError as exc:
            raise CellFailed(f"template {ref}: {exc}") from exc
        for version in versions:
            if version["version"] == wanted:
                return version["ref"], version["sha256"]
        raise CellFailed(f"template {ref}: no such version on {self.client.base_url}")

    async def rewrite(self, request: RewriteRequest) -> dict[str, Any]:
        try:
            response = await self.client.post("/v1/rewrites", json=request.model_dump(mode="json", exclude_none=True))
        except httpx.HTTPError as exc:
            raise CellFailed(f"endpoint unreachable: {exc}") from exc
        if response.status_code != 200:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise CellFailed(f"HTTP {response.status_code}: {str(detail)[:300]}")
        return response.json()

    async def aclose(self) -> None:
        await self.client.aclose()
