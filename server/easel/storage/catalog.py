"""Artwork rows, the artworks each shop hides, and the sku registry (sku → configuration choices).

An artwork is hidden from a shop when the operator hid it from every shop (``artworks.hidden``) or the
shop hid it from itself (a ``hidden_artworks`` row); ``_hidden`` is the one place that rule is written
(``search_artworks(shop=…)``, ``hidden_from`` and ``sku_for_shop`` ask it).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    Row,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    not_,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.catalog import Artwork
from ..domain.configuration import Resolved
from .prepared import Prepared
from .tables import artworks, configurations, hidden_artworks
from .types import utcnow
from .upsert import insert_ignoring_duplicates


def _artwork(row: Row[Any]) -> Artwork:
    return Artwork(row.code, row.title, row.artist, row.description, row.width_px, row.height_px, row.image,
                   tuple(s for s in row.substrates.split(",") if s), hidden=bool(row.hidden))


VISIBILITIES = ("shown", "hidden", "all")
"""The panel's filter: artworks a shop shows, those it does not (hidden by it or by the operator), or all."""


def _hidden_by_shop(shop: int | BindParameter[int]) -> ColumnElement[bool]:
    return exists().where(hidden_artworks.c.merchant_id == shop, hidden_artworks.c.artwork_code == artworks.c.code)


def _hidden(shop: int | BindParameter[int] | None) -> ColumnElement[bool]:
    """Hidden from ``shop`` (by the operator or by that shop); with no shop, hidden by the operator."""
    if shop is None:
        return artworks.c.hidden == true()
    return or_(artworks.c.hidden == true(), _hidden_by_shop(shop))


async def artwork_by_code(conn: AsyncConnection, code: str) -> Artwork | None:
    row = (await conn.execute(select(artworks).where(artworks.c.code == code))).first()
    return _artwork(row) if row else None


_IMAGES_OF = select(artworks.c.code, artworks.c.image).where(artworks.c.code.in_(bindparam("codes", expanding=True)))
_IMAGE_OF = Prepared(select(artworks.c.code, artworks.c.image).where(artworks.c.code == bindparam("code")))
"""Most orders show one artwork: its own statement skips the re-rendering of an expanding IN (fixed_in.py)."""


async def images_of(conn: AsyncConnection, codes: Iterable[str]) -> dict[str, str]:
    """The stored image (a file name or an URL) of each of these artworks that exists, in one statement."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    if len(wanted) == 1:
        rows = await _IMAGE_OF.execute(conn, {"code": wanted[0]})
    else:
        rows = await conn.execute(_IMAGES_OF, {"codes": wanted})
    return {row.code: row.image for row in rows}


async def all_artworks(conn: AsyncConnection) -> list[Artwork]:
    return [_artwork(r) for r in (await conn.execute(select(artworks).order_by(artworks.c.code))).all()]


async def count_artworks(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(func.count()).select_from(artworks))).scalar_one())


def _search_conditions(text: str, substrate: str, orientation: str, artist: str, shop: int | None = None,
                       visibility: str = "all") -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if visibility == "shown":
        where.append(not_(_hidden(shop)))
    elif visibility == "hidden":
        where.append(_hidden(shop))
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
                          artist: str = "", offset: int = 0, limit: int = 24, shop: int | None = None,
                          visibility: str = "all") -> tuple[list[Artwork], int]:
    """A page of artworks matching a free-text query and filters (by title, then code), and the total.
    ``visibility`` (one of VISIBILITIES) is as ``shop`` (a merchant id) sees it, or the operator when None:
    the widget and the order API ask for ``shown`` with their merchant's id."""
    where = and_(True, *_search_conditions(text, substrate, orientation, artist, shop, visibility))
    total = int((await conn.execute(select(func.count()).select_from(artworks).where(where))).scalar_one())
    rows = (await conn.execute(select(artworks).where(where).order_by(artworks.c.title, artworks.c.code)
                               .offset(offset).limit(limit))).all()
    return [_artwork(r) for r in rows], total


async def artists(conn: AsyncConnection, limit: int = 500, shop: int | None = None) -> list[str]:
    """Artist names for the widget's filter, alphabetically (with ``shop``, of artworks it shows)."""
    query = select(artworks.c.artist).distinct().order_by(artworks.c.artist).limit(limit)
    if shop is not None:
        query = query.where(not_(_hidden(shop)))
    return [str(name) for name in (await conn.execute(query)).scalars()]


async def hidden_by_shop(conn: AsyncConnection, shop: int) -> frozenset[str]:
    """Codes the shop hid from itself (not those the operator hid: ``Artwork.hidden`` says those)."""
    query = select(hidden_artworks.c.artwork_code).where(hidden_artworks.c.merchant_id == shop)
    return frozenset((await conn.execute(query)).scalars())


async def hidden_from(conn: AsyncConnection, shop: int, code: str) -> bool:
    """Whether the artwork is hidden from the shop, by the operator or by the shop (False if unknown)."""
    query = select(_hidden(shop)).select_from(artworks).where(artworks.c.code == code)
    return bool((await conn.execute(query)).scalar())


async def set_hidden_by_shop(conn: AsyncConnection, shop: int, code: str, hidden: bool) -> None:
    """Hide the artwork from the shop, or show it again (idempotent either way)."""
    if hidden:
        await insert_ignoring_duplicates(conn, hidden_artworks,
                                         [{"merchant_id": shop, "artwork_code": code, "hidden_at": utcnow()}])
    else:
        await conn.execute(delete(hidden_artworks).where(hidden_artworks.c.merchant_id == shop,
                                                         hidden_artworks.c.artwork_code == code))


async def upsert_artworks(conn: AsyncConnection, items: Sequence[Artwork],
                          keep_hidden: Collection[str] = ()) -> tuple[int, int]:
    """Insert new artworks and update existing ones (by code); returns (inserted, updated). Existing
    artworks whose code is in ``keep_hidden`` keep their ``hidden`` (an import row that leaves it out)."""
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
            values = _values(artwork)
            if artwork.code in keep_hidden:
                del values["hidden"]
            await conn.execute(update(artworks).where(artworks.c.code == artwork.code)
                               .values(**values, updated_at=now))
    return len(new), len(existing)


def _values(a: Artwork) -> dict[str, Any]:
    return {"code": a.code, "title": a.title, "artist": a.artist, "description": a.description,
            "width_px": a.width_px, "height_px": a.height_px, "image": a.image, "substrates": ",".join(a.substrates),
            "hidden": a.hidden}


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


# The order API's lookup of an item, built once: the sku's choices, its artwork (none once deleted) and
# whether that artwork is hidden from the shop, in one statement instead of three.
_SKU_FOR_SHOP = Prepared(
    select(configurations.c.choices, artworks, _hidden(bindparam("shop", type_=Integer)).label("hidden_from_shop"))
    .select_from(configurations.outerjoin(artworks, artworks.c.code == configurations.c.artwork_code))
    .where(configurations.c.sku == bindparam("sku"))
)


async def sku_for_shop(conn: AsyncConnection, sku: str, shop: int
                       ) -> tuple[dict[str, Any], Artwork | None, bool] | None:
    """What a registered sku stands for as ``shop`` sees it: (choices, its artwork or None when that was
    deleted, whether the artwork is hidden from the shop as ``hidden_from`` says); None for an unknown sku."""
    row = (await _SKU_FOR_SHOP.execute(conn, {"sku": sku, "shop": shop})).first()
    if row is None:
        return None
    if row.code is None:
        return dict(row.choices), None, False
    return dict(row.choices), _artwork(row), bool(row.hidden_from_shop)


async def choices_for_sku(conn: AsyncConnection, sku: str) -> tuple[str, dict[str, Any]] | None:
    row = (await conn.execute(select(configurations.c.artwork_code, configurations.c.choices)
                              .where(configurations.c.sku == sku))).first()
    return (row.artwork_code, dict(row.choices)) if row else None
