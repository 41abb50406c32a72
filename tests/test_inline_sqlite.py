"""SQLite on the loop's thread: a call that waits for the write lock runs in a thread, and nothing else
runs on that connection until it is done, even when its caller gives up (a cancelled request) and the
connection is closed at once, as SQLAlchemy's pool does. A close beside a running statement crashed the
whole process (seen in CI)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest

from easel.storage.inline_sqlite import InlineConnection

pytestmark = pytest.mark.anyio


async def test_a_close_waits_for_the_statement_running_in_a_thread(tmp_path: Path) -> None:
    database = str(tmp_path / "db.sqlite3")
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN IMMEDIATE")  # holds the write lock
    conn = await InlineConnection(lambda: sqlite3.connect(database, timeout=0.5, check_same_thread=False))
    writer = asyncio.ensure_future(conn.execute("INSERT INTO t VALUES (1)"))  # waits for the lock, in a thread
    await asyncio.sleep(0.1)
    writer.cancel()  # the caller gives up while the statement still runs
    started = time.monotonic()
    await conn.close()  # must not run beside the statement: it waits for the lock's timeout first
    assert time.monotonic() - started > 0.2
    holder.execute("ROLLBACK")
    holder.close()
    with pytest.raises(asyncio.CancelledError):
        await writer


async def test_calls_after_a_thread_call_run_in_order(tmp_path: Path) -> None:
    conn = await InlineConnection(lambda: sqlite3.connect(str(tmp_path / "db.sqlite3"), check_same_thread=False))
    await conn.execute("CREATE TABLE t (x INTEGER)")
    first = asyncio.ensure_future(conn.execute("INSERT INTO t VALUES (1)"))  # a write: in a thread
    read = asyncio.ensure_future(conn.execute_fetchall("SELECT count(*) FROM t"))  # queued behind it
    await first
    assert list(await read) == [(1,)]
    await conn.rollback()
    await conn.close()
