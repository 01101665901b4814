"""The FastAPI application: wiring only. Routes are thin; the work happens in `api.core.rewriter`."""

from __future__ import annotations

import asyncio

import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api import __version__
from . import logs
from . import openapi, problems
from .access import AccessMiddleware
from .keys import KeyChecker
from api.models.local_provider import flatten
from .context import RequestContextMiddleware
from .ratelimit import RateLimiter
from api.guard import language
from api.core.rewriter import Rewriter
from .routes import docs, feedback as feedback_routes, health, rewrites, templates, web
from api.core.settings import Settings, get_settings

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, rewriter: Rewriter | None = None, *, serving: bool = False) -> FastAPI:
    """Build the app. Templates load here, so a broken one stops start-up naming the file.
    `serving`: this process only serves the app (`python -m api serve`); see `freeze_startup_objects`."""
    settings = settings or get_settings()
    logs.quiet_libraries()
    rewriter = rewriter or Rewriter.from_settings(settings)

    local = rewriter.local_model
    if local is not None:
        local.check()  # a missing or corrupt model file stops start-up here, naming the file

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        log.info("starting", extra={"model": settings.model, "templates": len(rewriter.templates.names())})
        if local is not None:
            sample = rewriter.sample_prompt()
            await local.load(warm_prompt=flatten(sample.messages) if sample else None)
        if feedback is not None:
            try:
                await feedback.start()  # runs the store's migrations
            except Exception as exc:  # an unreachable store stops start-up, saying which and why
                log.error(f"cannot start: the feedback store {feedback.store.where} failed: "
                          f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
                raise
        if serving:
            await asyncio.to_thread(language.warm)  # the language model (about a second), not on a first request
            freeze_startup_objects()  # after it: its arrays are start-up objects too
        yield
        await limiter.close()
        await rewriter.gateway.aclose()
        if feedback is not None:
            await feedback.close()  # writes what is still queued

    app = FastAPI(
        title="Reply Rewriter",
        version=__version__,
        summary="Rewrites customer-support replies with empathy, keeping every fact.",
        lifespan=lifespan,
        docs_url=None,  # served by routes/docs.py from local files, not from a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.rewriter = rewriter
    app.state.local_model = local  # the embedded model's provider, or None
    # Rewrites kept for the agents' feedback (api/feedback), when REWRITER_FEEDBACK is on.
    feedback = None
    if settings.feedback:
        from api.feedback.recorder import Recorder
        from api.feedback.store import FeedbackStore  # SQLAlchemy and Alembic load only when it is on

        feedback = Recorder(FeedbackStore(settings.feedback_url), settings)
    app.state.feedback = feedback
    keys = KeyChecker(settings.api_keys)  # a malformed entry stops start-up here, naming it
    limiter = RateLimiter(settings.redis_url)
    app.state.limiter = limiter
    app.state.readiness_checks: Callable[[], dict[str, bool]] = (
        (lambda: {"local_model_loaded": local.loaded}) if local is not None else (lambda: {})
    )
    problems.install(app)
    openapi.install(app)
    app.include_router(rewrites.router)
    app.include_router(templates.router)
    app.include_router(feedback_routes.router)
    app.include_router(health.router)
    app.include_router(web.router)
    app.include_router(docs.router)
    # Starlette runs the last added outermost: CORS, then request context, then access.
    app.add_middleware(AccessMiddleware, settings=settings, keys=keys, limiter=limiter)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["authorization", "x-api-key", "content-type", "x-request-id"],
            expose_headers=["x-request-id", "retry-after", "x-rewrite-id"],
            max_age=600,
        )
    return app


def serving_app() -> FastAPI:
    """The factory each uvicorn worker process calls (`python -m api serve` with workers > 1)."""
    return create_app(serving=True)


def freeze_startup_objects() -> None:
    """Move what start-up built (litellm, pydantic's schemas, the templates: about 400k objects)
    out of the cyclic garbage collector's reach. Each full collection walked them all, about
    150 ms here, stalling every request in flight: the service's p99 at 16 connections was 2.5x
    its p50 (benchmarks/README.md). Not for tests, which build many apps in one process: frozen
    objects are never collected as cycles."""
    gc.collect()
    gc.freeze()
