"""Applying what vendors say to a merchant order: part progress, tracking, order status, events.

Everything here runs inside the caller's transaction and is written so that news arriving twice, late
or out of order changes nothing it should not: progress is only raised, tracking numbers are inserted
if new (never overwritten), and the order's status moves only forward through a guarded ``UPDATE …
WHERE status IN (<earlier statuses>)``, so of two concurrent appliers exactly one emits the event.
Every event queues a delivery to the merchant's callback URL, in order, by the ``notify`` job.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import EllipsisType
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.orders import OrderStatus
from ..storage.fixed_in import one_of
from ..storage.orders import add_event
from ..storage.prepared import Prepared
from ..storage.tables import merchants, order_tracking, orders
from ..storage.types import utcnow
from . import parts as part_store
from . import queue
from .drivers.base import Snapshot, Tracking
from .parts import Part
from .status import EVENT_TYPES, RETOUCHED, advances, derive, lower_statuses

HOLDABLE = (OrderStatus.PENDING, OrderStatus.PROCESSING, OrderStatus.IN_PRODUCTION)


_CALLBACK_URL = select(merchants.c.callback_url).where(merchants.c.id == bindparam("merchant_id"))
_ORDER_STATE = (select(orders.c.status, orders.c.merchant_id, merchants.c.callback_url)
                .join(merchants, merchants.c.id == orders.c.merchant_id)
                .where(orders.c.id == bindparam("order_id")))


async def notify_merchant(conn: AsyncConnection, order_id: int, merchant_id: int,
                          callback_url: str | EllipsisType | None = ...) -> None:
    """Queue delivery of the order's pending events, if the merchant has a callback URL (read here
    unless the caller read it in this transaction; ``...``: not read)."""
    url = callback_url
    if isinstance(url, EllipsisType):
        url = (await conn.execute(_CALLBACK_URL, {"merchant_id": merchant_id})).scalar()
    if url:
        await queue.enqueue(conn, "notify", f"notify:{order_id}", {"order_id": order_id}, order_id=order_id)


async def emit(conn: AsyncConnection, order_id: int, merchant_id: int, event_type: str,
               data: dict[str, Any], callback_url: str | EllipsisType | None = ...) -> str:
    event_id = await add_event(conn, order_id, merchant_id, event_type, data)
    await notify_merchant(conn, order_id, merchant_id, callback_url)
    return event_id


async def merge_tracking(conn: AsyncConnection, order_id: int, tracking: Sequence[Tracking]) -> list[Tracking]:
    """Add tracking numbers the order does not have yet; returns the new ones."""
    if not tracking:
        return []
    now = utcnow()
    rows = [{"order_id": order_id, "number": t.number[:100], "method": t.method[:100], "url": t.url[:2000],
             "created_at": now} for t in {t.number: t for t in tracking}.values()]
    insert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(order_tracking)
    result = await conn.execute(insert.values(rows).on_conflict_do_nothing().returning(order_tracking.c.number))
    added = set(result.scalars())
    return [t for t in tracking if t.number[:100] in added]


async def all_tracking(conn: AsyncConnection, order_id: int) -> list[dict[str, str]]:
    rows = await conn.execute(select(order_tracking).where(order_tracking.c.order_id == order_id)
                              .order_by(order_tracking.c.id))
    return [{"number": r.number, "method": r.method, "url": r.url} for r in rows]


async def refresh_status(conn: AsyncConnection, order_id: int, new_tracking: Sequence[Tracking] = (),
                         parts: Sequence[Part] | None = None, expected: str | None = None) -> str | None:
    """Move the order to the status its parts give, if that is forward; emit the events. Returns it.
    ``parts``: the order's parts as this transaction wrote them, when the caller has just written them
    (else their states are read).
    ``expected``: the status the caller believes the order has; when it is right, the move is one guarded
    ``UPDATE … RETURNING`` instead of a read and an update (when it is not, nothing moves and the order is
    read as without it)."""
    states = [p.state for p in parts] if parts is not None else None
    if expected is not None and not new_tracking:
        if states is None:
            states = await part_store.states_of(conn, order_id)
        derived = derive(states)
        if derived is not None and derived not in (OrderStatus.IN_TRANSIT, OrderStatus.DELIVERED) \
                and advances(expected, derived):
            went = (await _ADVANCE_FROM.execute(conn, {"order_id": order_id, "status": derived.value,
                                                       "previous": expected, "updated_at": utcnow()})).first()
            if went is not None:
                await emit(conn, order_id, went.merchant_id, EVENT_TYPES[derived],
                           {"status": derived.value, "previous": expected}, went.callback_url)
                return derived.value
    row = (await conn.execute(_ORDER_STATE, {"order_id": order_id})).first()
    if row is None:
        return None
    if states is None:
        states = await part_store.states_of(conn, order_id)
    derived = derive(states)
    moved = False
    if derived is not None and advances(row.status, derived):
        result = await conn.execute(
            _ADVANCE[derived], {"order_id": order_id, "status": derived.value, "updated_at": utcnow()})
        moved = bool(result.rowcount)
    if moved and derived is not None:
        data: dict[str, Any] = {"status": derived.value, "previous": row.status}
        if derived in (OrderStatus.IN_TRANSIT, OrderStatus.DELIVERED):
            data["tracking"] = await all_tracking(conn, order_id)
        await emit(conn, order_id, row.merchant_id, EVENT_TYPES[derived], data, row.callback_url)
    elif new_tracking:
        await emit(conn, order_id, row.merchant_id, "order.tracking_added",
                   {"status": row.status, "tracking": await all_tracking(conn, order_id)}, row.callback_url)
    return derived.value if moved and derived is not None else row.status


_ADVANCE = {
    status: update(orders).where(orders.c.id == bindparam("order_id"),
                                 one_of(orders.c.status, lower_statuses(status)))
    .values(status=bindparam("status"), status_reason="", updated_at=bindparam("updated_at"))
    for status in OrderStatus
}
"""Per status it moves to: the guarded ``UPDATE`` that moves an order only forward, built once."""

_ADVANCE_FROM = Prepared(
    update(orders).where(orders.c.id == bindparam("order_id"), orders.c.status == bindparam("previous"))
    .values(status=bindparam("status"), status_reason="", updated_at=bindparam("updated_at"))
    .returning(orders.c.merchant_id,
               select(merchants.c.callback_url).where(merchants.c.id == orders.c.merchant_id)
               .scalar_subquery().label("callback_url"))
)
"""The move from a status the caller knows (checked forward in Python), returning what the event needs."""


async def apply_snapshot(conn: AsyncConnection, part: Part, snap: Snapshot, *, step: str | None = None,
                         vendor_ref: str | None = None, expected: str | None = None) -> None:
    """Record a vendor's view of a part (only forward) and update the merchant order from it; with
    ``step`` (and ``vendor_ref``), record that step in the same statement (``submitted``: the call it
    followed is made, and what it gave is applied at once). ``expected``: the order's status as the caller
    believes it (see :func:`refresh_status`)."""
    if not (snap.detail or snap.cancelled or snap.tracking):
        # Nothing here depends on what is stored now but the step: the guard keeps a withdrawn part as it is.
        if not await part_store.update_part(conn, part.id, step=step, vendor_ref=vendor_ref, progress=snap.progress,
                                            vendor_status=snap.vendor_status, unless_withdrawn=True):
            return  # taken back from its vendor and replaced (or gone): its news no longer concerns the order
        await refresh_status(conn, part.order_id, expected=expected)
        return
    part = await part_store.get_part(conn, part.id) or part  # what is stored now, not what the caller read
    if part.step == part_store.WITHDRAWN:
        return  # taken back from its vendor and replaced: its news no longer concerns the order
    if snap.cancelled and part.step != part_store.WITHDRAWING:  # our own cancel: the swap marks it
        await part_store.mark_cancelled(conn, part.id)
    await part_store.update_part(conn, part.id, step=step, vendor_ref=vendor_ref, progress=snap.progress,
                                 vendor_status=snap.vendor_status,
                                 detail={**part.detail, **snap.detail} if snap.detail else None)
    added = await merge_tracking(conn, part.order_id, snap.tracking)
    retouched = snap.detail.get("retouched_url")
    if retouched and not part.detail.get("retouched_url"):
        merchant_id = (await conn.execute(select(orders.c.merchant_id).where(orders.c.id == part.order_id))).scalar()
        item = part.items[0] if part.items else {}
        await emit(conn, part.order_id, int(merchant_id or 0), RETOUCHED,
                   {"item_id": item.get("item_id"), "position": item.get("position"), "vendor": part.vendor})
    await refresh_status(conn, part.order_id, added, expected=expected)


async def hold(conn: AsyncConnection, order_id: int, reason: str) -> bool:
    """Put the order On Hold with the reason (unless it is already past production); emit the event."""
    reason = reason.strip() or "stopped by a fulfilment problem that recorded no reason (see `easel jobs list`)"
    row = (await conn.execute(select(orders.c.merchant_id).where(orders.c.id == order_id))).first()
    if row is None:
        return False
    result = await conn.execute(
        update(orders).where(orders.c.id == order_id, orders.c.status.in_([s.value for s in HOLDABLE]))
        .values(status=OrderStatus.ON_HOLD.value, status_reason=reason[:2000], updated_at=utcnow())
    )
    if not result.rowcount:
        return False
    await emit(conn, order_id, row.merchant_id, EVENT_TYPES[OrderStatus.ON_HOLD],
               {"status": OrderStatus.ON_HOLD.value, "reason": reason[:2000]})
    return True


async def release(conn: AsyncConnection, order_id: int) -> bool:
    """Take the order off hold (a person retried its job): back to Processing, then forward as parts say."""
    row = (await conn.execute(select(orders.c.merchant_id).where(orders.c.id == order_id))).first()
    if row is None:
        return False
    result = await conn.execute(
        update(orders).where(orders.c.id == order_id, orders.c.status == OrderStatus.ON_HOLD.value)
        .values(status=OrderStatus.PROCESSING.value, status_reason="", updated_at=utcnow())
    )
    if not result.rowcount:
        return False
    await emit(conn, order_id, row.merchant_id, EVENT_TYPES[OrderStatus.PROCESSING],
               {"status": OrderStatus.PROCESSING.value, "previous": OrderStatus.ON_HOLD.value})
    await refresh_status(conn, order_id)
    return True
