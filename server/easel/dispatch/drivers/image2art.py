"""An upstream Image2ART service as a fulfilment driver, through the Image2ART vendor adapter.

easel places the part upstream as an order whose ``external_order_number`` is the part's reference,
with the upstream's own skus: the mapping table's ``@catalog`` lines are looked up in the upstream's
``GET /catalog`` (the standard configuration), completed by the item's ``border`` and
``security_hardware`` fields, as an Image2ART merchant's order would be.
A retry after a crash looks the order up by that number before placing it again (an easel upstream
would answer a repeat with the first order anyway; the document does not promise that of every
Image2ART server). Status and tracking come from ``GET /orders/:id`` (polling), and from the
upstream's status callbacks when it is an easel: signed with our API secret there (checked), they
only name the order to re-read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from ...domain.orders import OrderRequest, OrderStatus
from ...outbound import Outbound
from ...storage.orders import StoredOrder
from ...vendors.base import DEFAULT_RETRY, DEFAULT_TIMEOUT, RetryPolicy, pinned
from ...vendors.errors import VendorError, VendorNotFound, VendorRejected
from ...vendors.image2art import Image2ArtAdapter, UpstreamOrder, UpstreamProduct
from ...vendors.mapping import CATALOG_SKU
from ...vendors.routing import VendorAccount
from ..parts import Part
from ..status import Progress
from ..webhook_signature import WebhookVerificationError, verify
from .base import RecordStep, Snapshot, Tracking, nothing_made

VENDOR = "image2art"
# The document's public test account, which easel's demo (and its built-in sandbox) also knows.
SANDBOX_CREDENTIALS = {"username": "testing", "secret": "$2y$08$tEwCIc9DxDNKRvzHhfRRlOHxDbu.MyIk5EnzEmZVEJ/GeuHXa.tki"}
PROGRESS = {OrderStatus.PENDING: Progress.SENDING, OrderStatus.PROCESSING: Progress.SENDING,
            OrderStatus.ON_HOLD: Progress.SENDING, OrderStatus.IN_PRODUCTION: Progress.IN_PRODUCTION,
            OrderStatus.IN_TRANSIT: Progress.SHIPPED, OrderStatus.DELIVERED: Progress.DELIVERED}
_ADDRESS = ("name", "company", "address", "address2", "city", "state", "zip", "country")


_STANDARD = ("substrate", "style", "frame", "matte", "size", "stretcher_bar")
"""The choices an upstream's sku stands for; border and hardware travel as item fields."""


def upstream_fields(choices: Mapping[str, Any], sold: list[UpstreamProduct]) -> dict[str, Any]:
    """The item fields an upstream makes the configuration ``choices`` from, as an Image2ART merchant
    sends them: the upstream's sku of the standard configuration (same substrate, style, frame, matte,
    size and stretcher bar, no hardware), the canvas ``border`` and ``security_hardware``. Raises
    VendorRejected (for good) when the upstream sells no such configuration."""
    wanted = {name: choices.get(name) for name in _STANDARD}
    same = [p for p in sold if not p.configuration.get("security_hardware")
            and all(p.configuration.get(name) == value for name, value in wanted.items())]
    if not same:
        shown = ", ".join(f"{name} {value}" for name, value in wanted.items() if value is not None)
        raise VendorRejected(VENDOR, "catalog", f"the upstream does not sell {shown}", status=404)
    kind = choices.get("border_type")
    base = next((p for p in same if p.configuration.get("border_type") == kind), same[0])
    fields: dict[str, Any] = {"sku": base.sku}
    if kind is not None:
        fields["border"] = {"type": kind, "size": int(choices.get("border_width") or 0),
                            "color": str(choices.get("border_color") or "")}
    if choices.get("security_hardware"):
        fields["security_hardware"] = True
    return fields


async def upstream_items(adapter: Image2ArtAdapter, part: Part, order: StoredOrder) -> list[dict[str, Any]]:
    """The part's items as the upstream sells them: a line whose sku is ``@catalog`` gets the upstream's
    own sku (asked of its catalogue, once per artwork) and the fields that complete it."""
    stored = {item.id: item for item in order.items}
    sold: dict[str, list[UpstreamProduct]] = {}
    items: list[dict[str, Any]] = []
    for line in part.items:
        item: dict[str, Any] = {"sku": line["sku"], "quantity": int(line["copies"])}
        source = stored.get(int(line["item_id"]))
        if line["sku"] == CATALOG_SKU and source is not None:
            code = source.artwork_code
            if code not in sold:
                sold[code] = await adapter.artwork_products(code)
            try:
                item.update(upstream_fields(source.choices, sold[code]))
            except VendorRejected as err:
                raise VendorRejected(VENDOR, "catalog", f"item {source.position + 1} ({code}): {err.message}",
                                     status=err.status) from err
        if line.get("image_type") == "external":
            item["image"] = {"type": "external", "url": line["image_url"]}
        items.append(item)
    return items


def order_request(part: Part, order: StoredOrder, sandbox: bool, items: list[dict[str, Any]] | None = None
                  ) -> OrderRequest:
    """The upstream order for a part: the merchant order's addresses and the part's items (as
    :func:`upstream_items` makes them; by default the lines' skus as they stand)."""
    if items is None:
        items = [{"sku": line["sku"], "quantity": int(line["copies"])} for line in part.items]
    customer = {k: order.customer.get(k, "") for k in (*_ADDRESS, "email", "phone")}
    shipping = {k: order.shipping.get(k, "") for k in _ADDRESS}
    shipping["method"] = order.shipping_method
    if order.shipping.get("packing_slip"):
        shipping["packing_slip"] = order.shipping["packing_slip"]
    return OrderRequest.model_validate({"customer": customer, "shipping": shipping, "items": items,
                                       "is_test": True if sandbox else None})


def snapshot(found: UpstreamOrder) -> Snapshot:
    tracking = tuple(Tracking(t.number, t.method or "", t.url or "") for t in found.tracking)
    if found.status == OrderStatus.CANCELLED:
        return Snapshot(Progress.SENDING, found.status.value, cancelled=True, final=True)
    return Snapshot(PROGRESS[found.status], found.status.value, tracking=tracking,
                    final=found.status == OrderStatus.DELIVERED)


class Image2ArtDriver:
    vendor: ClassVar[str] = VENDOR
    live_hosts: ClassVar[frozenset[str]] = Image2ArtAdapter.live_hosts
    credential_fields: ClassVar[tuple[str, ...]] = Image2ArtAdapter.credential_fields
    optional_credential_fields: ClassVar[tuple[str, ...]] = Image2ArtAdapter.optional_credential_fields

    def __init__(self, http: httpx.AsyncClient, *, timeout: httpx.Timeout = DEFAULT_TIMEOUT,
                 retry: RetryPolicy = DEFAULT_RETRY, guard: Outbound | None = None) -> None:
        self.http = http
        self.guard = guard  # for merchants' own accounts: their base URLs are checked and pinned per call
        self.timeout = timeout
        self.retry = retry

    def builtin_sandbox(self, public_url: str) -> VendorAccount:
        return VendorAccount(VENDOR, "sandbox", f"{public_url.rstrip('/')}/sandbox/image2art",
                             SANDBOX_CREDENTIALS)

    def adapter(self, account: VendorAccount) -> Image2ArtAdapter:
        made = Image2ArtAdapter(self.http, username=account.credentials.get("username", ""),
                                secret=account.credentials.get("secret", ""), base_url=account.base_url,
                                sandbox=account.sandbox, timeout=self.timeout, retry=self.retry)
        return pinned(made, account.owner, self.guard)

    async def submit(self, account: VendorAccount, part: Part, order: StoredOrder, record: RecordStep) -> Snapshot:
        adapter = self.adapter(account)
        request = order_request(part, order, account.sandbox, await upstream_items(adapter, part, order))
        if part.step == "planned":
            await record("creating", None)
            try:
                placed = await adapter.place_order(request, external_order_number=part.reference)
            except VendorError as err:
                if nothing_made(err):
                    await record("planned", None)  # the upstream holds nothing for this part
                raise
            found = await adapter.get_order(placed.id)
        else:  # an earlier attempt may have placed it: look before placing
            found = await adapter.ensure_order(request, external_order_number=part.reference)
        await record("submitted", str(found.id))
        return snapshot(found)

    async def refresh(self, account: VendorAccount, part: Part) -> Snapshot:
        if part.vendor_ref is None:
            return Snapshot(Progress.SENDING, "")
        return snapshot(await self.adapter(account).get_order(int(part.vendor_ref)))

    async def withdraw(self, account: VendorAccount, part: Part) -> str:
        """Confirm the upstream holds no live order for the part. The Image2ART API cannot cancel
        (``DELETE /orders/:id`` is documented as unavailable), so a live upstream order is a refusal for good:
        the part must not be placed at another vendor as well."""
        adapter = self.adapter(account)
        if part.vendor_ref is not None:
            try:
                found: UpstreamOrder | None = await adapter.get_order(int(part.vendor_ref))
            except VendorNotFound:
                found = None
        else:
            found = await adapter.find_order(part.reference)
        if found is None:
            return f"image2art has no order {part.reference}"
        if found.status == OrderStatus.CANCELLED:
            return f"image2art order {found.id} is cancelled"
        raise VendorRejected(VENDOR, "withdraw", f"upstream order {found.id} is {found.status.value} and the "
                             "Image2ART API cannot cancel it", status=409)

    def verify_callback(self, account: VendorAccount, body: bytes, headers: Mapping[str, str]) -> None:
        """An easel upstream signs its events (Standard Webhooks) with our API secret there: check it."""
        try:
            verify(account.credentials.get("secret", ""), headers, body)
        except WebhookVerificationError as err:
            raise VendorRejected(VENDOR, "callback", str(err), status=401) from None

    def callback_refs(self, body: bytes) -> list[str]:
        try:
            event = json.loads(body)
            return [str(int(event["data"]["order_id"]))]
        except (ValueError, KeyError, TypeError) as err:
            raise ValueError(f"not an Image2ART event: {err}") from None
