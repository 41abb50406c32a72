"""A faithful, stateful fake of the Pwinty v3.0 API, for tests and demos.

Same paths, authentication headers, JSON shapes, status codes and validation as Pwinty's v3.0 document,
with the details recorded from the live sandbox taking precedence: every answer is wrapped as
`{"data": ..., "statusTxt": "OK", "statusCode": 200}` and errors as `{"data": null, "statusTxt": reason,
"statusCode": 400}`; a bad key is a bare 401 `{"message": ...}`; the order list is `data.content[]` with
`data.count`; `SubmissionStatus` has its `id` as a string; a batch of images answers `data.items[]`; a
status change answers `data: {}`; optional fields come back as `null`; timestamps come with and without
a trailing `Z`.

What it models: orders per merchant (create, get, list most recent first, update while
NotYetSubmitted), `merchantOrderId` kept and filterable (`GET /orders?merchantOrderId=...`, an extension
a client must not rely on against the live API), images one by one or in a batch, `SubmissionStatus`
with general errors, image errors and warnings, status changes (Submitted, AwaitingPayment for
InvoiceRecipient orders, Cancelled until the lab takes the order), one shipment per product family,
allocated then shipped with carrier and tracking as the sandbox clock advances, the order becoming
Complete, callbacks on every status or shipment change (POSTed to the account's callback URL through
easel's outbound guard, retried up to 15 times with growing gaps until a 200), countries and catalogue
prices. One account never sees another's orders: they answer 404 as unknown ones do.

Images are never fetched; how their "download" succeeds or fails is in `submission.py`.

What it does not model: pixel sizes (`PictureSizeTooSmall`, `CroppingWillOccur` never appear), multipart
image upload, XML, account balance (`AccountBalanceInsufficient`), holds, image deletion, real payment.

The catalogue (products, their attributes and prices) is in `catalogue.py`, the control surface in
`control.py`.

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
    routes: list[tuple[str, Handler, list[str]]] = [
        *PwintyApi(sandbox).routes(),
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
