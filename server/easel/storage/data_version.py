"""A cheap answer to "has anything an order's answer shows changed since I read it?", across processes.

For a SQLite file, ``PRAGMA data_version`` on a connection of its own changes whenever any other
connection, in this process or another, commits a change: a couple of µs, no thread, no lock waited for
(the probe's connection never writes and never waits: busy means "unknown"). It is what lets a cache of
what was read serve a read only while nothing at all has changed, with no invalidation to forget: a
change is visible to the probe in the same commit that makes it visible to readers.

For PostgreSQL the probe is one order's row versions: the ``xmin`` (the id of the transaction that wrote
the row version) of the order's row, of each of its items and of each of its tracking numbers, in one
indexed statement on a small asyncpg pool of its own (one round trip: no ping, no BEGIN/ROLLBACK as
through the engine's pool). Any transaction, in any process, that inserts, updates or deletes one of those
rows changes the token when it commits, and not before: no trigger, no invalidation message, nothing a
writer has to remember. A token equal to the one read before the answer was made means the answer is
current (xids are not reused within PostgreSQL's wraparound horizon).

Callers read before making the answer (:meth:`DataVersion.order`), so a change committed in between
makes the kept answer stale at the next check rather than wrong.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import sqlite3
import threading
from collections.abc import Hashable
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from .engine import _sqlite_file, is_sqlite

log = logging.getLogger("easel.storage")

# Every row an order's answer is made from (storage/orders.order_for_merchant), by its row version.
_ORDER_ROW_VERSIONS = """
SELECT o.xmin::text
    || '|' || coalesce((SELECT string_agg(i.id::text || ':' || i.xmin::text, ',' ORDER BY i.id)
                        FROM order_items i WHERE i.order_id = o.id), '')
    || '|' || coalesce((SELECT string_agg(t.id::text || ':' || t.xmin::text, ',' ORDER BY t.id)
                        FROM order_tracking t WHERE t.order_id = o.id), '')
FROM orders o WHERE o.id = $1 AND o.merchant_id = $2
"""


async def _no_reset(connection: asyncpg.Connection) -> None:
    """The probe only runs one read-only statement outside any transaction: nothing to reset between uses
    (asyncpg's default reset is a round trip per release)."""


class DataVersion:
    """Per database: the SQLite commit counter, or PostgreSQL row-version tokens; None when it cannot tell."""

    def __init__(self, database: str | None, postgresql: dict[str, Any] | None = None, connections: int = 4) -> None:
        self.database = database
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # one sqlite3 connection, used from the loop thread (and tests' threads)
        self._pg_args = postgresql
        self._pg_connections = max(1, connections)
        self._pool: asyncpg.Pool | None = None
        self._pool_loop: asyncio.AbstractEventLoop | None = None
        self._opening: asyncio.Lock | None = None

    @classmethod
    def of(cls, engine: AsyncEngine, connections: int = 4) -> DataVersion:
        url = engine.url.render_as_string(hide_password=False)
        if is_sqlite(url):
            return cls(_sqlite_file(url))
        if engine.dialect.name == "postgresql" and engine.dialect.driver == "asyncpg":
            _, kwargs = engine.dialect.create_connect_args(engine.url)
            accepted = inspect.signature(asyncpg.connect).parameters
            return cls(None, {k: v for k, v in kwargs.items() if k in accepted}, connections)
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
        if self._pg_args is None:
            return self.current()
        try:
            pool = await self._pg_pool()
            token: str | None = await pool.fetchval(_ORDER_ROW_VERSIONS, order_id, merchant_id)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
            log.warning("order version probe failed (%s); reading instead", type(err).__name__)
            self._drop_pool()
            return None
        return token

    async def _pg_pool(self) -> asyncpg.Pool:
        loop = asyncio.get_running_loop()
        if self._pool is not None and self._pool_loop is loop:
            return self._pool
        if self._opening is None or self._pool_loop is not loop:
            self._drop_pool()
            self._opening, self._pool_loop = asyncio.Lock(), loop
        async with self._opening:
            if self._pool is None:
                assert self._pg_args is not None
                self._pool = await asyncpg.create_pool(min_size=1, max_size=self._pg_connections, reset=_no_reset,
                                                       **self._pg_args)
        return self._pool

    def _drop_pool(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool = None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self._drop_pool()
