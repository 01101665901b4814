"""The API's reference pages: `GET /docs` (Swagger UI) and `GET /redoc` (ReDoc), for
`/openapi.json`. Their scripts and styles come from the fastapi-offline package and are served
from here, so the pages work with no network and under a content security policy without inline
script: the pages are plain files in `api/http/apidocs/`."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from .web import page_headers

PAGES = Path(__file__).resolve().parent.parent / "apidocs"
ASSETS = Path(str(files("fastapi_offline") / "static"))

_COMMON = "default-src 'none'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
# Swagger UI: only our files; its icons are inline SVG data URLs.
SWAGGER_POLICY = f"{_COMMON}; script-src 'self'; style-src 'self'; img-src 'self' data:"
# ReDoc renders with styled-components, which writes <style> elements, and parses the schema in
# a worker it builds from a blob: URL. Scripts are still only ours.
REDOC_POLICY = f"{_COMMON}; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; worker-src blob:"


router = APIRouter(include_in_schema=False)
router.mount("/docs/assets", StaticFiles(directory=ASSETS), name="apidocs-assets")


@router.get("/docs")
async def swagger_ui() -> FileResponse:
    return FileResponse(PAGES / "swagger.html", media_type="text/html; charset=utf-8",
                        headers=page_headers(SWAGGER_POLICY))


@router.get("/docs/swagger-init.js")
async def swagger_init() -> FileResponse:
    return FileResponse(PAGES / "swagger-init.js", media_type="text/javascript; charset=utf-8")


@router.get("/redoc")
async def redoc() -> FileResponse:
    return FileResponse(PAGES / "redoc.html", media_type="text/html; charset=utf-8",
                        headers=page_headers(REDOC_POLICY))
