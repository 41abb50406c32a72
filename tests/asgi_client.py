"""An in-process HTTP client for an easel app: its lifespan entered, its state handed to every request
(as uvicorn does), no socket. Tests that need the network use `servers.run_asgi` instead."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette


@asynccontextmanager
async def in_process(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app) as state:

        async def with_state(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
            scope["state"] = dict(state or {})
            await app(scope, receive, send)  # type: ignore[arg-type]

        transport = httpx.ASGITransport(app=with_state)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
