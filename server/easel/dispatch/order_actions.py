"""What a person may do to an order by hand: hold it, release it, cancel it, resend a callback delivery.

One place for these rules, so the admin panel and any command line call the same functions. Every
action writes its order event (``order.on_hold``, ``order.processing``, ``order.cancelled``) through
``progress.emit``, which queues its delivery to the merchant's callback URL like any other event.

* **Hold** (Pending or Processing only: once a vendor is making the order, holding it here would stop
  nothing there): the order goes On Hold with the reason the person typed, and its queued ``dispatch``
  job is cancelled, so nothing more is sent to a vendor. A dispatch job running at that moment refuses
  the hold (try again in a moment) rather than racing it.
* **Release**: back to Processing (then forward as the vendor orders say) and the ``dispatch`` job the
  hold stopped (or the one parked by a failure) is queued again.
* **Cancel**: every vendor order still live is withdrawn through its driver's ``withdraw`` (Pwinty
  cancels it; the Image2ART API cannot cancel, so a live upstream order is refused with that reason);
  a vendor order never sent needs no vendor. Only when every vendor order is cancelled does the order
  become Cancelled; otherwise what was done and what was refused is returned and the order stays.
* **Resend**: an event's delivery is made pending again with fresh attempts; the ``notify`` job
  delivers it (signed afresh, same ``webhook-id``) before the events after it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.merchants import Merchant
from ..domain.orders import OrderStatus
from ..storage import merchants as merchant_store
from ..storage.tables import jobs, merchants, order_events, orders
from ..storage.types import utcnow
from ..vendors.errors import VendorError
from ..vendors.routing import NoAccount
from . import parts as part_store
from . import progress, queue
from .drivers.base import Withdrawing
from .merchant_callbacks import PENDING
from .service import Dispatch
from .status import EVENT_TYPES

MANUAL_HOLDABLE = (OrderStatus.PENDING.value, OrderStatus.PROCESSING.value)
CANCELLABLE = (OrderStatus.PENDING.value, OrderStatus.PROCESSING.value, OrderStatus.ON_HOLD.value,
               OrderStatus.IN_PRODUCTION.value)
MAX_REASON = 2000


class Refused(Exception):
    """The action cannot be done now; the message says why, in the merchant's words."""


@dataclass(frozen=True)
class CancelOutcome:
    cancelled: bool
    """Whether the order is now Cancelled (every vendor order cancelled or never sent)."""
    done: list[str]
    refused: list[str]


class OrderActions:
    def __init__(self, dispatch: Dispatch) -> None:
        self.dispatch = dispatch
        self.engine = dispatch.engine

    async def merchant_of(self, order_id: int) -> Merchant | None:
        """The merchant an order belongs to (for the command line, which names orders by id alone)."""
        async with self.engine.connect() as conn:
            merchant_id = (await conn.execute(select(orders.c.merchant_id).where(orders.c.id == order_id))).scalar()
            return None if merchant_id is None else await merchant_store.merchant_by_id(conn, merchant_id)

    async def _status(self, conn: AsyncConnection, order_id: int) -> str:
        status = (await conn.execute(select(orders.c.status).where(orders.c.id == order_id))).scalar()
        if status is None:
            raise Refused(f"There is no order {order_id}.")
        return str(status)

    async def _dispatch_job(self, conn: AsyncConnection, order_id: int) -> queue.Job | None:
        found = await queue.list_jobs(conn, kind="dispatch", order_id=order_id, limit=1)
        return found[0] if found else None

    async def hold(self, order_id: int, reason: str) -> None:
        """Put the order On Hold with ``reason`` and stop sending it to vendors."""
        reason = reason.strip()
        if not reason:
            raise Refused("Say why the order is held: the reason is shown to the shop's systems with the event.")
        if len(reason) > MAX_REASON:
            raise Refused(f"The reason is longer than {MAX_REASON} characters.")
        async with self.engine.begin() as conn:
            status = await self._status(conn, order_id)
            if status not in MANUAL_HOLDABLE:
                raise Refused(f"The order is {status}: only a Pending or Processing order can be held "
                              "(once a vendor is making it, a hold here would not stop them; cancel instead).")
            job = await self._dispatch_job(conn, order_id)
            if job is not None and job.status == queue.RUNNING:
                raise Refused("easel is sending this order to a vendor at this moment; try again in a minute.")
            if job is not None and job.status == queue.QUEUED:
                await queue.cancel(conn, job.id, now=self.dispatch.clock())
            if not await progress.hold(conn, order_id, reason):
                raise Refused("The order changed meanwhile; reload its page.")

    async def release(self, order_id: int) -> None:
        """Take the order off hold and queue again the sending the hold (or a failure) stopped."""
        async with self.engine.begin() as conn:
            status = await self._status(conn, order_id)
            if status != OrderStatus.ON_HOLD.value:
                raise Refused(f"The order is {status}, not On Hold.")
            job = await self._dispatch_job(conn, order_id)
            now = self.dispatch.clock()
            if job is not None and job.status in (queue.PARKED, queue.CANCELLED):
                await queue.retry(conn, job.id, now=now)
            else:  # done (or none): run dispatch again; it sends only what was not sent and re-arms polling
                await queue.enqueue(conn, "dispatch", f"dispatch:{order_id}", {"order_id": order_id},
                                    order_id=order_id, now=now)
            if not await progress.release(conn, order_id):
                raise Refused("The order changed meanwhile; reload its page.")
        if self.dispatch.on_new_work is not None:
            self.dispatch.on_new_work()

    async def cancel(self, merchant: Merchant, order_id: int, reason: str = "") -> CancelOutcome:
        """Cancel every vendor order still live, then the order, if all of them could be cancelled."""
        reason = reason.strip()[:MAX_REASON] or "cancelled by the shop"
        async with self.engine.begin() as conn:
            status = await self._status(conn, order_id)
            if status not in CANCELLABLE:
                raise Refused(f"The order is {status}: it can no longer be cancelled.")
            job = await self._dispatch_job(conn, order_id)
            parts = await part_store.parts_of(conn, order_id)
            if (job is not None and job.status == queue.RUNNING) or \
                    any(p.step == part_store.WITHDRAWING and not p.cancelled for p in parts):
                raise Refused("easel is sending this order to a vendor at this moment; try again in a minute.")
            stopped = job is not None and await queue.cancel(conn, job.id, now=self.dispatch.clock())
            is_test = bool((await conn.execute(select(orders.c.is_test).where(orders.c.id == order_id))).scalar())
        done: list[str] = []
        refused: list[str] = []
        for part in parts:
            if part.cancelled:
                continue
            if part.step == "planned":
                done.append(f"{part.vendor} never received {part.reference}")
            else:
                said = await self._withdraw(merchant, part, is_test)
                if said.startswith("refused: "):
                    refused.append(said.removeprefix("refused: "))
                    continue
                done.append(said)
            async with self.engine.begin() as conn:
                await part_store.mark_cancelled(conn, part.id)
        if refused:
            async with self.engine.begin() as conn:  # the vendors that cancelled did: the order says so
                if stopped and job is not None:  # the order goes on: its job as it was (queued, or parked)
                    await conn.execute(update(jobs).where(jobs.c.id == job.id, jobs.c.status == queue.CANCELLED)
                                       .values(status=job.status, updated_at=self.dispatch.clock()))
                await progress.refresh_status(conn, order_id)
            return CancelOutcome(False, done, refused)
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(orders).where(orders.c.id == order_id, orders.c.status.in_(CANCELLABLE))
                .values(status=OrderStatus.CANCELLED.value, status_reason=reason, updated_at=utcnow()))
            if not result.rowcount:
                raise Refused("The order changed meanwhile; reload its page.")
            for other in await queue.list_jobs(conn, order_id=order_id):
                if other.kind == "poll":
                    await queue.cancel(conn, other.id, now=self.dispatch.clock())
            await progress.emit(conn, order_id, merchant.id, EVENT_TYPES[OrderStatus.CANCELLED],
                                {"status": OrderStatus.CANCELLED.value, "previous": status, "reason": reason,
                                 "vendors": done})
        return CancelOutcome(True, done, [])

    async def _withdraw(self, merchant: Merchant, part: part_store.Part, is_test: bool) -> str:
        """What the vendor did with a cancel request, or ``refused: why``."""
        driver = self.dispatch.drivers.get(part.vendor)
        if not isinstance(driver, Withdrawing):
            return f"refused: {part.vendor} cannot cancel orders through its API ({part.reference} stays there)"
        try:
            account = await self.dispatch.account_for(merchant, part.vendor, is_test=is_test)
            return await driver.withdraw(account, part)
        except NoAccount as err:
            return f"refused: {part.vendor}: {err}"
        except VendorError as err:
            later = " (try again later)" if err.retryable else ""
            return f"refused: {part.vendor} did not cancel {part.reference}: {err.message}{later}"

    async def resend(self, merchant_id: int, order_id: int, event_id: str) -> None:
        """Deliver one of the order's events to the merchant's callback URL again."""
        async with self.engine.begin() as conn:
            url = (await conn.execute(select(merchants.c.callback_url)
                                      .where(merchants.c.id == merchant_id))).scalar()
            if not url:
                raise Refused("There is no callback URL to send to: set one on the API page first.")
            result = await conn.execute(
                update(order_events).where(order_events.c.event_id == event_id, order_events.c.order_id == order_id,
                                           order_events.c.merchant_id == merchant_id)
                .values(delivery_state=PENDING, delivery_attempts=0, delivery_next_at=None, delivery_error=""))
            if not result.rowcount:
                raise Refused(f"The order has no event {event_id[:40]}.")
            await progress.notify_merchant(conn, order_id, merchant_id)
        if self.dispatch.on_new_work is not None:
            self.dispatch.on_new_work()
