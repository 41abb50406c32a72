"""A cheap answer to "has anything an order's answer shows changed since I read it?", across processes.

For a SQLite file, ``PRAGMA data_version`` on a connection of its own changes whenever any other
connection, in this process or another, commits a change: a couple of µs, no thread, no lock waited for
(the probe's connection never writes and never waits: busy means "unknown"). It is what lets a cache of
what was read serve a read only while nothing at all has changed, with no invalidation to forget: a
change is visible to the probe in the same commit that makes it visible to readers.

For PostgreSQL the probe is one order's row versions: the ``xmin`` (the id of the transaction that wrote
the row version) of the order's row, of each of its items and of each of its tracking numbers, in one
indexed statement on an asyncpg connection of its own (one round trip: no ping, no BEGIN/ROLLBACK as
through the engine's pool), which answers every request that asked while the previous one was out. Any
transaction, in any process, that inserts, updates or deletes one of those
rows changes the token when it commits, and not before: no trigger, no invalidation message, nothing a
writer has to remember. A token equal to the one read before the answer was made means the answer is
current (xids are not reused within PostgreSQL's wraparound horizon).

Callers read before making the answer (:meth:`DataVersion.order`), so a change committed in between
makes the kept answer stale at the next check rather than wrong.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import sqlite3
import threading
from collections.abc import Hashable
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # (no stubs; used only here, beside SQLAlchemy)
from sqlalchemy.ext.asyncio import AsyncEngine

from .engine import _sqlite_file, is_sqlite

log = logging.getLogger("easel.storage")

# Every row an order's answer is made from (storage/orders.order_for_merchant), by its row version; for
# several orders at once (one statement answers every request waiting for it).
_ORDER_ROW_VERSIONS = """
SELECT o.id, o.merchant_id, o.xmin::text
    || '|' || coalesce((SELECT string_agg(i.id::text || ':' || i.xmin::text, ',' ORDER BY i.id)
                        FROM order_items i WHERE i.order_id = o.id), '')
    || '|' || coalesce((SELECT string_agg(t.id::text || ':' || t.xmin::text, ',' ORDER BY t.id)
                        FROM order_tracking t WHERE t.order_id = o.id), '')
FROM orders o WHERE o.id = ANY($1::int[])
"""
BATCH = 256  # most orders one statement asks about (the rest wait for the next)


class _RowVersions:
    """PostgreSQL's probe: one connection of its own, one statement in flight. Requests that ask while a
    statement is out wait for the next one, which asks for all of them: each is answered by a statement
    sent after it asked (so it sees every commit made before), and a busy server sends one statement per
    round trip, not one per request."""

    def __init__(self, connect_args: dict[str, Any]) -> None:
        self._args = connect_args
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connection: Any = None  # asyncpg.Connection
        self._waiting: dict[int, list[tuple[int, asyncio.Future[str | None]]]] = {}
        self._asking: asyncio.Task[None] | None = None

    async def token(self, merchant_id: int, order_id: int) -> str | None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self.close()
            self._loop = loop
        answer: asyncio.Future[str | None] = loop.create_future()
        self._waiting.setdefault(order_id, []).append((merchant_id, answer))
        if self._asking is None:
            self._asking = loop.create_task(self._ask())
        return await answer

    async def _ask(self) -> None:
        batch: dict[int, list[tuple[int, asyncio.Future[str | None]]]] = {}
        try:
            while self._waiting:
                ids = list(self._waiting)[:BATCH]
                batch = {i: self._waiting.pop(i) for i in ids}
                found: dict[int, tuple[int, str]] | None = None
                try:
                    if self._connection is None or self._connection.is_closed():
                        self._connection = await asyncpg.connect(**self._args)
                    found = {r[0]: (r[1], r[2]) for r in await self._connection.fetch(_ORDER_ROW_VERSIONS, ids)}
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
                    log.warning("order version probe failed (%s); reading instead", type(err).__name__)
                    self._drop_connection()
                for order_id, asks in batch.items():
                    row = found.get(order_id) if found is not None else None
                    for merchant_id, answer in asks:
                        if not answer.done():
                            answer.set_result(row[1] if row is not None and row[0] == merchant_id else None)
                batch = {}
        finally:
            self._asking = None
            for asks in [*batch.values(), *self._waiting.values()]:  # cancelled: "cannot tell"
                for _, answer in asks:
                    if not answer.done():
                        answer.set_result(None)
            self._waiting.clear()

    def _drop_connection(self) -> None:
        if self._connection is not None:
            self._connection.terminate()
            self._connection = None

    def close(self) -> None:
        # the loop they were made in may be closed already (a test's): then there is nothing left to stop
        with contextlib.suppress(RuntimeError):
            if self._asking is not None:
                self._asking.cancel()
        with contextlib.suppress(RuntimeError):
            self._drop_connection()
        self._asking = None
        self._connection = None
        self._waiting = {}


class DataVersion:
    """Per database: the SQLite commit counter, or PostgreSQL row-version tokens; None when it cannot tell."""

    def __init__(self, database: str | None, postgresql: dict[str, Any] | None = None) -> None:
        self.database = database
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # one sqlite3 connection, used from the loop thread (and tests' threads)
        self._rows = _RowVersions(postgresql) if postgresql is not None else None

    @classmethod
    def of(cls, engine: AsyncEngine) -> DataVersion:
        url = engine.url.render_as_string(hide_password=False)
        if is_sqlite(url):
            return cls(_sqlite_file(url))
        if engine.dialect.name == "postgresql" and engine.dialect.driver == "asyncpg":
            _, kwargs = engine.dialect.create_connect_args(engine.url)
            accepted = inspect.signature(asyncpg.connect).parameters
            return cls(None, {k: v for k, v in kwargs.items() if k in accepted})
        return cls(None)

    def current(self) -> int | None:
        """A number that differs from any earlier answer once another connection has committed since
        (SQLite only: None elsewhere)."""
        if self.database is None:
            return None
        with self._lock:
            try:
                if self._connection is None:
                    self._connection = sqlite3.connect(self.database, timeout=0, isolation_level=None,
                                                       check_same_thread=False)
                    self._connection.execute("PRAGMA query_only=1")
                return int(self._connection.execute("PRAGMA data_version").fetchone()[0])
            except sqlite3.Error:
                self.close()
                return None

    async def order(self, merchant_id: int, order_id: int) -> Hashable | None:
        """A token that changes once anything one order's answer shows is committed changed; None when it
        cannot tell (or, on PostgreSQL, when the merchant has no such order)."""
        if self._rows is None:
            return self.current()
        return await self._rows.token(merchant_id, order_id)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._rows is not None:
            self._rows.close()
