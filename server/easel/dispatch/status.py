"""A merchant order's status, derived from its vendor orders ("parts"). Pure functions, no I/O.

Each part has a ``Progress`` that only ever goes up, and may be cancelled. The order's status:

1. no parts yet → unchanged (Pending until the planner runs);
2. every part cancelled → **Cancelled**;
3. otherwise, over the parts not cancelled, the *least* advanced part decides:
   any part still being sent → **Processing**; all accepted → **In Production**; all shipped →
   **In Transit**; all delivered → **Delivered**;
4. except that once any part has shipped while the rest are in production, the order is
   **In Transit** (the merchant can already pass on the tracking numbers it has);
5. a retouching part (Pixelz) keeps the order **Processing** until its image is retouched, and from
   then on does not count: the print parts decide.

**On Hold** is not derived: it is set when a job is parked and cleared when it is retried. A status
never moves backwards (:func:`advances`), whatever order vendor news arrives in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from ..domain.orders import OrderStatus


class Progress(IntEnum):
    PLANNED = 0
    SENDING = 1
    IN_PRODUCTION = 2
    SHIPPED = 3
    DELIVERED = 4


@dataclass(frozen=True)
class PartState:
    progress: Progress
    cancelled: bool = False
    retouch: bool = False


RANK: dict[str, int] = {
    OrderStatus.PENDING: 0,
    OrderStatus.ON_HOLD: 1,
    OrderStatus.PROCESSING: 1,
    OrderStatus.IN_PRODUCTION: 2,
    OrderStatus.IN_TRANSIT: 3,
    OrderStatus.DELIVERED: 4,
    OrderStatus.CANCELLED: 5,
}

_BY_PROGRESS = {
    Progress.PLANNED: OrderStatus.PROCESSING,
    Progress.SENDING: OrderStatus.PROCESSING,
    Progress.IN_PRODUCTION: OrderStatus.IN_PRODUCTION,
    Progress.SHIPPED: OrderStatus.IN_TRANSIT,
    Progress.DELIVERED: OrderStatus.DELIVERED,
}


def derive(parts: Sequence[PartState]) -> OrderStatus | None:
    """The status the parts say the order has, or None when there are no parts."""
    if not parts:
        return None
    active = [p for p in parts if not p.cancelled]
    if not active:
        return OrderStatus.CANCELLED
    if any(p.retouch and p.progress < Progress.IN_PRODUCTION for p in active):
        return OrderStatus.PROCESSING
    active = [p for p in active if not p.retouch] or active
    least = min(p.progress for p in active)
    if least == Progress.IN_PRODUCTION and any(p.progress >= Progress.SHIPPED for p in active):
        return OrderStatus.IN_TRANSIT
    return _BY_PROGRESS[least]


def advances(current: str, new: str) -> bool:
    """Whether moving from ``current`` to ``new`` goes forward (On Hold is left only by a retry)."""
    if current == OrderStatus.ON_HOLD or current == new:
        return False
    return RANK.get(new, -1) > RANK.get(current, -1)


def lower_statuses(new: str) -> list[str]:
    """The statuses an order may be in for ``new`` to be an advance (used as a guard in UPDATEs)."""
    return [s for s in RANK if s != OrderStatus.ON_HOLD and s != new and advances(s, new)]


EVENT_TYPES: dict[str, str] = {
    OrderStatus.PROCESSING: "order.processing",
    OrderStatus.IN_PRODUCTION: "order.in_production",
    OrderStatus.IN_TRANSIT: "order.shipped",
    OrderStatus.DELIVERED: "order.delivered",
    OrderStatus.CANCELLED: "order.cancelled",
    OrderStatus.ON_HOLD: "order.on_hold",
}
RETOUCHED = "order.retouched"
"""The event a merchant receives when an order enters each status."""
