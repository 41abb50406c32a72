"""Vendor calls and failures per merchant, vendor and hour (``vendor_call_counts``): added to in batches by
each process's meter (``services/vendor_calls.py``), summed for the panel's error rates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import vendor_call_counts as table

LAST_ERROR_LIMIT = 500


@dataclass(frozen=True)
class HourCount:
    merchant_id: int
    vendor: str
    hour: datetime
    calls: int
    errors: int
    last_error: str = ""


@dataclass(frozen=True)
class VendorRate:
    vendor: str
    calls: int
    errors: int
    last_error: str
    last_error_hour: datetime | None

    @property
    def error_percent(self) -> float:
        return 100.0 * self.errors / self.calls if self.calls else 0.0


async def add(conn: AsyncConnection, counts: Sequence[HourCount]) -> None:
    """Add ``counts`` to their rows (made when missing) in one statement: ``INSERT … ON CONFLICT DO UPDATE``,
    which both dialects have; a batch's last error replaces the row's."""
    if not counts:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    new = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.merchant_id, table.c.vendor, table.c.hour],
        set_={"calls": table.c.calls + new.calls, "errors": table.c.errors + new.errors,
              "last_error": case((new.last_error != "", new.last_error), else_=table.c.last_error)})
    await conn.execute(statement, [{"merchant_id": c.merchant_id, "vendor": c.vendor, "hour": c.hour,
                                    "calls": c.calls, "errors": c.errors,
                                    "last_error": c.last_error[:LAST_ERROR_LIMIT]} for c in counts])


async def rates_since(conn: AsyncConnection, merchant_id: int, since: datetime) -> dict[str, VendorRate]:
    """Per vendor: calls and errors of the merchant since ``since`` (whole hours), and the latest error."""
    totals = (await conn.execute(
        select(table.c.vendor, func.sum(table.c.calls), func.sum(table.c.errors))
        .where(table.c.merchant_id == merchant_id, table.c.hour >= since).group_by(table.c.vendor))).all()
    latest = (await conn.execute(
        select(table.c.vendor, table.c.hour, table.c.last_error)
        .where(table.c.merchant_id == merchant_id, table.c.hour >= since, table.c.last_error != "")
        .order_by(table.c.hour.desc()))).all()
    last: dict[str, tuple[str, datetime]] = {}
    for row in latest:
        last.setdefault(row.vendor, (row.last_error, row.hour))
    return {vendor: VendorRate(vendor, int(calls or 0), int(errors or 0), *last.get(vendor, ("", None)))
            for vendor, calls, errors in totals}
