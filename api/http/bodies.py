"""JSON request bodies parsed with a bound on integers. Python refuses to convert an integer of
more than 4,300 digits (a guard against quadratic-time parsing), which FastAPI reports as a bare
400 "error parsing the body". Here an integer of over 100 digits parses as a marker no field type
accepts, so validation answers a 422 naming its field (no field of ours takes a number that long,
and a marker, unlike infinity, cannot pass as a float)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

_MAX_DIGITS = 100


class TooLong:
    """An integer too long to be a value of any field."""

    def __repr__(self) -> str:
        return "<an integer of over 100 digits>"


def _bounded_int(text: str) -> int | TooLong:
    return int(text) if len(text) <= _MAX_DIGITS else TooLong()


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
            return await handler(BoundedJSONRequest(request.scope, request.receive, request._send))

        return bounded
