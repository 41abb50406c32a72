"""The servers of the widget price benchmark: easel with its widget read limits out of the way (one load
generator is one "page" far above 30 requests a second; the limiters still run on every request), and a
bare Starlette endpoint answering the same JSON, read from ``BENCH_PRICE_BODY`` (a file)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from easel.app import create_app
from easel.widget import state as widget_state
from easel.widget.rate_limit import Limit, RateLimiter

_UNLIMITED = Limit(per_second=10**9, burst=10**9)


def easel() -> Any:
    original = widget_state.WidgetState.__init__

    def init(self: widget_state.WidgetState, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.reads = RateLimiter(_UNLIMITED, clock=self.clock)
        self.key_reads = RateLimiter(_UNLIMITED, clock=self.clock)

    widget_state.WidgetState.__init__ = init  # type: ignore[method-assign]
    return create_app()


def bare() -> Starlette:
    body = Path(os.environ["BENCH_PRICE_BODY"]).read_bytes()

    async def price(request: Request) -> Response:
        return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})

    async def ping(request: Request) -> Response:
        return Response(b'{"pong":"ping"}', media_type="application/json")

    return Starlette(routes=[Route("/widget/v1/api/price", price), Route("/ping", ping)])
