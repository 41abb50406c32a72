"""A faithful, stateful fake of the Pwinty v3.0 API, for tests and demos.

Same paths, authentication headers, JSON shapes, status codes and validation as Pwinty's v3.0 document,
with the details recorded from the live sandbox taking precedence: every answer is wrapped as
`{"data": ..., "statusTxt": "OK", "statusCode": 200}` and errors as `{"data": null, "statusTxt": reason,
"statusCode": 400}`; a bad key is a bare 401 `{"message": ...}`; every order carries `tag` and
`packingSlipUrl`; the order list is `data.count`, `data.content[]` and `data.summary[]` (`{label,
value}`), a listed order not yet submitted having `shippingInfo` `{"price": 0, "shipments": []}`; an
image's `attributes` is `{}` in order views and its `md5Hash` is filled once it is downloaded; a shipment
names its carrier from submission on (its `shipmentId` stays null until allocation); `SubmissionStatus`
has its `id` as a string; a batch of images answers `data.items[]` only (`sizing` may be left out: it is
`Crop`); a status change answers `data: {}`; optional fields come back as `null`; timestamps come with and
without a trailing `Z`; a path with a trailing slash is answered as the path without it (no redirect).

What it models: orders per merchant (create, get, list most recent first, update while
NotYetSubmitted, `tag` and `packingSlipUrl` kept), images one by one or in a batch, `SubmissionStatus`
with general errors, image errors and warnings, status changes (Submitted, AwaitingPayment for
InvoiceRecipient orders, Cancelled until the lab takes the order), one shipment per product family,
allocated then shipped with tracking as the sandbox clock advances, the order becoming Complete,
callbacks on every status or shipment change (POSTed to the account's callback URL through easel's
outbound guard, retried up to 15 times with growing gaps until a 200), countries, a realistic slice of
the real catalogue (photo, fine art, canvas and framed lines in their real SKUs and attributes; unknown
SKUs refused) and its prices. One account never sees another's orders: they answer 404 as unknown ones do.

The order list: the live API ignored `count` (it answered the newest 100 of 524 orders) and documents
no filter by `merchantOrderId`. With `strict` on, the sandbox does the same (pages of 100 from `offset`,
newest first, no filter); with it off it honours `count` (at most 250) and `merchantOrderId`, an
extension a client must not rely on.

Images are never fetched; how their "download" succeeds or fails is in `submission.py`.

What it does not model: pixel sizes (`PictureSizeTooSmall`, `CroppingWillOccur` never appear), multipart
image upload, XML, account balance (`AccountBalanceInsufficient`), holds, image deletion, real payment,
packing slips being fetched or printed, the live list's `summary` labels (the sandbox counts orders per
status), Pwinty's real prices.

The catalogue (products, their attributes and prices) is in `catalogue.py` and `catalogue.json`, the
control surface in `control.py`.

Run alone: `easel sandbox pwinty` (see `easel.app.create_sandbox_app`). Mounted inside another app,
Starlette does not run a sub-app's lifespan, so callbacks only go out when the host enters
`app.state.sandbox.running()` in its own lifespan, or on `POST /_control/tick` when given an `outbound`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from easel.outbound import Outbound
from easel.sandboxes.clock import SandboxClock
from easel.sandboxes.control_auth import ControlGuard
from easel.sandboxes.faults import FaultMiddleware
from easel.sandboxes.pwinty.api import SETTABLE_STATUSES, Handler, PwintyApi
from easel.sandboxes.pwinty.catalogue import (
    CATALOGUE,
    CATALOGUE_NAME,
    COUNTRIES,
    SHIPPING,
    TRACKING_URLS,
    Product,
)
from easel.sandboxes.pwinty.control import Control
from easel.sandboxes.pwinty.envelope import (
    UNAUTHORIZED,
    PwintyApiError,
    Unauthorized,
    api_error,
    envelope,
    error_envelope,
    unauthorized,
)
from easel.sandboxes.pwinty.parsing import PAYMENTS, SHIPPING_METHODS, SIZINGS, STRING_FIELDS
from easel.sandboxes.pwinty.settings import PwintySandboxSettings
from easel.sandboxes.pwinty.state import PwintySandbox
from easel.sandboxes.pwinty.submission import ADDRESS_REQUIRED, FILE_ERRORS

__all__ = [
    "ADDRESS_REQUIRED",
    "CATALOGUE",
    "CATALOGUE_NAME",
    "COUNTRIES",
    "FILE_ERRORS",
    "PAYMENTS",
    "SETTABLE_STATUSES",
    "SHIPPING",
    "SHIPPING_METHODS",
    "SIZINGS",
    "STRING_FIELDS",
    "TRACKING_URLS",
    "UNAUTHORIZED",
    "Handler",
    "Product",
    "PwintyApiError",
    "PwintySandbox",
    "PwintySandboxSettings",
    "create_app",
    "envelope",
    "error_envelope",
]


def create_app(
    settings: PwintySandboxSettings | None = None,
    *,
    clock: SandboxClock | None = None,
    outbound: Outbound | None = None,
) -> Starlette:
    """A Pwinty v3.0 sandbox app; its state is `app.state.sandbox` (a `PwintySandbox`). Callbacks go
    through `outbound` (or, while `running()`, a guard of its own per `settings.callbacks_allow_private`)."""
    settings = settings or PwintySandboxSettings()
    clock = clock or SandboxClock(speed=settings.clock_speed)
    sandbox = PwintySandbox(settings, clock, outbound)
    control = Control(sandbox)
    # A path with a trailing slash is answered as the path without it, never redirected: clients that do
    # not follow redirects broke on it (and a redirect would lose a POST or PUT body).
    api_routes = [(path + end, endpoint, methods) for path, endpoint, methods in PwintyApi(sandbox).routes()
                  for end in ("", "/")]
    routes: list[tuple[str, Handler, list[str]]] = [
        *api_routes,
        ("/_control/clock", clock.endpoint, ["GET", "POST"]),
        ("/_control/faults", sandbox.faults.endpoint, ["GET", "POST", "DELETE"]),
        ("/_control/orders", control.orders, ["GET"]),
        ("/_control/callbacks", control.callbacks, ["GET", "POST"]),
        ("/_control/tick", control.tick, ["POST"]),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with sandbox.running():
            yield

    app = Starlette(
        routes=[Route(path, endpoint, methods=methods) for path, endpoint, methods in routes],
        middleware=[Middleware(ControlGuard, token=settings.control_token),
                    Middleware(FaultMiddleware, injector=sandbox.faults)],
        exception_handlers={PwintyApiError: api_error, Unauthorized: unauthorized},
        lifespan=lifespan,
    )
    app.state.sandbox = sandbox
    return app
