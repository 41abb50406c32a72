"""Admin panel users and failed sign-ins: rows only, no rules (those live in ``services/users.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import admin_signin_failures, admin_users, merchants
from .types import utcnow


@dataclass(frozen=True)
class User:
    id: int
    email: str
    merchant_id: int | None
    merchant_name: str
    role: str
    password_hash: str | None
    session_version: int
    last_sign_in_at: datetime | None


@dataclass(frozen=True)
class Failures:
    failures: int
    last_failure_at: datetime
    locked_until: datetime | None


_USER = select(admin_users, merchants.c.username.label("merchant_name")).join(
    merchants, merchants.c.id == admin_users.c.merchant_id, isouter=True)


def _user(row: Row[Any]) -> User:
    return User(row.id, row.email, row.merchant_id, row.merchant_name or "", row.role, row.password_hash,
                row.session_version, row.last_sign_in_at)


async def insert_user(conn: AsyncConnection, email: str, merchant_id: int | None, role: str) -> int:
    now = utcnow()
    result = await conn.execute(insert(admin_users).values(
        email=email, merchant_id=merchant_id, role=role, created_at=now, updated_at=now).returning(admin_users.c.id))
    return int(result.scalar_one())


async def user_by_id(conn: AsyncConnection, user_id: int) -> User | None:
    row = (await conn.execute(_USER.where(admin_users.c.id == user_id))).first()
    return _user(row) if row else None


async def user_by_email(conn: AsyncConnection, email: str) -> User | None:
    row = (await conn.execute(_USER.where(admin_users.c.email == email))).first()
    return _user(row) if row else None


async def users_of_merchant(conn: AsyncConnection, merchant_id: int) -> list[User]:
    rows = await conn.execute(_USER.where(admin_users.c.merchant_id == merchant_id).order_by(admin_users.c.email))
    return [_user(r) for r in rows]


async def set_password_hash(conn: AsyncConnection, user_id: int, password_hash: str) -> None:
    """Store a new hash and end every session of the user (their cookies carry the old version)."""
    await conn.execute(update(admin_users).where(admin_users.c.id == user_id).values(
        password_hash=password_hash, session_version=admin_users.c.session_version + 1, updated_at=utcnow()))


async def bump_session_version(conn: AsyncConnection, user_id: int) -> None:
    await conn.execute(update(admin_users).where(admin_users.c.id == user_id).values(
        session_version=admin_users.c.session_version + 1, updated_at=utcnow()))


async def signed_in(conn: AsyncConnection, user_id: int, password_hash: str | None = None) -> None:
    """Record a sign-in (and a re-hashed password when the hasher's parameters changed)."""
    values: dict[str, Any] = {"last_sign_in_at": utcnow()}
    if password_hash is not None:
        values["password_hash"] = password_hash
    await conn.execute(update(admin_users).where(admin_users.c.id == user_id).values(**values))


# --- failed sign-ins ------------------------------------------------------------------------------------------

async def failures(conn: AsyncConnection, key: str) -> Failures | None:
    row = (await conn.execute(select(admin_signin_failures).where(admin_signin_failures.c.key == key))).first()
    return Failures(row.failures, row.last_failure_at, row.locked_until) if row else None


async def save_failures(conn: AsyncConnection, key: str, found: Failures) -> None:
    values = {"failures": found.failures, "last_failure_at": found.last_failure_at,
              "locked_until": found.locked_until}
    result = await conn.execute(update(admin_signin_failures).where(admin_signin_failures.c.key == key)
                                .values(**values))
    if not result.rowcount:
        await conn.execute(insert(admin_signin_failures).values(key=key, **values))


async def forget_failures(conn: AsyncConnection, key: str) -> None:
    await conn.execute(delete(admin_signin_failures).where(admin_signin_failures.c.key == key))


async def forget_failures_before(conn: AsyncConnection, cutoff: datetime) -> None:
    """Drop every count whose last failure is older than ``cutoff`` (its lock, if any, has ended), so
    sign-ins sprayed over many addresses or e-mails leave no rows behind."""
    await conn.execute(delete(admin_signin_failures).where(admin_signin_failures.c.last_failure_at < cutoff))
