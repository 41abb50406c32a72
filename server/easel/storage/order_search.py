"""Read-only order queries of the admin panel: search and filters, dashboard counts, attention lists.

Like ``storage/orders.py``, every query is confined to one merchant id. Nothing here changes a row.

The orders list stays fast with 100,000 orders (``tests/bench/bench_admin_orders.py``): a status filter
walks the ``(merchant_id, status, id)`` index (migration 0009); a text search first looks for the words in
the customer's stored JSON text, which costs a fraction of extracting and lowering its fields in every row
(only rows that pass are checked field by field); and the matches are counted only up to a cap, and not
at all when the page shown is the list's last.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Text, and_, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import jobs, order_events, orders


@dataclass(frozen=True)
class OrderFilter:
    """What the orders list was asked for; every field optional."""

    text: str = ""
    status: str = ""
    since: date | None = None
    until: date | None = None  # inclusive
    mode: str = ""  # "test", "live" or "" for both


@dataclass(frozen=True)
class OrderRow:
    id: int
    external_order_number: str | None
    status: str
    status_reason: str
    is_test: bool
    customer_name: str
    customer_email: str
    total_cents: int
    currency: str
    purchase_date: datetime


def _start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _in_customer_text(dialect: str, needle: str) -> ColumnElement[bool] | None:
    """A cheap condition every row whose customer name or e-mail contains ``needle`` meets: the needle in
    the column's JSON text, ASCII case ignored. Only for needles JSON stores verbatim (printable ASCII but
    the quote and backslash); None for others, which are looked for in the fields alone. (A PostgreSQL
    ``lower()`` that folds a non-ASCII letter to ASCII, as the Kelvin sign to k, is not matched by it.)"""
    if not (needle.isascii() and needle.isprintable()) or '"' in needle or "\\" in needle:
        return None
    stored = cast(orders.c.customer, Text)
    if dialect == "sqlite":
        return stored.contains(needle, autoescape=True)  # SQLite's LIKE ignores ASCII case by itself
    return stored.icontains(needle, autoescape=True)


def _conditions(merchant_id: int, wanted: OrderFilter, dialect: str = "") -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [orders.c.merchant_id == merchant_id]
    text = wanted.text.strip()
    if text:
        needle = text.lower()
        in_fields = or_(func.lower(orders.c.customer["name"].as_string()).contains(needle, autoescape=True),
                        func.lower(orders.c.customer["email"].as_string()).contains(needle, autoescape=True))
        cheap = _in_customer_text(dialect, needle)
        matches: list[ColumnElement[bool]] = [orders.c.external_order_number == text,
                                              in_fields if cheap is None else and_(cheap, in_fields)]
        if text.isdigit() and len(text) < 18:
            matches.append(orders.c.id == int(text))
        where.append(or_(*matches))
    if wanted.status:
        where.append(orders.c.status == wanted.status)
    if wanted.since is not None:
        where.append(orders.c.purchase_date >= _start(wanted.since))
    if wanted.until is not None:
        where.append(orders.c.purchase_date < _start(wanted.until + timedelta(days=1)))
    if wanted.mode:
        where.append(orders.c.is_test.is_(wanted.mode == "test"))
    return where


def _indexed(wanted: OrderFilter) -> bool:
    """Whether ``ix_orders_merchant_status`` (or ``ix_orders_merchant_id``) alone answers the filter."""
    return not wanted.text.strip() and wanted.since is None and wanted.until is None and not wanted.mode


async def search(conn: AsyncConnection, merchant_id: int, wanted: OrderFilter, *, offset: int, limit: int,
                 count_max: int | None = None) -> tuple[list[OrderRow], int, bool]:
    """One page of the merchant's orders matching ``wanted``, newest first, how many match in all, and
    whether that count is exact (False: at least that many).

    A page shorter than ``limit`` ends the list, so its total needs no count at all. Otherwise an index
    counts the orders of a status (or all of them) cheaply, exactly; matches of a search, dates or a mode
    are read row by row, so with ``count_max`` they are counted up to ``offset + count_max`` only."""
    where = and_(*_conditions(merchant_id, wanted, conn.dialect.name))
    rows = (await conn.execute(
        select(orders.c.id, orders.c.external_order_number, orders.c.status, orders.c.status_reason,
               orders.c.is_test, orders.c.customer, orders.c.total_cents, orders.c.currency,
               orders.c.purchase_date)
        .where(where).order_by(orders.c.id.desc()).offset(offset).limit(limit))).all()
    exact = True
    if 0 < len(rows) < limit or (offset == 0 and not rows):
        total = offset + len(rows)
    elif count_max is None or _indexed(wanted):
        total = int((await conn.execute(select(func.count()).select_from(orders).where(where))).scalar_one())
    else:
        first = select(orders.c.id).where(where).limit(offset + count_max + 1).subquery()
        total = int((await conn.execute(select(func.count()).select_from(first))).scalar_one())
        if total > offset + count_max:
            total, exact = offset + count_max, False
    return [OrderRow(r.id, r.external_order_number, r.status, r.status_reason, bool(r.is_test),
                     str((r.customer or {}).get("name", "")), str((r.customer or {}).get("email", "")),
                     r.total_cents, r.currency, r.purchase_date) for r in rows], total, exact


async def counts_by_status(conn: AsyncConnection, merchant_id: int, since: datetime) -> dict[str, int]:
    rows = await conn.execute(select(orders.c.status, func.count())
                              .where(orders.c.merchant_id == merchant_id, orders.c.purchase_date >= since)
                              .group_by(orders.c.status))
    return {str(r[0]): int(r[1]) for r in rows}


def _day(conn: AsyncConnection, column: Any) -> Any:
    if conn.dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM-DD")
    return func.strftime("%Y-%m-%d", column)


async def daily_totals(conn: AsyncConnection, merchant_id: int, since: datetime) -> dict[str, tuple[int, int]]:
    """Orders and their total (cents) per UTC day since ``since``, by ``YYYY-MM-DD``."""
    day = _day(conn, orders.c.purchase_date).label("day")
    rows = await conn.execute(select(day, func.count(), func.coalesce(func.sum(orders.c.total_cents), 0))
                              .where(orders.c.merchant_id == merchant_id, orders.c.purchase_date >= since)
                              .group_by(day))
    return {str(r[0]): (int(r[1]), int(r[2])) for r in rows}


async def on_hold(conn: AsyncConnection, merchant_id: int, limit: int) -> list[OrderRow]:
    found, _, _ = await search(conn, merchant_id, OrderFilter(status="On Hold"), offset=0, limit=limit)
    return found


@dataclass(frozen=True)
class ParkedJob:
    id: int
    kind: str
    order_id: int
    attempts: int
    last_error: str
    updated_at: datetime


async def parked_jobs(conn: AsyncConnection, merchant_id: int, limit: int,
                      order_id: int | None = None) -> list[ParkedJob]:
    """The merchant's parked jobs (those of its orders), newest first."""
    query = (select(jobs).join(orders, orders.c.id == jobs.c.order_id)
             .where(orders.c.merchant_id == merchant_id, jobs.c.status == "parked"))
    if order_id is not None:
        query = query.where(jobs.c.order_id == order_id)
    rows = await conn.execute(query.order_by(jobs.c.id.desc()).limit(limit))
    return [ParkedJob(r.id, r.kind, r.order_id, r.attempts, r.last_error, r.updated_at) for r in rows]


async def job_order(conn: AsyncConnection, merchant_id: int, job_id: int) -> int | None:
    """The order of a job, if the job is one of this merchant's orders' jobs."""
    row = (await conn.execute(select(jobs.c.order_id).join(orders, orders.c.id == jobs.c.order_id)
                              .where(jobs.c.id == job_id, orders.c.merchant_id == merchant_id))).first()
    return int(row[0]) if row else None


@dataclass(frozen=True)
class Delivery:
    """An order event and its delivery to the merchant's callback URL."""

    event_id: str
    order_id: int
    type: str
    data: dict[str, Any]
    created_at: datetime
    state: str
    attempts: int
    next_at: datetime | None
    delivered_at: datetime | None
    answer: str


def _delivery(r: Any) -> Delivery:
    return Delivery(r.event_id, r.order_id, r.type, dict(r.data), r.created_at, r.delivery_state,
                    r.delivery_attempts, r.delivery_next_at, r.delivered_at, r.delivery_error)


async def failing_callbacks(conn: AsyncConnection, merchant_id: int, limit: int) -> list[Delivery]:
    """Events whose delivery gave up, or is still pending after failed attempts."""
    rows = await conn.execute(
        select(order_events).where(order_events.c.merchant_id == merchant_id, or_(
            order_events.c.delivery_state == "failed",
            and_(order_events.c.delivery_state == "pending", order_events.c.delivery_attempts > 0)))
        .order_by(order_events.c.id.desc()).limit(limit))
    return [_delivery(r) for r in rows]


async def deliveries(conn: AsyncConnection, merchant_id: int, order_id: int) -> list[Delivery]:
    rows = await conn.execute(select(order_events).where(order_events.c.order_id == order_id,
                                                         order_events.c.merchant_id == merchant_id)
                              .order_by(order_events.c.id))
    return [_delivery(r) for r in rows]
