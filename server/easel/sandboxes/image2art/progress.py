"""How upstream orders move on their own: Pending → In Production → In Transit (with tracking) →
Delivered, each after a delay on the sandbox clock counted from the order's creation.

Orders only ever move forward here, and only while they are in that chain: an order put On Hold or
Cancelled through the control endpoint stays where it was put. Each change writes the order's status,
an event (`order.in_production`, `order.shipped`, `order.delivered`, ...) and, when it ships, one
tracking number in the carrier's format for the order's shipping method.

These writes belong in `easel.storage.orders` once fulfilment needs the same ones; until then the
sandbox keeps them here, on the schema in `easel.storage.tables`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from easel.domain.orders import SHIPPING_METHODS, OrderStatus
from easel.storage.orders import add_event
from easel.storage.tables import order_tracking, orders
from easel.storage.types import utcnow

CHAIN = (OrderStatus.PENDING, OrderStatus.PROCESSING, OrderStatus.IN_PRODUCTION, OrderStatus.IN_TRANSIT,
         OrderStatus.DELIVERED)  # fmt: skip
RANK = {status.value: n for n, status in enumerate(CHAIN)}
MOVING = tuple(s.value for s in CHAIN[:-1])
EVENTS = {
    OrderStatus.PENDING: "order.pending",
    OrderStatus.PROCESSING: "order.processing",
    OrderStatus.IN_PRODUCTION: "order.in_production",
    OrderStatus.IN_TRANSIT: "order.shipped",
    OrderStatus.DELIVERED: "order.delivered",
    OrderStatus.CANCELLED: "order.cancelled",
    OrderStatus.ON_HOLD: "order.on_hold",
}
SHIPPED = frozenset({OrderStatus.IN_TRANSIT, OrderStatus.DELIVERED})
DEFAULT_METHOD = "FedEx Home Delivery"  # the document's tracking example

TRACKING_URLS = {
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={}",
    "ups": "https://www.ups.com/track?tracknum={}",
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
}


@dataclass(frozen=True)
class Delays:
    production: float
    ship: float
    deliver: float | None

    def due(self, elapsed: float) -> OrderStatus:
        """Where an order created `elapsed` sandbox seconds ago should be by now."""
        if self.deliver is not None and elapsed >= self.deliver:
            return OrderStatus.DELIVERED
        if elapsed >= self.ship:
            return OrderStatus.IN_TRANSIT
        if elapsed >= self.production:
            return OrderStatus.IN_PRODUCTION
        return OrderStatus.PENDING


def next_status(current: str) -> OrderStatus:
    """The step after `current` in the chain (Processing is skipped, as the clock skips it)."""
    if current not in RANK or current == OrderStatus.DELIVERED.value:
        raise ValueError(f"an order that is {current} does not advance; give a status")
    following = CHAIN[RANK[current] + 1]
    return OrderStatus.IN_PRODUCTION if following is OrderStatus.PROCESSING else following


def tracking_for(order_id: int, shipping_method: str) -> dict[str, str]:
    """A deterministic tracking number in the carrier's format, with its tracking URL."""
    carrier = shipping_method.split(" ", 1)[0] if shipping_method else "fedex"
    if carrier == "ups":
        number = f"1Z{order_id:016d}"
    elif carrier == "usps":
        number = f"9400{order_id:018d}"
    else:
        number = str(700_000_000_000 + order_id)
    url = TRACKING_URLS.get(carrier, TRACKING_URLS["fedex"]).format(number)
    return {"number": number, "method": SHIPPING_METHODS.get(shipping_method, DEFAULT_METHOD), "url": url}


async def status_of(conn: AsyncConnection, order_id: int) -> str | None:
    value = (await conn.execute(select(orders.c.status).where(orders.c.id == order_id))).scalar_one_or_none()
    return None if value is None else str(value)


async def moving_orders(conn: AsyncConnection) -> list[Any]:
    """Orders still in the chain before Delivered: (id, merchant_id, status, shipping_method)."""
    query = select(orders.c.id, orders.c.merchant_id, orders.c.status, orders.c.shipping_method)
    return list((await conn.execute(query.where(orders.c.status.in_(MOVING)))).all())


async def apply(conn: AsyncConnection, order_id: int, status: OrderStatus, *, reason: str = "",
                tracking: list[dict[str, str]] | None = None) -> bool:  # fmt: skip
    """Set the status, add tracking (generated when shipping without any), write the event."""
    row = (await conn.execute(select(orders).where(orders.c.id == order_id))).first()
    if row is None:
        return False
    await conn.execute(
        update(orders).where(orders.c.id == order_id).values(status=status.value, status_reason=reason,
                                                             updated_at=utcnow())
    )  # fmt: skip
    known = {r.number for r in await conn.execute(select(order_tracking.c.number)
                                                  .where(order_tracking.c.order_id == order_id))}  # fmt: skip
    added = list(tracking or [])
    if status in SHIPPED and not known and not added:
        added.append(tracking_for(order_id, row.shipping_method))
    for entry in added:
        if entry["number"] not in known:
            known.add(entry["number"])
            await conn.execute(insert(order_tracking).values(
                order_id=order_id, number=entry["number"], method=entry.get("method", ""), url=entry.get("url", ""),
                created_at=utcnow()))  # fmt: skip
    data: dict[str, Any] = {"status": status.value}
    if added:
        data["tracking"] = added
    if reason:
        data["reason"] = reason
    await add_event(conn, order_id, row.merchant_id, EVENTS[status], data)
    return True
