"""One render per target at a time: requests for a picture being rendered wait for that render.

Without it, N shoppers (or one client sending N requests) asking at once for a picture not yet on disk
cost N renders. Keys are held only while their render runs, and at most ``max_keys`` at once: beyond
that the caller gets :class:`Busy` (the route answers 503 with Retry-After) instead of queueing
without bound.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio


class Busy(Exception):
    """Too many different renders are in progress; retry shortly."""


class SingleFlight:
    def __init__(self, max_keys: int = 256) -> None:
        self.max_keys = max_keys
        self._running: dict[str, anyio.Event] = {}

    async def run(self, key: str, done: Callable[[], bool], work: Callable[[], Awaitable[None]]) -> None:
        """Until ``done()``: wait for the run of ``key`` in progress, or run ``work`` if there is none
        (if that run failed, the next waiter tries itself)."""
        while not done():
            running = self._running.get(key)
            if running is not None:
                await running.wait()
                continue
            if len(self._running) >= self.max_keys:
                raise Busy(key)
            event = self._running[key] = anyio.Event()
            try:
                await work()
            finally:
                del self._running[key]
                event.set()
            return

    def __len__(self) -> int:
        return len(self._running)
