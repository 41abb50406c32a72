"""SQLite on the event loop's thread: SQLAlchemy's synchronous engine behind the async interface.

An SQLite call is a function call into a file's page cache: an indexed read takes a few µs. The usual
async path (SQLAlchemy's asyncio extension over aiosqlite) pays for every call a greenlet switch, a
future and, in aiosqlite, a hop to a thread and back: measured on this project's machine, a transaction
of one UPDATE cost ~210 µs of CPU that way against ~65 µs through SQLAlchemy's synchronous engine, and
a read ~50 µs against ~25 µs. So for a database file, easel's engine is an ``AsyncEngine`` whose
connections call SQLAlchemy's synchronous ``Connection`` directly on the loop's thread, except a call
that may wait for another connection's write lock, which must never stop the loop:

* the first write of a transaction (INSERT, UPDATE, DELETE: the statement that takes SQLite's write
  lock) is tried on the loop's thread with SQLite's busy timeout at zero. When no other connection
  holds the lock (the usual case: this process's writers take turns, see ``SQLiteEngine``) it takes it
  at once. When one does (another process's), SQLite answers "busy" without waiting, the transaction
  that statement opened (holding nothing) is rolled back, and the statement is tried again after a
  short pause on the loop, until the busy timeout has passed;
* any other statement that may take the lock while none is held (DDL, PRAGMAs, anything that is not a
  plain SELECT) and ``run_sync`` (migrations) run in a thread;
* everything else runs at once: reads (WAL readers never wait for a lock), statements of a transaction
  that holds the lock (a WAL writer waits for no one), commits and rollbacks.

A call in a thread (the rare DDL or PRAGMA that meets a lock) is not abandoned when its caller is
cancelled: the task waits for it to finish, so
a connection is never closed (or handed to another task) beside a statement still running on it; that
crashed SQLite itself, seen in CI. A task waits for a free connection on an asyncio semaphore as large
as the pool, so the synchronous pool never blocks the loop.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import time
import weakref
from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy import exc
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncTransaction
from sqlalchemy.sql.elements import TextClause

from .sqlite_turns import SQLiteEngine

T = TypeVar("T")


class StatementKind(Enum):
    READ = "read"
    WRITE = "write"  # INSERT, UPDATE, DELETE: tried at once, without waiting
    OTHER = "other"  # DDL, PRAGMA, anything else that may take the lock: in a thread


def _kind_of_sql(sql: str) -> StatementKind:
    verb = sql.lstrip()[:7].upper()
    # Only a plain SELECT is surely a read: a statement that starts WITH may be a write behind a CTE.
    if verb.startswith("SELECT"):
        return StatementKind.READ
    return StatementKind.WRITE if verb in ("INSERT ", "UPDATE ", "DELETE ") else StatementKind.OTHER


def kind_of(statement: Any) -> StatementKind:
    """How a first write of this statement waits for SQLite's lock (see the module docstring)."""
    if isinstance(statement, str):
        return _kind_of_sql(statement)
    if isinstance(statement, TextClause):
        return _kind_of_sql(statement.text)
    if getattr(statement, "is_select", False):
        return StatementKind.READ
    return StatementKind.WRITE if getattr(statement, "is_dml", False) else StatementKind.OTHER


def _busy(error: BaseException | None) -> bool:
    return isinstance(error, sqlite3.OperationalError) and getattr(error, "sqlite_errorcode", 0) & 0xFF == \
        sqlite3.SQLITE_BUSY


class InlineSQLiteConnection(AsyncConnection):
    """An ``AsyncConnection`` that makes its calls on the loop's thread, or in a thread when they may wait."""

    engine: InlineSQLiteEngine

    def __init__(self, async_engine: InlineSQLiteEngine, sync_connection: Connection | None = None) -> None:
        super().__init__(async_engine, sync_connection)
        self._slot: asyncio.Semaphore | None = None

    async def start(self, is_ctxmanager: bool = False) -> AsyncConnection:
        if self.sync_connection:
            raise exc.InvalidRequestError("connection is already started")
        free = self.engine.free_connections()
        await free.acquire()
        try:
            # Opening one is a file's open and connection-local PRAGMAs (WAL is set once, by create_engine).
            connection = self.sync_engine.connect()
        except BaseException:
            free.release()
            raise
        self._slot = free
        self.sync_connection = self._assign_proxied(connection)
        return self

    def begin(self) -> AsyncTransaction:
        return InlineSQLiteTransaction(self)

    def begin_nested(self) -> AsyncTransaction:
        return InlineSQLiteTransaction(self, nested=True)

    async def commit(self) -> None:
        self._proxied.commit()

    async def rollback(self) -> None:
        self._proxied.rollback()

    async def close(self) -> None:
        if self.sync_connection is None:
            return
        try:
            self.sync_connection.close()  # back to the pool, rolled back
        finally:
            slot, self._slot = self._slot, None
            if slot is not None:
                slot.release()

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        # AsyncConnection's own runs close() as a shielded task (it may await); this close never does.
        await self.close()

    async def execute(self, statement: Any, parameters: Any = None, *,  # type: ignore[override]
                      execution_options: Any = None) -> Any:
        sync = self._proxied
        return await self._call(kind_of(statement), functools.partial(
            sync.execute, statement, parameters, execution_options=execution_options))

    async def exec_driver_sql(self, statement: str, parameters: Any = None,
                              execution_options: Any = None) -> Any:
        sync = self._proxied
        return await self._call(kind_of(statement), functools.partial(
            sync.exec_driver_sql, statement, parameters, execution_options))

    async def execute_on_cursor(self, kind: StatementKind, sql: str, args: tuple[Any, ...] | list[tuple[Any, ...]],
                                *, many: bool = False) -> sqlite3.Cursor:
        """Run SQL already compiled for SQLite on a DB-API cursor of this connection (``prepared.py``), once
        or (``many``) once per tuple of ``args``, with the same waiting as :meth:`execute`; a DB-API error is
        raised as SQLAlchemy raises it."""
        raw = self._proxied.connection.dbapi_connection
        assert raw is not None

        def run() -> sqlite3.Cursor:
            try:
                cursor: sqlite3.Cursor = raw.executemany(sql, args) if many else raw.execute(sql, args)
                return cursor
            except sqlite3.Error as error:
                raise exc.DBAPIError.instance(sql, args, error, sqlite3.Error) from error

        return await self._call(kind, run)

    async def run_sync(self, fn: Callable[..., T], *arg: Any, **kw: Any) -> T:  # type: ignore[override]
        return await _in_thread(functools.partial(fn, self._proxied, *arg, **kw))

    async def _call(self, kind: StatementKind, call: Callable[[], T]) -> T:
        if kind is StatementKind.READ:
            return call()
        raw = self._proxied.connection.dbapi_connection
        if raw is None or raw.in_transaction:  # this connection holds the write lock: nothing to wait for
            return call()
        if kind is StatementKind.WRITE:
            return await self._write_when_free(raw, call)
        return await _in_thread(call)

    async def _write_when_free(self, raw: Any, call: Callable[[], T]) -> T:
        """Try a first write without waiting; while another connection holds the lock, try again after a
        pause on the loop (0.25 ms, doubling up to 8 ms) until the busy timeout has passed. SQLite's own
        busy handler, in a thread, slept 1, 2, 5, 10… ms between its tries: 4-6 ms a conflict on average
        between the order API and a worker, during which this process's other writers waited their turn."""
        pause, deadline = 0.00025, None
        while True:
            raw.execute("PRAGMA busy_timeout = 0")
            try:
                return call()
            except exc.OperationalError as error:
                if not _busy(error.orig):
                    raise
                raw.rollback()  # the BEGIN sqlite3 issued before the statement holds no lock
                now = time.monotonic()
                deadline = deadline if deadline is not None else now + self.engine.busy_ms / 1000
                if now >= deadline:
                    raise
            finally:
                raw.execute(f"PRAGMA busy_timeout = {self.engine.busy_ms}")
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.008)


class InlineSQLiteTransaction(AsyncTransaction):
    """Begin, commit and roll back on the loop's thread: none of them waits for a lock in WAL mode."""

    connection: InlineSQLiteConnection

    async def start(self, is_ctxmanager: bool = False) -> AsyncTransaction:
        sync = self.connection._proxied
        self.sync_transaction = self._assign_proxied(sync.begin_nested() if self.nested else sync.begin())
        if is_ctxmanager:
            self.sync_transaction.__enter__()
        return self

    async def commit(self) -> None:
        self._proxied.commit()

    async def rollback(self) -> None:
        self._proxied.rollback()

    async def close(self) -> None:
        self._proxied.close()

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        self._proxied.__exit__(type_, value, traceback)


class InlineSQLiteEngine(SQLiteEngine):
    """An ``AsyncEngine`` over SQLAlchemy's synchronous pysqlite engine (see the module docstring)."""

    def __init__(self, sync_engine: Engine, *, busy_timeout: float, connections: int) -> None:
        # AsyncEngine.__init__ refuses a synchronous driver: this engine's connections make their own calls.
        self.sync_engine = self._assign_proxied(sync_engine)
        self._turns = weakref.WeakKeyDictionary()
        self.busy_ms = int(busy_timeout * 1000)
        self.connections = connections
        self._free: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = \
            weakref.WeakKeyDictionary()

    _connection_cls = InlineSQLiteConnection

    def free_connections(self) -> asyncio.Semaphore:
        """This loop's count of connections not checked out (the pool's size and overflow)."""
        return self._free.setdefault(asyncio.get_running_loop(), asyncio.Semaphore(self.connections))

    async def dispose(self, close: bool = True) -> None:
        self.sync_engine.dispose(close=close)


async def _in_thread(call: Callable[[], T]) -> T:
    """Run ``call`` in a thread; a caller cancelled meanwhile still waits for it, then is cancelled (see the
    module docstring; anyio's ``abandon_on_cancel=False`` does not hold back a plain ``Task.cancel()``)."""
    running = asyncio.get_running_loop().run_in_executor(None, call)
    cancelled = False
    while not running.done():
        try:
            await asyncio.wait([running])  # a cancelled wait leaves the thread's call running
        except asyncio.CancelledError:
            cancelled = True
    if cancelled:
        if not running.cancelled():
            running.exception()  # its outcome is dropped: retrieved, so asyncio reports nothing
        raise asyncio.CancelledError
    return running.result()
