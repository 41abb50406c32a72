"""Per-key request limits, in this process: token buckets that refill continuously.

They exist to blunt abuse of one widget key (scraping prices, flooding a shop's cart through the relay),
not to meter fair use, so the limits are generous and a process restart forgets them. Behind several
workers each has its own buckets, which multiplies the limits by the number of workers.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limit:
    """``burst`` requests at once, refilled at ``per_second``."""

    per_second: float
    burst: int


class RateLimiter:
    """Token buckets by key; the least recently used keys are forgotten beyond ``max_keys``."""

    def __init__(self, limit: Limit, *, clock: Callable[[], float] = time.monotonic, max_keys: int = 20_000):
        self.limit = limit
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str) -> float:
        """Spend one token for ``key``: 0.0 when allowed, else the seconds to wait before retrying."""
        now = self._clock()
        tokens, stamp = self._buckets.pop(key, (float(self.limit.burst), now))
        tokens = min(float(self.limit.burst), tokens + (now - stamp) * self.limit.per_second)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.limit.per_second
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
        return wait
