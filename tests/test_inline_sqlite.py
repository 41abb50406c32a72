"""SQLite on the loop's thread (storage/inline_sqlite.py): reads and uncontended writes run at once on the
loop's thread; a write that meets another connection's lock waits in a thread while the loop goes on;
a caller that gives up never gets its connection closed beside a running statement (that crashed the
whole process, seen in CI); and tasks wait for a free connection without blocking the loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy
from sqlalchemy import text

from easel.storage.engine import create_engine
from easel.storage.inline_sqlite import InlineSQLiteEngine

pytestmark = pytest.mark.anyio


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    path = str(tmp_path / "db.sqlite3")
    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE t (x INTEGER)")
    setup.close()
    yield path


def _holding_the_write_lock(path: str) -> sqlite3.Connection:
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    return holder


async def test_reads_and_free_writes_run_on_the_loops_thread(database: str) -> None:
    engine = create_engine(f"sqlite:///{database}")
    threads: list[int] = []
    try:
        async with engine.begin() as conn:
            raw = (await conn.get_raw_connection()).dbapi_connection
            assert raw is not None
            raw.create_function("here", 0, lambda: threads.append(threading.get_ident()) or 1)
            await conn.execute(text("INSERT INTO t VALUES (here())"))  # the first write: the lock is free
            assert (await conn.execute(text("SELECT here() + count(*) FROM t"))).scalar() == 2
    finally:
        await engine.dispose()
    assert threads == [threading.get_ident()] * 2


async def test_a_write_that_meets_a_lock_waits_while_the_loop_goes_on(database: str) -> None:
    engine = create_engine(f"sqlite:///{database}")
    holder = _holding_the_write_lock(database)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def write() -> None:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t VALUES (1)"))

    ticker = asyncio.ensure_future(tick())
    try:
        writer = asyncio.ensure_future(write())
        await asyncio.sleep(0.3)
        assert not writer.done()  # still waiting for the lock...
        assert ticks >= 10  # ...and the loop was never stopped by it
        holder.execute("COMMIT")
        await asyncio.wait_for(writer, 5)
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 1
    finally:
        ticker.cancel()
        holder.close()
        await engine.dispose()


async def test_a_write_that_never_gets_the_lock_fails_after_the_busy_timeout(database: str) -> None:
    sync = sqlalchemy.create_engine(f"sqlite+pysqlite:///{database}", connect_args={"timeout": 0.3,
                                                                                  "check_same_thread": False})
    engine = InlineSQLiteEngine(sync, busy_timeout=0.3, connections=2)
    holder = _holding_the_write_lock(database)
    started = time.monotonic()
    try:
        with pytest.raises(sqlalchemy.exc.OperationalError, match="database is locked"):
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO t VALUES (1)"))
        assert 0.3 <= time.monotonic() - started < 2
    finally:
        holder.close()
        await engine.dispose()


async def test_a_caller_that_gives_up_waits_for_its_statement_in_a_thread_before_the_connection_is_closed(
        database: str) -> None:
    sync = sqlalchemy.create_engine(f"sqlite+pysqlite:///{database}", pool_size=1, max_overflow=0,
                                    connect_args={"timeout": 0.5, "check_same_thread": False})
    engine = InlineSQLiteEngine(sync, busy_timeout=0.5, connections=1)
    holder = _holding_the_write_lock(database)

    async def write() -> None:  # DDL that meets the lock waits in a thread, with SQLite's busy handler
        async with engine.connect() as conn:
            await conn.execute(text("CREATE TABLE u (x INTEGER)"))

    try:
        writer = asyncio.ensure_future(write())
        await asyncio.sleep(0.1)
        started = time.monotonic()
        writer.cancel()  # the caller gives up while the statement waits in a thread
        with pytest.raises((asyncio.CancelledError, sqlalchemy.exc.OperationalError)):
            await writer
        # The statement ran to its busy timeout before the connection went back to the pool and closed.
        assert time.monotonic() - started > 0.3
        async with engine.connect() as conn:  # the one connection is whole and free again
            assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 0
    finally:
        holder.close()
        await engine.dispose()


async def test_more_tasks_than_connections_wait_for_one_without_blocking_the_loop(database: str) -> None:
    sync = sqlalchemy.create_engine(f"sqlite+pysqlite:///{database}", pool_size=2, max_overflow=0,
                                    pool_timeout=0.1, connect_args={"check_same_thread": False})
    engine = InlineSQLiteEngine(sync, busy_timeout=5, connections=2)
    held = most = 0

    async def use() -> None:
        nonlocal held, most
        async with engine.connect() as conn:
            held += 1
            most = max(most, held)
            await asyncio.sleep(0.05)  # longer than the pool's own timeout: it must never be reached
            await conn.execute(text("SELECT 1"))
            held -= 1

    try:
        await asyncio.wait_for(asyncio.gather(*[use() for _ in range(6)]), 5)
    finally:
        await engine.dispose()
    assert most == 2
