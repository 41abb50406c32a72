"""Vendor order rows ("parts"): what a merchant order became at each vendor, read and written.

Every write here is a guarded ``UPDATE``: a step is recorded *before* the vendor call it announces
(so a crash leaves a trace to recover from), and progress is only ever raised, never lowered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

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


async def insert_parts(conn: AsyncConnection, order_id: int, order_reference: str,
                       parts: Sequence[NewPart], first_position: int = 1) -> list[int]:
    """Insert an order's parts; the vendor reference is ``<order reference>-<n>`` (stable, unique)."""
    now = utcnow()
    ids: list[int] = []
    for position, part in enumerate(parts, start=first_position):
        result = await conn.execute(
            insert(vendor_orders).values(
                order_id=order_id, position=position, vendor=part.vendor, role=part.role, sandbox=part.sandbox,
                reference=f"{order_reference}-{position}", step="planned", progress=int(Progress.PLANNED),
                cancelled=False, vendor_status="", items=part.items, detail=part.detail, created_at=now,
                updated_at=now,
            ).returning(vendor_orders.c.id)
        )
        ids.append(int(result.scalar_one()))
    return ids


async def parts_of(conn: AsyncConnection, order_id: int) -> list[Part]:
    rows = await conn.execute(select(vendor_orders).where(vendor_orders.c.order_id == order_id)
                              .order_by(vendor_orders.c.position))
    return [_part(r) for r in rows]


async def get_part(conn: AsyncConnection, part_id: int) -> Part | None:
    row = (await conn.execute(select(vendor_orders).where(vendor_orders.c.id == part_id))).first()
    return _part(row) if row else None


async def parts_by_vendor_ref(conn: AsyncConnection, vendor: str, vendor_ref: str, sandbox: bool) -> list[Part]:
    rows = await conn.execute(select(vendor_orders).where(vendor_orders.c.vendor == vendor,
                                                          vendor_orders.c.vendor_ref == vendor_ref,
                                                          vendor_orders.c.sandbox == sandbox))
    return [_part(r) for r in rows]


async def record_step(conn: AsyncConnection, part_id: int, step: str, vendor_ref: str | None = None,
                      progress: Progress | None = None) -> None:
    values: dict[str, Any] = {"step": step, "updated_at": utcnow()}
    if vendor_ref is not None:
        values["vendor_ref"] = vendor_ref
    await conn.execute(update(vendor_orders).where(vendor_orders.c.id == part_id).values(**values))
    if progress is not None:
        await raise_progress(conn, part_id, progress)


async def raise_progress(conn: AsyncConnection, part_id: int, progress: Progress, vendor_status: str | None = None,
                         detail: dict[str, Any] | None = None) -> bool:
    """Raise the part's progress (never lower it); returns whether it went up."""
    now = utcnow()
    result = await conn.execute(
        update(vendor_orders).where(vendor_orders.c.id == part_id, vendor_orders.c.progress < int(progress))
        .values(progress=int(progress), updated_at=now)
    )
    extra: dict[str, Any] = {}
    if vendor_status is not None:
        extra["vendor_status"] = vendor_status[:40]
    if detail is not None:
        extra["detail"] = detail
    if extra:
        await conn.execute(update(vendor_orders).where(vendor_orders.c.id == part_id).values(updated_at=now, **extra))
    return bool(result.rowcount)


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
