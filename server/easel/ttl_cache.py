"""The per-process caches of rows that rarely change (merchants, their secrets, artworks), bounded in
entries and in bytes, on ``cachetools.TTLCache``.

A hot path costs no query while a change made elsewhere (the CLI, another process) still shows within
``ttl`` seconds. Expired entries are dropped on every write, and when the cache is full the oldest entries
go first, so a flood of new keys (unknown usernames, say) costs bounded memory and, at worst, queries.
``cachetools`` weighs entries by their value only; this adapter weighs each by an estimate of its key and
value bytes, but never less than ``max_bytes / max_entries``, which bounds the number of entries too.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable, Hashable
from enum import Enum
from typing import Generic, TypeVar

from cachetools import TTLCache

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Missing(Enum):
    MISSING = 0


MISSING = Missing.MISSING
"""What ``get`` answers for a key with no live entry (a cached value may itself be ``None``)."""


def estimated_bytes(value: object, _depth: int = 0) -> int:
    """Roughly what ``value`` holds in memory: itself plus its strings, containers and dataclass fields."""
    size = sys.getsizeof(value)
    if _depth > 4:
        return size
    if isinstance(value, (list, tuple, set, frozenset)):
        size += sum(estimated_bytes(item, _depth + 1) for item in value)
    elif isinstance(value, dict):
        size += sum(estimated_bytes(k, _depth + 1) + estimated_bytes(v, _depth + 1) for k, v in value.items())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        size += sum(estimated_bytes(getattr(value, f.name), _depth + 1) for f in dataclasses.fields(value))
    return size


class TtlCache(Generic[K, V]):
    """Entries live ``ttl`` seconds; at most ``max_entries`` of them and about ``max_bytes`` in all."""

    def __init__(self, ttl: float, max_entries: int, max_bytes: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.min_entry_bytes = max(1, -(-max_bytes // max_entries))
        self._entries: TTLCache[K, tuple[V, int]] = TTLCache(
            maxsize=max_bytes, ttl=ttl, timer=clock, getsizeof=lambda entry: entry[1])

    def get(self, key: K) -> V | Missing:
        try:  # one lookup (cachetools' get looks a key up twice, each time reading the clock): hot paths call this
            return self._entries[key][0]
        except KeyError:  # absent, or expired
            return MISSING

    def put(self, key: K, value: V) -> V:
        """Keep ``value`` (unless it alone is larger than the whole cache) and return it."""
        weight = max(self.min_entry_bytes, estimated_bytes(key) + estimated_bytes(value))
        try:
            self._entries[key] = (value, weight)
        except ValueError:  # larger than max_bytes: not worth keeping
            self._entries.pop(key, None)
        return value

    def pop(self, key: K) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes(self) -> int:
        """The estimated bytes held now (what the bound applies to)."""
        return int(self._entries.currsize)
