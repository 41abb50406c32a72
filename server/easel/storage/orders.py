"""Order rows: an order with its items, tracking and events, read and written per merchant.

Every query takes the merchant id, so one merchant can never read or change another's orders.
"""

from __future__ import annotations

import secrets
from collections import namedtuple
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import LABEL_STYLE_TABLENAME_PLUS_COL, Table, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .prepared import Prepared
from .tables import order_events, order_items, order_tracking, orders
from .types import utcnow


@dataclass
class StoredItem:
    id: int
    position: int
    sku: str
    gp_sku: str
    artwork_code: str
    quantity: int
    choices: dict[str, Any]
    specs: dict[str, Any]
    image: dict[str, Any]
    notes: str
    external_item_number: str
    sidemark: str
    unit_retail_cents: int
    unit_cents: int


@dataclass
class StoredOrder:
    id: int
    merchant_id: int
    reference: str
    external_order_number: str | None
    status: str
    status_reason: str
    is_test: bool
    notes: str
    currency: str
    total_cents: int
    customer: dict[str, Any]
    shipping: dict[str, Any]
    billing: dict[str, Any] | None
    shipping_method: str
    purchase_date: datetime
    request_hash: str
    items: list[StoredItem] = field(default_factory=list)
    tracking: list[dict[str, str]] = field(default_factory=list)


@dataclass
class NewItem:
    sku: str
    gp_sku: str
    artwork_code: str
    quantity: int
    choices: dict[str, Any]
    specs: dict[str, Any]
    image: dict[str, Any]
    notes: str
    external_item_number: str
    sidemark: str
    unit_retail_cents: int
    unit_cents: int


@dataclass
class NewOrder:
    merchant_id: int
    external_order_number: str | None
    idempotency_key: str | None
    request_hash: str
    status: str
    is_test: bool
    notes: str
    currency: str
    customer: dict[str, Any]
    shipping: dict[str, Any]
    billing: dict[str, Any] | None
    shipping_method: str
    quote_id: str | None
    items: list[NewItem]

    @property
    def total_cents(self) -> int:
        return sum(i.unit_cents * i.quantity for i in self.items)


def new_reference() -> str:
    """easel's own order reference (``merchantOrderId`` at vendors): unguessable, never reused."""
    return "ES" + secrets.token_hex(8).upper()


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(12)


_INSERT_ORDER = Prepared(insert(orders).returning(orders.c.id))
_INSERT_ITEMS = Prepared(insert(order_items))
_INSERT_EVENT = Prepared(insert(order_events))
"""Built once: every order runs them (the values come as parameters; see prepared.py)."""


async def insert_order(conn: AsyncConnection, order: NewOrder, event_type: str, event_data: dict[str, Any]) -> int:
    """Insert the order, its items and its first event in the caller's transaction; returns the id."""
    now = utcnow()
    result = await _INSERT_ORDER.execute(conn, {
        "merchant_id": order.merchant_id, "reference": new_reference(),
        "external_order_number": order.external_order_number, "idempotency_key": order.idempotency_key,
        "request_hash": order.request_hash, "status": order.status, "is_test": order.is_test, "notes": order.notes,
        "currency": order.currency, "total_cents": order.total_cents, "customer": order.customer,
        "shipping": order.shipping, "billing": order.billing, "shipping_method": order.shipping_method,
        "quote_id": order.quote_id, "purchase_date": now, "updated_at": now,
    })
    order_id = int(result.scalar_one())
    await _INSERT_ITEMS.execute_many(conn, [
        {"order_id": order_id, "position": n, "sku": i.sku, "gp_sku": i.gp_sku, "artwork_code": i.artwork_code,
         "quantity": i.quantity, "choices": i.choices, "specs": i.specs, "image": i.image, "notes": i.notes,
         "external_item_number": i.external_item_number, "sidemark": i.sidemark,
         "unit_retail_cents": i.unit_retail_cents, "unit_cents": i.unit_cents}
        for n, i in enumerate(order.items)
    ])
    await add_event(conn, order_id, order.merchant_id, event_type, event_data)
    return order_id


async def add_event(conn: AsyncConnection, order_id: int, merchant_id: int, event_type: str,
                    data: dict[str, Any]) -> str:
    event_id = new_event_id()
    await _INSERT_EVENT.execute(conn, {"event_id": event_id, "order_id": order_id, "merchant_id": merchant_id,
                                       "type": event_type, "data": data, "created_at": utcnow()})
    return event_id


def _order(row: Any) -> StoredOrder:
    return StoredOrder(
        id=row.id, merchant_id=row.merchant_id, reference=row.reference,
        external_order_number=row.external_order_number, status=row.status, status_reason=row.status_reason,
        is_test=bool(row.is_test), notes=row.notes, currency=row.currency, total_cents=row.total_cents,
        customer=dict(row.customer), shipping=dict(row.shipping),
        billing=dict(row.billing) if row.billing else None, shipping_method=row.shipping_method,
        purchase_date=row.purchase_date, request_hash=row.request_hash,
    )


def _item(row: Any) -> StoredItem:
    return StoredItem(
        id=row.id, position=row.position, sku=row.sku, gp_sku=row.gp_sku, artwork_code=row.artwork_code,
        quantity=row.quantity, choices=dict(row.choices), specs=dict(row.specs), image=dict(row.image),
        notes=row.notes, external_item_number=row.external_item_number, sidemark=row.sidemark,
        unit_retail_cents=row.unit_retail_cents, unit_cents=row.unit_cents,
    )


async def _attach(conn: AsyncConnection, found: Sequence[StoredOrder]) -> list[StoredOrder]:
    if not found:
        return []
    by_id = {o.id: o for o in found}
    rows = await conn.execute(select(order_items).where(order_items.c.order_id.in_(by_id))
                              .order_by(order_items.c.order_id, order_items.c.position))
    for row in rows:
        by_id[row.order_id].items.append(_item(row))
    tracking = await conn.execute(select(order_tracking).where(order_tracking.c.order_id.in_(by_id))
                                  .order_by(order_tracking.c.id))
    for row in tracking:
        by_id[row.order_id].tracking.append({"number": row.number, "method": row.method, "url": row.url})
    return list(found)


# The API's hot path, built once: one order with its items and tracking in a single round trip.
_ORDER_WITH_PARTS = Prepared(
    select(orders, order_items, order_tracking)
    .join(order_items, order_items.c.order_id == orders.c.id, isouter=True)
    .join(order_tracking, order_tracking.c.order_id == orders.c.id, isouter=True)
    .where(orders.c.id == bindparam("order_id"), orders.c.merchant_id == bindparam("merchant_id"))
    .order_by(order_items.c.position, order_tracking.c.id)
    .set_label_style(LABEL_STYLE_TABLENAME_PLUS_COL)
)


def _row_type(table: Table) -> Any:
    """A joined row is the three tables' columns one after the other: these types cut it back into
    its parts by position (faster than looking each column up by name)."""
    return namedtuple(f"{table.name}_row", [c.name for c in table.c])


_OrderColumns = _row_type(orders)
_ItemColumns = _row_type(order_items)
_TrackingColumns = _row_type(order_tracking)
_ITEMS_AT = len(orders.c)
_TRACKING_AT = _ITEMS_AT + len(order_items.c)


async def order_for_merchant(conn: AsyncConnection, merchant_id: int, order_id: int) -> StoredOrder | None:
    """One order with its items and tracking, or None if this merchant has no such order."""
    rows = (await _ORDER_WITH_PARTS.execute(conn, {"order_id": order_id, "merchant_id": merchant_id})).all()
    if not rows:
        return None
    found = _order(_OrderColumns._make(rows[0][:_ITEMS_AT]))
    items: dict[int, StoredItem] = {}
    tracking: dict[int, dict[str, str]] = {}
    for row in rows:
        item = _ItemColumns._make(row[_ITEMS_AT:_TRACKING_AT])
        if item.id is not None and item.id not in items:
            items[item.id] = _item(item)
        mark = _TrackingColumns._make(row[_TRACKING_AT:])
        if mark.id is not None and mark.id not in tracking:
            tracking[mark.id] = {"number": mark.number, "method": mark.method, "url": mark.url}
    found.items = list(items.values())
    found.tracking = [tracking[k] for k in sorted(tracking)]
    return found


async def orders_page(conn: AsyncConnection, merchant_id: int, start: int, rows: int) -> tuple[list[StoredOrder], int]:
    total = int((await conn.execute(select(func.count()).select_from(orders)
                                    .where(orders.c.merchant_id == merchant_id))).scalar_one())
    found = (await conn.execute(select(orders).where(orders.c.merchant_id == merchant_id)
                                .order_by(orders.c.id).offset(start).limit(rows))).all()
    return await _attach(conn, [_order(r) for r in found]), total


# Built once: every order placed with a number or key asks one of them first.
_BY_IDEMPOTENCY = tuple(
    (select(orders).where(orders.c.merchant_id == bindparam("merchant_id"), column == bindparam("value")), name)
    for column, name in ((orders.c.idempotency_key, "Idempotency-Key"),
                         (orders.c.external_order_number, "external_order_number")))


async def order_by_idempotency(conn: AsyncConnection, merchant_id: int, external_order_number: str | None,
                               idempotency_key: str | None) -> tuple[StoredOrder, str] | None:
    """An earlier order with the same external_order_number or Idempotency-Key, and which one matched."""
    for (query, name), value in zip(_BY_IDEMPOTENCY, (idempotency_key, external_order_number), strict=True):
        if value is None:
            continue
        row = (await conn.execute(query, {"merchant_id": merchant_id, "value": value})).first()
        if row is not None:
            return _order(row), name
    return None


async def update_shipping(conn: AsyncConnection, merchant_id: int, order_id: int, shipping: dict[str, Any],
                          editable: Sequence[str]) -> bool:
    """Replace the shipping address if the order is still in an editable status; False otherwise."""
    result = await conn.execute(
        update(orders).where(orders.c.id == order_id, orders.c.merchant_id == merchant_id,
                             orders.c.status.in_(list(editable)))
        .values(shipping=shipping, updated_at=utcnow())
    )
    return bool(result.rowcount)


async def events_for_order(conn: AsyncConnection, merchant_id: int, order_id: int) -> list[dict[str, Any]]:
    rows = await conn.execute(select(order_events).where(order_events.c.order_id == order_id,
                                                         order_events.c.merchant_id == merchant_id)
                              .order_by(order_events.c.id))
    return [{"id": r.event_id, "type": r.type, "data": r.data, "created_at": r.created_at} for r in rows]
