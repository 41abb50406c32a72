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
Complete, callbacks on every status or shipment change (POSTed to `callback_url`, retried up to 15 times
with growing gaps until a 200), countries and catalogue prices.

Images are never fetched: an image is "downloaded" `download_delay` sandbox seconds after it is added
(or when the order is submitted), and fails with `FileCouldNotBeDownloaded` when its URL contains
`undownloadable_marker` or its host ends with one of `unreachable_hosts` (`.invalid` by default), and
with `InvalidImageFile` when it contains `invalid_image_marker`.

What it does not model: pixel sizes (`PictureSizeTooSmall`, `CroppingWillOccur` never appear), multipart
image upload, XML, account balance (`AccountBalanceInsufficient`), holds, image deletion, real payment.

Catalogue (prices in GBP pence, converted per destination currency):
`GLOBAL-FAP-*` fine-art paper prints, no attributes; `GLOBAL-CFPM-*` classic frames with mount,
`frameColour` required (black, white, natural, brown, gold, silver); `GLOBAL-CAN-*` canvas, `wrap`
required (Black, White, ImageWrap, MirrorWrap) and `edge` optional (19mm, 38mm). A missing or wrong
attribute gives the image warning `AttributeNotValid`.

Control (no authentication; never expose a sandbox publicly): `GET/POST /_control/clock`,
`GET/POST/DELETE /_control/faults`, `GET /_control/orders` (orders and counts per merchantOrderId),
`GET/POST /_control/callbacks` (callback URL and delivery log), `POST /_control/tick` (progress orders and
send due callbacks now).

Run alone: `uvicorn --factory easel.sandboxes.pwinty:create_app`. Mounted inside another app, Starlette
does not run a sub-app's lifespan, so callbacks only go out when the host enters
`app.state.sandbox.running()` in its own lifespan, or on `POST /_control/tick`.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import anyio
import httpx
from pydantic import BaseModel, ConfigDict, Field
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from easel.sandboxes.clock import SandboxClock
from easel.sandboxes.faults import FaultInjector, FaultMiddleware, FaultSettings

log = logging.getLogger("easel.sandboxes.pwinty")

UNAUTHORIZED = "Authorization has been denied for this request."
CATALOGUE_NAME = "prodigi direct"
SHIPPING_METHODS = ("Budget", "Standard", "Express", "Overnight")
SIZINGS = ("Crop", "ShrinkToFit", "ShrinkToExactFit")
PAYMENTS = ("InvoiceMe", "InvoiceRecipient")
SETTABLE_STATUSES = ("Cancelled", "AwaitingPayment", "Submitted")
FILE_ERRORS = frozenset({"FileCouldNotBeDownloaded", "NoImageFile", "InvalidImageFile"})
ADDRESS_REQUIRED = ("address1", "addressTownOrCity", "postalOrZipCode", "countryCode")
STRING_FIELDS = (
    "merchantOrderId", "recipientName", "address1", "address2", "addressTownOrCity", "stateOrCounty",
    "postalOrZipCode", "mobileTelephone", "telephone", "email", "invoiceCurrency",
)  # fmt: skip


# -- catalogue and reference data ------------------------------------------------------------------


@dataclass(frozen=True)
class Product:
    sku: str
    family: str
    """Products of one family ship together; an order with several families splits into shipments."""
    price_gbp: int
    required: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    optional: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


_FRAME = {"frameColour": ("black", "white", "natural", "brown", "gold", "silver")}
_WRAP = {"wrap": ("Black", "White", "ImageWrap", "MirrorWrap")}
_EDGE = {"edge": ("19mm", "38mm")}

CATALOGUE: dict[str, Product] = {
    p.sku: p
    for p in (
        Product("GLOBAL-FAP-8x10", "FAP", 900),
        Product("GLOBAL-FAP-12x16", "FAP", 1500),
        Product("GLOBAL-FAP-16x24", "FAP", 2400),
        Product("GLOBAL-FAP-20x30", "FAP", 3300),
        Product("GLOBAL-CFPM-8x10", "CFPM", 3200, _FRAME),
        Product("GLOBAL-CFPM-12x16", "CFPM", 4600, _FRAME),
        Product("GLOBAL-CFPM-16x20", "CFPM", 5900, _FRAME),
        Product("GLOBAL-CAN-10x12", "CAN", 2900, _WRAP, _EDGE),
        Product("GLOBAL-CAN-16x20", "CAN", 4400, _WRAP, _EDGE),
        Product("GLOBAL-CAN-20x30", "CAN", 6200, _WRAP, _EDGE),
    )
}

# iso code -> (name as the API spells it, currency, GBP -> currency rate)
COUNTRIES: dict[str, tuple[str, str, float]] = {
    "GB": ("UNITED KINGDOM", "GBP", 1.0),
    "US": ("UNITED STATES", "USD", 1.27),
    "CA": ("CANADA", "CAD", 1.72),
    "AU": ("AUSTRALIA", "AUD", 1.93),
    "NZ": ("NEW ZEALAND", "NZD", 2.1),
    "IE": ("IRELAND", "EUR", 1.17),
    "FR": ("FRANCE", "EUR", 1.17),
    "DE": ("GERMANY", "EUR", 1.17),
    "NL": ("NETHERLANDS", "EUR", 1.17),
    "ES": ("SPAIN", "EUR", 1.17),
    "IT": ("ITALY", "EUR", 1.17),
    "SE": ("SWEDEN", "SEK", 13.3),
    "CH": ("SWITZERLAND", "CHF", 1.12),
}

# method -> (shipping price per shipment in GBP pence, earliest days, latest days, tracked)
SHIPPING: dict[str, tuple[int, int, int, bool]] = {
    "Budget": (299, 5, 10, False),
    "Standard": (499, 3, 6, True),
    "Express": (1299, 1, 3, True),
    "Overnight": (1999, 1, 1, True),
}

TRACKING_URLS = {
    "RoyalMail": "https://www.royalmail.com/track-your-item#/tracking-results/{}",
    "DpdNextDay": "https://track.dpd.co.uk/parcels/{}",
    "UPS": "https://www.ups.com/track?tracknum={}",
    "FedEx": "https://www.fedex.com/fedextrack/?trknbr={}",
    "DHL": "https://www.dhl.com/en/express/tracking.html?AWB={}",
}


def _carrier(country: str, method: str) -> str:
    fast = method in ("Express", "Overnight")
    if not SHIPPING[method][3]:
        return "AirMail" if country != "GB" else "RoyalMailSecondClass"
    if country == "GB":
        return "DpdNextDay" if fast else "RoyalMail"
    if country in ("US", "CA"):
        return "FedEx" if fast else "UPS"
    return "DHL"


Handler = Callable[[Request], Awaitable[Response]]


def _local_price(pence_gbp: int, country: str) -> int:
    return round(pence_gbp * COUNTRIES[country][2])


# -- settings ---------------------------------------------------------------------------------------


class PwintySandboxSettings(BaseModel):
    """Everything a Pwinty sandbox can be told at start-up; delays are in sandbox-clock seconds."""

    model_config = ConfigDict(extra="forbid")

    accounts: dict[str, str] = Field(
        default_factory=lambda: {"sandbox-merchant": "sandbox-key"}, description="MerchantId -> REST API key."
    )
    callback_url: str | None = Field(default=None, description="Where status callbacks are POSTed.")
    download_delay: float = Field(default=1.0, ge=0, description="Time until an added image is 'downloaded'.")
    allocate_delay: float = Field(default=300.0, ge=0, description="Submission to shipment allocation.")
    ship_delay: float = Field(default=86400.0, ge=0, description="Submission to the first shipment shipping.")
    ship_stagger: float = Field(default=3600.0, ge=0, description="Gap between shipments of one order.")
    callback_retry_base: float = Field(default=10.0, gt=0, description="First retry gap; doubles each time.")
    callback_max_attempts: int = Field(default=15, ge=1, description="Attempts before a callback is given up.")
    callback_timeout: float = Field(default=5.0, gt=0, description="Real seconds to wait for the receiver.")
    tick_seconds: float = Field(default=0.05, gt=0, description="Real seconds between background ticks.")
    undownloadable_marker: str = Field(
        default="undownloadable", description="An image URL containing this fails with FileCouldNotBeDownloaded."
    )
    invalid_image_marker: str = Field(
        default="invalid-image", description="An image URL containing this fails with InvalidImageFile."
    )
    unreachable_hosts: list[str] = Field(
        default_factory=lambda: [".invalid"], description="Host suffixes the 'download' always fails for."
    )
    first_order_id: int = Field(default=1065, description="Id of the first order created.")
    first_image_id: int = Field(default=520151, description="Id of the first image added.")
    first_shipment_id: int = Field(default=506332, description="Id of the first shipment allocated.")
    clock_speed: float = Field(default=1.0, ge=0, description="Sandbox seconds per real second at start.")
    faults: FaultSettings = Field(default_factory=FaultSettings, description="Faults injected from start-up.")


# -- state ------------------------------------------------------------------------------------------


@dataclass
class _Image:
    id: int
    sku: str
    url: str | None
    copies: int
    sizing: str
    price_to_user: int | None
    md5_hash: str | None
    attributes: dict[str, str] | None
    download_at: datetime


@dataclass
class _Shipment:
    family: str
    photo_ids: list[int]
    allocate_at: datetime
    ship_at: datetime
    id: str | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    shipped_on: datetime | None = None


@dataclass
class _Order:
    id: int
    merchant: str
    fields: dict[str, Any]
    created: datetime
    last_updated: datetime
    status: str = "NotYetSubmitted"
    payment_url: str | None = None
    images: list[_Image] = field(default_factory=list)
    shipments: list[_Shipment] = field(default_factory=list)

    @property
    def country(self) -> str:
        return str(self.fields["countryCode"])

    @property
    def method(self) -> str:
        return str(self.fields["preferredShippingMethod"])

    @property
    def cancellable(self) -> bool:
        """Until the lab takes it, i.e. before the first shipment is allocated."""
        if self.status in ("NotYetSubmitted", "AwaitingPayment"):
            return True
        return self.status == "Submitted" and not any(s.id for s in self.shipments)


@dataclass
class _Delivery:
    payload: dict[str, Any]
    next_at: datetime
    attempts: int = 0


class PwintyApiError(Exception):
    """An error answer in the live API's envelope."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


class _Unauthorized(Exception):
    pass


def envelope(data: Any, status: int = 200, text: str = "OK") -> JSONResponse:
    return JSONResponse({"data": data, "statusTxt": text, "statusCode": status}, status)


def error_envelope(status: int, text: str) -> Response:
    return envelope(None, status, text)


# -- the sandbox ------------------------------------------------------------------------------------


class PwintySandbox:
    """The state and behaviour behind the routes; one per app."""

    def __init__(
        self,
        settings: PwintySandboxSettings,
        clock: SandboxClock,
        callback_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.faults = FaultInjector(settings.faults, error_response=error_envelope)
        self.callback_url = settings.callback_url
        self.orders: dict[int, _Order] = {}
        self.deliveries: list[dict[str, Any]] = []
        self._client = callback_client
        self._order_ids = itertools.count(settings.first_order_id)
        self._image_ids = itertools.count(settings.first_image_id)
        self._shipment_ids = itertools.count(settings.first_shipment_id)
        self._fresh: list[dict[str, Any]] = []
        self._pending: list[_Delivery] = []
        self._tick_lock = anyio.Lock()

    # -- lifecycle --------------------------------------------------------------------------------

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Own an HTTP client for callbacks and tick in the background while inside."""
        async with AsyncExitStack() as stack:
            owned = self._client is None
            if owned:
                self._client = await stack.enter_async_context(
                    httpx.AsyncClient(timeout=self.settings.callback_timeout)
                )
            try:
                async with anyio.create_task_group() as tg:
                    tg.start_soon(self._tick_forever)
                    try:
                        yield
                    finally:
                        tg.cancel_scope.cancel()
            finally:
                if owned:
                    self._client = None

    async def _tick_forever(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # a bad receiver must not stop the sandbox
                log.exception("pwinty sandbox tick failed")
            await anyio.sleep(self.settings.tick_seconds)

    async def tick(self) -> None:
        """Progress orders to the clock's now, then send the callbacks that are due."""
        async with self._tick_lock:
            now = self.clock.now()
            self._progress(now)
            fresh, self._fresh = self._fresh, []
            self._pending.extend(_Delivery(p, now) for p in self.faults.outbound(fresh))
            due = [d for d in self._pending if d.next_at <= now]
            for delivery in due:
                await self._deliver(delivery)

    async def _deliver(self, delivery: _Delivery) -> None:
        if self._client is None or self.callback_url is None:
            return
        delivery.attempts += 1
        status: int | None = None
        error: str | None = None
        try:
            response = await self._client.post(self.callback_url, json=delivery.payload)
            status = response.status_code
        except httpx.HTTPError as err:
            error = repr(err)
        now = self.clock.now()
        self.deliveries.append(
            {
                "at": _ts(now, z=True),
                "orderId": delivery.payload["orderId"],
                "status": delivery.payload["status"],
                "attempt": delivery.attempts,
                "responseStatus": status,
                "error": error,
                "payload": delivery.payload,
            }
        )
        del self.deliveries[:-1000]
        if status == 200 or delivery.attempts >= self.settings.callback_max_attempts:
            self._pending.remove(delivery)
        else:
            gap = self.settings.callback_retry_base * 2 ** (delivery.attempts - 1)
            delivery.next_at = now + timedelta(seconds=min(gap, 6 * 3600))

    # -- progress on the clock --------------------------------------------------------------------

    def _progress(self, now: datetime) -> None:
        """Apply every allocation and shipping due by `now`, in time order, one callback per change."""
        steps: list[tuple[datetime, int, _Shipment, str]] = []
        for order in self.orders.values():
            if order.status != "Submitted":
                continue
            for sh in order.shipments:
                if sh.id is None and sh.allocate_at <= now:
                    steps.append((sh.allocate_at, order.id, sh, "allocate"))
                if sh.shipped_on is None and sh.ship_at <= now:
                    steps.append((sh.ship_at, order.id, sh, "ship"))
        steps.sort(key=lambda s: (s[0], s[1], s[3] != "allocate"))
        for (when, order_id), group in itertools.groupby(steps, key=lambda s: (s[0], s[1])):
            order = self.orders[order_id]
            for _, _, sh, action in group:
                if action == "allocate" or sh.id is None:
                    sh.id = str(next(self._shipment_ids))
                    sh.carrier = _carrier(order.country, order.method)
                if action == "ship":
                    sh.shipped_on = when
                    if sh.carrier in TRACKING_URLS:
                        sh.tracking_number = f"PW{sh.id}{order.country}"
            if all(sh.shipped_on for sh in order.shipments):
                order.status = "Complete"
            order.last_updated = when
            self._emit(order, when)

    def _emit(self, order: _Order, when: datetime) -> None:
        if not self.callback_url:
            return
        self._fresh.append(
            {
                "orderId": order.id,
                "environment": "SANDBOX",
                "timestamp": _ts(when, z=True),
                "status": order.status,
                "shipments": [
                    {
                        "items": sh.photo_ids,
                        "status": "Shipped" if sh.shipped_on else "InProgress",
                        "trackingNumber": sh.tracking_number,
                        "trackingUrl": _tracking_url(sh),
                    }
                    for sh in order.shipments
                    if sh.id
                ],
            }
        )

    # -- request plumbing -------------------------------------------------------------------------

    def _merchant(self, request: Request) -> str:
        merchant = request.headers.get("X-Pwinty-MerchantId", "")
        key = request.headers.get("X-Pwinty-REST-API-Key", "")
        if not merchant or self.settings.accounts.get(merchant) != key:
            raise _Unauthorized()
        return merchant

    def _order(self, request: Request, merchant: str) -> _Order:
        order_id: int = request.path_params["id"]
        order = self.orders.get(order_id)
        if order is None or order.merchant != merchant:
            raise PwintyApiError(404, f"Order {order_id} not found")
        return order

    def _begin(self, request: Request) -> tuple[str, datetime]:
        merchant = self._merchant(request)
        now = self.clock.now()
        self._progress(now)
        return merchant, now

    # -- orders -----------------------------------------------------------------------------------

    async def create_order(self, request: Request) -> Response:
        merchant, now = self._begin(request)
        fields = _order_fields(await _body(request))
        order = _Order(next(self._order_ids), merchant, fields, now, now)
        self.orders[order.id] = order
        return envelope(self._order_json(order, now))

    async def get_order(self, request: Request) -> Response:
        merchant, now = self._begin(request)
        return envelope(self._order_json(self._order(request, merchant), now))

    async def list_orders(self, request: Request) -> Response:
        merchant, now = self._begin(request)
        count = min(_int_param(request, "count", 100), 250)
        offset = _int_param(request, "offset", 0)
        wanted = request.query_params.get("merchantOrderId")
        mine = [
            o
            for o in sorted(self.orders.values(), key=lambda o: o.id, reverse=True)
            if o.merchant == merchant and (wanted is None or o.fields["merchantOrderId"] == wanted)
        ]
        content = [self._order_json(o, now, listing=True) for o in mine[offset : offset + count]]
        return envelope({"content": content, "count": len(mine)})

    async def update_order(self, request: Request) -> Response:
        merchant, now = self._begin(request)
        order = self._order(request, merchant)
        fields = _order_fields(await _body(request))
        if order.status != "NotYetSubmitted":
            raise PwintyApiError(403, "Only orders in state NotYetSubmitted can be updated")
        order.fields = fields
        order.last_updated = now
        return envelope(self._order_json(order, now))

    # -- images -----------------------------------------------------------------------------------

    async def add_image(self, request: Request) -> Response:
        merchant, now = self._begin(request)
        order = self._order(request, merchant)
        body = await _body(request)
        if not isinstance(body, dict):
            raise PwintyApiError(400, "The request body must be an image object")
        return envelope(self._image_json(order, self._add_images(order, [body], now)[0], now))

    async def add_images(self, request: Request) -> Response:
        merchant, now = self._begin(request)
        order = self._order(request, merchant)
        body = await _body(request)
        if not isinstance(body, list) or not body:
            raise PwintyApiError(400, "The request body must be a non-empty array of images")
        images = self._add_images(order, body, now)
        return envelope({"items": [self._image_json(order, i, now) for i in images], "errorMessage": None})

    def _add_images(self, order: _Order, bodies: list[Any], now: datetime) -> list[_Image]:
        """Validate every image first, so a batch is all or nothing."""
        if order.status != "NotYetSubmitted":
            raise PwintyApiError(403, f"Images cannot be added to an order in status {order.status}")
        parsed = [_image_fields(b, order) for b in bodies]
        at = now + timedelta(seconds=self.settings.download_delay)
        images = [_Image(next(self._image_ids), download_at=at, **p) for p in parsed]
        order.images.extend(images)
        order.last_updated = now
        return images

    def _image_check(self, image: _Image, now: datetime) -> tuple[str, list[str], list[str]]:
        """(status, errors, warnings) of an image at `now`."""
        errors: list[str] = []
        warnings: list[str] = []
        if image.url is None:
            status = "AwaitingUrlOrData"
            errors.append("NoImageFile")
        elif now < image.download_at:
            status = "NotYetDownloaded"
            warnings += ["CouldNotValidateImageSize", "CouldNotValidateAspectRatio"]
        elif self._undownloadable(image.url):
            status = "FileNotFoundAtUrl"
            errors.append("FileCouldNotBeDownloaded")
        elif self.settings.invalid_image_marker in image.url:
            status = "Invalid"
            errors.append("InvalidImageFile")
        else:
            status = "Ok"
        if image.copies == 0:
            errors.append("ZeroCopies")
        if not _attributes_valid(CATALOGUE[image.sku], image.attributes or {}):
            warnings.append("AttributeNotValid")
        return status, errors, warnings

    def _undownloadable(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return self.settings.undownloadable_marker in url or any(
            host.endswith(suffix.lower()) for suffix in self.settings.unreachable_hosts
        )

    # -- validation and status --------------------------------------------------------------------

    def _submission(self, order: _Order, now: datetime) -> dict[str, Any]:
        general: list[str] = []
        photos: list[dict[str, Any]] = []
        all_errors: set[str] = set()
        for image in order.images:
            _, errors, warnings = self._image_check(image, now)
            all_errors.update(errors)
            if errors or warnings:
                photos.append({"id": image.id, "errors": errors, "warnings": warnings})
        if not order.images:
            general.append("NoItemsInOrder")
        if any(not order.fields.get(name) for name in ADDRESS_REQUIRED):
            general.append("PostalAddressNotSet")
        if all_errors:
            general.append("ItemsContainingErrors")
        if all_errors & FILE_ERRORS:
            general.append("ItemsContainingInvalidImages")
        return {"id": str(order.id), "isValid": not general, "generalErrors": general, "photos": photos}

    async def submission_status(self, request: Request) -> Response:
        merchant, now = self._begin(request)
        return envelope(self._submission(self._order(request, merchant), now))

    async def set_status(self, request: Request) -> Response:
        merchant, now = self._begin(request)
        order = self._order(request, merchant)
        body = await _body(request)
        target = _lower_keys(body).get("status") if isinstance(body, dict) else None
        if target not in SETTABLE_STATUSES:
            raise PwintyApiError(
                400, f"Status {target} is not valid. Valid values are Cancelled, AwaitingPayment or Submitted"
            )
        allowed = {
            "Submitted": order.status in ("NotYetSubmitted", "AwaitingPayment"),
            "AwaitingPayment": order.status == "NotYetSubmitted" and order.fields["payment"] == "InvoiceRecipient",
            "Cancelled": order.cancellable,
        }[target]
        if not allowed:
            raise PwintyApiError(
                400, f"Transition to state {target} from status {order.status} for order {order.id} is not valid"
            )
        if target in ("Submitted", "AwaitingPayment"):
            for image in order.images:  # Pwinty downloads every image before it accepts an order
                image.download_at = min(image.download_at, now)
            check = self._submission(order, now)
            if not check["isValid"]:
                raise PwintyApiError(400, f"Order {order.id} cannot be submitted: {', '.join(check['generalErrors'])}")
        order.status = target
        order.last_updated = now
        if target == "Submitted":
            order.shipments = self._plan_shipments(order, now)
        if target == "AwaitingPayment":
            order.payment_url = f"https://sandbox.pwinty.com/pay/{order.id}"
        else:
            self._emit(order, now)
        return envelope({})

    def _plan_shipments(self, order: _Order, now: datetime) -> list[_Shipment]:
        s = self.settings
        families = _families(order.images)
        return [
            _Shipment(
                family,
                ids,
                allocate_at=now + timedelta(seconds=s.allocate_delay),
                ship_at=now + timedelta(seconds=max(s.ship_delay, s.allocate_delay) + n * s.ship_stagger),
            )
            for n, (family, ids) in enumerate(families.items())
        ]

    # -- JSON views -------------------------------------------------------------------------------

    def _order_json(self, order: _Order, now: datetime, *, listing: bool = False) -> dict[str, Any]:
        f = order.fields
        shipments = self._shipments_json(order, now)
        ship_price = _local_price(SHIPPING[order.method][0], order.country) * len(shipments)
        items_price = sum(_local_price(CATALOGUE[i.sku].price_gbp, order.country) * i.copies for i in order.images)
        hide_shipping = listing and order.status == "NotYetSubmitted"
        return {
            "id": order.id,
            "address1": f["address1"],
            "address2": f["address2"],
            "postalOrZipCode": f["postalOrZipCode"],
            "countryCode": f["countryCode"],
            "addressTownOrCity": f["addressTownOrCity"],
            "recipientName": f["recipientName"],
            "stateOrCounty": f["stateOrCounty"],
            "status": order.status,
            "payment": f["payment"],
            "paymentUrl": order.payment_url,
            "price": items_price + ship_price,
            "shippingInfo": None if hide_shipping else {"price": ship_price, "shipments": shipments},
            "images": [self._image_json(order, i, now) for i in order.images],
            "merchantOrderId": f["merchantOrderId"],
            "preferredShippingMethod": f["preferredShippingMethod"],
            "mobileTelephone": f["mobileTelephone"],
            "created": _ts(order.created),
            "lastUpdated": _ts(order.last_updated),
            "canCancel": order.cancellable,
            "canHold": order.cancellable,
            "canUpdateShipping": order.cancellable,
            "canUpdateImages": order.status == "NotYetSubmitted",
            "errorMessage": None,
            "invoiceAmountNet": f["invoiceAmountNet"] or 0,
            "invoiceTax": f["invoiceTax"] or 0,
            "invoiceCurrency": f["invoiceCurrency"],
        }

    def _shipments_json(self, order: _Order, now: datetime) -> list[dict[str, Any]]:
        _, earliest, latest, tracked = SHIPPING[order.method]
        if order.shipments:
            planned = [(sh, sh.ship_at) for sh in order.shipments]
        else:
            ship_at = now + timedelta(seconds=max(self.settings.ship_delay, self.settings.allocate_delay))
            planned = [(_Shipment(f, ids, now, ship_at), ship_at) for f, ids in _families(order.images).items()]
        return [
            {
                "carrier": sh.carrier,
                "photoIds": sh.photo_ids,
                "shipmentId": sh.id,
                "trackingNumber": sh.tracking_number,
                "trackingUrl": _tracking_url(sh),
                "isTracked": tracked,
                "earliestEstimatedArrivalDate": _ts(_midnight(ship_at + timedelta(days=earliest))),
                "latestEstimatedArrivalDate": _ts(_midnight(ship_at + timedelta(days=latest + 1), -1)),
                "shippedOn": _ts(sh.shipped_on, z=True) if sh.shipped_on else None,
            }
            for sh, ship_at in planned
        ]

    def _image_json(self, order: _Order, image: _Image, now: datetime) -> dict[str, Any]:
        status, _, _ = self._image_check(image, now)
        ready = status == "Ok"
        return {
            "id": image.id,
            "sku": image.sku,
            "url": image.url,
            "status": status,
            "copies": image.copies,
            "sizing": image.sizing,
            "priceToUser": image.price_to_user,
            "price": _local_price(CATALOGUE[image.sku].price_gbp, order.country),
            "md5Hash": image.md5_hash,
            "previewUrl": f"https://sandbox-images.pwinty.com/{image.id}/preview.jpg" if ready else None,
            "thumbnailUrl": f"https://sandbox-images.pwinty.com/{image.id}/thumb.jpg" if ready else None,
            "attributes": image.attributes,
            "errorMessage": None,
        }

    # -- reference data ---------------------------------------------------------------------------

    async def countries(self, request: Request) -> Response:
        self._merchant(request)
        return envelope([{"name": name, "isoCode": code} for code, (name, _, _) in COUNTRIES.items()])

    async def prices(self, request: Request) -> Response:
        self._merchant(request)
        if request.path_params["catalogue"].lower() != CATALOGUE_NAME:
            raise PwintyApiError(404, f"Catalogue {request.path_params['catalogue']} not found")
        country = request.path_params["country"].upper()
        if country not in COUNTRIES:
            raise PwintyApiError(400, f"Country code {country} is not valid")
        body = await _body(request)
        skus = _lower_keys(body).get("skus") if isinstance(body, dict) else None
        if not isinstance(skus, list) or not skus or not all(isinstance(s, str) for s in skus):
            raise PwintyApiError(400, "skus must be a non-empty array of strings")
        currency = COUNTRIES[country][1]
        return envelope(
            {
                "prices": [
                    {"sku": p.sku, "price": _local_price(p.price_gbp, country), "currency": currency}
                    for p in (_product(s) for s in skus)
                ]
            }
        )

    # -- control ----------------------------------------------------------------------------------

    async def control_orders(self, request: Request) -> Response:
        counts = Counter(o.fields["merchantOrderId"] for o in self.orders.values() if o.fields["merchantOrderId"])
        orders = [
            {
                "id": o.id,
                "merchantId": o.merchant,
                "merchantOrderId": o.fields["merchantOrderId"],
                "status": o.status,
                "images": len(o.images),
            }
            for o in self.orders.values()
        ]
        return JSONResponse({"orders": orders, "countsByMerchantOrderId": dict(counts)})

    async def control_callbacks(self, request: Request) -> Response:
        if request.method == "POST":
            body = await _body(request)
            url = body.get("url") if isinstance(body, dict) else None
            if url is not None and not _absolute_url(url):
                return JSONResponse({"error": "url must be an absolute http(s) URL or null"}, 400)
            self.callback_url = url
            if url is None:
                self._pending.clear()
        return JSONResponse(
            {
                "url": self.callback_url,
                "pending": len(self._pending) + len(self._fresh),
                "deliveries": self.deliveries,
            }
        )

    async def control_tick(self, request: Request) -> Response:
        await self.tick()
        return JSONResponse({"now": self.clock.now().isoformat()})


# -- request parsing --------------------------------------------------------------------------------


async def _body(request: Request) -> Any:
    """JSON, or form data as the document's curl examples send (even under a JSON content type)."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        pass
    try:
        pairs = parse_qsl(raw.decode(), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError) as err:
        raise PwintyApiError(400, "The request is invalid.") from err
    return dict(pairs)


def _lower_keys(body: dict[str, Any]) -> dict[str, Any]:
    """Field names are matched case-insensitively, as the live (.NET) API binds them."""
    return {str(k).lower(): v for k, v in body.items()}


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise PwintyApiError(400, f"The value '{raw}' is not valid for {name}.")
    return value


def _string(body: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = body.get(name.lower())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if value is not None and not isinstance(value, str):
        raise PwintyApiError(400, f"The value for {name} is not valid.")
    if required and not value:
        raise PwintyApiError(400, f"The {name} field is required.")
    return value


def _integer(body: dict[str, Any], name: str, *, required: bool = False) -> int | None:
    value = body.get(name.lower())
    if value is None or value == "":
        if required:
            raise PwintyApiError(400, f"The {name} field is required.")
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if isinstance(value, (bool, float)) or number < 0:
        raise PwintyApiError(400, f"The value '{value}' is not valid for {name}.")
    return number


def _choice(body: dict[str, Any], name: str, options: Iterable[str], default: str | None = None) -> str:
    value = _string(body, name, required=default is None) or default
    for option in options:
        if value is not None and value.lower() == option.lower():
            return option
    raise PwintyApiError(400, f"{value} is not a valid value for {name}.")


def _order_fields(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise PwintyApiError(400, "The request body must be an order object")
    b = _lower_keys(body)
    fields: dict[str, Any] = {name: _string(b, name) for name in STRING_FIELDS}
    _string(b, "recipientName", required=True)
    country = (_string(b, "countryCode", required=True) or "").upper()
    if country not in COUNTRIES:
        raise PwintyApiError(400, f"Country code {country} is not valid")
    fields["countryCode"] = country
    fields["preferredShippingMethod"] = _choice(b, "preferredShippingMethod", SHIPPING_METHODS)
    fields["payment"] = _choice(b, "payment", PAYMENTS, default="InvoiceMe")
    fields["invoiceAmountNet"] = _integer(b, "invoiceAmountNet")
    fields["invoiceTax"] = _integer(b, "invoiceTax")
    return fields


def _image_fields(body: Any, order: _Order) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise PwintyApiError(400, "Each image must be an object")
    b = _lower_keys(body)
    product = _product(_string(b, "sku", required=True) or "")
    url = _string(b, "url") or None
    if url is not None and not _absolute_url(url):
        raise PwintyApiError(400, f"Url {url} is not a valid http or https absolute url")
    price_to_user = _integer(b, "priceToUser")
    if price_to_user is not None and order.fields["payment"] != "InvoiceRecipient":
        raise PwintyApiError(400, "priceToUser can only be set when payment is InvoiceRecipient")
    attributes = b.get("attributes")
    if attributes is not None and not isinstance(attributes, dict):
        raise PwintyApiError(400, "attributes must be an object")
    return {
        "sku": product.sku,
        "url": url,
        "copies": _integer(b, "copies", required=True),
        "sizing": _choice(b, "sizing", SIZINGS),
        "price_to_user": price_to_user,
        "md5_hash": _string(b, "md5Hash"),
        "attributes": {str(k): str(v) for k, v in attributes.items()} if attributes else None,
    }


def _product(sku: str) -> Product:
    for product in CATALOGUE.values():
        if product.sku.lower() == sku.lower():
            return product
    raise PwintyApiError(400, f"Product with sku {sku} not found")


def _attributes_valid(product: Product, attributes: dict[str, str]) -> bool:
    allowed = {**product.required, **product.optional}
    if any(name not in attributes for name in product.required):
        return False
    return all(name in allowed and value in allowed[name] for name, value in attributes.items())


def _absolute_url(url: object) -> bool:
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _families(images: list[_Image]) -> dict[str, list[int]]:
    families: dict[str, list[int]] = {}
    for image in images:
        families.setdefault(CATALOGUE[image.sku].family, []).append(image.id)
    return families


def _tracking_url(sh: _Shipment) -> str | None:
    if sh.tracking_number is None or sh.carrier not in TRACKING_URLS:
        return None
    return TRACKING_URLS[sh.carrier].format(sh.tracking_number)


def _ts(when: datetime, *, z: bool = False) -> str:
    """ISO 8601 as the live API writes it: milliseconds without trailing zeros, `Z` only sometimes."""
    when = when.astimezone(UTC)
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    millis = f"{when.microsecond // 1000:03d}".rstrip("0")
    return text + (f".{millis}" if millis else "") + ("Z" if z else "")


def _midnight(when: datetime, shift_seconds: int = 0) -> datetime:
    day = when.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day + timedelta(seconds=shift_seconds)


# -- the app ----------------------------------------------------------------------------------------


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PwintyApiError)
    return error_envelope(exc.status, exc.text)


async def _unauthorized(request: Request, exc: Exception) -> Response:
    return JSONResponse({"message": UNAUTHORIZED}, 401)


def create_app(
    settings: PwintySandboxSettings | None = None,
    *,
    clock: SandboxClock | None = None,
    callback_client: httpx.AsyncClient | None = None,
) -> Starlette:
    """A Pwinty v3.0 sandbox app; its state is `app.state.sandbox` (a `PwintySandbox`)."""
    settings = settings or PwintySandboxSettings()
    clock = clock or SandboxClock(speed=settings.clock_speed)
    sandbox = PwintySandbox(settings, clock, callback_client)
    routes: list[tuple[str, Handler, list[str]]] = [
        ("/orders", sandbox.list_orders, ["GET"]),
        ("/orders", sandbox.create_order, ["POST"]),
        ("/orders/{id:int}", sandbox.get_order, ["GET"]),
        ("/orders/{id:int}", sandbox.update_order, ["PUT"]),
        ("/orders/{id:int}/images", sandbox.add_image, ["POST"]),
        ("/orders/{id:int}/images/batch", sandbox.add_images, ["POST"]),
        ("/orders/{id:int}/SubmissionStatus", sandbox.submission_status, ["GET"]),
        ("/orders/{id:int}/status", sandbox.set_status, ["POST"]),
        ("/countries", sandbox.countries, ["GET"]),
        ("/catalogue/{catalogue}/destination/{country}/prices", sandbox.prices, ["POST"]),
        ("/_control/clock", clock.endpoint, ["GET", "POST"]),
        ("/_control/faults", sandbox.faults.endpoint, ["GET", "POST", "DELETE"]),
        ("/_control/orders", sandbox.control_orders, ["GET"]),
        ("/_control/callbacks", sandbox.control_callbacks, ["GET", "POST"]),
        ("/_control/tick", sandbox.control_tick, ["POST"]),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with sandbox.running():
            yield

    app = Starlette(
        routes=[Route(path, endpoint, methods=methods) for path, endpoint, methods in routes],
        middleware=[Middleware(FaultMiddleware, injector=sandbox.faults)],
        exception_handlers={PwintyApiError: _api_error, _Unauthorized: _unauthorized},
        lifespan=lifespan,
    )
    app.state.sandbox = sandbox
    return app
