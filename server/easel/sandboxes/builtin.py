"""The built-in sandboxes as easel runs them: built from easel's settings, mounted side by side by the demo
(`easel demo`) or served one at a time (`easel sandbox`), always behind the control token, always sending
callbacks through the outbound guard (loopback allowed only with `EASEL_CALLBACKS_ALLOW_PRIVATE`).

Starlette does not run a mounted app's lifespan, so :meth:`MountedSandboxes.running` is entered by the
host's lifespan: it tells the Pwinty sandbox the callback URL of each account (as its owner would in
Pwinty's dashboard; Pixelz is told per image) and lets every sandbox progress its orders in the background.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount

from easel.sandboxes import image2art, pixelz, pwinty
from easel.settings import Settings

VENDORS = ("pwinty", "pixelz", "image2art")
MOUNTS = {"pwinty": "/sandbox/pwinty/v3.0", "pixelz": "/sandbox/pixelz", "image2art": "/sandbox/image2art"}
"""Where the demo mounts each sandbox (the drivers' built-in sandbox accounts point there)."""


def build_sandbox(vendor: str, settings: Settings, *, token: str, public_url: str | None = None,
                  callback_url: str | None = None) -> Starlette:
    """One sandbox app on easel's settings: clock speed, control token, private-address allowance.
    ``public_url`` is where Pixelz's files are served (default: taken from each request);
    ``callback_url`` is where Pwinty's callbacks go for accounts without a URL of their own."""
    speed = float(settings.sandbox_speed)
    private = settings.callbacks_allow_private
    if vendor == "pwinty":
        return pwinty.create_app(pwinty.PwintySandboxSettings(
            clock_speed=speed, control_token=token, callbacks_allow_private=private, callback_url=callback_url))
    if vendor == "pixelz":
        return pixelz.create_app(pixelz.PixelzSandboxSettings(
            clock_speed=speed, control_token=token, callbacks_allow_private=private, public_url=public_url))
    if vendor == "image2art":
        return image2art.create_app(image2art.Image2ArtSandboxSettings(clock_speed=speed, control_token=token))
    raise ValueError(f"no sandbox for {vendor!r}; choose one of {', '.join(VENDORS)}")


class MountedSandboxes:
    """Every built-in sandbox, mounted under `/sandbox/…` of one app (the demo)."""

    def __init__(self, settings: Settings, *, token: str) -> None:
        public = settings.resolved_public_url
        self.apps = {vendor: build_sandbox(vendor, settings, token=token,
                                           public_url=f"{public}{MOUNTS[vendor]}" if vendor == "pixelz" else None)
                     for vendor in VENDORS}

    def routes(self) -> list[BaseRoute]:
        return [Mount(MOUNTS[vendor], app=app) for vendor, app in self.apps.items()]

    @asynccontextmanager
    async def running(self, pwinty_callbacks: Mapping[str, str]) -> AsyncIterator[None]:
        """Progress every sandbox in the background while inside; Pwinty's callbacks go to
        ``pwinty_callbacks`` (MerchantId -> URL)."""
        pwinty_sandbox: pwinty.PwintySandbox = self.apps["pwinty"].state.sandbox
        for merchant, url in pwinty_callbacks.items():
            pwinty_sandbox.set_callback_url(merchant, url)
        async with AsyncExitStack() as stack:
            for app in self.apps.values():
                await stack.enter_async_context(app.state.sandbox.running())
            yield
