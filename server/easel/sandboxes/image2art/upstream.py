"""The upstream itself: easel's own order API with a runtime of its own, made on first use.

The runtime has a fresh SQLite database in a folder of its own (a temporary one unless `data_dir` is
given), migrated, with the demo catalogue and the document's test merchant (`testing` and its secret)
loaded, so the same demo skus exist on both sides. Every request reaches easel's order API (its routes,
`easel.api.routes`, in an app of their own: the sandbox never imports easel's app, which mounts it in the
demo) with this runtime as its state, and with the mount prefix taken off `raw_path`, so that signatures
are checked against the path a client signs (`orders/1`), wherever the sandbox is mounted. Orders are the
merchant's own as on any easel: another merchant's order id answers 404.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import anyio
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from easel.api.routes import routes as order_api_routes
from easel.demo.seed import seed_demo
from easel.domain.merchants import Merchant
from easel.domain.orders import OrderStatus
from easel.runtime import Runtime
from easel.sandboxes.clock import SandboxClock, ticking
from easel.sandboxes.faults import FaultSettings
from easel.sandboxes.image2art import progress
from easel.secret_box import new_key
from easel.settings import Settings
from easel.storage import migrate
from easel.web.error_pages import http_error, server_error


def order_api_app() -> Starlette:
    """easel's order API alone: its routes and its error answers, no widget, demo store or lifespan."""
    handlers = {404: http_error, 405: http_error, 413: http_error, 500: server_error}
    return Starlette(routes=order_api_routes, exception_handlers=handlers)


class Image2ArtSandboxSettings(BaseModel):
    """Delays are sandbox-clock seconds from an order's creation; `deliver_delay` None never delivers."""

    model_config = ConfigDict(extra="forbid")

    production_delay: float = Field(default=600.0, ge=0, description="Pending to In Production.")
    ship_delay: float = Field(default=86400.0, ge=0, description="To In Transit, with a tracking number.")
    deliver_delay: float | None = Field(default=3 * 86400.0, ge=0, description="To Delivered.")
    tick_seconds: float = Field(default=0.25, gt=0, description="Real seconds between background ticks.")
    rate_limit: int = Field(default=1_000_000, gt=0, description="Order API requests per action and day.")
    data_dir: Path | None = Field(default=None, description="Folder for the database; default: a temporary one.")
    clock_speed: float = Field(default=1.0, ge=0, description="Sandbox seconds per real second at start.")
    faults: FaultSettings = Field(default_factory=FaultSettings, description="Faults injected from start-up.")
    control_token: str = Field(default="", description="Bearer token of /_control; empty refuses every request.")


class Image2ArtSandbox:
    """The upstream's runtime, its order API app, and the clock its orders progress on."""

    def __init__(self, settings: Image2ArtSandboxSettings, clock: SandboxClock) -> None:
        self.settings = settings
        self.clock = clock
        self.delays = progress.Delays(settings.production_delay, settings.ship_delay, settings.deliver_delay)
        self.runtime: Runtime | None = None
        self._api: ASGIApp | None = None
        self._folder: Path | None = None
        self._created: dict[int, datetime] = {}
        self._start_lock = anyio.Lock()
        self._tick_lock = anyio.Lock()

    # -- lifecycle --------------------------------------------------------------------------------

    async def ready(self) -> Runtime:
        """The runtime, made (migrated, seeded) by the first caller."""
        if self.runtime is None:
            async with self._start_lock:
                if self.runtime is None:
                    await self._start()
        assert self.runtime is not None
        return self.runtime

    async def _start(self) -> None:
        temporary = self.settings.data_dir is None
        folder = Path(tempfile.mkdtemp(prefix="easel-image2art-")) if temporary else self.settings.data_dir
        assert folder is not None
        # The upstream is a vendor, not a shop: no vendor accounts, no worker sending its orders on.
        settings = Settings(data_dir=folder, secret_key=new_key(), rate_limit=self.settings.rate_limit, worker=False)
        runtime = Runtime.create(settings)
        try:
            await migrate.upgrade(runtime.engine)
            await seed_demo(runtime, images=False)
        except BaseException:
            await runtime.close()
            if temporary:
                shutil.rmtree(folder, ignore_errors=True)
            raise
        runtime.orders.on_created = self._on_created  # instead of queueing fulfilment work
        runtime.products.capability = None  # the upstream is the vendor: it makes every configuration it sells
        self._api = order_api_app()
        self._folder = folder if temporary else None
        self.runtime = runtime

    async def close(self) -> None:
        runtime, self.runtime, self._api = self.runtime, None, None
        if runtime is not None:
            await runtime.close()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Progress orders in the background while inside, and clean up on the way out. The runtime is
        still made on first use, so a host that never sends an order here pays nothing for it."""
        try:
            async with ticking(self._tick_if_started, self.settings.tick_seconds, "image2art sandbox"):
                yield
        finally:
            await self.close()

    async def _tick_if_started(self) -> None:
        if self.runtime is not None:  # no order has come yet: nothing to move, no runtime to make
            await self.tick()

    # -- progress ---------------------------------------------------------------------------------

    async def _on_created(self, conn: AsyncConnection, merchant: Merchant, order_id: int) -> None:
        self._created[order_id] = self.clock.now()

    async def tick(self) -> None:
        """Move every order on to where the clock says it should be by now."""
        runtime = await self.ready()
        async with self._tick_lock, runtime.engine.begin() as conn:
            now = self.clock.now()
            for row in await progress.moving_orders(conn):
                created = self._created.setdefault(row.id, now)  # made before this sandbox saw it
                target = self.delays.due((now - created).total_seconds())
                if progress.RANK[target.value] > progress.RANK[row.status]:
                    await progress.apply(conn, row.id, target)

    async def change(self, order_id: int, status: OrderStatus | None, tracking: list[dict[str, str]],
                     reason: str) -> bool:  # fmt: skip
        """The control endpoint's change: a given status, or the next one in the chain. False when there
        is no such order; ValueError when asked to advance an order that is off the chain or delivered."""
        runtime = await self.ready()
        async with self._tick_lock, runtime.engine.begin() as conn:
            current = await progress.status_of(conn, order_id)
            if current is None:
                return False
            if status is None:
                status = progress.next_status(current)
            return await progress.apply(conn, order_id, status, reason=reason, tracking=tracking)

    # -- the order API ----------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        runtime = await self.ready()
        if scope["type"] == "http":
            await self.tick()  # orders progress when looked at, even with no background ticker
        child = dict(scope)
        child["state"] = {"runtime": runtime}
        root = str(scope.get("root_path", "")).encode()
        raw = scope.get("raw_path")
        if root and isinstance(raw, bytes) and raw.startswith(root):
            child["raw_path"] = raw[len(root) :]
        assert self._api is not None
        await self._api(child, receive, send)
