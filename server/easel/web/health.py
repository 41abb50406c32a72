"""``GET /ping``: the document's health check. The order API adds the signed form with a user."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse


async def ping(request: Request) -> JSONResponse:
    return JSONResponse({"pong": "ping"})
