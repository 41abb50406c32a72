"""Pwinty v3.0: the print vendor client, on the shared `VendorAdapter` sequence.

Callers pass plain data (`Recipient`, `PrintItem`) and get pydantic models back; the HTTP details
(headers, envelope, paths, Pwinty's field names) stay here. Answers are read leniently where the live
API is inconsistent (nulls for absent fields, timestamps with or without `Z`, ids as strings or
numbers, enveloped or bare bodies) and strictly where a wrong shape means we no longer understand the
API (a missing id, an unknown order status): that raises `VendorProtocolError`.

The order of calls for one merchant order, each step safe to repeat after a crash:
`ensure_order` (find by merchantOrderId, walking the order list newest first back to the moment the
order was meant, else create) → `ensure_images` (add only what is missing) →
`ensure_submittable` (SubmissionStatus; errors raise `VendorOrderInvalid`) → `submit` (already
submitted counts as done) → `get_order`/`shipments` as callbacks (`parse_callback`) arrive.
Pwinty's callbacks are not signed: treat one as a hint and re-read the order with `get_order`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import quote

import anyio
import httpx
from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter
from pydantic.alias_generators import to_camel

from easel.vendors.base import DEFAULT_RETRY, DEFAULT_TIMEOUT, RetryPolicy, VendorAdapter, VendorRequest
from easel.vendors.errors import (
    VendorAuthError,
    VendorNotFound,
    VendorOrderInvalid,
    VendorProtocolError,
    VendorRejected,
)

OrderStatus = Literal["NotYetSubmitted", "AwaitingPayment", "Submitted", "Complete", "Cancelled"]
ShippingMethod = Literal["Budget", "Standard", "Express", "Overnight"]
Sizing = Literal["Crop", "ShrinkToFit", "ShrinkToExactFit"]
Payment = Literal["InvoiceMe", "InvoiceRecipient"]

FATAL_WARNINGS = frozenset({"AttributeNotValid"})
"""Image warnings `ensure_submittable` refuses by default: a wrong frame colour is worse than a delay."""

LIST_PAGE = 100
"""Orders asked for per list page: the document's default, and what the live API answers whatever is asked."""
CLOCK_SKEW = timedelta(days=1)
"""How far Pwinty's `created` times (no zone given) may stand from easel's clock: the order-list walk
goes this much further back than the moment an order was meant, so a skewed clock cannot hide it."""
MAX_LISTED = 20_000
"""Most orders one look-up walks before it gives up (and refuses to create, rather than risk a duplicate)."""


# -- lenient readers --------------------------------------------------------------------------------

_FRACTION = re.compile(r"^(?P<head>.*T\d{2}:\d{2}:\d{2})\.(?P<frac>\d+)(?P<tail>.*)$")


def parse_timestamp(value: Any) -> Any:
    """A Pwinty timestamp as an aware UTC datetime: `Z` or not, 0-7 fraction digits; '' or None -> None."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if text[-1] in "Zz":
            text = text[:-1] + "+00:00"
        match = _FRACTION.match(text)
        if match:
            text = f"{match['head']}.{match['frac'][:6].ljust(6, '0')}{match['tail']}"
        value = datetime.fromisoformat(text)
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _empty_if_null(value: Any) -> Any:
    return [] if value is None else value


Timestamp = Annotated[datetime | None, BeforeValidator(parse_timestamp)]
Attributes = Annotated[dict[str, Any], BeforeValidator(lambda v: {} if v is None else v)]


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, coerce_numbers_to_str=True, extra="ignore", frozen=True
    )


# -- answers ----------------------------------------------------------------------------------------


class PwintyImage(_Model):
    id: int
    sku: str | None = Field(default=None, validation_alias=AliasChoices("sku", "type"))
    url: str | None = None
    status: str | None = None
    copies: int = 0
    sizing: str | None = None
    price: int | None = None
    price_to_user: int | None = None
    md5_hash: str | None = None
    preview_url: str | None = None
    thumbnail_url: str | None = None
    attributes: Attributes = Field(default_factory=dict)
    error_message: str | None = None


class PwintyShipment(_Model):
    shipment_id: str | None = None
    carrier: str | None = None
    photo_ids: Annotated[list[int], BeforeValidator(_empty_if_null)] = Field(default_factory=list)
    is_tracked: bool | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    earliest_estimated_arrival_date: Timestamp = None
    latest_estimated_arrival_date: Timestamp = None
    shipped_on: Timestamp = None

    @property
    def shipped(self) -> bool:
        return self.shipped_on is not None


class ShippingInfo(_Model):
    price: int | None = None
    shipments: Annotated[list[PwintyShipment], BeforeValidator(_empty_if_null)] = Field(default_factory=list)


class PwintyOrder(_Model):
    id: int
    status: OrderStatus
    merchant_order_id: str | None = None
    recipient_name: str | None = None
    address1: str | None = None
    address2: str | None = None
    address_town_or_city: str | None = None
    state_or_county: str | None = None
    postal_or_zip_code: str | None = None
    country_code: str | None = None
    mobile_telephone: str | None = None
    preferred_shipping_method: str | None = None
    payment: str | None = None
    payment_url: str | None = None
    price: int | None = None
    shipping_info: ShippingInfo | None = None
    """Absent or null in order lists for orders not yet processed."""
    images: Annotated[list[PwintyImage], BeforeValidator(_empty_if_null)] = Field(default_factory=list)
    created: Timestamp = None
    last_updated: Timestamp = None
    can_cancel: bool | None = None
    can_hold: bool | None = None
    can_update_shipping: bool | None = None
    can_update_images: bool | None = None
    error_message: str | None = None
    tag: str | None = None
    packing_slip_url: str | None = None

    @property
    def shipments(self) -> list[PwintyShipment]:
        return self.shipping_info.shipments if self.shipping_info else []


class SummaryEntry(_Model):
    label: str
    value: Any = None


class OrderPage(_Model):
    content: Annotated[list[PwintyOrder], BeforeValidator(_empty_if_null)]
    count: int | None = None
    """As the live API answers it: all the account's orders, not just this page (not relied on)."""
    summary: Annotated[list[SummaryEntry], BeforeValidator(_empty_if_null)] = Field(default_factory=list)


class _ImageBatch(_Model):
    items: list[PwintyImage]


class PhotoStatus(_Model):
    id: int
    errors: Annotated[list[str], BeforeValidator(_empty_if_null)] = Field(default_factory=list)
    warnings: Annotated[list[str], BeforeValidator(_empty_if_null)] = Field(default_factory=list)


class SubmissionStatus(_Model):
    id: int
    is_valid: bool
    general_errors: Annotated[list[str], BeforeValidator(_empty_if_null)] = Field(default_factory=list)
    photos: Annotated[list[PhotoStatus], BeforeValidator(_empty_if_null)] = Field(default_factory=list)

    def problems(
        self, fatal_warnings: frozenset[str] = FATAL_WARNINGS, image_urls: Mapping[int, str | None] | None = None
    ) -> list[str]:
        """Every reason not to submit, named: general errors, then `image <id> (<url>): <error>`."""
        found = list(self.general_errors)
        for photo in self.photos:
            url = (image_urls or {}).get(photo.id)
            name = f"image {photo.id} ({url})" if url else f"image {photo.id}"
            found += [f"{name}: {e}" for e in photo.errors]
            found += [f"{name}: {w}" for w in photo.warnings if w in fatal_warnings]
        if not self.is_valid and not found:
            found.append("order is not valid (no reason given)")
        return found

    @property
    def warnings(self) -> list[str]:
        return [f"image {p.id}: {w}" for p in self.photos for w in p.warnings]


class Country(_Model):
    name: str
    iso_code: str = Field(validation_alias=AliasChoices("isoCode", "countryCode"))


class Price(_Model):
    sku: str
    price: int
    currency: str


class _Prices(_Model):
    prices: list[Price]


class CallbackShipment(_Model):
    items: Annotated[list[int], BeforeValidator(_empty_if_null)] = Field(default_factory=list)
    status: str
    tracking_number: str | None = None
    tracking_url: str | None = None


class PwintyCallback(_Model):
    order_id: int
    status: OrderStatus
    environment: str | None = None
    timestamp: Timestamp = None
    shipments: Annotated[list[CallbackShipment], BeforeValidator(_empty_if_null)] = Field(default_factory=list)


_COUNTRIES = TypeAdapter(list[Country])


def parse_callback(body: bytes | str | Mapping[str, Any]) -> PwintyCallback:
    """Read a callback Pwinty POSTed to us; raises `pydantic.ValidationError` on a wrong shape."""
    if isinstance(body, (bytes, str)):
        return PwintyCallback.model_validate_json(body)
    return PwintyCallback.model_validate(body)


# -- what callers pass ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """Where the order goes. Address fields may wait until before submission, but not past it."""

    name: str
    country_code: str
    address1: str | None = None
    address2: str | None = None
    town_or_city: str | None = None
    state_or_county: str | None = None
    postal_or_zip_code: str | None = None
    email: str | None = None
    mobile_telephone: str | None = None
    telephone: str | None = None


@dataclass(frozen=True)
class PrintItem:
    """One line: a vendor sku, the image to print on it, and how."""

    sku: str
    image_url: str
    copies: int = 1
    sizing: Sizing = "Crop"
    attributes: Mapping[str, str] = field(default_factory=dict)
    md5_hash: str | None = None

    def matches(self, image: PwintyImage) -> bool:
        """Whether `image` on an order is this item already (used to add only what is missing). Order
        views show `attributes` as `{}` whatever was set, so attributes only count when they are shown."""
        return (
            (image.sku or "").upper() == self.sku.upper()
            and image.url == self.image_url
            and image.copies == self.copies
            and (image.sizing or "Crop") == self.sizing
            and (not image.attributes or {k: str(v) for k, v in image.attributes.items()} == dict(self.attributes))
        )


def _order_body(
    recipient: Recipient,
    merchant_order_id: str,
    shipping_method: ShippingMethod,
    payment: Payment,
    packing_slip_url: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "merchantOrderId": merchant_order_id,
        "recipientName": recipient.name,
        "address1": recipient.address1,
        "address2": recipient.address2,
        "addressTownOrCity": recipient.town_or_city,
        "stateOrCounty": recipient.state_or_county,
        "postalOrZipCode": recipient.postal_or_zip_code,
        "countryCode": recipient.country_code,
        "preferredShippingMethod": shipping_method,
        "payment": payment,
        "email": recipient.email,
        "mobileTelephone": recipient.mobile_telephone,
        "telephone": recipient.telephone,
    }
    if packing_slip_url:
        body["packingSlipUrl"] = packing_slip_url
    return body


def _image_body(item: PrintItem) -> dict[str, Any]:
    body: dict[str, Any] = {"sku": item.sku, "url": item.image_url, "copies": item.copies, "sizing": item.sizing}
    if item.attributes:
        body["attributes"] = dict(item.attributes)
    if item.md5_hash:
        body["md5Hash"] = item.md5_hash
    return body


class _NoData(BaseModel):
    """A status change answers `data: {}`; anything else means we misread the API."""

    model_config = ConfigDict(extra="forbid")


def _empty_data(data: Any) -> None:
    _NoData.model_validate({} if data is None else data)


# -- the adapter ------------------------------------------------------------------------------------


class PwintyAdapter(VendorAdapter):
    """Pwinty v3.0 over HTTP; one instance per merchant account and base URL."""

    vendor = "pwinty"
    live_hosts = frozenset({"api.pwinty.com"})
    credential_fields = ("merchant_id", "api_key")
    SANDBOX_URL = "https://sandbox.pwinty.com/v3.0"
    LIVE_URL = "https://api.pwinty.com/v3.0"

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        merchant_id: str,
        api_key: str,
        base_url: str = SANDBOX_URL,
        sandbox: bool = True,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        super().__init__(client, base_url=base_url, sandbox=sandbox, timeout=timeout, retry=retry, sleep=sleep)
        self._merchant_id = merchant_id
        self._api_key = api_key

    def auth_headers(self) -> Mapping[str, str]:
        return {"X-Pwinty-MerchantId": self._merchant_id, "X-Pwinty-REST-API-Key": self._api_key}

    def unwrap(self, call: str, status: int, body: Any) -> Any:
        """`{"data", "statusTxt", "statusCode"}` as the live API sends it; bare bodies pass as they are."""
        if isinstance(body, dict) and "data" in body and "statusCode" in body:
            code = body["statusCode"]
            if isinstance(code, int) and code >= 400:
                raise self.error_for(call, code, str(body.get("statusTxt") or "error"))
            return body["data"]
        return body

    def error_message(self, response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return super().error_message(response)
        if isinstance(body, dict):
            data = body.get("data")
            for text in (
                body.get("statusTxt"),
                body.get("message"),
                body.get("errorMessage"),
                data.get("errorMessage") if isinstance(data, dict) else None,
            ):
                if isinstance(text, str) and text and text != "OK":
                    return text
        return super().error_message(response)

    # -- orders -----------------------------------------------------------------------------------

    async def create_order(
        self,
        recipient: Recipient,
        *,
        merchant_order_id: str,
        shipping_method: ShippingMethod = "Standard",
        payment: Payment = "InvoiceMe",
        packing_slip_url: str | None = None,
    ) -> PwintyOrder:
        """Create an order. Not repeated on a timeout: use `ensure_order` to recover."""
        body = _order_body(recipient, merchant_order_id, shipping_method, payment, packing_slip_url)
        return await self.call(VendorRequest("create_order", "POST", "/orders", json=body), PwintyOrder.model_validate)

    async def update_order(
        self,
        order_id: int,
        recipient: Recipient,
        *,
        merchant_order_id: str,
        shipping_method: ShippingMethod = "Standard",
        payment: Payment = "InvoiceMe",
        packing_slip_url: str | None = None,
    ) -> PwintyOrder:
        """Replace the address and shipping of an order that is not yet submitted."""
        body = _order_body(recipient, merchant_order_id, shipping_method, payment, packing_slip_url)
        request = VendorRequest("update_order", "PUT", f"/orders/{order_id}", json=body, idempotent=True)
        return await self.call(request, PwintyOrder.model_validate)

    async def get_order(self, order_id: int) -> PwintyOrder:
        request = VendorRequest("get_order", "GET", f"/orders/{order_id}", idempotent=True)
        return await self.call(request, PwintyOrder.model_validate)

    async def shipments(self, order_id: int) -> list[PwintyShipment]:
        """The order's shipments with carrier, tracking number and URL once shipped."""
        return (await self.get_order(order_id)).shipments

    async def list_orders(self, *, count: int = LIST_PAGE, offset: int = 0) -> OrderPage:
        """One page of orders, most recent first. The live API ignores `count` (pages of 100)."""
        request = VendorRequest("list_orders", "GET", "/orders", params={"count": count, "offset": offset},
                                idempotent=True)
        return await self.call(request, OrderPage.model_validate)

    async def find_order(
        self, merchant_order_id: str, *, created_after: datetime | None = None, max_listed: int = MAX_LISTED
    ) -> PwintyOrder | None:
        """The order we created for `merchant_order_id`, if any: the newest one not cancelled, else the
        newest; returns the full order.

        Pwinty has no look-up by `merchantOrderId` and ignores the list's `count`, so this walks the list
        newest first, page by page (each as long as the server makes it), until a page reaches orders
        created before `created_after` (less `CLOCK_SKEW`), or the list ends. Without `created_after` it
        walks the whole list. Raises `VendorProtocolError` rather than answer "none" when it cannot see far
        enough back (more than `max_listed` orders, or a server that does not page)."""
        stop_before = created_after - CLOCK_SKEW if created_after is not None else None
        matches: list[PwintyOrder] = []
        seen: set[int] = set()
        offset = 0
        while True:
            page = await self.list_orders(offset=offset)
            if not page.content:
                break
            # Orders created meanwhile push older ones down the list: a page may repeat some (never skip).
            # One that starts at or above the newest order of the first page was not paged at all.
            if offset and seen and max(o.id for o in page.content) >= max(seen) and all(
                    o.id in seen for o in page.content):
                raise VendorProtocolError(self.vendor, "list_orders", f"offset {offset} answered the first page again")
            fresh = [o for o in page.content if o.id not in seen]
            seen.update(o.id for o in fresh)
            matches += [o for o in fresh if o.merchant_order_id == merchant_order_id]
            offset += len(page.content)
            if stop_before is not None and any(o.created is not None and o.created < stop_before for o in fresh):
                break
            if offset >= max_listed:
                reach = f"those created before {stop_before.isoformat()}" if stop_before else "the end"
                raise VendorProtocolError(self.vendor, "list_orders", f"looked through {offset} orders without "
                                          f"reaching {reach}; not creating {merchant_order_id} again")
        if not matches:
            return None
        live = [o for o in matches if o.status != "Cancelled"]
        chosen = max(live or matches, key=lambda o: o.id)
        return await self.get_order(chosen.id)

    async def ensure_order(
        self,
        recipient: Recipient,
        *,
        merchant_order_id: str,
        shipping_method: ShippingMethod = "Standard",
        payment: Payment = "InvoiceMe",
        packing_slip_url: str | None = None,
        created_after: datetime | None = None,
    ) -> PwintyOrder:
        """The order for `merchant_order_id`, created only if Pwinty has none (whatever its status).
        `created_after`: when the order was first meant (an earlier attempt cannot have created it before
        then), which bounds the look-up; None looks through every order."""
        existing = await self.find_order(merchant_order_id, created_after=created_after)
        if existing is not None:
            return existing
        return await self.create_order(recipient, merchant_order_id=merchant_order_id, shipping_method=shipping_method,
                                       payment=payment, packing_slip_url=packing_slip_url)

    # -- images -----------------------------------------------------------------------------------

    async def add_images(self, order_id: int, items: Sequence[PrintItem]) -> list[PwintyImage]:
        """Add items in one batch (all or nothing). Not repeated on a timeout: see `ensure_images`."""
        if not items:
            return []
        request = VendorRequest(
            "add_images", "POST", f"/orders/{order_id}/images/batch", json=[_image_body(i) for i in items]
        )
        return await self.call(request, lambda data: _ImageBatch.model_validate(data).items)

    async def ensure_images(self, order_id: int, items: Sequence[PrintItem]) -> PwintyOrder:
        """Add only the items the order does not already hold; returns the order as it then stands."""
        order = await self.get_order(order_id)
        unmatched = list(order.images)
        missing: list[PrintItem] = []
        for item in items:
            found = next((img for img in unmatched if item.matches(img)), None)
            if found is None:
                missing.append(item)
            else:
                unmatched.remove(found)
        if not missing:
            return order
        await self.add_images(order_id, missing)
        return await self.get_order(order_id)

    # -- validation and status --------------------------------------------------------------------

    async def submission_status(self, order_id: int) -> SubmissionStatus:
        request = VendorRequest("submission_status", "GET", f"/orders/{order_id}/SubmissionStatus", idempotent=True)
        return await self.call(request, SubmissionStatus.model_validate)

    async def ensure_submittable(
        self, order_id: int, *, fatal_warnings: frozenset[str] = FATAL_WARNINGS
    ) -> SubmissionStatus:
        """SubmissionStatus, raising `VendorOrderInvalid` (not retryable) that names every problem and
        the URL of every image at fault."""
        status = await self.submission_status(order_id)
        if not status.problems(fatal_warnings):
            return status
        urls = {image.id: image.url for image in (await self.get_order(order_id)).images}
        problems = status.problems(fatal_warnings, urls)
        raise VendorOrderInvalid(self.vendor, "submission_status", problems, order=str(order_id))

    async def submit(self, order_id: int) -> None:
        """Submit for printing; an order already Submitted or Complete counts as done."""
        await self._set_status("submit", order_id, "Submitted", done=("Submitted", "Complete"))

    async def cancel(self, order_id: int) -> None:
        """Cancel; an order already Cancelled counts as done. Refused once the lab has it."""
        await self._set_status("cancel", order_id, "Cancelled", done=("Cancelled",))

    async def _set_status(self, call: str, order_id: int, status: str, *, done: Sequence[OrderStatus]) -> None:
        request = VendorRequest(call, "POST", f"/orders/{order_id}/status", json={"status": status}, idempotent=True)
        try:
            await self.call(request, _empty_data)
        except VendorRejected as err:
            if isinstance(err, (VendorNotFound, VendorAuthError)):
                raise
            if (await self.get_order(order_id)).status not in done:
                raise
            # The transition was refused because an earlier (lost) answer already made it.

    # -- reference data ---------------------------------------------------------------------------

    async def countries(self) -> list[Country]:
        request = VendorRequest("countries", "GET", "/countries", idempotent=True)
        return await self.call(request, _COUNTRIES.validate_python)

    async def prices(self, country_code: str, skus: Sequence[str]) -> list[Price]:
        """Product prices (minor units) for delivery to `country_code`; every sku must be known."""
        path = f"/catalogue/{quote('prodigi direct')}/destination/{quote(country_code)}/prices"
        request = VendorRequest("prices", "POST", path, json={"skus": list(skus)}, idempotent=True)
        prices = await self.call(request, lambda data: _Prices.model_validate(data).prices)
        missing = {s.upper() for s in skus} - {p.sku.upper() for p in prices}
        if missing:
            raise VendorProtocolError(self.vendor, "prices", f"no price returned for {sorted(missing)}")
        return prices


__all__ = [
    "FATAL_WARNINGS",
    "Country",
    "OrderPage",
    "Price",
    "PrintItem",
    "PwintyAdapter",
    "PwintyCallback",
    "PwintyImage",
    "PwintyOrder",
    "PwintyShipment",
    "Recipient",
    "SubmissionStatus",
    "SummaryEntry",
    "parse_callback",
]
