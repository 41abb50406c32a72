"""Creating the database engine: SQLite embedded (WAL, foreign keys) or PostgreSQL via asyncpg.

An SQLite database holds shoppers' names and addresses, so its file is readable by its owner only
(0600, and SQLite gives its ``-wal`` and ``-shm`` files the database file's mode) and a folder made
for it is 0700. A file that already exists with wider permissions is narrowed when the engine is made.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from .inline_sqlite import InlineSQLiteEngine
from .sqlite_turns import SQLiteEngine

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
    if database is None:  # in memory: plain aiosqlite (see inline_sqlite for a file)
        engine = SQLiteEngine(create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT}).sync_engine)
        _on_connect(engine, "PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON", "PRAGMA synchronous=NORMAL")
        return engine
    _private_file(Path(database))
    # WAL is a setting of the file: set once here, so that opening a connection takes no lock.
    with contextlib.closing(sqlite3.connect(database, timeout=SQLITE_BUSY_TIMEOUT)) as first:
        first.execute("PRAGMA journal_mode=WAL")
    # Requests and jobs hold a connection across their few awaits; keep enough that none is opened per
    # request (a connection here is a file handle and a page cache). check_same_thread off: a call that
    # may wait for a lock runs in a pool thread; calls on one connection never overlap.
    sync = sqlalchemy.create_engine(make_url(url).set(drivername="sqlite+pysqlite"), pool_size=20, max_overflow=20,
                                    connect_args={"timeout": SQLITE_BUSY_TIMEOUT, "check_same_thread": False})
    inline = InlineSQLiteEngine(sync, busy_timeout=SQLITE_BUSY_TIMEOUT, connections=40)
    _on_connect(inline, "PRAGMA foreign_keys=ON", "PRAGMA synchronous=NORMAL")
    return inline


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
