"""Rate limits in fixed windows, per key: the order API's key is merchant, method and endpoint
(``7:GET /orders/:id``), as the document puts it, "for each GET and POST action available for each endpoint".

``memory`` counts in this process (one server; a bounded cache, expired windows dropped); ``database``
counts in the ``rate_counters`` table and ``redis`` in a Redis key per key and window, so every process
sharing them shares one budget. The limit comes with each hit (a merchant may have its own; ``None`` is
the store's default, ``EASEL_RATE_LIMIT``). Each reports the limit and what remains, which the order API
returns on every response to a known merchant as ``X-Rate-Limit`` and ``X-Rate-Limit-Remaining``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio
import redis.exceptions
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from ..redact import redact_text
from ..storage.tables import rate_counters

log = logging.getLogger("easel.api")


@dataclass(frozen=True)
class RateState:
    limit: int
    remaining: int
    reset_in: int  # seconds until the window ends

    @property
    def allowed(self) -> bool:
        return self.remaining >= 0

    def headers(self) -> dict[str, str]:
        return {"X-Rate-Limit": str(self.limit), "X-Rate-Limit-Remaining": str(max(0, self.remaining))}


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: int | None = None) -> RateState:
        """Count one request under ``key``; ``limit`` overrides the store's default for this key."""
        ...

    async def close(self) -> None:
        """Let go of what the store holds open (a Redis connection pool); most hold nothing."""


class MemoryRateLimiter:
    """Counters of this process, at most ``max_keys`` of them (the least recently counted go first); the
    windows are fixed and shared by every key, so a new window forgets every counter at once."""

    def __init__(self, limit: int, window: int, clock: Callable[[], float] = time.time, max_keys: int = 100_000):
        self.limit = limit
        self.window = window
        self._clock = clock
        self._max_keys = max(1, max_keys)
        self._start: int | None = None  # the window the counters are of
        self._counts: dict[str, int] = {}  # a plain dict: this is on every signed request's path

    async def hit(self, key: str, limit: int | None = None) -> RateState:
        limit = limit or self.limit
        now = int(self._clock())
        start = now - now % self.window
        counts = self._counts
        if start != self._start:
            counts.clear()
            self._start = start
        count = counts.pop(key, 0) + 1
        if count == 1 and len(counts) >= self._max_keys:
            del counts[next(iter(counts))]
        counts[key] = count
        return RateState(limit, limit - count, start + self.window - now)

    async def close(self) -> None:
        pass


class DatabaseRateLimiter:
    def __init__(self, engine: AsyncEngine, limit: int, window: int, clock: Callable[[], float] = time.time):
        self.engine = engine
        self.limit = limit
        self.window = window
        self._clock = clock

    async def hit(self, key: str, limit: int | None = None) -> RateState:
        limit = limit or self.limit
        now = int(self._clock())
        start = now - now % self.window
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(rate_counters).values(key=key, window_start=start, count=1)
        statement = statement.on_conflict_do_update(index_elements=["key", "window_start"],
                                                    set_={"count": rate_counters.c.count + 1})
        async with self.engine.begin() as conn:
            await conn.execute(statement)
            count = int((await conn.execute(select(rate_counters.c.count).where(
                rate_counters.c.key == key, rate_counters.c.window_start == start))).scalar_one())
            if count == 1:  # first hit of a window: forget this key's older windows
                await conn.execute(delete(rate_counters).where(rate_counters.c.key == key,
                                                               rate_counters.c.window_start < start))
        return RateState(limit, limit - count, start + self.window - now)

    async def close(self) -> None:
        pass  # the engine is the runtime's to dispose of


class RedisRateLimiter:
    """Counts in Redis: one key per merchant, action and window, incremented and given its expiry (a
    minute after the window's end) in one transaction. If Redis cannot be reached the request is let through and a
    warning logged: an outage of the counter must not stop merchants from placing orders."""

    def __init__(self, client: redis.asyncio.Redis, limit: int, window: int,
                 clock: Callable[[], float] = time.time, prefix: str = "easel:rate:"):
        self.client = client
        self.limit = limit
        self.window = window
        self._clock = clock
        self.prefix = prefix

    async def hit(self, key: str, limit: int | None = None) -> RateState:
        limit = limit or self.limit
        now = int(self._clock())
        start = now - now % self.window
        name = f"{self.prefix}{key}:{start}"
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.expire(name, start + self.window - now + 60)  # relative: Redis's clock may differ
                count, _ = await pipe.execute()
        except (redis.exceptions.RedisError, OSError) as err:
            log.warning("rate limit not counted (Redis: %s); request let through", redact_text(str(err)))
            return RateState(limit, limit, start + self.window - now)
        return RateState(limit, limit - int(count), start + self.window - now)

    async def close(self) -> None:
        await self.client.aclose()
