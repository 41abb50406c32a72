"""A faithful, stateful fake of the Pixelz JSON REST API (retouching), for tests and demos.

Same paths (`/REST.svc/JSON/Image/`, `Image/{ticket}/`, `Images/`, `Images/Count/`, `Templates/`,
`Template/{id}/`, `WhiteGloveService/`, `Image/Reject/{ticket}/`, `Contact/`, `ProductIds/`,
`Invoices/`, and the official client's `StackImage/`, `RequestPresignUrls/`, `AddColorLibrary/`, with
or without the trailing slash), credentials as fields (`contactEmail`, `contactAPIkey`, optional
`developerAPIkey`), JSON shapes and quirks of the document's examples (`IsTrial` as the string "false",
a numeric `CustomerImageId`, `ErrorCode: 0` on DELETE, file paths with a leading slash in GET Status and
without in GET Images), Pixelz's error object for every refusal, unknown paths included (`errors.py`),
and the document's status ids moving on the shared `SandboxClock` (see `state.py`). Presigned uploads
are stored and served by the sandbox itself (`uploads.py`). Finished images are announced by a signed
webhook to `imageCallbackURL` (see `webhooks.py`) and their files are served by the sandbox itself at
signed links (`/{contactId}/{imageId}/final/{name}?signature=…`, see `files.py`, `signing.py`).

Not modelled: the XML flavour (`/REST.svc/` without `JSON`), SOAP, POST Template and POST Contact
(deprecated), combined images (imageURL2-5 are validated, not used), real colour matching (colorwayIds
are checked against the account's library, then only recorded), payment (invoices are never paid) and
trial images, status 95 and 100 (reachable only via the control surface), real retouching (the file is
a small generated picture), fetching outside image URLs (the URL alone decides).

Run alone: `easel sandbox pixelz` (see `easel.app.create_sandbox_app`); the API is then at
`http://127.0.0.1:8001/REST.svc/JSON`. One account's images are never found with another's credentials.
Mounted inside another app (e.g. under `/sandbox/pixelz`), Starlette does not run a sub-app's lifespan:
webhooks go out only when the host enters `app.state.sandbox.running()` in its own lifespan, or on
`POST /_control/tick`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Route

from easel.outbound import Outbound
from easel.sandboxes.clock import SandboxClock
from easel.sandboxes.control_auth import ControlGuard
from easel.sandboxes.faults import FaultInjector, FaultMiddleware
from easel.sandboxes.pixelz.api import PREFIX, PixelzApi
from easel.sandboxes.pixelz.control import Control
from easel.sandboxes.pixelz.errors import PixelzError, error_handler, fault_response, http_error_handler
from easel.sandboxes.pixelz.settings import Account, PixelzSandboxSettings, TemplateSpec
from easel.sandboxes.pixelz.state import STATUS_NAMES, PixelzSandbox
from easel.sandboxes.pixelz.uploads import PRESIGNED

__all__ = [
    "PREFIX",
    "STATUS_NAMES",
    "Account",
    "PixelzSandbox",
    "PixelzSandboxSettings",
    "TemplateSpec",
    "create_app",
]


def create_app(
    settings: PixelzSandboxSettings | None = None,
    *,
    clock: SandboxClock | None = None,
    outbound: Outbound | None = None,
) -> Starlette:
    """A Pixelz sandbox app; its state is `app.state.sandbox` (a `PixelzSandbox`). Webhooks go through
    `outbound` (or a guard of its own per `settings.callbacks_allow_private`)."""
    settings = settings or PixelzSandboxSettings()
    clock = clock or SandboxClock(speed=settings.clock_speed)
    faults = FaultInjector(settings.faults, error_response=fault_response)
    sandbox = PixelzSandbox(settings, clock, faults, outbound)
    control = Control(sandbox)
    routes = [
        *PixelzApi(sandbox).routes(),
        Route("/{contact_id:int}/{image_id:int}/{kind:str}/{name:str}", control.file, methods=["GET"]),
        Route(PRESIGNED + "/{object_id:str}/{name:str}", sandbox.uploads.put, methods=["PUT"]),
        Route(PRESIGNED + "/{object_id:str}/{name:str}", sandbox.uploads.get, methods=["GET"]),
        Route("/_control/clock", clock.endpoint, methods=["GET", "POST"]),
        Route("/_control/faults", faults.endpoint, methods=["GET", "POST", "DELETE"]),
        Route("/_control/tick", control.tick, methods=["POST"]),
        Route("/_control/images", control.images, methods=["GET"]),
        Route("/_control/images/{ticket}", control.force, methods=["POST"]),
        Route("/_control/webhooks", control.webhooks, methods=["GET"]),
        Route("/_control/uploads", control.uploads, methods=["GET"]),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with sandbox.running():
            yield

    app = Starlette(
        routes=routes,
        middleware=[Middleware(ControlGuard, token=settings.control_token),
                    Middleware(FaultMiddleware, injector=faults)],
        exception_handlers={PixelzError: error_handler, HTTPException: http_error_handler},
        lifespan=lifespan,
    )
    app.state.sandbox = sandbox
    return app
