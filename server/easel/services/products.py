"""Products: a merchant's priced configuration of an artwork, and what a sku stands for.

Every configuration priced here is remembered in the sku registry, so the order API can later turn a
sku from a cart back into the exact configuration (a sku is a one-way hash).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from ..domain.catalog import Artwork
from ..domain.configuration import Resolved, resolve
from ..domain.merchants import Merchant
from ..domain.options import OptionTables
from ..domain.pricing import PriceTable, list_price_cents, merchant_price_cents
from ..storage import catalog as catalog_store


@dataclass(frozen=True, slots=True)
class Product:
    artwork: Artwork
    resolved: Resolved
    list_cents: int
    price_cents: int
    currency: str


class UnknownArtwork(LookupError):
    pass


class UnknownSku(LookupError):
    pass


class Products:
    """Resolve, price and look up configurations for a merchant."""

    def __init__(self, engine: AsyncEngine, tables: OptionTables, prices: PriceTable):
        self.engine = engine
        self.tables = tables
        self.prices = prices

    def price(self, merchant: Merchant, artwork: Artwork, choices: Mapping[str, object]) -> Product:
        """Validate and price choices (raises ConfigurationError); does not touch the database."""
        resolved = resolve(artwork, choices, self.tables)
        return self._product(merchant, artwork, resolved)

    def _product(self, merchant: Merchant, artwork: Artwork, resolved: Resolved) -> Product:
        return Product(artwork, resolved, list_price_cents(resolved, self.prices),
                       merchant_price_cents(resolved, self.prices, merchant.markups), merchant.currency)

    async def artwork(self, code: str) -> Artwork:
        async with self.engine.connect() as conn:
            found = await catalog_store.artwork_by_code(conn, code.upper())
        if found is None:
            raise UnknownArtwork(code)
        return found

    async def by_sku(self, merchant: Merchant, sku: str) -> Product:
        """What a sku is, priced for this merchant; UnknownSku if easel never priced it."""
        async with self.engine.connect() as conn:
            found = await catalog_store.choices_for_sku(conn, sku)
            if found is None:
                raise UnknownSku(sku)
            artwork = await catalog_store.artwork_by_code(conn, found[0])
        if artwork is None:
            raise UnknownSku(sku)
        product = self.price(merchant, artwork, found[1])
        if product.resolved.sku != sku:  # the artwork's master changed shape since: the sku is gone
            raise UnknownSku(sku)
        return product
