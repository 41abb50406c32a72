"""A cheap answer to "has anything been committed to the database since I last looked?", across processes.

For a SQLite file, ``PRAGMA data_version`` on a connection of its own changes whenever any other
connection, in this process or another, commits a change: a couple of µs, no thread, no lock waited for
(the probe's connection never writes and never waits: busy means "unknown"). It is what lets a cache of
what was read serve a read only while nothing at all has changed, with no invalidation to forget: a
change is visible to the probe in the same commit that makes it visible to readers.

Other databases have no such probe here (:meth:`DataVersion.current` answers None): callers read.
"""

from __future__ import annotations

import sqlite3
import threading

from sqlalchemy.ext.asyncio import AsyncEngine

from .engine import _sqlite_file, is_sqlite


class DataVersion:
    """The database's commit counter as this process sees it, or None when it cannot tell."""

    def __init__(self, database: str | None) -> None:
        self.database = database
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # one sqlite3 connection, used from the loop thread (and tests' threads)

    @classmethod
    def of(cls, engine: AsyncEngine) -> DataVersion:
        url = engine.url.render_as_string(hide_password=False)
        return cls(_sqlite_file(url) if is_sqlite(url) else None)

    def current(self) -> int | None:
        """A number that differs from any earlier answer once another connection has committed since."""
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

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
