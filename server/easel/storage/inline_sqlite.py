"""SQLite through aiosqlite's interface, with only the calls that can wait for a lock sent to a thread.

aiosqlite hands every call to a worker thread and back: about 150 µs of CPU a call on a small
machine, where an indexed read from SQLite's page cache takes a few µs. So on this connection:

* a call that may have to wait for another connection's write lock runs in a thread (as aiosqlite
  would), so that wait never stops the event loop: the first write of a transaction (the statement
  that takes the lock), DDL, PRAGMAs and explicit BEGINs. A first write (INSERT, UPDATE, DELETE) is
  tried once on the loop's thread with SQLite's busy timeout at zero: when no other connection holds
  the lock (the usual case) it takes it at once and the hop is saved; when one does, SQLite answers
  "busy" without waiting, the transaction that statement opened (holding nothing) is rolled back, and
  the statement goes to the thread to wait there with the full timeout;
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


def _lock_taker(function: Callable[[], Any]) -> tuple[sqlite3.Connection, str] | None:
    """The connection and statement of a ``cursor.execute(sql)``/``executemany`` that may take SQLite's
    write lock; None for any other call."""
    if not isinstance(function, functools.partial) or not function.args:
        return None
    method = function.func
    cursor = getattr(method, "__self__", None)
    if not isinstance(cursor, sqlite3.Cursor | sqlite3.Connection) or method.__name__ not in (
            "execute", "executemany", "executescript"):
        return None
    connection = cursor if isinstance(cursor, sqlite3.Connection) else cursor.connection
    if connection.in_transaction:  # this connection already holds the write lock
        return None
    sql = str(function.args[0]).lstrip()
    # Only a plain SELECT is surely a read: a statement that starts WITH may be a write behind a CTE.
    if sql[:6].upper() == "SELECT":
        return None
    return connection, ("" if method.__name__ == "executescript" else sql[:7].upper())


_PLAIN_WRITES = ("INSERT ", "UPDATE ", "DELETE ")


def _busy(error: sqlite3.OperationalError) -> bool:
    return getattr(error, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY


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
        self._busy_ms: int | None = None  # the connection's busy timeout, read once
        self._waiting: collections.deque[tuple[asyncio.Future[Any] | None, Callable[[], Any]]] = collections.deque()

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        if self._in_thread is not None:
            self._waiting.append(item)
            return
        self._run(item)

    def _run(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        taker = _lock_taker(function) if future is not None else None
        if future is not None and taker is not None:
            connection, verb = taker
            if verb in _PLAIN_WRITES and self._without_waiting(future, function, connection):
                return
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

    def _without_waiting(self, future: asyncio.Future[Any], function: Callable[[], Any],
                         connection: sqlite3.Connection) -> bool:
        """Run a first write here if SQLite's write lock is free; False (nothing done) if it is held."""
        if self._busy_ms is None:
            self._busy_ms = int(connection.execute("PRAGMA busy_timeout").fetchone()[0])
        connection.execute("PRAGMA busy_timeout = 0")
        try:
            result = function()
        except sqlite3.OperationalError as error:
            if _busy(error):
                connection.rollback()  # the BEGIN sqlite3 issued before the statement holds no lock
                return False
            if not future.done():
                future.set_exception(error)
            return True
        except Exception as error:  # noqa: BLE001 (handed to the awaiting caller, as aiosqlite's thread does)
            if not future.done():
                future.set_exception(error)
            return True
        finally:
            connection.execute(f"PRAGMA busy_timeout = {self._busy_ms}")
        if not future.done():
            future.set_result(result)
        return True

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
