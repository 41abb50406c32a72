"""Pwinty v3 as a fulfilment driver: exactly one Pwinty order per part, whatever crashes in between.

Submission walks the part's ``step``, committing each step *before* the call it announces:

``planned`` → commit ``creating`` → create the order → add the images (one batch) → check
``SubmissionStatus`` → submit → ``submitted`` with the Pwinty id (committed by dispatch with the snapshot
it leads to). One commit on the way: ``creating`` announces the two calls that are not safe to repeat
blindly, the create and the images, and recovery from it handles both.

Finding ``creating`` on entry means an earlier attempt may have created the order (and added its images)
and died before recording it, so the order is looked up by ``merchantOrderId`` (our part reference)
before anything is created: Pwinty has no look-up by it, so the adapter walks the order list newest first
back to the moment ``creating`` was recorded (less a day of clock skew). An order found that way may hold
some or all of the images, so only the missing ones are added. Writing the Pwinty id between the create
and the images would spare that walk after a crash, at the price of a transaction on every order; an
attempt that fails after the create (an error, not a crash) writes the id and ``adding_images`` before it
gives up, so its retry goes straight to the order. Finding ``adding_images`` (or the older ``created``
with no images) likewise adds only the missing images; submitting again is safe (already Submitted counts
as done). The merchant's ``shipping.packing_slip`` goes as ``packingSlipUrl``.
A create call that certainly created
nothing (refused, turned away, never sent) puts the step back to ``planned``, so a part whose vendor
stays down can go to another vendor without asking Pwinty anything (see ``dispatch/fallback.py``);
``withdraw`` cancels the order or confirms there is none. Pwinty's callbacks are unsigned hints: a
callback only tells us *which* order to re-read with our own credentials.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, cast, get_args

import httpx

from ...outbound import Outbound
from ...storage.orders import StoredOrder
from ...vendors.base import DEFAULT_RETRY, DEFAULT_TIMEOUT, RetryPolicy, pinned
from ...vendors.errors import VendorError, VendorRejected
from ...vendors.pwinty import (
    PrintItem,
    PwintyAdapter,
    PwintyOrder,
    Recipient,
    ShippingMethod,
    Sizing,
    parse_callback,
)
from ...vendors.routing import VendorAccount
from ..parts import Part
from ..status import Progress
from .base import RecordStep, Snapshot, Tracking, nothing_made

SANDBOX_CREDENTIALS = {"merchant_id": "sandbox-merchant", "api_key": "sandbox-key"}


def recipient(order: StoredOrder) -> Recipient:
    s, c = order.shipping, order.customer
    return Recipient(name=s.get("name") or c.get("name", ""), country_code=s.get("country", ""),
                     address1=s.get("address") or None, address2=s.get("address2") or None,
                     town_or_city=s.get("city") or None, state_or_county=s.get("state") or None,
                     postal_or_zip_code=s.get("zip") or None, email=c.get("email") or None,
                     mobile_telephone=c.get("phone") or None)


def print_items(part: Part) -> list[PrintItem]:
    items = []
    for item in part.items:
        sizing = item.get("sizing") or "Crop"
        if sizing not in get_args(Sizing):
            raise ValueError(f"unknown Pwinty sizing {sizing!r}")
        items.append(PrintItem(sku=item["sku"], image_url=item["image_url"], copies=int(item["copies"]),
                               sizing=cast(Sizing, sizing), attributes=dict(item.get("attributes") or {})))
    return items


def snapshot(order: PwintyOrder) -> Snapshot:
    """Pwinty's order as easel sees it: Submitted is in production, a shipped shipment is shipped."""
    shipments = order.shipments
    tracking = tuple(Tracking(s.tracking_number, s.carrier or "", s.tracking_url or "")
                     for s in shipments if s.tracking_number)
    shipped = any(s.shipped for s in shipments)
    if order.status == "Cancelled":
        return Snapshot(Progress.SENDING, order.status, cancelled=True, final=True)
    if order.status == "Complete":
        return Snapshot(Progress.SHIPPED, order.status, tracking=tracking, final=True)
    if order.status == "Submitted":
        return Snapshot(Progress.SHIPPED if shipped else Progress.IN_PRODUCTION, order.status, tracking=tracking)
    return Snapshot(Progress.SENDING, order.status)


class PwintyDriver:
    vendor: ClassVar[str] = "pwinty"
    live_hosts: ClassVar[frozenset[str]] = PwintyAdapter.live_hosts
    credential_fields: ClassVar[tuple[str, ...]] = PwintyAdapter.credential_fields
    optional_credential_fields: ClassVar[tuple[str, ...]] = PwintyAdapter.optional_credential_fields

    def __init__(self, http: httpx.AsyncClient, *, timeout: httpx.Timeout = DEFAULT_TIMEOUT,
                 retry: RetryPolicy = DEFAULT_RETRY, guard: Outbound | None = None) -> None:
        self.http = http
        self.guard = guard  # for merchants' own accounts: their base URLs are checked and pinned per call
        self.timeout = timeout
        self.retry = retry

    def builtin_sandbox(self, public_url: str) -> VendorAccount:
        return VendorAccount(self.vendor, "sandbox", f"{public_url.rstrip('/')}/sandbox/pwinty/v3.0",
                             SANDBOX_CREDENTIALS)

    def adapter(self, account: VendorAccount) -> PwintyAdapter:
        made = PwintyAdapter(self.http, merchant_id=account.credentials.get("merchant_id", ""),
                             api_key=account.credentials.get("api_key", ""), base_url=account.base_url,
                             sandbox=account.sandbox, timeout=self.timeout, retry=self.retry)
        return pinned(made, account.owner, self.guard)

    async def submit(self, account: VendorAccount, part: Part, order: StoredOrder, record: RecordStep) -> Snapshot:
        adapter = self.adapter(account)
        items = print_items(part)
        wanted = part.detail.get("shipping_method") or "Standard"
        if wanted not in get_args(ShippingMethod):
            raise ValueError(f"unknown Pwinty shipping method {wanted!r}")
        method = cast(ShippingMethod, wanted)
        slip = str(order.shipping.get("packing_slip") or "") or None
        step = part.step
        if part.vendor_ref is None:
            try:
                if step == "planned":
                    await record("creating", None)
                    created: PwintyOrder | None = None
                    made = await adapter.create_order(recipient(order), merchant_order_id=part.reference,
                                                      shipping_method=method, packing_slip_url=slip)
                else:  # an earlier attempt may have created it, after `creating` was recorded: look first
                    created = await adapter.find_order(part.reference, created_after=part.created_at)
                    made = created or await adapter.create_order(recipient(order), merchant_order_id=part.reference,
                                                                 shipping_method=method, packing_slip_url=slip)
            except VendorError as err:
                if err.call == "create_order" and nothing_made(err):
                    await record("planned", None)  # Pwinty holds nothing for this part: nothing to look for
                raise
            vendor_id = made.id
            if made.status in ("Submitted", "Complete", "Cancelled"):
                await record("submitted", str(vendor_id))
                return snapshot(made)
            step = "adding_images" if created is not None else "creating"  # found: it may hold images
        else:
            vendor_id = int(part.vendor_ref)
        try:
            if step == "creating":  # made just now: it holds nothing yet
                await adapter.add_images(vendor_id, items)
            elif step == "created":  # written by earlier versions, before they added the images
                await record("adding_images", None)
                await adapter.add_images(vendor_id, items)
            elif step == "adding_images":
                await adapter.ensure_images(vendor_id, items)
            await adapter.ensure_submittable(vendor_id)
            try:
                await adapter.submit(vendor_id)
            except VendorRejected:
                # Pwinty fetches the images on submission; ask again so the reason names the image at fault.
                await adapter.ensure_submittable(vendor_id)
                raise
        except Exception:
            if part.vendor_ref is None:  # the retry goes straight to this order, and adds only what is missing
                await record("adding_images", str(vendor_id))
            raise
        await record("submitted", str(vendor_id))
        return Snapshot(Progress.IN_PRODUCTION, "Submitted")

    async def refresh(self, account: VendorAccount, part: Part) -> Snapshot:
        if part.vendor_ref is None:
            return Snapshot(Progress.SENDING, "")
        return snapshot(await self.adapter(account).get_order(int(part.vendor_ref)))

    async def withdraw(self, account: VendorAccount, part: Part) -> str:
        """Cancel the part's Pwinty order (found by ``merchantOrderId`` when its id was never recorded),
        or confirm there is none. Pwinty refuses to cancel once its lab has the order (not retryable)."""
        adapter = self.adapter(account)
        if part.vendor_ref is not None:
            vendor_id = int(part.vendor_ref)
        else:
            found = await adapter.find_order(part.reference, created_after=part.created_at)
            if found is None:
                return f"pwinty has no order {part.reference}"
            vendor_id = found.id
        await adapter.cancel(vendor_id)
        return f"pwinty order {vendor_id} cancelled"

    def verify_callback(self, account: VendorAccount, body: bytes, headers: Mapping[str, str]) -> None:
        """Nothing to check: Pwinty signs nothing."""

    def callback_refs(self, body: bytes) -> list[str]:
        try:
            return [str(parse_callback(body).order_id)]
        except ValueError as err:  # pydantic's ValidationError (bad JSON included) is a ValueError
            raise ValueError(f"not a Pwinty callback: {str(err).splitlines()[0]}") from None
