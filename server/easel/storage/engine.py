"""Creating the database engine: SQLite embedded (WAL, foreign keys) or PostgreSQL via asyncpg."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from .inline_sqlite import inline_connector

SQLITE_BUSY_TIMEOUT = 30  # seconds a writer waits for another process's write lock


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_file(url: str) -> str | None:
    database = make_url(url).database
    return database if database and database != ":memory:" else None


def create_engine(url: str) -> AsyncEngine:
    """An async engine for the URL; for SQLite, its folder is created and pragmas set per connection."""
    if not is_sqlite(url):
        return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)
    database = _sqlite_file(url)
    if database is None:  # in memory: plain aiosqlite
        engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT})
    else:  # a file: see inline_sqlite
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        # Requests and jobs hold a connection across their few awaits; keep enough that none is opened
        # per request (a connection here is a file handle and a page cache, and no thread).
        engine = create_async_engine(url, async_creator=inline_connector(database, timeout=SQLITE_BUSY_TIMEOUT),
                                     pool_size=20, max_overflow=20)
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
