"""JSON request bodies parsed with a bound on integers. Python refuses to convert an integer of
more than 4,300 digits (a guard against quadratic-time parsing), which FastAPI reports as a bare
400 "error parsing the body". Here such a number parses as infinity instead, so validation
answers a 422 naming its field (no field of ours accepts an integer that long)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

_MAX_DIGITS = 100


def _bounded_int(text: str) -> int | float:
    if len(text) <= _MAX_DIGITS:
        return int(text)
    return float("-inf") if text.startswith("-") else float("inf")


class BoundedJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = json.loads(await self.body(), parse_int=_bounded_int)
        return self._json


class BoundedJSONRoute(APIRoute):
    """A route whose handler sees a `BoundedJSONRequest`."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def bounded(request: Request) -> Response:
            return await handler(BoundedJSONRequest(request.scope, request.receive))

        return bounded
