"""A small in-process cache whose entries expire: what hot paths keep of rows that rarely change
(merchants, their secrets, artworks), so a request costs no query while a change made elsewhere (the CLI,
another process) still shows within ``ttl`` seconds."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from enum import Enum
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Missing(Enum):
    MISSING = 0


MISSING = Missing.MISSING
"""What ``get`` answers for a key with no live entry (a cached value may itself be ``None``)."""


class TtlCache(Generic[K, V]):
    """Entries live ``ttl`` seconds. Past ``max_entries`` the cache starts over, so a flood of new keys
    (unknown usernames, say) costs bounded memory and, at worst, some queries."""

    def __init__(self, ttl: float, max_entries: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self._entries: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> V | Missing:
        entry = self._entries.get(key)
        if entry is None or entry[0] <= self.clock():
            return MISSING
        return entry[1]

    def put(self, key: K, value: V) -> V:
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key] = (self.clock() + self.ttl, value)
        return value

    def pop(self, key: K) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()
