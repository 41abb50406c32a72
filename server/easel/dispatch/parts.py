"""Vendor order rows ("parts"): what a merchant order became at each vendor, read and written.

Every write here is a guarded ``UPDATE``: a step is recorded *before* the vendor call it announces
(so a crash leaves a trace to recover from), and progress is only ever raised, never lowered.

The statements a dispatched order runs every time are built once (``bindparam``), not per call:
building a Core statement costs more than SQLite takes to run it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, case, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..storage.prepared import Prepared
from ..storage.tables import vendor_orders
from ..storage.types import utcnow
from .status import PartState, Progress

WITHDRAWING = "withdrawing"
"""Step of a part being taken back from its vendor before another vendor gets its items."""
WITHDRAWN = "withdrawn"
"""Step of a part its vendor no longer holds (cancelled there, or never there); replaced by others."""


@dataclass(frozen=True)
class Part:
    id: int
    order_id: int
    position: int
    vendor: str
    role: str
    sandbox: bool
    reference: str
    vendor_ref: str | None
    step: str
    progress: Progress
    cancelled: bool
    vendor_status: str
    items: list[dict[str, Any]]
    detail: dict[str, Any]
    updated_at: datetime
    created_at: datetime
    """When the part was planned: before any call to its vendor, so a firm lower bound for looking it up there."""

    @property
    def state(self) -> PartState:
        return PartState(self.progress, self.cancelled, self.role == "retouch")


@dataclass(frozen=True)
class NewPart:
    vendor: str
    role: str
    sandbox: bool
    items: list[dict[str, Any]]
    detail: dict[str, Any]


def _part(row: Row[Any]) -> Part:
    return Part(row.id, row.order_id, row.position, row.vendor, row.role, bool(row.sandbox), row.reference,
                row.vendor_ref, row.step, Progress(row.progress), bool(row.cancelled), row.vendor_status,
                list(row.items), dict(row.detail), row.updated_at, row.created_at)


_INSERT_PART = Prepared(insert(vendor_orders).returning(vendor_orders.c.id))
"""Built once: every order plans its parts (the values come as parameters)."""


async def insert_parts(conn: AsyncConnection, order_id: int, order_reference: str,
                       parts: Sequence[NewPart], first_position: int = 1) -> list[int]:
    """Insert an order's parts; the vendor reference is ``<order reference>-<n>`` (stable, unique)."""
    return [p.id for p in await add_parts(conn, order_id, order_reference, parts, first_position)]


async def add_parts(conn: AsyncConnection, order_id: int, order_reference: str, parts: Sequence[NewPart],
                    first_position: int = 1, *, step: str = "planned", progress: Progress = Progress.PLANNED
                    ) -> list[Part]:
    """:func:`insert_parts`, returning the parts as written (built from the values, not read back).
    ``step`` and ``progress``: a part's first step when it is written with it (the plan written with the
    intent to create its only part: one transaction, not two)."""
    now = utcnow()
    added: list[Part] = []
    for position, part in enumerate(parts, start=first_position):
        reference = f"{order_reference}-{position}"
        result = await _INSERT_PART.execute(conn, {
            "order_id": order_id, "position": position, "vendor": part.vendor, "role": part.role,
            "sandbox": part.sandbox, "reference": reference, "step": step, "progress": int(progress),
            "cancelled": False, "vendor_status": "", "items": part.items, "detail": part.detail, "created_at": now,
            "updated_at": now})
        added.append(Part(int(result.scalar_one()), order_id, position, part.vendor, part.role, part.sandbox,
                          reference, None, step, progress, False, "", list(part.items),
                          dict(part.detail), now, now))
    return added


_PARTS_OF = Prepared(select(vendor_orders).where(vendor_orders.c.order_id == bindparam("order_id"))
                     .order_by(vendor_orders.c.position))
_GET_PART = select(vendor_orders).where(vendor_orders.c.id == bindparam("part_id"))


async def parts_of(conn: AsyncConnection, order_id: int) -> list[Part]:
    rows = await _PARTS_OF.execute(conn, {"order_id": order_id})
    return [_part(r) for r in rows]


_STATES_OF = Prepared(select(vendor_orders.c.progress, vendor_orders.c.cancelled, vendor_orders.c.role).where(
    vendor_orders.c.order_id == bindparam("order_id")))


async def states_of(conn: AsyncConnection, order_id: int) -> list[PartState]:
    """What the order's status is derived from, per part: three columns, not the rows with their JSON."""
    rows = await _STATES_OF.execute(conn, {"order_id": order_id})
    return [PartState(Progress(progress), bool(cancelled), role == "retouch") for progress, cancelled, role in rows]


async def get_part(conn: AsyncConnection, part_id: int) -> Part | None:
    row = (await conn.execute(_GET_PART, {"part_id": part_id})).first()
    return _part(row) if row else None


async def parts_by_vendor_ref(conn: AsyncConnection, vendor: str, vendor_ref: str, sandbox: bool) -> list[Part]:
    rows = await conn.execute(select(vendor_orders).where(vendor_orders.c.vendor == vendor,
                                                          vendor_orders.c.vendor_ref == vendor_ref,
                                                          vendor_orders.c.sandbox == sandbox))
    return [_part(r) for r in rows]


_UPDATES: dict[tuple[bool, bool, bool, bool, bool, bool], Prepared] = {}


def _update_statement(step: bool, vendor_ref: bool, progress: bool, vendor_status: bool, detail: bool,
                      unless_withdrawn: bool = False) -> Prepared:
    """One ``UPDATE`` of a part for this set of fields, built on first use. Progress is raised, never
    lowered (``CASE``: every SET sees the row as it was); ``updated_at`` moves with a new step, news from
    the vendor, or a rise in progress. ``unless_withdrawn``: leave a withdrawn part as it is."""
    key = (step, vendor_ref, progress, vendor_status, detail, unless_withdrawn)
    if key in _UPDATES:
        return _UPDATES[key]
    col = vendor_orders.c
    now = bindparam("b_now", type_=col.updated_at.type)
    values: dict[str, Any] = {}
    if step:
        values["step"] = bindparam("b_step")
    if vendor_ref:
        values["vendor_ref"] = bindparam("b_vendor_ref")
    if vendor_status:
        values["vendor_status"] = bindparam("b_vendor_status")
    if detail:
        values["detail"] = bindparam("b_detail", type_=col.detail.type)
    if progress:
        level = bindparam("b_progress", type_=col.progress.type)
        rises = col.progress < level
        values["progress"] = case((rises, level), else_=col.progress)
        values["updated_at"] = now if values else case((rises, now), else_=col.updated_at)
    else:
        values["updated_at"] = now
    statement = update(vendor_orders).where(col.id == bindparam("b_part_id")).values(**values)
    if unless_withdrawn:
        statement = statement.where(col.step != WITHDRAWN)
    _UPDATES[key] = prepared = Prepared(statement)
    return prepared


async def update_part(conn: AsyncConnection, part_id: int, *, step: str | None = None, vendor_ref: str | None = None,
                      progress: Progress | None = None, vendor_status: str | None = None,
                      detail: dict[str, Any] | None = None, unless_withdrawn: bool = False) -> bool:
    """Write what is given in one statement: a step (and the vendor's id), progress (only raised), the
    vendor's status and the part's bookkeeping. Returns whether the part was written (``unless_withdrawn``:
    not when it is withdrawn)."""
    params: dict[str, Any] = {"b_part_id": part_id, "b_now": utcnow()}
    if step is not None:
        params["b_step"] = step
    if vendor_ref is not None:
        params["b_vendor_ref"] = vendor_ref
    if progress is not None:
        params["b_progress"] = int(progress)
    if vendor_status is not None:
        params["b_vendor_status"] = vendor_status[:40]
    if detail is not None:
        params["b_detail"] = detail
    statement = _update_statement(step is not None, vendor_ref is not None, progress is not None,
                                  vendor_status is not None, detail is not None, unless_withdrawn)
    return bool((await statement.execute(conn, params)).rowcount)


async def record_step(conn: AsyncConnection, part_id: int, step: str, vendor_ref: str | None = None,
                      progress: Progress | None = None) -> None:
    await update_part(conn, part_id, step=step, vendor_ref=vendor_ref, progress=progress)


async def raise_progress(conn: AsyncConnection, part_id: int, progress: Progress, vendor_status: str | None = None,
                         detail: dict[str, Any] | None = None) -> None:
    """Raise the part's progress (never lower it), with the vendor's status and bookkeeping if given."""
    await update_part(conn, part_id, progress=progress, vendor_status=vendor_status, detail=detail)


async def mark_cancelled(conn: AsyncConnection, part_id: int) -> bool:
    result = await conn.execute(
        update(vendor_orders).where(vendor_orders.c.id == part_id, vendor_orders.c.cancelled.is_(False))
        .values(cancelled=True, updated_at=utcnow())
    )
    return bool(result.rowcount)


async def set_items(conn: AsyncConnection, part_id: int, items: list[dict[str, Any]]) -> None:
    """Replace what a part will send (a retouched image replacing the original), before it is sent."""
    await conn.execute(update(vendor_orders).where(vendor_orders.c.id == part_id, vendor_orders.c.step == "planned")
                       .values(items=items, updated_at=utcnow()))


async def set_detail(conn: AsyncConnection, part_id: int, detail: dict[str, Any]) -> None:
    """Replace the part's bookkeeping. ``updated_at`` stays when its step was recorded: drivers bound
    their look-ups by it (an order cannot have been created at the vendor before ``creating``)."""
    await conn.execute(update(vendor_orders).where(vendor_orders.c.id == part_id).values(detail=detail))


async def begin_withdrawal(conn: AsyncConnection, part: Part, detail: dict[str, Any]) -> bool:
    """Record the intent to take ``part`` back from its vendor (step ``withdrawing``), if its step is still
    the one the caller read; returns whether it was recorded. ``updated_at`` stays when the step before
    was recorded, which bounds the withdrawal's look-up as it bounds the driver's."""
    result = await conn.execute(
        update(vendor_orders).where(vendor_orders.c.id == part.id, vendor_orders.c.step == part.step,
                                    vendor_orders.c.cancelled.is_(False))
        .values(step=WITHDRAWING, detail=detail)
    )
    return bool(result.rowcount)


async def end_withdrawal(conn: AsyncConnection, part_id: int) -> bool:
    """The part is withdrawn (its vendor holds no live order): cancelled, step ``withdrawn``. Guarded, so
    of two finishers only one goes on to place the replacement."""
    result = await conn.execute(
        update(vendor_orders).where(vendor_orders.c.id == part_id, vendor_orders.c.step == WITHDRAWING)
        .values(step=WITHDRAWN, cancelled=True, updated_at=utcnow())
    )
    return bool(result.rowcount)


async def next_position(conn: AsyncConnection, order_id: int) -> int:
    last = (await conn.execute(select(func.max(vendor_orders.c.position))
                               .where(vendor_orders.c.order_id == order_id))).scalar()
    return int(last or 0) + 1
