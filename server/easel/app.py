"""The ASGI applications, composed in this one place: routes, middleware and background tasks of each mode.

- :func:`create_app`: production (`easel serve`; uvicorn imports it as the factory of `serve --workers N`):
  the order API, the widget, vendor callbacks and vendor files, and a worker unless EASEL_WORKER is off.
- :func:`create_demo_app`: the same plus the demo store (`/demo`) and the built-in sandboxes
  (`/sandbox/…`), whose accounts are then the default for test orders (`easel demo`).
- :func:`create_sandbox_app`: one sandbox alone (`easel sandbox VENDOR`), shared by every easel process.

No logic lives here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount
from starlette.types import ASGIApp

from .admin.routes import admin_app
from .api.routes import routes as order_api_routes
from .dispatch.build import background_worker
from .dispatch.webhooks import routes as vendor_routes
from .logging_setup import configure_logging
from .runtime import Runtime
from .sandboxes.builtin import MountedSandboxes, build_sandbox
from .sandboxes.token import control_token
from .served import settings_from_env
from .settings import Settings
from .web.access_log import AccessLogMiddleware
from .web.body_limit import BodyLimitMiddleware
from .web.demo_routes import routes as demo_routes
from .web.error_pages import http_error, server_error
from .web.fast_routes import FastRoutes
from .web.security_headers import SecurityHeadersMiddleware
from .web.state import AppState
from .web.templates import resource_dir
from .widget.assets import check_build
from .widget.routes import routes as widget_routes


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Starlette:
    """The production app; settings are read from the environment only when none are given."""
    return _compose(settings, runtime, demo=False)


def create_demo_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Starlette:
    """The production app plus the demo store and the built-in sandboxes."""
    return _compose(settings, runtime, demo=True)


def create_sandbox_app(vendor: str, settings: Settings, *, token: str, callback_url: str | None = None) -> ASGIApp:
    """One sandbox served alone; its own lifespan runs its clock and sends its callbacks."""
    configure_logging(settings.log_level)
    sandbox = build_sandbox(vendor, settings, token=token, callback_url=callback_url)
    guarded = BodyLimitMiddleware(SecurityHeadersMiddleware(sandbox), settings=settings,
                                  default_limit=settings.sandbox_max_body_bytes)
    return AccessLogMiddleware(guarded)


def _compose(settings: Settings | None, runtime: Runtime | None, *, demo: bool) -> Starlette:
    settings = settings or (runtime.settings if runtime else settings_from_env())
    check_build(resource_dir("widget_assets"))  # a missing or stale widget build stops start-up
    sandboxes = MountedSandboxes(settings, token=control_token(settings)) if demo else None

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[AppState]:
        active = runtime or Runtime.create(settings, builtin_sandboxes=demo)
        try:
            async with AsyncExitStack() as stack:
                if sandboxes is not None:
                    await stack.enter_async_context(sandboxes.running(_pwinty_callbacks(active)))
                if runtime is None:  # a serving process (easel serve/demo); tests bring their own runtime
                    await stack.enter_async_context(background_worker(settings, active.dispatch))
                yield {"runtime": active}
        finally:
            if runtime is None:
                await active.close()

    configure_logging(settings.log_level)
    routes: list[BaseRoute] = [*order_api_routes, Mount("/widget/v1", routes=widget_routes), *vendor_routes,
                               Mount("/admin", app=admin_app())]
    if sandboxes is not None:
        routes += [Mount("/demo", routes=demo_routes), *sandboxes.routes()]
    # FastRoutes first: it answers the two hottest GETs itself when it can, else passes them on untouched
    middleware = [Middleware(FastRoutes, settings=settings), Middleware(AccessLogMiddleware),
                  Middleware(BodyLimitMiddleware, settings=settings), Middleware(SecurityHeadersMiddleware)]
    handlers = {404: http_error, 405: http_error, 413: http_error, 500: server_error}
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan, exception_handlers=handlers)


def _pwinty_callbacks(runtime: Runtime) -> dict[str, str]:
    """The mounted Pwinty sandbox's account and easel's callback URL for it."""
    account = runtime.dispatch.accounts.get("pwinty", "sandbox")
    merchant = account.credentials.get("merchant_id", "") if account else ""
    return {merchant: runtime.dispatch.callback_url("pwinty", "sandbox")} if merchant else {}
