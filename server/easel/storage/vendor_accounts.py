"""Rows of merchants' own vendor accounts (``merchant_vendor_accounts``): the credentials stay encrypted here;
the service (``services/vendor_accounts.py``) encrypts, decrypts and validates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import merchant_vendor_accounts as table
from .types import utcnow


@dataclass(frozen=True)
class StoredAccount:
    merchant_id: int
    vendor: str
    mode: str
    base_url: str
    credentials_encrypted: str
    updated_at: datetime


def _stored(row: Row[Any]) -> StoredAccount:
    return StoredAccount(row.merchant_id, row.vendor, row.mode, row.base_url, row.credentials_encrypted,
                         row.updated_at)


async def accounts_of(conn: AsyncConnection, merchant_id: int) -> list[StoredAccount]:
    rows = (await conn.execute(select(table).where(table.c.merchant_id == merchant_id)
                               .order_by(table.c.vendor, table.c.mode))).all()
    return [_stored(r) for r in rows]


async def account(conn: AsyncConnection, merchant_id: int, vendor: str, mode: str) -> StoredAccount | None:
    row = (await conn.execute(select(table).where(table.c.merchant_id == merchant_id, table.c.vendor == vendor,
                                                  table.c.mode == mode))).first()
    return _stored(row) if row else None


async def put(conn: AsyncConnection, merchant_id: int, vendor: str, mode: str, base_url: str,
              credentials_encrypted: str) -> None:
    """Insert or replace the merchant's account for ``vendor`` and ``mode`` (in the caller's transaction,
    which has read the row first: the unique key refuses a racing second insert)."""
    now = utcnow()
    values = {"base_url": base_url, "credentials_encrypted": credentials_encrypted, "updated_at": now}
    changed = await conn.execute(update(table).where(table.c.merchant_id == merchant_id, table.c.vendor == vendor,
                                                     table.c.mode == mode).values(**values))
    if not changed.rowcount:
        await conn.execute(insert(table).values(merchant_id=merchant_id, vendor=vendor, mode=mode, created_at=now,
                                                **values))


async def remove(conn: AsyncConnection, merchant_id: int, vendor: str, mode: str) -> bool:
    result = await conn.execute(delete(table).where(table.c.merchant_id == merchant_id, table.c.vendor == vendor,
                                                    table.c.mode == mode))
    return bool(result.rowcount)
