"""What the widget keeps between requests in one process: merchants by key (briefly), rate limits,
the built assets, the preview renderer and the outbound HTTP guard.

It hangs off the Starlette app (``app.state.easel_widget``), made on first use from the runtime the
lifespan created, so two apps in one process (tests) never share it. The relay reaches loopback and
private addresses only with ``EASEL_CALLBACKS_ALLOW_PRIVATE`` (the demo's setting).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from cachetools import LRUCache
from starlette.requests import Request

from ..domain.catalog import Artwork
from ..domain.merchants import Merchant
from ..outbound import Outbound
from ..runtime import Runtime
from ..services.products import Product, UnknownArtwork
from ..storage import catalog as catalog_store
from ..storage import merchants as merchant_store
from ..ttl_cache import MISSING, TtlCache
from ..vendors.capability import Plan
from ..web.state import runtime_of
from ..web.templates import resource_dir
from .assets import WidgetAssets
from .http_cache import EncodedCache
from .offered import offered_tables
from .previews import Previews
from .rate_limit import Limit, RateLimiter

_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class WidgetState:
    def __init__(self, runtime: Runtime, *, outbound: Outbound | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.runtime = runtime
        self.clock = clock
        self.outbound = outbound or Outbound(runtime.http, allow_private=runtime.settings.callbacks_allow_private)
        self.assets = WidgetAssets(resource_dir("widget_assets"))
        self.scripts = EncodedCache()
        settings = runtime.settings
        self.previews = Previews(settings.data_dir / "cache" / "widget", runtime.tables,
                                 cache_bytes=settings.image_cache_bytes, max_pixels=settings.max_image_pixels)
        # Thumbnails and previews, per client address: EASEL_IMAGE_RATE_LIMIT per EASEL_IMAGE_RATE_WINDOW.
        self.pictures = RateLimiter(Limit(per_second=settings.image_rate_limit / settings.image_rate_window,
                                          burst=settings.image_rate_limit), clock=clock)
        # Per page (key + client address) and per key, for reads and for writes (cart, projects).
        self.reads = RateLimiter(Limit(per_second=30, burst=300), clock=clock)
        self.writes = RateLimiter(Limit(per_second=2, burst=40), clock=clock)
        self.key_reads = RateLimiter(Limit(per_second=500, burst=3000), clock=clock)
        self.key_writes = RateLimiter(Limit(per_second=50, burst=500), clock=clock)
        sizes = (settings.cache_ttl, settings.cache_max_entries, settings.cache_max_bytes)
        self._merchants: TtlCache[str, Merchant | None] = TtlCache(*sizes, clock=clock)
        self._secrets: TtlCache[int, str] = TtlCache(*sizes, clock=clock)
        self._artworks: TtlCache[str, Artwork] = TtlCache(*sizes, clock=clock)
        self._hidden: TtlCache[int, frozenset[str]] = TtlCache(*sizes, clock=clock)  # merchant id → codes it hid
        self._tables_json: LRUCache[Plan | None, dict[str, Any]] = LRUCache(maxsize=64)
        # The price answers of configurations shoppers clicked (every shopper of a shop clicks through the
        # same few hundred), reused only with the very merchant and artwork objects they were made from:
        # see api.price. Key → (merchant, artwork, body).
        self.price_answers: TtlCache[tuple[Any, ...], tuple[Merchant, Artwork, bytes]] = TtlCache(*sizes, clock=clock)
        # The answer to every widget's first search (no filter, first page), per merchant and widget base, with
        # facets or not: reused only with the very merchant object it was made for, at most EASEL_CACHE_TTL
        # stale, dropped by forget (an artwork hidden by the panel): see api.search. Key → (merchant, body).
        self.search_answers: TtlCache[tuple[Any, ...], tuple[Merchant, bytes]] = TtlCache(*sizes, clock=clock)
        self._registered: set[str] = set()

    async def merchant(self, api_key: str) -> Merchant | None:
        """The merchant of a widget key (``None`` if unknown or revoked), at most a few seconds stale."""
        if not _KEY.match(api_key):
            return None
        cached = self._merchants.get(api_key)
        if cached is not MISSING:
            return cached
        async with self.runtime.engine.connect() as conn:
            return self._merchants.put(api_key, await merchant_store.merchant_by_api_key(conn, api_key))

    async def secret(self, merchant: Merchant) -> str:
        """The merchant's API secret (the HMAC key of cart signatures and customer tokens)."""
        cached = self._secrets.get(merchant.id)
        if cached is not MISSING:
            return cached
        async with self.runtime.engine.connect() as conn:
            encrypted = await merchant_store.encrypted_secret(conn, merchant.id)
        return self._secrets.put(merchant.id, self.runtime.secrets.decrypt(encrypted))

    async def artwork(self, code: str) -> Artwork:
        """An artwork by code (``UnknownArtwork`` if none), at most a few seconds stale."""
        cached = self._artworks.get(code)
        if cached is not MISSING:
            return cached
        return self._artworks.put(code, await self.runtime.products.artwork(code))

    async def hidden_by_shop(self, merchant: Merchant) -> frozenset[str]:
        """The codes the merchant hid from its shop, at most ``EASEL_CACHE_TTL`` stale (at once in the
        process whose panel hid one: it calls :meth:`forget`)."""
        cached = self._hidden.get(merchant.id)
        if cached is not MISSING:
            return cached
        async with self.runtime.engine.connect() as conn:
            return self._hidden.put(merchant.id, await catalog_store.hidden_by_shop(conn, merchant.id))

    async def shown_artwork(self, merchant: Merchant, code: str) -> Artwork:
        """An artwork the merchant's shop shows; ``UnknownArtwork`` also when it is hidden from the shop (by
        the operator or by the shop), so a hidden artwork answers exactly as one that does not exist."""
        artwork = await self.artwork(code)
        if artwork.hidden or code in await self.hidden_by_shop(merchant):
            raise UnknownArtwork(code)
        return artwork

    async def price(self, merchant: Merchant, code: str, choices: Mapping[str, object], *,
                    remember: bool = True) -> Product:
        """Price choices for an artwork by code and, with ``remember``, register the sku (so the order
        API can resolve it later: a cart item, a saved project), with no database round trip for what
        this process has already seen: the artwork (briefly) and the skus it has registered. Anonymous
        price requests pass ``remember=False``, so they never grow the database."""
        product = self.runtime.products.offered(merchant, await self.shown_artwork(merchant, code), choices)
        sku = product.resolved.sku
        if remember and sku not in self._registered:
            async with self.runtime.engine.begin() as conn:
                await catalog_store.register_configurations(conn, [product.resolved])
            if len(self._registered) > 200_000:
                self._registered.clear()
            self._registered.add(sku)
        return product

    def tables_json(self, merchant: Merchant) -> dict[str, Any]:
        """The option tables as the merchant's widget needs them to offer only what combines and can be
        made (in the merchant's mode); one copy per set of routing rules and mode."""
        plan = self.runtime.products.plan(merchant)
        found = self._tables_json.get(plan)
        if found is None:
            offer = None if plan is None else plan.offer()
            found = self._tables_json[plan] = offered_tables(self.runtime.tables, offer)
        return found

    def forget(self) -> None:
        """Drop cached merchants, secrets, artworks, hidden artworks and first searches (after a change made in
        this process: the panel's settings and catalogue pages call it)."""
        self.search_answers.clear()
        self._merchants.clear()
        self._secrets.clear()
        self._artworks.clear()
        self._hidden.clear()


def widget_state(request: Request) -> WidgetState:
    app_state = request.app.state
    runtime = runtime_of(request)
    state: WidgetState | None = getattr(app_state, "easel_widget", None)
    if state is None or state.runtime is not runtime:
        state = WidgetState(runtime)
        app_state.easel_widget = state
    return state


def client_address(request: Request) -> str:
    client: Any = request.client
    return str(client.host) if client else "-"
