"""Products: a merchant's priced configuration of an artwork, what a sku stands for, and what is offered.

A configuration is registered in the sku registry when it goes into a cart or a project (the widget)
or is listed by the catalogue, so the order API can later turn a sku back into the exact configuration
(a sku is a one-way hash); merely pricing one stores nothing.

What a merchant offers is what can be made for it (``vendors/capability.py``), in its mode: the test
mode of the merchant (or of the order) sends to the vendors' sandbox accounts, so that mode decides.
:meth:`Products.offered` is what the widget prices, :meth:`Products.catalog` what ``GET /catalog``
lists, :meth:`Products.cannot_make` what quotes and orders check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..domain.catalog import Artwork
from ..domain.configuration import (
    CHOICE_FIELDS,
    Configuration,
    ConfigurationError,
    FieldError,
    Resolved,
    derive,
    resolve,
    standard_choices,
)
from ..domain.merchants import Merchant
from ..domain.options import OptionTables
from ..domain.pricing import PriceTable, list_price_cents, merchant_price_cents
from ..storage import catalog as catalog_store
from ..vendors.capability import Capability, Plan


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


class HiddenArtwork(UnknownSku):
    """The sku's artwork is hidden from the merchant's shop (by the operator or by the shop): the order API
    answers as for a sku it does not know, and orders and quotes are refused with this message."""

    def __init__(self, code: str) -> None:
        super().__init__(f"artwork {code} is not offered by this shop")


class NotOffered(ConfigurationError):
    """Valid choices that no vendor of the merchant can make (in its mode); the message says why."""

    def __init__(self, reason: str) -> None:
        super().__init__([FieldError("configuration", reason)])
        self.reason = reason


class Products:
    """Resolve, price and look up configurations for a merchant."""

    def __init__(self, engine: AsyncEngine, tables: OptionTables, prices: PriceTable,
                 capability: Capability | None = None):
        self.engine = engine
        self.tables = tables
        self.prices = prices
        self.capability = capability
        """None makes everything (an upstream Image2ART sandbox, which is the vendor itself)."""

    def price(self, merchant: Merchant, artwork: Artwork, choices: Mapping[str, object]) -> Product:
        """Validate and price choices (raises ConfigurationError), whether or not they can be made; does
        not touch the database."""
        resolved = resolve(artwork, choices, self.tables)
        return self._product(merchant, artwork, resolved)

    def plan(self, merchant: Merchant, is_test: bool = False) -> Plan | None:
        """What can be made for the merchant in its mode (or for a test order), None for everything."""
        if self.capability is None:
            return None
        return self.capability.plan(merchant.routing, is_test or merchant.test_mode, merchant.own_vendor_accounts)

    def cannot_make(self, merchant: Merchant, config: Configuration, *, is_test: bool = False) -> str | None:
        """None when the configuration can be made for the merchant (for a test order: ``is_test``),
        else why not: the one check quotes and orders make."""
        plan = self.plan(merchant, is_test)
        return None if plan is None else plan.verdict(config).reason

    def offered(self, merchant: Merchant, artwork: Artwork, choices: Mapping[str, object]) -> Product:
        """Price choices as the widget offers them: choices left out are filled so that the result can be
        made (the style's defaults when they can); raises ConfigurationError, or NotOffered when the
        choices made rule out every configuration that can be made."""
        resolved = resolve(artwork, choices, self.tables)
        plan = self.plan(merchant)
        if plan is not None:
            config = resolved.configuration
            verdict = plan.verdict(config)
            if verdict.reason is not None:
                given = tuple(name for name in CHOICE_FIELDS if choices.get(name) not in (None, ""))
                found = plan.complete(config, given, artwork.substrates, tuple(artwork.sizes(self.tables)))
                if found is None:
                    raise NotOffered(verdict.reason)
                resolved = derive(artwork, found, self.tables)
        return self._product(merchant, artwork, resolved)

    def catalog(self, merchant: Merchant, artwork: Artwork) -> list[Product]:
        """The artwork's standard configurations (``standard_choices``) that can be made for the merchant."""
        plan = self.plan(merchant)
        listed = [resolve(artwork, c, self.tables) for c in standard_choices(artwork, self.tables)]
        return [self._product(merchant, artwork, r) for r in listed
                if plan is None or plan.verdict(r.configuration).reason is None]

    def offered_sizes(self, merchant: Merchant, artwork: Artwork) -> tuple[list[str], list[str]]:
        """(substrates, sizes) of the artwork with which something can be made for the merchant."""
        sizes = artwork.sizes(self.tables)
        plan = self.plan(merchant)
        if plan is None:
            return list(artwork.substrates), sizes
        offer = plan.offer(tuple(artwork.substrates), tuple(sizes))
        return ([s for s in artwork.substrates if s in offer.substrates], [s for s in sizes if s in offer.sizes])

    def _product(self, merchant: Merchant, artwork: Artwork, resolved: Resolved) -> Product:
        return Product(artwork, resolved, list_price_cents(resolved, self.prices),
                       merchant_price_cents(resolved, self.prices, merchant.markups), merchant.currency)

    async def artwork(self, code: str) -> Artwork:
        async with self.engine.connect() as conn:
            found = await catalog_store.artwork_by_code(conn, code.upper())
        if found is None:
            raise UnknownArtwork(code)
        return found

    async def by_sku(self, merchant: Merchant, sku: str, *, offered: bool = False,
                     conn: AsyncConnection | None = None) -> Product:
        """What a sku is, priced for this merchant; UnknownSku if easel never registered it (HiddenArtwork,
        one, when its artwork is hidden from the merchant's shop). With
        ``offered``, NotOffered when it cannot be made for the merchant (``GET /products/:sku``). Read on
        ``conn`` when given (an order placed reads its skus on its own transaction's connection)."""
        if conn is not None:
            found = await catalog_store.sku_for_shop(conn, sku, merchant.id)
        else:
            async with self.engine.connect() as own:
                found = await catalog_store.sku_for_shop(own, sku, merchant.id)
        if found is None:
            raise UnknownSku(sku)
        choices, artwork, hidden = found
        if artwork is None:  # deleted from the catalogue since
            raise UnknownSku(sku)
        if hidden:
            raise HiddenArtwork(artwork.code)
        product = self.price(merchant, artwork, choices)
        if product.resolved.sku != sku:  # the artwork's master changed shape since: the sku is gone
            raise UnknownSku(sku)
        if offered:
            reason = self.cannot_make(merchant, product.resolved.configuration)
            if reason is not None:
                raise NotOffered(reason)
        return product
