"""Write transactions of one process taking turns on an SQLite file (see ``SQLiteEngine``)."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


@dataclass
class _Turns:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    holder: asyncio.Task[Any] | None = None


class SQLiteEngine(AsyncEngine):
    """An SQLite engine whose write transactions (``begin()``) in one process take turns.

    SQLite has a single writer. Without the turns, a transaction of this process that wants to write
    while another of this process holds the lock would wait as for another process's: tried again after
    pauses on the loop (a file database, see inline_sqlite) or in SQLite's busy handler in a thread (an
    in-memory one, through aiosqlite), instead of taking over at once, and a shutdown that cancels the
    holder would wait for that thread. Queued on an asyncio lock instead, they take over from each other
    at once and are cancelled at once. Other processes on the same file still meet at SQLite's lock. A
    task that already holds the turn (a nested ``begin()``) is let through.
    """

    _turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Turns]

    def __init__(self, sync_engine: Any) -> None:
        super().__init__(sync_engine)
        self._turns = weakref.WeakKeyDictionary()

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        turns = self._turns.setdefault(asyncio.get_running_loop(), _Turns())
        task = asyncio.current_task()
        if turns.holder is task:
            async with super().begin() as conn:
                yield conn
            return
        async with turns.lock:
            turns.holder = task
            try:
                async with super().begin() as conn:
                    yield conn
            finally:
                turns.holder = None
