"""The support agents' page: `GET /` serves `api/http/static/index.html`, `/static/...` its script and
style. Plain files shipped in the package, no build step; the page calls the /v1 API from the
browser (with the agent's key, if the service needs one), so the page itself needs no key.

The page's one server-side touch: what it needs of the running service's settings is filled into
index.html's data attributes per request, since the CSP allows no inline script: the length limits
(`data-max-chars`) and whether the feedback store is on (`data-feedback`, "on" or "off"; on, the
page tells the service what the agent did with a rewrite: copied as is, edited, or not useful)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
PAGE = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
MAX_DRAFT_CHARS = "{{max_draft_chars}}"  # in index.html; draft and customer message alike
FEEDBACK = "{{feedback}}"  # in index.html: "on" when rewrites are recorded for the agents' feedback

# Only our own files: no inline script or style, no other origin, nothing may frame the page
# (the key field must not be clickjacked), and no form may post anywhere (the page uses fetch).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def page_headers(policy: str) -> dict[str, str]:
    """The headers every HTML page of the service is served with, under its own CSP."""
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }


PAGE_HEADERS = page_headers(CONTENT_SECURITY_POLICY)

router = APIRouter(include_in_schema=False)
router.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


@router.get("/")
async def index(request: Request) -> HTMLResponse:
    settings = request.app.state.settings
    feedback = getattr(request.app.state, "feedback", None) is not None  # the recorder runs
    page = (PAGE.replace(MAX_DRAFT_CHARS, str(int(settings.max_draft_chars)))
            .replace(FEEDBACK, "on" if feedback else "off"))
    return HTMLResponse(page, headers=PAGE_HEADERS)
