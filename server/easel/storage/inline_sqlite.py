"""SQLite through aiosqlite's interface, with only the calls that can wait for a lock sent to a thread.

aiosqlite hands every call to a worker thread and back: about 150 µs of CPU a call on a small
machine, where an indexed read from SQLite's page cache takes a few µs. So on this connection:

* a call that may have to wait for another connection's write lock runs in a thread (as aiosqlite
  would), so that wait never stops the event loop: the first write of a transaction (the statement
  that takes the lock), DDL, PRAGMAs and explicit BEGINs;
* everything else runs at once on the loop's thread: reads (WAL readers never wait for a lock),
  statements after the lock is held (a WAL writer holding the lock waits for no one), fetches,
  commits and rollbacks.

The subclass keeps aiosqlite's public API, which SQLAlchemy's aiosqlite dialect drives, and replaces
only the queue to aiosqlite's worker thread: the one seam both aiosqlite and SQLAlchemy go through.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import sqlite3
from collections.abc import Callable, Generator
from typing import Any

import aiosqlite


def _may_wait_for_lock(function: Callable[[], Any]) -> bool:
    """True for ``cursor.execute(sql)``/``executemany`` that may take SQLite's write lock."""
    if not isinstance(function, functools.partial) or not function.args:
        return False
    method = function.func
    cursor = getattr(method, "__self__", None)
    if not isinstance(cursor, sqlite3.Cursor | sqlite3.Connection) or method.__name__ not in (
            "execute", "executemany", "executescript"):
        return False
    connection = cursor if isinstance(cursor, sqlite3.Connection) else cursor.connection
    if connection.in_transaction:  # this connection already holds the write lock
        return False
    sql = str(function.args[0]).lstrip()
    # Only a plain SELECT is surely a read: a statement that starts WITH may be a write behind a CTE.
    return sql[:6].upper() != "SELECT"


def _settle(future: asyncio.Future[Any], done: asyncio.Future[Any]) -> None:
    """Hand a thread's outcome to the caller awaiting ``future`` (unless it gave up: the outcome is then
    read and dropped, so asyncio does not report an exception nobody retrieved)."""
    error = None if done.cancelled() else done.exception()
    if future.done():
        return
    if done.cancelled():
        future.cancel()
    elif error is not None:
        future.set_exception(error)
    else:
        future.set_result(done.result())


class _Runner:
    """Stands in for the queue to aiosqlite's worker thread (see the module docstring).

    Calls on one connection never overlap: while a call runs in a thread, later calls wait in order
    behind it, as they would in aiosqlite's queue. That matters when the caller gives up on the call in
    the thread (a cancelled request, a test's teardown): SQLAlchemy then closes the connection, and a
    close running beside a statement in another thread would crash SQLite itself.
    """

    def __init__(self) -> None:
        self._in_thread: asyncio.Future[Any] | None = None
        self._waiting: collections.deque[tuple[asyncio.Future[Any] | None, Callable[[], Any]]] = collections.deque()

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        if self._in_thread is not None:
            self._waiting.append(item)
            return
        self._run(item)

    def _run(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        if future is not None and _may_wait_for_lock(function):
            pending = future.get_loop().run_in_executor(None, function)
            self._in_thread = pending
            pending.add_done_callback(functools.partial(self._thread_done, future))
            return
        try:
            result = function()
        except Exception as error:  # noqa: BLE001 (handed to the awaiting caller, as aiosqlite's thread does)
            if future is not None and not future.done():
                future.set_exception(error)
            return
        if future is not None and not future.done():
            future.set_result(result)

    def _thread_done(self, future: asyncio.Future[Any], done: asyncio.Future[Any]) -> None:
        self._in_thread = None
        _settle(future, done)
        while self._waiting and self._in_thread is None:
            self._run(self._waiting.popleft())


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection that starts no thread of its own (see the module docstring)."""

    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _Runner()  # type: ignore[assignment]

    def __await__(self) -> Generator[Any, None, aiosqlite.Connection]:
        return self._connect().__await__()


def inline_connector(database: str, timeout: float) -> Callable[[], Any]:
    """An ``async_creator`` for SQLAlchemy: opens ``database`` as an InlineConnection."""

    async def connect() -> aiosqlite.Connection:
        # check_same_thread=False: lock-taking calls run in a pool thread, and the engine's pool may hand
        # a connection to another event loop's thread; calls never overlap on one connection.
        return await InlineConnection(lambda: sqlite3.connect(database, timeout=timeout, check_same_thread=False))

    return connect
