"""The upstream Image2ART sandbox: easel's own order API, run as a vendor easel can send orders to.

It is the real order API (same signing, validation, idempotency on `external_order_number`, error
objects and rate-limit headers, see `easel.api`) on a runtime of its own (see `upstream.py`), plus
what an upstream does after accepting an order: its orders move Pending → In Production → In Transit
(with a tracking number) → Delivered on the shared `SandboxClock` (see `progress.py`), and a control
surface (see `control.py`) changes them on demand. Faults come from the shared `FaultInjector`, in the
document's error shape.

Log in with the document's test credentials: username `testing`, secret
`$2y$08$tEwCIc9DxDNKRvzHhfRRlOHxDbu.MyIk5EnzEmZVEJ/GeuHXa.tki`. The catalogue is easel's demo
catalogue. It knows only the skus its own API hands out (`GET /catalog` lists the standard
configurations) and refuses any other with error 201, as any Image2ART server would; it makes every
configuration it sells (no routing question of its own), the canvas border and security hardware
coming as the order item's `border` and `security_hardware` fields.

Not modelled: Processing (the clock skips it), cancellation by the upstream, partial shipments (one
tracking number per order), callbacks from the upstream (the document has none: poll GET /orders/:id).

Run alone: `easel sandbox image2art` (see `easel.app.create_sandbox_app`). Mounted (e.g. under
`/sandbox/image2art`), the runtime is made on the first request and orders progress whenever the
sandbox is asked anything; enter `app.state.sandbox.running()` in the host's lifespan for progress in
the background and for the temporary database to be removed at shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from easel.sandboxes.clock import SandboxClock
from easel.sandboxes.control_auth import ControlGuard
from easel.sandboxes.faults import FaultInjector, FaultMiddleware
from easel.sandboxes.image2art.control import Control
from easel.sandboxes.image2art.upstream import Image2ArtSandbox, Image2ArtSandboxSettings

__all__ = ["Image2ArtSandbox", "Image2ArtSandboxSettings", "create_app"]


def fault_response(status: int, reason: str) -> Response:
    """Injected faults in the document's error shape, headers included."""
    body = {"error_code": status, "error": {"short_message": reason, "long_message": reason}}
    return JSONResponse(body, status, headers={"X-Error-Code": str(status), "X-Error-Message": reason})


def create_app(settings: Image2ArtSandboxSettings | None = None, *, clock: SandboxClock | None = None) -> Starlette:
    """An upstream Image2ART sandbox app; its state is `app.state.sandbox` (an `Image2ArtSandbox`)."""
    settings = settings or Image2ArtSandboxSettings()
    clock = clock or SandboxClock(speed=settings.clock_speed)
    sandbox = Image2ArtSandbox(settings, clock)
    faults = FaultInjector(settings.faults, error_response=fault_response)
    control = Control(sandbox)
    routes = [
        Route("/_control/clock", clock.endpoint, methods=["GET", "POST"]),
        Route("/_control/faults", faults.endpoint, methods=["GET", "POST", "DELETE"]),
        Route("/_control/tick", control.tick, methods=["POST"]),
        Route("/_control/orders", control.orders, methods=["GET"]),
        Route("/_control/orders/{order_id:int}", control.change, methods=["POST"]),
        Mount("", app=sandbox),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with sandbox.running():
            yield

    middleware = [Middleware(ControlGuard, token=settings.control_token), Middleware(FaultMiddleware, injector=faults)]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.sandbox = sandbox
    app.state.faults = faults
    return app
