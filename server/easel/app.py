"""The ASGI application: routes, middleware and lifespan. No logic lives here."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount

from .api.routes import routes as order_api_routes
from .dispatch.hosting import Sandboxes, background_worker
from .dispatch.webhooks import routes as vendor_routes
from .runtime import Runtime
from .settings import Settings
from .web.access_log import AccessLogMiddleware
from .web.demo_routes import routes as demo_routes
from .web.error_pages import http_error, server_error
from .web.state import AppState
from .widget.routes import routes as widget_routes


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Starlette:
    """Build the app; settings are read from the environment only when none are given."""
    settings = settings or (runtime.settings if runtime else Settings.from_env())

    sandboxes = Sandboxes(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[AppState]:
        active = runtime or Runtime.create(settings)
        try:
            async with sandboxes.running(active.dispatch), AsyncExitStack() as stack:
                if runtime is None:  # a serving process (easel serve/demo); tests bring their own runtime
                    await stack.enter_async_context(background_worker(settings, active.dispatch))
                yield {"runtime": active}
        finally:
            if runtime is None:
                await active.close()

    logging.getLogger("easel").setLevel(settings.log_level.upper())
    routes = [
        *order_api_routes,
        Mount("/widget/v1", routes=widget_routes),
        Mount("/demo", routes=demo_routes),
        *vendor_routes,
        *sandboxes.routes(),
    ]
    handlers = {404: http_error, 405: http_error, 413: http_error, 500: server_error}
    return Starlette(routes=routes, middleware=[Middleware(AccessLogMiddleware)], lifespan=lifespan,
                     exception_handlers=handlers)
