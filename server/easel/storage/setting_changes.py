"""Rows of the settings history (``setting_changes``): written with the change, read newest first."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import false, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import setting_changes
from .types import utcnow

VALUE_LIMIT = 2000


@dataclass(frozen=True)
class SettingChange:
    actor: str
    field: str
    old: str
    new: str
    changed_at: datetime


async def record(conn: AsyncConnection, merchant_id: int, actor: str,
                 changes: Iterable[tuple[str, str, str]]) -> None:
    """Insert one row per ``(field, old, new)``, all with the same time, in the caller's transaction."""
    now = utcnow()
    rows = [{"merchant_id": merchant_id, "actor": actor[:254], "field": field[:80], "old_value": old[:VALUE_LIMIT],
             "new_value": new[:VALUE_LIMIT], "changed_at": now} for field, old, new in changes]
    if rows:
        await conn.execute(insert(setting_changes), rows)


async def recent(conn: AsyncConnection, merchant_id: int, fields: Sequence[str] | None = None,
                 limit: int = 100) -> list[SettingChange]:
    """The newest changes first; ``fields`` limits them to those names (a name ending in a space, such as
    ``"markup "``, matches every field it begins: ``markup PF``, ``markup CA``)."""
    query = select(setting_changes).where(setting_changes.c.merchant_id == merchant_id)
    if fields is not None:
        query = query.where(or_(false(), *[setting_changes.c.field.startswith(f) if f.endswith(" ")
                                           else setting_changes.c.field == f for f in fields]))
    rows = (await conn.execute(query.order_by(setting_changes.c.id.desc()).limit(limit))).all()
    return [SettingChange(r.actor, r.field, r.old_value, r.new_value, r.changed_at) for r in rows]
