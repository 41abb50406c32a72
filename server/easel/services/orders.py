"""Placing and reading orders: the use cases behind the order API.

Creation resolves every item's sku to the configuration it stands for (applying the item's border and
security-hardware overrides), prices it, and writes the order, its items and its first event in one
transaction. A repeated ``external_order_number`` or ``Idempotency-Key`` returns the first order when
the request is the same and is a conflict when it differs; concurrent duplicates are settled by the
database's unique constraints, so exactly one order exists.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cachetools import LRUCache
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..domain.configuration import ConfigurationError
from ..domain.merchants import Merchant
from ..domain.orders import (
    EDITABLE_STATUSES,
    ItemBorder,
    OrderRequest,
    OrderStatus,
    OrderUpdateRequest,
    QuoteRequest,
)
from ..storage import orders as order_store
from ..storage.data_version import DataVersion
from ..storage.tables import quotes
from ..storage.types import utcnow
from .products import HiddenArtwork, Product, Products, UnknownSku

QUOTE_LIFETIME = timedelta(hours=24)


class OrderProblem(Exception):
    """The request cannot become an order; ``problems`` are (field path, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]], items: bool = True):
        self.problems = problems
        self.items = items
        super().__init__("; ".join(f"{p}: {m}" for p, m in problems))


class DuplicateOrder(Exception):
    def __init__(self, field: str, order_id: int):
        self.field = field
        self.order_id = order_id
        super().__init__(f"{field} was already used for order {order_id} with different content")


class NotEditable(Exception):
    pass


class QuoteProblem(Exception):
    pass


@dataclass(frozen=True)
class PricedItem:
    product: Product
    quantity: int


def request_hash(payload: dict[str, Any]) -> str:
    """A fingerprint of what was asked for (not how it was spelled), to recognise a repeat."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _border_choices(border: ItemBorder | None) -> dict[str, object]:
    if border is None:
        return {}
    choices: dict[str, object] = {}
    if border.type is not None:
        choices["border_type"] = border.type
    if border.size is not None:
        choices["border_width"] = border.size
    if border.color:
        choices["border_color"] = border.color
    return choices


_CHOICE_TO_FIELD = {"border_type": "border.type", "border_width": "border.size", "border_color": "border.color",
                    "security_hardware": "security_hardware"}


OrderCreatedHook = Callable[[AsyncConnection, Merchant, int], Awaitable[None]]


class Orders:
    def __init__(self, engine: AsyncEngine, products: Products, on_created: OrderCreatedHook | None = None,
                 cache_max_bytes: int = 8_000_000):
        self.engine = engine
        self.products = products
        # Called inside the order's own transaction, so work queued there is never lost or orphaned.
        self.on_created = on_created
        self.versions = DataVersion.of(engine)
        self._bodies: LRUCache[tuple[int, int], tuple[Hashable, bytes]] = LRUCache(
            max(1, cache_max_bytes), getsizeof=lambda entry: len(entry[1]) + 100)

    async def _price_item(self, merchant: Merchant, index: int, sku: str, border: ItemBorder | None,
                          hardware: bool | None, problems: list[tuple[str, str]], *, is_test: bool = False,
                          conn: AsyncConnection | None = None) -> Product | None:
        """The item priced, or None with its problems added: an unknown sku, choices that do not combine,
        or a configuration that cannot be made for the merchant in the order's mode."""
        prefix = f"items[{index}]"
        try:
            base = await self.products.by_sku(merchant, sku, conn=conn)
        except HiddenArtwork as err:
            problems.append((f"{prefix}.sku", str(err)))
            return None
        except UnknownSku:
            problems.append((f"{prefix}.sku", f"unknown sku {sku}"))
            return None
        overrides = _border_choices(border)
        if hardware is not None:
            overrides["security_hardware"] = hardware
        if not overrides:
            product = base
        else:
            choices = {**base.resolved.configuration.as_choices(), **overrides}
            if "border_type" in overrides and overrides["border_type"] != "color" and "border_color" not in overrides:
                choices["border_color"] = None
            try:
                product = self.products.price(merchant, base.artwork, choices)
            except ConfigurationError as err:
                for e in err.errors:
                    problems.append((f"{prefix}.{_CHOICE_TO_FIELD.get(e.field, e.field)}", e.message))
                return None
        reason = self.products.cannot_make(merchant, product.resolved.configuration, is_test=is_test)
        if reason:
            problems.append((f"{prefix}.sku", reason))
            return None
        return product

    async def unknown_skus(self, merchant: Merchant, raw_items: object) -> list[tuple[str, str]]:
        """Problems with the skus of items that did not validate as a whole (all problems, one answer)."""
        problems: list[tuple[str, str]] = []
        if not isinstance(raw_items, list):
            return problems
        for index, item in enumerate(raw_items[:100]):
            sku = item.get("sku") if isinstance(item, dict) else None
            if isinstance(sku, str) and len(sku) == 16 and all(c in "0123456789abcdef" for c in sku.lower()):
                try:
                    await self.products.by_sku(merchant, sku.lower())
                except HiddenArtwork as err:
                    problems.append((f"items[{index}].sku", str(err)))
                except UnknownSku:
                    problems.append((f"items[{index}].sku", f"unknown sku {sku}"))
        return problems

    async def create(self, merchant: Merchant, request: OrderRequest, idempotency_key: str | None
                     ) -> tuple[int, bool]:
        """Place an order; returns (its id, created). Raises OrderProblem, DuplicateOrder, QuoteProblem.
        (The answer is the id alone, so the order is not read back after it is written.)"""
        payload = request.model_dump(exclude={"timestamp"}, mode="json")
        fingerprint = request_hash(payload)
        existing = await self._existing(merchant, request.external_order_number, idempotency_key, fingerprint)
        if existing is not None:
            return existing, False

        try:
            # The skus (and a quote) are read on the transaction's connection: one check-out an order, not
            # one more for the reads. On SQLite nothing is locked before the first INSERT.
            async with self.engine.begin() as conn:
                new = await self._new_order(conn, merchant, request, idempotency_key, fingerprint)
                order_id = await order_store.insert_order(conn, new, "order.accepted",
                                                          {"status": OrderStatus.PENDING.value})
                if self.on_created is not None:
                    await self.on_created(conn, merchant, order_id)
        except IntegrityError:
            # A concurrent request with the same number or key won the race: answer as a repeat.
            existing = await self._existing(merchant, request.external_order_number, idempotency_key, fingerprint)
            if existing is None:
                raise
            return existing, False
        return order_id, True

    async def _new_order(self, conn: AsyncConnection, merchant: Merchant, request: OrderRequest,
                         idempotency_key: str | None, fingerprint: str) -> order_store.NewOrder:
        """The order to write, its items priced (OrderProblem, QuoteProblem when it cannot be)."""
        problems: list[tuple[str, str]] = []
        priced: list[tuple[Product, Any]] = []
        for index, item in enumerate(request.items):
            product = await self._price_item(merchant, index, item.sku, item.border, item.security_hardware, problems,
                                             is_test=bool(request.is_test), conn=conn)
            image = item.image
            if product is not None and image is not None:
                if image.type == "external" and not image.url:
                    problems.append((f"items[{index}].image.url", "is required when image.type is external"))
                if image.type == "newera" and image.code and image.code.upper() != product.artwork.code:
                    problems.append((f"items[{index}].image.code",
                                     f"{image.code} is not the artwork of sku {item.sku} ({product.artwork.code})"))
            if product is not None:
                priced.append((product, item))
        if problems:
            raise OrderProblem(problems)
        unit_prices = await self._quote_prices(conn, merchant, request) if request.quote_id else None

        new_items = []
        for position, (product, item) in enumerate(priced):
            image = item.image
            # The artwork's name and artist are kept with the item: an order must not change when the
            # catalogue does.
            image_json = {"type": "newera", "code": product.artwork.code, "url": "", "edition": "",
                          "name": product.artwork.title, "artist": product.artwork.artist}
            if image is not None:
                image_json.update(type=image.type, url=image.url, edition=image.edition)
            unit_cents = unit_prices[position] if unit_prices else product.list_cents
            new_items.append(order_store.NewItem(
                sku=item.sku, gp_sku=product.resolved.gp_sku, artwork_code=product.artwork.code,
                quantity=item.quantity, choices=product.resolved.configuration.as_choices(),
                specs=product.resolved.specs(), image=image_json, notes=item.notes,
                external_item_number=item.external_item_number, sidemark=item.sidemark,
                unit_retail_cents=product.price_cents, unit_cents=unit_cents,
            ))
        new = order_store.NewOrder(
            merchant_id=merchant.id, external_order_number=request.external_order_number,
            idempotency_key=idempotency_key, request_hash=fingerprint, status=OrderStatus.PENDING.value,
            is_test=merchant.test_mode or bool(request.is_test), notes=request.notes, currency=merchant.currency,
            customer=request.customer.model_dump(), shipping=request.shipping.model_dump(),
            billing=request.billing.model_dump() if request.billing else None,
            shipping_method=request.shipping.method, quote_id=request.quote_id, items=new_items,
        )
        return new

    async def _existing(self, merchant: Merchant, number: str | None, key: str | None,
                        fingerprint: str) -> int | None:
        if number is None and key is None:
            return None
        async with self.engine.connect() as conn:
            match = await order_store.order_by_idempotency(conn, merchant.id, number, key)
        if match is None:
            return None
        order, field = match
        if order.request_hash != fingerprint:
            raise DuplicateOrder(field, order.id)
        return order.id

    async def get(self, merchant: Merchant, order_id: int) -> order_store.StoredOrder | None:
        async with self.engine.connect() as conn:
            return await order_store.order_for_merchant(conn, merchant.id, order_id)

    async def get_rendered(self, merchant: Merchant, order_id: int,
                           render: Callable[[order_store.StoredOrder], bytes]) -> bytes | None:
        """``render(order)``, served again while nothing it shows has been committed changed since it was
        read (see storage/data_version: on SQLite any commit by any process makes every entry stale, on
        PostgreSQL any change to the order's rows; so a worker's status change is never missed); None if
        this merchant has no such order."""
        version = await self.versions.order(merchant.id, order_id)  # before the read: see kept()
        key = (merchant.id, order_id)
        if version is not None:
            entry = self._bodies.get(key)
            if entry is not None and entry[0] == version:
                return entry[1]
        order = await self.get(merchant, order_id)
        if order is None:
            return None
        body = render(order)
        if version is not None and len(body) + 100 <= self._bodies.maxsize:
            self._bodies[key] = (version, body)
        return body

    async def kept(self, merchant: Merchant, order_id: int) -> bytes | None:
        """The answer :meth:`get_rendered` kept for this order if it is still current, else None (then
        ask get_rendered). The version is read before an answer is made, so a change committed while it
        was being made leaves it stale, never wrong."""
        entry = self._bodies.get((merchant.id, order_id))
        if entry is None:
            return None
        version = await self.versions.order(merchant.id, order_id)
        return entry[1] if version is not None and entry[0] == version else None

    async def page(self, merchant: Merchant, start: int, rows: int) -> tuple[list[order_store.StoredOrder], int]:
        async with self.engine.connect() as conn:
            return await order_store.orders_page(conn, merchant.id, start, rows)

    async def update_shipping(self, merchant: Merchant, order_id: int, request: OrderUpdateRequest) -> bool:
        """Merge the given shipping fields; False if the order does not exist for this merchant.

        Raises NotEditable once the order has been sent to production.
        """
        async with self.engine.begin() as conn:
            order = await order_store.order_for_merchant(conn, merchant.id, order_id)
            if order is None:
                return False
            changes = request.shipping.model_dump(exclude_none=True)
            merged = {**order.shipping, **changes}
            if not await order_store.update_shipping(conn, merchant.id, order_id, merged,
                                                     [s.value for s in EDITABLE_STATUSES]):
                raise NotEditable(order.status)
            await order_store.add_event(conn, order_id, merchant.id, "order.updated",
                                        {"shipping": sorted(changes)})
        return True

    async def events(self, merchant: Merchant, order_id: int) -> list[dict[str, Any]] | None:
        async with self.engine.connect() as conn:
            if await order_store.order_for_merchant(conn, merchant.id, order_id) is None:
                return None
            return await order_store.events_for_order(conn, merchant.id, order_id)

    # --- quotes ------------------------------------------------------------------------------------------

    async def quote(self, merchant: Merchant, request: QuoteRequest) -> dict[str, Any]:
        problems: list[tuple[str, str]] = []
        lines: list[tuple[str, Product, int]] = []
        for index, item in enumerate(request.items):
            product = await self._price_item(merchant, index, item.sku, item.border, item.security_hardware, problems)
            if product is not None:
                lines.append((item.sku, product, item.quantity))
        if problems:
            raise OrderProblem(problems)
        quote_id = "q_" + secrets.token_urlsafe(16)
        now = utcnow()
        expires = now + QUOTE_LIFETIME
        items = [{"sku": sku, "quantity": q, "unit_cents": p.list_cents, "retail_cents": p.price_cents}
                 for sku, p, q in lines]
        total = sum(p.list_cents * q for _, p, q in lines)
        async with self.engine.begin() as conn:
            await conn.execute(quotes.insert().values(id=quote_id, merchant_id=merchant.id, items=items,
                                                      shipping_method="", total_cents=total,
                                                      currency=merchant.currency, expires_at=expires,
                                                      created_at=now))
        return {"id": quote_id, "expires_at": expires, "items": items, "lines": lines, "total_cents": total}

    async def _quote_prices(self, conn: AsyncConnection, merchant: Merchant, request: OrderRequest) -> list[int]:
        row = (await conn.execute(select(quotes).where(quotes.c.id == request.quote_id,
                                                       quotes.c.merchant_id == merchant.id))).first()
        if row is None:
            raise QuoteProblem(f"quote_id: unknown quote {request.quote_id}")
        if row.expires_at <= utcnow():
            raise QuoteProblem(f"quote_id: quote {request.quote_id} expired at {row.expires_at:%Y-%m-%d %H:%M:%S} UTC")
        wanted = [(i.sku, i.quantity) for i in request.items]
        quoted = [(i["sku"], i["quantity"]) for i in row.items]
        if wanted != quoted:
            raise QuoteProblem(f"quote_id: quote {request.quote_id} was made for other items or quantities")
        return [int(i["unit_cents"]) for i in row.items]
