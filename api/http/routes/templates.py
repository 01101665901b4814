"""Template routes: what prompt engineers and integrations can choose from."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request

from ..keys import key_schemes
from api.core.errors import UnknownTemplate
from api.core.schemas import TemplateList, TemplateSummary
from api.core.templates import TemplateRegistry
from .rewrites import PROBLEM_RESPONSES, problem_response

router = APIRouter(
    prefix="/v1/templates", tags=["templates"], dependencies=[Depends(key_schemes)],
    responses={status: PROBLEM_RESPONSES[status] for status in (401, 429)},
)


@router.get("", response_model=TemplateList)
async def list_templates(request: Request) -> dict:
    """Every template with its versions, variables and model parameters."""
    registry: TemplateRegistry = request.app.state.rewriter.templates
    return registry.listing(request.app.state.settings.default_template)


@router.get(
    "/{name}",
    response_model=TemplateSummary,
    responses={404: problem_response("No template by that name")},
)
async def get_template(name: str, request: Request) -> dict:
    """One template with all its versions; 404 for an unknown name."""
    registry: TemplateRegistry = request.app.state.rewriter.templates
    try:
        return registry.summary(name)
    except UnknownTemplate as exc:
        raise HTTPException(404, detail=exc.detail) from exc
