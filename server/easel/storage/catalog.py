"""Artwork rows and the sku registry (sku → configuration choices)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.catalog import Artwork
from ..domain.configuration import Resolved
from .tables import artworks, configurations
from .types import utcnow
from .upsert import insert_ignoring_duplicates


def _artwork(row: Row[Any]) -> Artwork:
    return Artwork(row.code, row.title, row.artist, row.description, row.width_px, row.height_px, row.image,
                   tuple(s for s in row.substrates.split(",") if s))


async def artwork_by_code(conn: AsyncConnection, code: str) -> Artwork | None:
    row = (await conn.execute(select(artworks).where(artworks.c.code == code))).first()
    return _artwork(row) if row else None


async def all_artworks(conn: AsyncConnection) -> list[Artwork]:
    return [_artwork(r) for r in (await conn.execute(select(artworks).order_by(artworks.c.code))).all()]


async def count_artworks(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(func.count()).select_from(artworks))).scalar_one())


def _search_conditions(text: str, substrate: str, orientation: str, artist: str) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if text:
        like = f"%{text.lower().replace('%', '').replace('_', '')}%"
        where.append(or_(func.lower(artworks.c.title).like(like), func.lower(artworks.c.artist).like(like),
                         func.lower(artworks.c.code).like(like)))
    if substrate:
        where.append(artworks.c.substrates.like(f"%{substrate}%"))
    if orientation == "square":
        where.append(artworks.c.width_px == artworks.c.height_px)
    elif orientation == "landscape":
        where.append(artworks.c.width_px > artworks.c.height_px)
    elif orientation == "portrait":
        where.append(artworks.c.width_px < artworks.c.height_px)
    if artist:
        where.append(artworks.c.artist == artist)
    return where


async def search_artworks(conn: AsyncConnection, *, text: str = "", substrate: str = "", orientation: str = "",
                          artist: str = "", offset: int = 0, limit: int = 24) -> tuple[list[Artwork], int]:
    """A page of artworks matching a free-text query and filters (by title, then code), and the total."""
    where = and_(True, *_search_conditions(text, substrate, orientation, artist))
    total = int((await conn.execute(select(func.count()).select_from(artworks).where(where))).scalar_one())
    rows = (await conn.execute(select(artworks).where(where).order_by(artworks.c.title, artworks.c.code)
                               .offset(offset).limit(limit))).all()
    return [_artwork(r) for r in rows], total


async def artists(conn: AsyncConnection, limit: int = 500) -> list[str]:
    """Artist names for the widget's filter, alphabetically."""
    query = select(artworks.c.artist).distinct().order_by(artworks.c.artist).limit(limit)
    return [str(name) for name in (await conn.execute(query)).scalars()]


async def upsert_artworks(conn: AsyncConnection, items: Sequence[Artwork]) -> tuple[int, int]:
    """Insert new artworks and update existing ones (by code); returns (inserted, updated)."""
    now = utcnow()
    codes = [a.code for a in items]
    existing: set[str] = set()
    for start in range(0, len(codes), 500):
        chunk = codes[start:start + 500]
        existing.update((await conn.execute(select(artworks.c.code).where(artworks.c.code.in_(chunk)))).scalars())
    new = [a for a in items if a.code not in existing]
    if new:
        await conn.execute(insert(artworks), [_values(a) | {"created_at": now, "updated_at": now} for a in new])
    for artwork in items:
        if artwork.code in existing:
            await conn.execute(update(artworks).where(artworks.c.code == artwork.code)
                               .values(**_values(artwork), updated_at=now))
    return len(new), len(existing)


def _values(a: Artwork) -> dict[str, Any]:
    return {"code": a.code, "title": a.title, "artist": a.artist, "description": a.description,
            "width_px": a.width_px, "height_px": a.height_px, "image": a.image, "substrates": ",".join(a.substrates)}


async def delete_artwork(conn: AsyncConnection, code: str) -> None:
    await conn.execute(delete(artworks).where(artworks.c.code == code))


async def register_configurations(conn: AsyncConnection, items: Iterable[Resolved]) -> None:
    """Remember sku → choices for every resolved configuration not yet known (idempotent)."""
    by_sku = {r.sku: r for r in items}
    if not by_sku:
        return
    skus = list(by_sku)
    known: set[str] = set()
    for start in range(0, len(skus), 500):
        chunk = skus[start:start + 500]
        known.update((await conn.execute(select(configurations.c.sku).where(configurations.c.sku.in_(chunk))))
                     .scalars())
    now = utcnow()
    rows = [{"sku": sku, "artwork_code": r.configuration.artwork, "choices": r.configuration.as_choices(),
             "created_at": now} for sku, r in by_sku.items() if sku not in known]
    await insert_ignoring_duplicates(conn, configurations, rows)


async def choices_for_sku(conn: AsyncConnection, sku: str) -> tuple[str, dict[str, Any]] | None:
    row = (await conn.execute(select(configurations.c.artwork_code, configurations.c.choices)
                              .where(configurations.c.sku == sku))).first()
    return (row.artwork_code, dict(row.choices)) if row else None
