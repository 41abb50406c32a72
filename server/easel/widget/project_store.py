"""Rows of the ``projects`` table: a shopper's saved configurations, per merchant and customer id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..storage.tables import projects
from ..storage.types import utcnow

MAX_PER_CUSTOMER = 500


@dataclass(frozen=True, slots=True)
class Project:
    id: int
    name: str
    artwork_code: str
    sku: str
    choices: dict[str, Any]
    created_at: datetime
    updated_at: datetime


def _project(row: Row[Any]) -> Project:
    return Project(row.id, row.name, row.artwork_code, row.sku, dict(row.choices), row.created_at, row.updated_at)


def _owned(merchant_id: int, customer_id: str, project_id: int) -> Any:
    return (projects.c.id == project_id) & (projects.c.merchant_id == merchant_id) & \
        (projects.c.customer_id == customer_id)


async def list_projects(conn: AsyncConnection, merchant_id: int, customer_id: str) -> list[Project]:
    rows = await conn.execute(select(projects).where(projects.c.merchant_id == merchant_id,
                                                     projects.c.customer_id == customer_id)
                              .order_by(projects.c.updated_at.desc(), projects.c.id.desc()))
    return [_project(r) for r in rows]


async def count_projects(conn: AsyncConnection, merchant_id: int, customer_id: str) -> int:
    query = select(func.count()).select_from(projects).where(projects.c.merchant_id == merchant_id,
                                                             projects.c.customer_id == customer_id)
    return int((await conn.execute(query)).scalar_one())


async def create_project(conn: AsyncConnection, merchant_id: int, customer_id: str, name: str, artwork_code: str,
                         sku: str, choices: dict[str, Any]) -> Project:
    now = utcnow()
    result = await conn.execute(insert(projects).values(
        merchant_id=merchant_id, customer_id=customer_id, name=name, artwork_code=artwork_code, sku=sku,
        choices=choices, created_at=now, updated_at=now).returning(projects.c.id))
    return Project(int(result.scalar_one()), name, artwork_code, sku, choices, now, now)


async def get_project(conn: AsyncConnection, merchant_id: int, customer_id: str, project_id: int) -> Project | None:
    row = (await conn.execute(select(projects).where(_owned(merchant_id, customer_id, project_id)))).first()
    return _project(row) if row else None


async def rename_project(conn: AsyncConnection, merchant_id: int, customer_id: str, project_id: int,
                         name: str) -> bool:
    result = await conn.execute(update(projects).where(_owned(merchant_id, customer_id, project_id))
                                .values(name=name, updated_at=utcnow()))
    return bool(result.rowcount)


async def delete_project(conn: AsyncConnection, merchant_id: int, customer_id: str, project_id: int) -> bool:
    result = await conn.execute(delete(projects).where(_owned(merchant_id, customer_id, project_id)))
    return bool(result.rowcount)
