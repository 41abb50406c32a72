"""Image2ART upstream: easel as a client of another Image2ART order API, on the shared `VendorAdapter` sequence.

Every request is signed exactly as `easel.client` signs it (`sign_request`, the document's PHP
`signRequest`): a GET sends the signed data as query parameters, a POST as the JSON body. The order
sent is easel's own `OrderRequest` (the document's POST /orders object), with `external_order_number`
set to easel's order reference.

The calls for one vendor order, each safe to repeat after a crash:
`place_order` (POST /orders; the upstream answers a repeat of the same `external_order_number` with
the first order, so the call is retried in place like a read) → `get_order` polled for status and
`shipping.tracking`. `find_order` pages through GET /orders for the order with a given external
number, for upstreams that do not deduplicate (`ensure_order` looks before placing). The skus an order
names are the upstream's own: `artwork_products` asks its `GET /catalog` for them, as an Image2ART
merchant takes its skus from its own widget.

Errors are the document's object `{"error_code", "error": {"short_message", "long_message"}}` (also
in `X-Error-Code`/`X-Error-Message`); the HTTP status decides the `VendorError`: 401 auth, 404 not
found, 403/409/other 4xx refused, 429 and 5xx retryable. easel's own codes (e.g. 210 duplicate order
with different content, 201 unknown sku) appear in the message.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

import anyio
import httpx
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from easel.api.phpjson import php_json_encode
from easel.client import sign_request
from easel.domain.orders import OrderRequest, OrderStatus
from easel.vendors.base import DEFAULT_RETRY, DEFAULT_TIMEOUT, RetryPolicy, VendorAdapter, VendorRequest

PAGE_SIZE = 100
"""The most rows easel's GET /orders returns at once."""


# -- lenient readers --------------------------------------------------------------------------------


def _none_if_empty(value: Any) -> Any:
    return None if value is None or value == "" else value


def _empty_if_null(value: Any) -> Any:
    return [] if value is None else value


def _status(value: Any) -> Any:
    """"In Transit", "in transit" and "IN_TRANSIT" all read as the same status; anything else fails."""
    if isinstance(value, str):
        wanted = value.strip().replace("_", " ").lower()
        for status in OrderStatus:
            if status.value.lower() == wanted:
                return status
    return value


def _purchase_date(value: Any) -> Any:
    """The document's `2013-12-01 12:34:56` (UTC), or ISO 8601."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return value


OptionalText = Annotated[str | None, BeforeValidator(_none_if_empty)]


class _Model(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True, extra="ignore", frozen=True)


# -- answers ----------------------------------------------------------------------------------------


class Tracking(_Model):
    number: str = Field(min_length=1)
    method: OptionalText = None
    url: OptionalText = None


class UpstreamShipping(_Model):
    name: OptionalText = None
    city: OptionalText = None
    country: OptionalText = None
    method: OptionalText = None
    tracking: Annotated[list[Tracking], BeforeValidator(_empty_if_null)] = Field(default_factory=list)


class UpstreamItem(_Model):
    id: int
    sku: str
    gp_sku: OptionalText = None
    quantity: int = 1
    external_item_number: OptionalText = None


class UpstreamOrder(_Model):
    """An order as GET /orders/:id (or an entry of GET /orders) shows it."""

    id: int
    status: Annotated[OrderStatus, BeforeValidator(_status)]
    purchase_date: Annotated[datetime | None, BeforeValidator(_purchase_date)] = None
    is_test: bool | None = None
    external_order_number: OptionalText = None
    status_reason: OptionalText = None
    total_price: float | None = None
    total_items: int | None = None
    items: Annotated[list[UpstreamItem], BeforeValidator(_empty_if_null)] = Field(default_factory=list)
    shipping: UpstreamShipping | None = None

    @property
    def tracking(self) -> list[Tracking]:
        return self.shipping.tracking if self.shipping else []


class OrderPage(_Model):
    orders: Annotated[list[UpstreamOrder], BeforeValidator(_empty_if_null)]
    total: int | None = None
    """All of the merchant's orders (easel adds it; the document's answer has only `orders`)."""


class UpstreamProduct(_Model):
    """One configuration an upstream sells, as its ``GET /catalog`` lists it: its sku and choices."""

    sku: str = Field(min_length=1)
    configuration: dict[str, Any]


class UpstreamArtwork(_Model):
    code: str
    configurations: Annotated[list[UpstreamProduct], BeforeValidator(_empty_if_null)] = Field(default_factory=list)


class CatalogPage(_Model):
    artworks: Annotated[list[UpstreamArtwork], BeforeValidator(_empty_if_null)]
    total: int | None = None


class _OrderRef(_Model):
    id: int


class PlacedOrder(_Model):
    """POST /orders' answer: `{"order": {"id": ...}}`."""

    order: _OrderRef

    @property
    def id(self) -> int:
        return self.order.id


class _Pong(_Model):
    pong: str
    user: dict[str, Any] | None = None


# -- the adapter ------------------------------------------------------------------------------------


class Image2ArtAdapter(VendorAdapter):
    """An upstream Image2ART order API (another easel, or New Era's); one instance per username."""

    vendor = "image2art"
    live_hosts = frozenset({"api.image2art.com"})
    credential_fields = ("username", "secret")
    TESTING_URL = "http://api-testing.image2art.com"
    STAGING_URL = "http://api-stage.image2art.com"
    LIVE_URL = "https://api.image2art.com"

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        username: str,
        secret: str,
        base_url: str = TESTING_URL,
        sandbox: bool = True,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        super().__init__(client, base_url=base_url, sandbox=sandbox, timeout=timeout, retry=retry, sleep=sleep)
        self._username = username
        self._secret = secret

    def _signed(self, call: str, method: str, uri: str, data: Mapping[str, Any]) -> VendorRequest:
        """A request whose data is signed for `uri` (the path without its leading slash)."""
        signed = sign_request(uri, data, self._username, self._secret)
        if method == "GET":
            return VendorRequest(call, method, f"/{uri}", params=signed, idempotent=True)
        # Sent as the bytes PHP's json_encode gives, exactly what was signed (as easel.client does).
        return VendorRequest(call, method, f"/{uri}", content=php_json_encode(signed).encode(), idempotent=True)

    def unwrap(self, call: str, status: int, body: Any) -> Any:
        """A 2xx carrying the error object is still an error (its code, if an HTTP status, decides which)."""
        if isinstance(body, dict) and isinstance(body.get("error"), dict) and "error_code" in body:
            code = body["error_code"]
            http = code if isinstance(code, int) and 400 <= code < 600 else 400
            raise self.error_for(call, http, _describe(body))
        return body

    def error_message(self, response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            return _describe(body)
        header = response.headers.get("X-Error-Message")
        if header:
            return f"{header} (error {response.headers.get('X-Error-Code', response.status_code)})"
        return super().error_message(response)

    # -- orders -----------------------------------------------------------------------------------

    async def place_order(self, order: OrderRequest, *, external_order_number: str) -> PlacedOrder:
        """POST /orders with `external_order_number`; a repeat answers the first order's id."""
        data = order.model_copy(update={"external_order_number": external_order_number}).model_dump(
            mode="json", exclude_none=True, exclude={"timestamp", "quote_id"}
        )
        return await self.call(self._signed("place_order", "POST", "orders", data), PlacedOrder.model_validate)

    async def get_order(self, order_id: int) -> UpstreamOrder:
        """GET /orders/:id: status, items and `shipping.tracking`."""
        request = self._signed("get_order", "GET", f"orders/{int(order_id)}", {})
        return await self.call(request, UpstreamOrder.model_validate)

    async def list_orders(self, *, start: int = 0, rows: int = PAGE_SIZE) -> OrderPage:
        """One page of GET /orders, oldest first."""
        request = self._signed("list_orders", "GET", "orders", {"start": start, "rows": rows})
        return await self.call(request, OrderPage.model_validate)

    async def find_order(
        self, external_order_number: str, *, rows: int = PAGE_SIZE, max_scan: int = 5000
    ) -> UpstreamOrder | None:
        """The order placed with `external_order_number`, or None. The newest pages are read first when
        the upstream says how many orders there are; at most `max_scan` orders are looked at."""
        first = await self.list_orders(start=0, rows=rows)
        found = _match(first.orders, external_order_number)
        if found is not None:
            return found
        starts: Iterable[int] = (
            range(first.total - rows, 0, -rows) if first.total is not None else itertools.count(rows, rows)
        )
        scanned = len(first.orders)
        for start in starts:
            if scanned >= max_scan:
                break
            page = await self.list_orders(start=max(start, 0), rows=rows)
            found = _match(page.orders, external_order_number)
            if found is not None:
                return found
            scanned += len(page.orders)
            if len(page.orders) < rows and first.total is None:
                break
        return None

    async def ensure_order(self, order: OrderRequest, *, external_order_number: str) -> UpstreamOrder:
        """The upstream order for `external_order_number`, placed only if the upstream has none."""
        existing = await self.find_order(external_order_number)
        if existing is not None:
            return existing
        placed = await self.place_order(order, external_order_number=external_order_number)
        return await self.get_order(placed.id)

    # -- what the upstream sells --------------------------------------------------------------------

    async def artwork_products(self, code: str, *, rows: int = 50, max_scan: int = 5000) -> list[UpstreamProduct]:
        """The configurations the upstream sells of artwork ``code``, with its own skus (``GET /catalog``,
        asked for that code; an upstream that ignores ``code`` is paged through). Empty when it does not
        sell the artwork."""
        start = 0
        while start < max_scan:
            data: dict[str, Any] = {"code": code, "start": start, "rows": rows}
            page = await self.call(self._signed("catalog", "GET", "catalog", data), CatalogPage.model_validate)
            found = next((a for a in page.artworks if a.code.upper() == code.upper()), None)
            if found is not None:
                return found.configurations
            start += rows
            if len(page.artworks) < rows or (page.total is not None and start >= page.total):
                break
        return []

    async def ping(self) -> str:
        """GET /ping, signed: the username the upstream knows these credentials as."""
        pong = await self.call(self._signed("ping", "GET", "ping", {}), _Pong.model_validate)
        user = pong.user or {}
        if not isinstance(user.get("username"), str):
            raise self.error_for("ping", 401, "the upstream did not recognise the credentials")
        return str(user["username"])


def _describe(body: Mapping[str, Any]) -> str:
    error = body.get("error") or {}
    short = str(error.get("short_message") or "").strip()
    long = str(error.get("long_message") or "").strip()
    text = " ".join(part for part in (short, long) if part) or "no message"
    return f"{text} (error {body.get('error_code')})"


def _match(orders: list[UpstreamOrder], external_order_number: str) -> UpstreamOrder | None:
    return next((o for o in orders if o.external_order_number == external_order_number), None)


__all__ = [
    "CatalogPage",
    "Image2ArtAdapter",
    "OrderPage",
    "PlacedOrder",
    "Tracking",
    "UpstreamItem",
    "UpstreamOrder",
    "UpstreamProduct",
    "UpstreamShipping",
]
