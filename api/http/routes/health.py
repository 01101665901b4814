"""Operator routes: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.core.metrics import REGISTRY

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Not ready: the failing check is false in `checks`"}})
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


@router.get("/metrics", include_in_schema=False)
async def prometheus_metrics() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
