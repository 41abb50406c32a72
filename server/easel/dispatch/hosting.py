"""What a serving process runs besides requests: the built-in vendor sandboxes and an in-process worker.

The sandboxes are mounted as sub-apps (``/sandbox/pwinty/v3.0``); Starlette does not run a mounted
app's lifespan, so :meth:`Sandboxes.running` is entered by the host's lifespan: it points the Pwinty
sandbox's callbacks at easel's secret callback URL (Pixelz is told per image) and lets every sandbox
progress its orders in the background.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import anyio
from starlette.routing import BaseRoute, Mount

from ..sandboxes import pixelz as pixelz_sandbox
from ..sandboxes import pwinty as pwinty_sandbox
from ..settings import Settings
from .build import build_worker
from .service import Dispatch


class Sandboxes:
    """The built-in sandboxes of one app."""

    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.sandboxes
        from ..sandboxes import image2art as image2art_sandbox  # it embeds an easel app: import it late

        speed = float(settings.sandbox_speed)
        self.pwinty = pwinty_sandbox.create_app(pwinty_sandbox.PwintySandboxSettings(clock_speed=speed))
        self.image2art = image2art_sandbox.create_app(image2art_sandbox.Image2ArtSandboxSettings(clock_speed=speed))
        self.pixelz = pixelz_sandbox.create_app(pixelz_sandbox.PixelzSandboxSettings(
            clock_speed=speed, public_url=f"{settings.resolved_public_url}/sandbox/pixelz"))

    def routes(self) -> list[BaseRoute]:
        if not self.enabled:
            return []
        return [Mount("/sandbox/pwinty/v3.0", app=self.pwinty), Mount("/sandbox/image2art", app=self.image2art),
                Mount("/sandbox/pixelz", app=self.pixelz)]

    @asynccontextmanager
    async def running(self, dispatch: Dispatch) -> AsyncIterator[None]:
        if not self.enabled:
            yield
            return
        sandbox: pwinty_sandbox.PwintySandbox = self.pwinty.state.sandbox
        sandbox.callback_url = dispatch.callback_url("pwinty", "sandbox")
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(sandbox.running())
            await stack.enter_async_context(self.image2art.state.sandbox.running())
            await stack.enter_async_context(self.pixelz.state.sandbox.running())
            yield


@asynccontextmanager
async def background_worker(settings: Settings, dispatch: Dispatch) -> AsyncIterator[None]:
    """Run a worker for as long as the block lasts (``easel serve``/``easel demo``)."""
    if not settings.worker:
        yield
        return
    worker = build_worker(settings, dispatch.engine, dispatch)
    dispatch.on_new_work = worker.wake
    async with anyio.create_task_group() as tg:
        tg.start_soon(worker.run)
        try:
            yield
        finally:
            dispatch.on_new_work = None
            tg.cancel_scope.cancel()
