"""Rate limits per merchant and per action (GET, POST, PUT, DELETE), in fixed windows.

``memory`` counts in this process (one server); ``database`` counts in the ``rate_counters`` table, so
every process on the same database shares one budget. Both report the limit and what remains, which the
order API returns on every response as ``X-Rate-Limit`` and ``X-Rate-Limit-Remaining``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from ..storage.tables import rate_counters


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
    async def hit(self, key: str) -> RateState: ...


class MemoryRateLimiter:
    def __init__(self, limit: int, window: int, clock: Callable[[], float] = time.time):
        self.limit = limit
        self.window = window
        self._clock = clock
        self._counts: dict[tuple[str, int], int] = {}

    async def hit(self, key: str) -> RateState:
        now = int(self._clock())
        start = now - now % self.window
        if len(self._counts) > 100_000:
            self._counts = {k: v for k, v in self._counts.items() if k[1] == start}
        count = self._counts.get((key, start), 0) + 1
        self._counts[(key, start)] = count
        return RateState(self.limit, self.limit - count, start + self.window - now)


class DatabaseRateLimiter:
    def __init__(self, engine: AsyncEngine, limit: int, window: int):
        self.engine = engine
        self.limit = limit
        self.window = window

    async def hit(self, key: str) -> RateState:
        now = int(time.time())
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
        return RateState(self.limit, self.limit - count, start + self.window - now)
