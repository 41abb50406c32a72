"""SQLite reads on the event loop's own thread, behind aiosqlite's interface.

aiosqlite hands every call to a worker thread and back: about 150 µs a call here, where the query
itself (an indexed read of an order from SQLite's page cache) takes a few µs. For reads of an SQLite
file in WAL mode, which never wait for a lock, running the call at once is both faster and safe for
the loop. Writes keep aiosqlite's thread: they may wait for another process's write lock, and that
wait must not stop the loop.

The subclass keeps aiosqlite's public API (which SQLAlchemy's aiosqlite dialect drives) and replaces
only the queue to its worker thread, which is the one seam aiosqlite and SQLAlchemy both go through.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Generator
from typing import Any

import aiosqlite


class _RunAtOnce:
    """Stands in for the queue to aiosqlite's worker thread: runs each call as it is put."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except Exception as error:  # noqa: BLE001 (handed to the awaiting caller, as aiosqlite's thread does)
            if future is not None and not future.done():
                future.set_exception(error)
            return
        if future is not None and not future.done():
            future.set_result(result)


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection that runs its calls on the caller's thread and starts no thread."""

    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _RunAtOnce()  # type: ignore[assignment]

    def __await__(self) -> Generator[Any, None, aiosqlite.Connection]:
        return self._connect().__await__()


def inline_connector(database: str, timeout: float) -> Callable[[], Any]:
    """An ``async_creator`` for SQLAlchemy: opens ``database`` as an InlineConnection."""

    async def connect() -> aiosqlite.Connection:
        # check_same_thread=False: the engine's pool may hand a connection to another event loop's
        # thread (test clients run the app in their own thread); calls never overlap on one connection.
        return await InlineConnection(lambda: sqlite3.connect(database, timeout=timeout, check_same_thread=False))

    return connect
