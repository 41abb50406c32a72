"""Fulfilment as one service: the order API's hooks, the job handlers, and inbound vendor callbacks.

Jobs (one row each, ``queue.py``), by kind:

* ``dispatch`` (one per order, queued in the order's own insert transaction): plan the parts if not
  yet planned, then submit every part not yet submitted, through its vendor's driver; a part its vendor
  cannot take moves to the next vendor (``fallback.py``). Parking it puts the order On Hold with the
  reason and tells the merchant.
* ``poll`` (one per order, after submission): re-read the parts from their vendors every
  ``poll_interval`` seconds until nothing more can change; the fallback when callbacks are lost.
* ``vendor_callback`` (one per stored inbound callback): re-read the orders it names and apply them.
* ``notify`` (one per order): deliver the order's events to the merchant (``merchant_callbacks.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..domain.merchants import Merchant
from ..domain.orders import OrderStatus
from ..outbound import Outbound
from ..secret_box import SecretBox
from ..services.products import Product
from ..services.vendor_accounts import OwnAccountCache
from ..services.vendor_calls import CallMeter
from ..storage import catalog as catalog_store
from ..storage import merchants as merchant_store
from ..storage.orders import StoredItem, StoredOrder, order_for_merchant
from ..storage.tables import orders, vendor_callbacks
from ..storage.types import utcnow
from ..storage.upsert import insert_ignoring_duplicates
from ..vendors.base import count_calls_for
from ..vendors.errors import VendorError
from ..vendors.mapping import ProductMap
from ..vendors.routing import NoAccount, Router, VendorAccount, VendorAccounts, parse_callback_name
from . import parts as part_store
from . import progress, queue
from .drivers.base import Driver
from .fallback import Fallback, Refused
from .merchant_callbacks import MerchantCallbacks
from .parts import WITHDRAWING, NewPart, Part
from .planner import CannotPlan, plan
from .queue import Job
from .status import Progress
from .worker import JobKind, Park, Reschedule, Then

log = logging.getLogger("easel.dispatch")

HOLDING_KINDS = ("dispatch",)
_MERCHANT_OF = select(orders.c.merchant_id).where(orders.c.id == bindparam("order_id"))


class _Unwritten:
    """An order's plan of one print part, not yet written: it is written with the part's first step
    (``creating``), in that step's transaction, or when the submission fails before it (the fallback
    needs the row). A crash before then leaves no part, so the next attempt plans again; nothing was sent."""

    def __init__(self, order: StoredOrder, planned: NewPart) -> None:
        self.planned = planned
        self.written: Part | None = None
        now = utcnow()
        self.part = Part(0, order.id, 1, planned.vendor, planned.role, planned.sandbox, f"{order.reference}-1",
                         None, "planned", Progress.PLANNED, False, "", list(planned.items), dict(planned.detail),
                         now, now)
        """What the driver is given (the row's id and times come with the write)."""


def _external_url(item: StoredItem) -> str:
    """The item's own image URL when the merchant gave one (no artwork to look up), else ''."""
    return str(item.image.get("url") or "") if item.image.get("type") == "external" else ""


class Dispatch:
    def __init__(self, engine: AsyncEngine, secrets: SecretBox, *, router: Router, maps: Mapping[str, ProductMap],
                 drivers: Mapping[str, Driver], accounts: VendorAccounts, outbound: Outbound, public_url: str,
                 poll_interval: float = 900.0, fallback_after: float = 1800.0,
                 clock: Callable[[], datetime] = utcnow, own_accounts: OwnAccountCache | None = None,
                 meter: CallMeter | None = None) -> None:
        self.engine = engine
        self.secrets = secrets
        self.router = router
        self.maps = dict(maps)
        self.drivers = dict(drivers)
        self.accounts = accounts
        self.own_accounts = own_accounts or OwnAccountCache(engine, secrets)
        """Merchants' own accounts, which take their orders in place of the operator's (``accounts``)."""
        self.meter = meter or CallMeter(engine)
        """Vendor calls and failures per merchant, for the panel's error rates."""
        self.public_url = public_url.rstrip("/")
        self.poll_interval = poll_interval
        self.fallback_after = fallback_after
        self.clock = clock
        self.callbacks = MerchantCallbacks(engine, secrets, outbound, clock=clock)
        self.on_new_work: Callable[[], None] | None = None
        """Called after an order is accepted in this process (the in-process worker wakes up)."""

    # --- the order API's hooks --------------------------------------------------------------------------

    def routable(self, merchant: Merchant, product: Product) -> str | None:
        """None when some installed vendor can make the product for this merchant, else why not."""
        return self.router.reason(merchant.routing, product.resolved.configuration.as_choices())

    async def on_created(self, conn: AsyncConnection, merchant: Merchant, order_id: int) -> None:
        """Queue the order's fulfilment (and the delivery of its first event) in its own transaction."""
        now = self.clock()
        await queue.enqueue(conn, "dispatch", f"dispatch:{order_id}",
                            {"order_id": order_id, "merchant_id": merchant.id}, order_id=order_id, now=now)
        if merchant.callback_url:
            await queue.enqueue(conn, "notify", f"notify:{order_id}", {"order_id": order_id}, order_id=order_id,
                                now=now)
        if self.on_new_work is not None:
            self.on_new_work()

    # --- job kinds --------------------------------------------------------------------------------------

    def kinds(self) -> dict[str, JobKind]:
        return {
            "dispatch": JobKind(self.dispatch, on_park=self._on_park),
            "poll": JobKind(self.poll),
            "vendor_callback": JobKind(self.apply_callback),
            "notify": JobKind(self.callbacks.deliver),
        }

    async def _on_park(self, conn: AsyncConnection, job: Job, reason: str) -> None:
        if job.kind in HOLDING_KINDS and job.order_id is not None:
            await progress.hold(conn, job.order_id, reason)

    async def _order(self, order_id: int, merchant_id: int | None = None) -> tuple[StoredOrder, Merchant] | None:
        """The order and its merchant (``merchant_id`` when the job knows it: one look-up fewer)."""
        async with self.engine.connect() as conn:
            return await self._read_order(conn, order_id, merchant_id)

    async def _read_order(self, conn: AsyncConnection, order_id: int,
                          merchant_id: int | None) -> tuple[StoredOrder, Merchant] | None:
        if merchant_id is None:
            merchant_id = (await conn.execute(_MERCHANT_OF, {"order_id": order_id})).scalar()
        if merchant_id is None:
            return None
        order = await order_for_merchant(conn, merchant_id, order_id)
        merchant = await merchant_store.merchant_for_dispatch(conn, merchant_id) if order is not None else None
        if order is None or merchant is None:
            return None
        return order, merchant

    async def account_for(self, merchant: Merchant, vendor: str, *, is_test: bool) -> VendorAccount:
        """The account a merchant's order goes to at ``vendor`` (its own, else the operator's; raises
        NoAccount); the vendor calls this task makes next are counted as the merchant's."""
        account = self.accounts.for_order(vendor, is_test=is_test, merchant_test_mode=merchant.test_mode,
                                          own=await self.own_accounts.of(merchant))
        count_calls_for(self.meter.tally_for(merchant.id))
        return account

    def fallback(self) -> Fallback:
        return Fallback(self.engine, router=self.router, maps=self.maps, drivers=self.drivers,
                        account_for=self.account_for, fallback_after=self.fallback_after, clock=self.clock)

    async def dispatch(self, job: Job) -> Then | None:
        """Plan the order (once) and submit each part not yet submitted, moving a part to the next vendor
        when its own cannot take it (``fallback.py``). The poll that follows is queued in the transaction
        that marks this job done; so is what the vendor said to the submission of an order's only part
        (a transaction fewer: should this worker die or lose the job first, the part stays at its last
        step, and the next attempt submits it again, which is safe)."""
        known = job.payload.get("merchant_id")
        merchant_id = int(known) if known is not None else None
        async with self.engine.connect() as conn:  # what the first round needs, in one check-out
            found = await self._read_order(conn, int(job.payload["order_id"]), merchant_id)
            if found is None or found[0].status == OrderStatus.CANCELLED:
                return None
            parts = await part_store.parts_of(conn, found[0].id)
            images = await self._image_urls(conn, found[0]) if not parts else None
        order, merchant = found
        deferred: list[Then] = []
        if await self._dispatch_round(order, merchant, parts, images, deferred):
            while await self._dispatch_round(order, merchant):
                pass  # a part moved to other vendors: submit its replacements

        async def complete(conn: AsyncConnection) -> None:
            for write in deferred:
                await write(conn)
            await queue.enqueue(conn, "poll", f"poll:{order.id}", {"order_id": order.id}, order_id=order.id,
                                run_after=self.clock() + timedelta(seconds=self.poll_interval), now=self.clock())

        return complete

    async def _dispatch_round(self, order: StoredOrder, merchant: Merchant, parts: list[Part] | None = None,
                              images: dict[int, str] | None = None, deferred: list[Then] | None = None) -> bool:
        """Submit every part not yet submitted; returns True when a part was replaced (go round again).
        Each replacement passes over one more vendor, so the rounds end. ``parts`` (and, when there are
        none, the items' ``images``): as the caller has just read them. ``deferred``: where the outcome of
        submitting an order's only part is left for the job's completion (nothing comes after it here)."""
        unwritten: _Unwritten | None = None  # an only part, planned here and written with its first step
        if parts is None:
            async with self.engine.connect() as conn:
                parts = await part_store.parts_of(conn, order.id)
        if not parts:
            if images is None:
                async with self.engine.connect() as conn:
                    images = await self._image_urls(conn, order)
            planned = self._planned(order, merchant, images)
            if len(planned) == 1 and planned[0].role == "print" \
                    and not any(line.get("retouch") for line in planned[0].items):
                unwritten = _Unwritten(order, planned[0])
                parts = [unwritten.part]
            else:
                parts = await self._write_plan(order, planned)
        retouched = await self._retouch(order, merchant, [p for p in parts if p.role == "retouch"])
        waiting = False
        fallback = self.fallback()
        for part in parts:
            if part.cancelled or part.role == "retouch":
                continue
            if part.step == WITHDRAWING:  # a fallback was under way when the last attempt stopped
                await fallback.finish(order, merchant, part)
                return True
            if part.step == "planned" and any(line.get("retouch") for line in part.items):
                if not all(line["item_id"] in retouched for line in part.items if line.get("retouch")):
                    waiting = True
                    continue
                part = await self._use_retouched(part, retouched)
            if part.step != "submitted":
                try:
                    await self._submit(order, merchant, part, deferred if len(parts) == 1 else None, unwritten)
                except (VendorError, Refused) as err:
                    if unwritten is not None:  # the fallback works on the part's row
                        part = unwritten.written or (await self._write_plan(order, [unwritten.planned]))[0]
                    leaving = await fallback.consider(order, merchant, part, err)
                    if leaving is None:
                        raise
                    await fallback.finish(order, merchant, leaving)
                    return True
            elif part.progress < Progress.IN_PRODUCTION:  # submitted, but the crash came before applying it
                await self.refresh(part, order, merchant)
        if waiting:  # a retouch webhook re-queues this job sooner
            raise Reschedule(self.clock() + timedelta(seconds=min(self.poll_interval, 60)), "waiting for retouching")
        return False

    async def _retouch(self, order: StoredOrder, merchant: Merchant, parts: list[Part]) -> dict[int, str]:
        """Send images to retouching (once) and collect the retouched ones: item id -> file URL."""
        done: dict[int, str] = {}
        for part in parts:
            if part.step != "submitted":
                await self._submit(order, merchant, part)
            elif not part.detail.get("final"):
                await self.refresh(part, order, merchant)
            async with self.engine.connect() as conn:
                current = await part_store.get_part(conn, part.id)
            if current is None:
                continue
            if current.detail.get("failed"):
                raise Park(f"{part.vendor} could not retouch item {part.items[0]['position'] + 1}: "
                           f"{current.detail['failed']}")
            if current.detail.get("retouched_url"):
                done[int(part.items[0]["item_id"])] = str(current.detail["retouched_url"])
        return done

    async def _use_retouched(self, part: Part, retouched: Mapping[int, str]) -> Part:
        items = [{**line, "image_url": retouched.get(int(line["item_id"]), line["image_url"])} for line in part.items]
        async with self.engine.begin() as conn:
            await part_store.set_items(conn, part.id, items)
        return replace(part, items=items)

    def _planned(self, order: StoredOrder, merchant: Merchant, images: Mapping[int, str]) -> list[NewPart]:
        """The order's parts, as planned (parks the job when it cannot be planned)."""
        try:
            return plan(order, merchant, self.router, self.maps, lambda item: images[item.id],
                        lambda vendor: order.is_test or merchant.test_mode)
        except CannotPlan as err:
            raise Park(str(err)) from None

    async def _write_plan(self, order: StoredOrder, planned: list[NewPart]) -> list[Part]:
        """Write the planned parts with the order's move, in a transaction of their own."""
        async with self.engine.begin() as conn:
            return await self._add_parts(conn, order, planned)

    async def _add_parts(self, conn: AsyncConnection, order: StoredOrder, planned: list[NewPart],
                         step: str = "planned", progress_: Progress = Progress.PLANNED) -> list[Part]:
        """Write the planned parts and move the order as they say (``order.status`` follows it: the
        submissions that come next expect it)."""
        parts = await part_store.add_parts(conn, order.id, order.reference, planned, step=step, progress=progress_)
        status = await progress.refresh_status(conn, order.id, parts=parts, expected=order.status)
        if status is not None:
            order.status = status
        return parts

    async def _submit(self, order: StoredOrder, merchant: Merchant, part: Part,
                      deferred: list[Then] | None = None, unwritten: _Unwritten | None = None) -> None:
        """Submit one part through its driver and apply what the vendor said (left in ``deferred``, when
        given, for the caller to write). ``unwritten``: ``part`` is that plan's, written with its first step."""
        driver = self.drivers.get(part.vendor)
        if driver is None:
            raise Refused(f"vendor {part.vendor} is not installed")
        try:
            account = await self.account_for(merchant, part.vendor, is_test=order.is_test)
        except NoAccount as err:
            raise Refused(str(err)) from None

        done: list[str | None] = []  # the vendor id that came with "submitted", once it has

        async def record(step: str, vendor_ref: str | None) -> None:
            nonlocal part
            if unwritten is not None and unwritten.written is None:
                if step == "creating":  # (drivers' first step) the plan and the intent: one transaction
                    async with self.engine.begin() as conn:
                        written = await self._add_parts(conn, order, [unwritten.planned], step, Progress.SENDING)
                    unwritten.written = part = replace(written[0], step=part.step, progress=part.progress)
                    return
                unwritten.written = part = (await self._write_plan(order, [unwritten.planned]))[0]
            if step == "submitted":  # announces no call: committed below with what the vendor said
                done.append(vendor_ref)
                return
            async with self.engine.begin() as conn:
                await part_store.record_step(conn, part.id, step, vendor_ref,
                                             progress=Progress.SENDING if step == "creating" else None)

        if part.role == "retouch":
            part = replace(part, detail={**part.detail,
                                         "callback_url": self.callback_url(part.vendor, account.callback_name)})
        try:
            snap = await driver.submit(account, part, order, record)
        except Exception:
            if done:  # (no driver fails after submitting; were one to, the step would still be kept)
                async with self.engine.begin() as conn:
                    await part_store.record_step(conn, part.id, "submitted", done[-1])
            raise
        if unwritten is not None and unwritten.written is None:  # a driver that recorded no step
            unwritten.written = part = (await self._write_plan(order, [unwritten.planned]))[0]
        if snap.final:
            snap = replace(snap, detail={**snap.detail, "final": True})
        expected = order.status

        async def apply(conn: AsyncConnection) -> None:
            await progress.apply_snapshot(conn, part, snap, step="submitted" if done else None,
                                          vendor_ref=done[-1] if done else None, expected=expected)

        if deferred is not None:
            deferred.append(apply)
            return
        async with self.engine.begin() as conn:
            await apply(conn)

    async def _image_urls(self, conn: AsyncConnection, order: StoredOrder) -> dict[int, str]:
        """Per item, an absolute URL a vendor can fetch the print file from (the artworks in one statement)."""
        stored = await catalog_store.images_of(conn, (i.artwork_code for i in order.items if not _external_url(i)))
        return {item.id: _external_url(item) or self._artwork_url(item.artwork_code, stored.get(item.artwork_code))
                for item in order.items}

    def _artwork_url(self, code: str, image: str | None) -> str:
        if image is not None and image.startswith(("http://", "https://")):
            return image
        suffix = "." + image.rsplit(".", 1)[-1].lower() if image and "." in image else ".jpg"
        return f"{self.public_url}/vendor-files/{code}/{self.file_token(code)}{suffix}"

    def file_token(self, code: str) -> str:
        return self.secrets.derive(f"master:{code}")[:32]

    async def poll(self, job: Job) -> None:
        """Re-read every part that may still change; come back later while any can."""
        order_id = int(job.payload["order_id"])
        found = await self._order(order_id)
        if found is None:
            return
        order, merchant = found
        async with self.engine.connect() as conn:
            parts = await part_store.parts_of(conn, order_id)
        pending = False
        for part in parts:
            if part.cancelled or part.step != "submitted" or part.detail.get("final"):
                continue
            if await self.refresh(part, order, merchant):
                pending = True
        if pending:
            raise Reschedule(self.clock() + timedelta(seconds=self.poll_interval), "polling")

    async def refresh(self, part: Part, order: StoredOrder, merchant: Merchant) -> bool:
        """Re-read one part from its vendor and apply it; returns whether it may still change."""
        driver = self.drivers.get(part.vendor)
        if driver is None:
            return False
        account = await self.account_for(merchant, part.vendor, is_test=order.is_test)
        snap = await driver.refresh(account, part)
        if snap.final:
            snap = replace(snap, detail={**snap.detail, "final": True})
        async with self.engine.begin() as conn:
            await progress.apply_snapshot(conn, part, snap)
        return not snap.final

    # --- inbound vendor callbacks -------------------------------------------------------------------------

    def callback_token(self, vendor: str, account: str) -> str:
        return self.secrets.derive(f"callback:{vendor}:{account}")[:32]

    def callback_url(self, vendor: str, account: str) -> str:
        """The secret URL to register at the vendor (Pwinty sends no signature: the URL is the secret)."""
        return f"{self.public_url}/vendor-callbacks/{vendor}/{account}/{self.callback_token(vendor, account)}"

    def callback_token_ok(self, vendor: str, account: str, token: str) -> bool:
        return hmac.compare_digest(token.encode(), self.callback_token(vendor, account).encode())

    async def receive_callback(self, vendor: str, account: str, body: bytes) -> bool:
        """Store a callback (once; repeats are recognised by digest) and queue its application.

        Returns whether it was new. Commits before the caller acknowledges it.
        """
        digest = hashlib.sha256(f"{vendor}\x1f{account}\x1f".encode() + body).hexdigest()
        async with self.engine.begin() as conn:
            await insert_ignoring_duplicates(conn, vendor_callbacks, [{
                "vendor": vendor, "account": account, "digest": digest, "body": body.decode("utf-8", "replace"),
                "received_at": self.clock(), "processed_at": None, "outcome": ""}])
            row = (await conn.execute(select(vendor_callbacks.c.id, vendor_callbacks.c.processed_at)
                                      .where(vendor_callbacks.c.digest == digest))).one()
            job_key = f"vendor_callback:{row.id}"
            fresh = row.processed_at is None
            if fresh:
                await queue.enqueue(conn, "vendor_callback", job_key, {"callback_id": row.id}, now=self.clock())
        if fresh and self.on_new_work is not None:
            self.on_new_work()
        return fresh

    async def apply_callback(self, job: Job) -> None:
        """Re-read from the vendor every order a stored callback names, and apply what it says."""
        callback_id = int(job.payload["callback_id"])
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(vendor_callbacks).where(vendor_callbacks.c.id == callback_id))).first()
        if row is None or row.processed_at is not None:
            return
        driver = self.drivers.get(row.vendor)
        outcome: list[str] = []
        if driver is None:
            outcome.append(f"vendor {row.vendor} is not installed")
        else:
            try:
                refs = driver.callback_refs(row.body.encode())
            except ValueError as err:
                refs = []
                outcome.append(str(err))
            mode, owner = parse_callback_name(row.account) or ("", None)
            for ref in refs:
                async with self.engine.connect() as conn:
                    found = await part_store.parts_by_vendor_ref(conn, row.vendor, ref, mode == "sandbox")
                if not found:
                    outcome.append(f"{ref}: no such order")
                for part in found:
                    loaded = await self._order(part.order_id)
                    if loaded is None or (owner is not None and loaded[1].id != owner):
                        continue  # a merchant's own account speaks only of that merchant's orders
                    await self.refresh(part, *loaded)
                    outcome.append(f"{ref}: applied to order {part.order_id}")
                    if part.role == "retouch":  # the print part may go now
                        async with self.engine.begin() as conn:
                            await queue.enqueue(conn, "dispatch", f"dispatch:{part.order_id}",
                                                {"order_id": part.order_id}, order_id=part.order_id,
                                                now=self.clock())
        async with self.engine.begin() as conn:
            await conn.execute(update(vendor_callbacks).where(vendor_callbacks.c.id == callback_id)
                               .values(processed_at=self.clock(), outcome="; ".join(outcome)[:2000]))

    # --- people ---------------------------------------------------------------------------------------------

    async def retry_job(self, job_id: int) -> bool:
        """``easel jobs retry``: queue the job again and, for an order's dispatch, take it off hold."""
        async with self.engine.begin() as conn:
            job = await queue.get_job(conn, job_id)
            if job is None or not await queue.retry(conn, job_id, now=self.clock()):
                return False
            if job.kind in HOLDING_KINDS and job.order_id is not None:
                await progress.release(conn, job.order_id)
        return True

    async def describe(self, conn: AsyncConnection, order_id: int) -> dict[str, Any]:
        """The parts of an order as ``easel jobs show`` prints them."""
        return {"parts": [{"vendor": p.vendor, "role": p.role, "reference": p.reference, "vendor_ref": p.vendor_ref,
                           "step": p.step, "progress": p.progress.name, "vendor_status": p.vendor_status,
                           "sandbox": p.sandbox, "cancelled": p.cancelled}
                          for p in await part_store.parts_of(conn, order_id)]}
