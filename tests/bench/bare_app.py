"""The baseline for the order API benchmark: a bare Starlette JSON endpoint, same server settings."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

BODY = {"id": 1, "status": "Pending", "purchase_date": "2026-11-25 12:00:00", "is_test": True, "items": []}


async def order(request: Request) -> JSONResponse:
    return JSONResponse(BODY)


async def ping(request: Request) -> JSONResponse:
    return JSONResponse({"pong": "ping"})


def create() -> Starlette:
    return Starlette(routes=[Route("/orders/{order_id}", order), Route("/ping", ping)])
