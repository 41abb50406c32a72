"""The widget's catalogue queries: a page of artworks by text, substrate, orientation and artist.

``storage.catalog.search_artworks`` has no orientation filter, which the widget's sidebar offers, so the
widget's search is written here over the same table (it could move into storage with that parameter).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.catalog import Artwork
from ..storage.tables import artworks

ORIENTATIONS = ("portrait", "landscape", "square")


def _conditions(text: str, substrate: str, orientation: str, artist: str) -> list[ColumnElement[bool]]:
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


async def search(conn: AsyncConnection, *, text: str = "", substrate: str = "", orientation: str = "",
                 artist: str = "", offset: int = 0, limit: int = 24) -> tuple[list[Artwork], int]:
    """A page of matching artworks (by title, then code) and how many match in all."""
    where = and_(True, *_conditions(text, substrate, orientation, artist))
    total = int((await conn.execute(select(func.count()).select_from(artworks).where(where))).scalar_one())
    rows = (await conn.execute(select(artworks).where(where).order_by(artworks.c.title, artworks.c.code)
                               .offset(offset).limit(limit))).all()
    return [Artwork(r.code, r.title, r.artist, r.description, r.width_px, r.height_px, r.image,
                    tuple(s for s in r.substrates.split(",") if s)) for r in rows], total


async def artists(conn: AsyncConnection, limit: int = 500) -> list[str]:
    """Artist names for the sidebar's filter, alphabetically."""
    query = select(artworks.c.artist).distinct().order_by(artworks.c.artist).limit(limit)
    return [str(name) for name in (await conn.execute(query)).scalars()]
