"""The shared resources of a running easel: settings, database engine, option and price tables.

Created once in the app's lifespan (or by a CLI command) and handed down; nothing here is a module
global, so tests build their own with their own settings.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import redis.asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from .api.rate_limit import DatabaseRateLimiter, MemoryRateLimiter, RateLimiter, RedisRateLimiter
from .dispatch.build import build_dispatch
from .dispatch.service import Dispatch
from .domain.options import OptionTables, load_option_tables
from .domain.pricing import PriceTable, load_price_table
from .http_client import shared_client
from .secret_box import SecretBox, load_secret_box
from .services.merchant_directory import MerchantDirectory
from .services.orders import Orders
from .services.products import Products
from .settings import Settings, SettingsError
from .storage.engine import create_engine
from .vendors.capability import Capability


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    tables: OptionTables
    prices: PriceTable
    secrets: SecretBox
    products: Products
    http: httpx.AsyncClient
    merchants: MerchantDirectory
    orders: Orders
    rate_limiter: RateLimiter
    dispatch: Dispatch

    @classmethod
    def create(cls, settings: Settings, create_key: bool = False, builtin_sandboxes: bool = False) -> Runtime:
        """Build the runtime; raises SettingsError (one sentence) for a bad URL or key. With
        ``builtin_sandboxes`` (the demo), test orders go to the mounted sandboxes by default."""
        secrets = load_secret_box(settings, create=create_key)
        engine = create_engine(settings.resolved_database_url)
        tables = load_option_tables()
        prices = load_price_table(tables)
        http = shared_client()  # no cookie jar (shared by every merchant), cheaper connections
        limiter = _rate_limiter(settings, engine)
        dispatch = build_dispatch(settings, engine, secrets, tables, http, builtin_sandboxes=builtin_sandboxes)
        # What is offered is what can be made: the merchant's routing x mapping tables x accounts per mode.
        capability = Capability(dispatch.router, dispatch.accounts, tables, max_plans=settings.capability_plans)
        products = Products(engine, tables, prices, capability)
        orders = Orders(engine, products, on_created=dispatch.on_created, cache_max_bytes=settings.cache_max_bytes)
        return cls(settings, engine, tables, prices, secrets, products, http, MerchantDirectory(
            engine, secrets, settings.cache_ttl, settings.cache_max_entries, settings.cache_max_bytes),
                   orders, limiter, dispatch)

    async def close(self) -> None:
        await self.dispatch.meter.flush()  # vendor calls counted since the last write
        self.orders.versions.close()
        await self.http.aclose()
        await self.rate_limiter.close()
        await self.engine.dispose()


def _rate_limiter(settings: Settings, engine: AsyncEngine) -> RateLimiter:
    if settings.rate_limit_store == "database":
        return DatabaseRateLimiter(engine, settings.rate_limit, settings.rate_window)
    if settings.rate_limit_store == "redis":
        try:
            client = redis.asyncio.Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
        except ValueError as err:
            raise SettingsError(f"EASEL_REDIS_URL is not a Redis URL: {err}") from None
        return RedisRateLimiter(client, settings.rate_limit, settings.rate_window)
    return MemoryRateLimiter(settings.rate_limit, settings.rate_window)
