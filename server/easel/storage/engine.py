"""Creating the database engine: SQLite embedded (WAL, foreign keys) or PostgreSQL via asyncpg.

An SQLite database holds shoppers' names and addresses, so its file is readable by its owner only
(0600, and SQLite gives its ``-wal`` and ``-shm`` files the database file's mode) and a folder made
for it is 0700. A file that already exists with wider permissions is narrowed when the engine is made.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from .inline_sqlite import inline_connector

SQLITE_BUSY_TIMEOUT = 30  # seconds a writer waits for another process's write lock


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_file(url: str) -> str | None:
    database = make_url(url).database
    return database if database and database != ":memory:" else None


def create_engine(url: str) -> AsyncEngine:
    """An async engine for the URL; for SQLite, its folder is created and pragmas set per connection."""
    if is_sqlite(url):
        database = _sqlite_file(url)
        if database:
            _private_file(Path(database))
        options: dict[str, Any] = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT}}
        if database:  # a file: see inline_sqlite (an in-memory database keeps plain aiosqlite)
            # Requests and jobs hold a connection across their few awaits; keep enough that none is
            # opened per request (a connection here is a file handle and a page cache, and no thread).
            options = {"async_creator": inline_connector(database, timeout=SQLITE_BUSY_TIMEOUT),
                       "pool_size": 20, "max_overflow": 20}
        engine = SQLiteEngine(create_async_engine(url, **options).sync_engine)
        _on_connect(engine, "PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON", "PRAGMA synchronous=NORMAL")
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


def _private_file(database: Path) -> None:
    """Make the database's folder (0700) and file (0600) before SQLite opens it, or narrow their modes."""
    database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(database, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm"), Path(f"{database}-journal")):
        with contextlib.suppress(FileNotFoundError, PermissionError):  # another owner's file stays as it is
            mode = stat.S_IMODE(path.stat().st_mode)
            if mode & 0o077:
                path.chmod(mode & 0o700)


def _on_connect(engine: AsyncEngine, *pragmas: str) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(pragma)
        cursor.close()


@dataclass
class _Turns:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    holder: asyncio.Task[Any] | None = None


class SQLiteEngine(AsyncEngine):
    """An SQLite engine whose write transactions (``begin()``) in one process take turns.

    SQLite has a single writer. Without the turns, a transaction of this process that wants to write
    while another of this process holds the lock waits in SQLite's busy handler, in a thread (see
    inline_sqlite), for up to the busy timeout: it sleeps between tries instead of taking over at once,
    and a shutdown that cancels the holder must still wait for that thread (a worker stopped with
    SIGTERM then outlives its grace period). Queued on an asyncio lock instead, they take over from
    each other at once and are cancelled at once. Other processes on the same file still meet in the
    busy handler. A task that already holds the turn (a nested ``begin()``) is let through.
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
