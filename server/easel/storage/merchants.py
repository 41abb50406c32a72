"""Merchant rows: create, read, update, rotate secrets, widget api keys. Secrets stay encrypted here."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Row, Select, bindparam, func, insert, literal_column, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.merchants import Merchant
from ..domain.pricing import Markups
from .prepared import Prepared
from .tables import api_keys, merchant_vendor_accounts, merchants
from .types import utcnow

_OWN = merchant_vendor_accounts
_SEPARATOR: Any = literal_column("','")  # (typed as str; an expression is accepted and rendered as it is)
_OWN_ACCOUNTS = (select(func.aggregate_strings(_OWN.c.vendor + ":" + _OWN.c.mode, _SEPARATOR))
                 .where(_OWN.c.merchant_id == merchants.c.id).scalar_subquery().label("own_vendor_accounts"))
"""The merchant's own vendor accounts as ``vendor:mode,...``, read in the same query as the merchant (the
separator written into the SQL: as a string SQLAlchemy would render it into the SQL on every run)."""


def _selected() -> Select[Any]:
    return select(merchants, _OWN_ACCOUNTS)


def _own(text: str | None) -> frozenset[tuple[str, str]]:
    pairs = (item.partition(":") for item in (text or "").split(",") if item)
    return frozenset((vendor, mode) for vendor, _, mode in pairs)


def _merchant(row: Row[Any], keys: tuple[str, ...]) -> Merchant:
    return Merchant(
        id=row.id, username=row.username, email=row.email, name=row.name, currency=row.currency,
        test_mode=bool(row.test_mode), allowed_origins=tuple(row.allowed_origins or ()),
        cart_path=row.cart_path, cart_mode=row.cart_mode, login_url=row.login_url,
        callback_url=row.callback_url, markups=Markups.from_json(row.markups),
        require_customer_token=bool(row.require_customer_token), require_timestamp=bool(row.require_timestamp),
        pricing_requires_login=bool(row.pricing_requires_login),
        api_keys=keys, routing=dict(row.routing) if row.routing else None, rate_limit=row.rate_limit,
        own_vendor_accounts=_own(getattr(row, "own_vendor_accounts", None)),
    )


async def _keys(conn: AsyncConnection, merchant_id: int) -> tuple[str, ...]:
    result = await conn.execute(
        select(api_keys.c.key).where(api_keys.c.merchant_id == merchant_id, api_keys.c.revoked_at.is_(None))
        .order_by(api_keys.c.created_at, api_keys.c.key)
    )
    return tuple(result.scalars())


async def create_merchant(conn: AsyncConnection, username: str, secret_encrypted: str,
                          fields: Mapping[str, Any], api_key: str | None = None) -> Merchant:
    """Insert a merchant and its first widget api key (random unless given)."""
    now = utcnow()
    values: dict[str, Any] = {"allowed_origins": [], "markups": Markups().to_json(), **fields}
    if isinstance(values.get("markups"), Markups):
        values["markups"] = values["markups"].to_json()
    result = await conn.execute(
        insert(merchants).values(username=username, secret_encrypted=secret_encrypted, created_at=now,
                                 updated_at=now, **values).returning(merchants.c.id)
    )
    merchant_id = int(result.scalar_one())
    await conn.execute(insert(api_keys).values(key=api_key or new_api_key(), merchant_id=merchant_id,
                                               created_at=now))
    found = await merchant_by_id(conn, merchant_id)
    assert found is not None
    return found


def new_api_key() -> str:
    return "pk_" + secrets.token_urlsafe(18)


async def merchant_by_id(conn: AsyncConnection, merchant_id: int) -> Merchant | None:
    row = (await conn.execute(_selected().where(merchants.c.id == merchant_id))).first()
    return _merchant(row, await _keys(conn, row.id)) if row else None


_FOR_DISPATCH = Prepared(_selected().where(merchants.c.id == bindparam("merchant_id")))
"""Built once: every dispatched order reads its merchant."""


async def merchant_for_dispatch(conn: AsyncConnection, merchant_id: int) -> Merchant | None:
    """The merchant as fulfilment needs it: one statement, without its widget api keys (``api_keys`` is
    empty), which dispatch never uses."""
    row = (await _FOR_DISPATCH.execute(conn, {"merchant_id": merchant_id})).first()
    return _merchant(row, ()) if row else None


async def merchant_by_username(conn: AsyncConnection, username: str) -> Merchant | None:
    row = (await conn.execute(_selected().where(merchants.c.username == username))).first()
    return _merchant(row, await _keys(conn, row.id)) if row else None


async def merchant_by_api_key(conn: AsyncConnection, key: str) -> Merchant | None:
    row = (await conn.execute(
        _selected().join(api_keys, api_keys.c.merchant_id == merchants.c.id)
        .where(api_keys.c.key == key, api_keys.c.revoked_at.is_(None))
    )).first()
    return _merchant(row, await _keys(conn, row.id)) if row else None


async def list_merchants(conn: AsyncConnection) -> list[Merchant]:
    rows = (await conn.execute(_selected().order_by(merchants.c.id))).all()
    return [_merchant(row, await _keys(conn, row.id)) for row in rows]


async def encrypted_secret(conn: AsyncConnection, merchant_id: int) -> str:
    result = await conn.execute(select(merchants.c.secret_encrypted).where(merchants.c.id == merchant_id))
    return str(result.scalar_one())


async def update_merchant(conn: AsyncConnection, merchant_id: int, fields: Mapping[str, Any]) -> None:
    values = dict(fields)
    if isinstance(values.get("markups"), Markups):
        values["markups"] = values["markups"].to_json()
    await conn.execute(update(merchants).where(merchants.c.id == merchant_id).values(updated_at=utcnow(), **values))


async def add_api_key(conn: AsyncConnection, merchant_id: int, key: str | None = None) -> str:
    key = key or new_api_key()
    await conn.execute(insert(api_keys).values(key=key, merchant_id=merchant_id, created_at=utcnow()))
    return key


async def revoke_api_key(conn: AsyncConnection, merchant_id: int, key: str) -> bool:
    result = await conn.execute(
        update(api_keys).where(api_keys.c.key == key, api_keys.c.merchant_id == merchant_id,
                               api_keys.c.revoked_at.is_(None)).values(revoked_at=utcnow())
    )
    return bool(result.rowcount)
