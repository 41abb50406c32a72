"""An upstream Image2ART service as a fulfilment driver, through easel's own signed client.

easel places the part upstream as an order whose ``external_order_number`` is the part's reference. The
Image2ART API answers a repeat of the same order with the first one, so placing it again after a crash
cannot create a second order: the "look before creating" of exactly-once is the upstream's idempotency.
Status and tracking come from ``GET /orders/:id`` (polling), and from the upstream's status callbacks
when it is an easel: signed with our API secret there (checked), they only name the order to re-read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from ...client import AsyncImage2ArtClient, Image2ArtError
from ...storage.orders import StoredOrder
from ...vendors.errors import VendorError, VendorProtocolError, VendorRejected, VendorUnavailable
from ...vendors.routing import VendorAccount
from ..parts import Part
from ..status import Progress
from ..webhook_signature import WebhookVerificationError, verify
from .base import RecordStep, Snapshot, Tracking

VENDOR = "image2art"
# The document's public test account, which easel's demo (and its built-in sandbox) also knows.
SANDBOX_CREDENTIALS = {"username": "testing", "secret": "$2y$08$tEwCIc9DxDNKRvzHhfRRlOHxDbu.MyIk5EnzEmZVEJ/GeuHXa.tki"}
PROGRESS = {"Pending": Progress.SENDING, "Processing": Progress.SENDING, "On Hold": Progress.SENDING,
            "In Production": Progress.IN_PRODUCTION, "In Transit": Progress.SHIPPED, "Delivered": Progress.DELIVERED}
_ADDRESS = ("name", "company", "address", "address2", "city", "state", "zip", "country")


def _error(call: str, err: Exception) -> VendorError:
    if isinstance(err, Image2ArtError):
        if err.status >= 500 or err.status == 429:
            return VendorUnavailable(VENDOR, call, str(err), status=err.status)
        return VendorRejected(VENDOR, call, str(err), status=err.status)
    return VendorUnavailable(VENDOR, call, f"{type(err).__name__}: {err}")


def order_body(part: Part, order: StoredOrder, sandbox: bool) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    for line in part.items:
        item: dict[str, Any] = {"sku": line["sku"], "quantity": int(line["copies"])}
        if line.get("image_type") == "external":
            item["image"] = {"type": "external", "url": line["image_url"]}
        items.append(item)
    customer = {k: order.customer.get(k, "") for k in (*_ADDRESS, "email", "phone")}
    shipping = {k: order.shipping.get(k, "") for k in _ADDRESS}
    shipping["method"] = order.shipping_method
    body: dict[str, Any] = {"external_order_number": part.reference, "customer": customer, "shipping": shipping,
                            "items": items}
    if sandbox:
        body["is_test"] = True
    return body


def snapshot(found: dict[str, Any]) -> Snapshot:
    status = str(found.get("status", ""))
    tracking = tuple(Tracking(str(t.get("number", "")), str(t.get("method", "")), str(t.get("url", "")))
                     for t in (found.get("shipping") or {}).get("tracking") or [] if t.get("number"))
    if status == "Cancelled":
        return Snapshot(Progress.SENDING, status, cancelled=True, final=True)
    if status not in PROGRESS:
        raise VendorProtocolError(VENDOR, "get_order", f"unknown order status {status!r}")
    return Snapshot(PROGRESS[status], status, tracking=tracking, final=status == "Delivered")


class Image2ArtDriver:
    vendor: ClassVar[str] = VENDOR
    live_hosts: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    def builtin_sandbox(self, public_url: str) -> VendorAccount:
        return VendorAccount(VENDOR, "sandbox", f"{public_url.rstrip('/')}/sandbox/image2art",
                             SANDBOX_CREDENTIALS)

    def client(self, account: VendorAccount) -> AsyncImage2ArtClient:
        return AsyncImage2ArtClient(account.base_url, account.credentials.get("username", ""),
                                    account.credentials.get("secret", ""), http=self.http)

    async def submit(self, account: VendorAccount, part: Part, order: StoredOrder, record: RecordStep) -> Snapshot:
        client = self.client(account)
        if part.step == "planned":
            await record("creating", None)
        try:
            placed = await client.create_order(order_body(part, order, account.sandbox))
            found = await client.get_order(int(placed["order"]["id"]))
        except (Image2ArtError, httpx.HTTPError) as err:
            raise _error("create_order", err) from err
        except (KeyError, TypeError, ValueError) as err:
            raise VendorProtocolError(VENDOR, "create_order", f"unexpected answer: {err}") from err
        await record("submitted", str(found["id"]))
        return snapshot(found)

    async def refresh(self, account: VendorAccount, part: Part) -> Snapshot:
        if part.vendor_ref is None:
            return Snapshot(Progress.SENDING, "")
        try:
            return snapshot(await self.client(account).get_order(int(part.vendor_ref)))
        except (Image2ArtError, httpx.HTTPError) as err:
            raise _error("get_order", err) from err

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
