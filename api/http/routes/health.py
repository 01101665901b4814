"""Operator routes: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.core.metrics import REGISTRY
from api.core.schemas import Health, Readiness

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health)
async def healthz() -> dict:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", response_model=Readiness, responses={
    503: {"model": Readiness, "description": "Not ready: the failing check is false in `checks`"},
})
async def readyz(request: Request) -> JSONResponse:
    """Templates are loaded and a model is configured (and, for a local model, loaded)."""
    rewriter = request.app.state.rewriter
    checks = {
        "templates": sum(1 for _ in rewriter.templates) > 0,
        "model": bool(rewriter.settings.model),
    }
    checks.update(request.app.state.readiness_checks())
    ready = all(checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "model": rewriter.settings.model, "checks": checks},
        status_code=200 if ready else 503,
    )


@router.get("/metrics", response_class=Response, responses={
    200: {"content": {"text/plain": {"schema": {"type": "string"}}},
          "description": "Prometheus text exposition format (version 0.0.4)"},
})
async def prometheus_metrics() -> Response:
    """Every metric of this process, for Prometheus to scrape (no key needed)."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
