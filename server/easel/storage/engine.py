"""Creating the database engines: SQLite embedded (WAL, foreign keys) or PostgreSQL via asyncpg."""

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
    if is_sqlite(url):
        database = _sqlite_file(url)
        if database:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT})
        _on_connect(engine, "PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON", "PRAGMA synchronous=NORMAL")
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


def create_read_engine(url: str, engine: AsyncEngine) -> AsyncEngine:
    """The engine for short, indexed, read-only queries on hot paths (an order, a sku, a merchant).

    For an SQLite file that is an engine whose queries run on the event loop's thread (see
    inline_sqlite) and which refuses writes (``query_only``); otherwise it is ``engine`` itself.
    Scans (text search, whole-table reads) stay on ``engine`` so they never hold up the loop.
    """
    database = _sqlite_file(url) if is_sqlite(url) else None
    if database is None:
        return engine
    # Many requests hold a reader across their few awaits; keep enough connections that none is opened
    # per request (a connection here is a file handle and a page cache, and no thread).
    reader = create_async_engine(url, async_creator=inline_connector(database, timeout=5),
                                 pool_size=32, max_overflow=32)
    _on_connect(reader, "PRAGMA query_only=ON")
    return reader


def _on_connect(engine: AsyncEngine, *pragmas: str) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(pragma)
        cursor.close()
