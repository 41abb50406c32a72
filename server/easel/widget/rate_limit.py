"""Per-key request limits, in this process: token buckets that refill continuously.

They exist to blunt abuse of one widget key (scraping prices, flooding a shop's cart through the relay),
not to meter fair use, so the limits are generous and a process restart forgets them. Behind several
workers each has its own buckets, which multiplies the limits by the number of workers.
"""

from __future__ import annotations

import time
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
        self._buckets: dict[str, tuple[float, float]] = {}  # least recently used first (re-inserted on use)

    def take(self, key: str) -> float:
        """Spend one token for ``key``: 0.0 when allowed, else the seconds to wait before retrying."""
        now = self._clock()
        burst, rate = float(self.limit.burst), self.limit.per_second
        buckets = self._buckets
        found = buckets.pop(key, None)
        tokens = burst if found is None else min(burst, found[0] + (now - found[1]) * rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / rate
        buckets[key] = (tokens, now)
        if len(buckets) > self._max_keys:
            del buckets[next(iter(buckets))]
        return wait
