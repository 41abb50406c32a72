"""Prepared statements (storage/prepared.py) store and read back exactly what SQLAlchemy's own execution
does, wait for another process's write lock as it does, raise its errors, and leave to it what they
cannot run themselves; on PostgreSQL they are SQLAlchemy's execution."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, Column, Integer, MetaData, Table, bindparam, event, exc, insert, select, update

from easel.dispatch import queue
from easel.runtime import Runtime
from easel.storage.engine import create_engine
from easel.storage.prepared import Prepared, PreparedResult
from easel.storage.tables import jobs

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 12, 5, 1, 2, 3, 456789, tzinfo=UTC)
_INSERT_JOB = insert(jobs).values(
    kind=bindparam("kind"), key=bindparam("key"), payload=bindparam("payload", type_=jobs.c.payload.type),
    order_id=None, status="queued", attempts=0, runs=0, max_attempts=3,
    run_after=bindparam("at", type_=jobs.c.run_after.type), rerun=False, last_error="",
    created_at=bindparam("at", type_=jobs.c.created_at.type), updated_at=bindparam("at", type_=jobs.c.updated_at.type),
).returning(jobs.c.id, jobs.c.payload, jobs.c.run_after, jobs.c.rerun)
_JOB = select(jobs).where(jobs.c.key == bindparam("b_key"))
_TOUCH = update(jobs).where(jobs.c.key == bindparam("b_key")).values(attempts=jobs.c.attempts + 1)


def _job(row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in ("kind", "key", "payload", "status", "run_after", "rerun",
                                                  "created_at", "max_attempts", "last_error", "locked_until")}


async def test_what_is_written_and_read_is_what_sqlalchemy_writes_and_reads(runtime: Runtime) -> None:
    prepared_insert, prepared_read = Prepared(_INSERT_JOB), Prepared(_JOB)
    payload = {"order_id": 7, "note": "é ✓", "nested": [1, {"a": None}]}
    async with runtime.engine.begin() as conn:
        ours = (await prepared_insert.execute(conn, {"kind": "k", "key": "ours", "payload": payload, "at": NOW})).one()
        theirs = (await conn.execute(_INSERT_JOB, {"kind": "k", "key": "theirs", "payload": payload, "at": NOW})).one()
    assert (ours.payload, ours.run_after, ours.rerun) == (theirs.payload, theirs.run_after, theirs.rerun)
    assert ours.run_after == NOW and ours.run_after.tzinfo is not None and ours.rerun is False
    async with runtime.engine.connect() as conn:
        rows = {key: (await conn.execute(_JOB, {"b_key": key})).one() for key in ("ours", "theirs")}
        read_ours = (await prepared_read.execute(conn, {"b_key": "ours"})).one()
    assert _job(rows["ours"]) == {**_job(rows["theirs"]), "key": "ours"}  # stored alike
    assert _job(read_ours) == _job(rows["ours"])  # and read back alike


async def test_a_write_reports_its_row_count_and_an_unknown_row_reads_as_none(runtime: Runtime) -> None:
    async with runtime.engine.begin() as conn:
        await Prepared(_INSERT_JOB).execute(conn, {"kind": "k", "key": "a", "payload": {}, "at": NOW})
        assert (await Prepared(_TOUCH).execute(conn, {"b_key": "a"})).rowcount == 1
        assert (await Prepared(_TOUCH).execute(conn, {"b_key": "nobody"})).rowcount == 0
        nobody = Prepared(_JOB)
        assert (await nobody.execute(conn, {"b_key": "nobody"})).first() is None
        assert (await nobody.execute(conn, {"b_key": "nobody"})).scalar() is None
        assert (await nobody.execute(conn, {"b_key": "nobody"})).all() == []


async def test_a_missing_parameter_is_named(runtime: Runtime) -> None:
    async with runtime.engine.begin() as conn:
        with pytest.raises(exc.SQLAlchemyError, match="bind parameter 'b_key'"):
            await Prepared(_TOUCH).execute(conn, {})


async def test_a_constraint_error_is_sqlalchemys(runtime: Runtime) -> None:
    prepared = Prepared(_INSERT_JOB)
    async with runtime.engine.begin() as conn:
        await prepared.execute(conn, {"kind": "k", "key": "twice", "payload": {}, "at": NOW})
        with pytest.raises(exc.IntegrityError):
            await prepared.execute(conn, {"kind": "k", "key": "twice", "payload": {}, "at": NOW})


async def test_on_a_sqlite_file_it_runs_on_the_cursor_and_elsewhere_through_sqlalchemy(
        runtime: Runtime, database_url: str) -> None:
    async with runtime.engine.begin() as conn:
        result = await Prepared(_JOB).execute(conn, {"b_key": "x"})
    assert isinstance(result, PreparedResult) == database_url.startswith("sqlite")


async def test_a_statement_it_cannot_run_itself_is_left_to_sqlalchemy(runtime: Runtime) -> None:
    expanding = Prepared(select(jobs.c.key).where(jobs.c.key.in_(bindparam("keys", expanding=True))))
    async with runtime.engine.begin() as conn:
        await queue.enqueue(conn, "k", "k:1", now=NOW)
        result = await expanding.execute(conn, {"keys": ["k:1", "k:2"]})
        assert not isinstance(result, PreparedResult)
        assert [r.key for r in result] == ["k:1"]


async def test_statement_listeners_see_every_statement(runtime: Runtime) -> None:
    """With a cursor listener attached (tests count statements), it runs through SQLAlchemy."""
    seen: list[str] = []

    def listen(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(statement)

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", listen)
    try:
        async with runtime.engine.begin() as conn:
            await Prepared(_TOUCH).execute(conn, {"b_key": "x"})
    finally:
        event.remove(runtime.engine.sync_engine, "before_cursor_execute", listen)
    assert [s for s in seen if s.startswith("UPDATE jobs")]


async def test_a_first_write_waits_for_another_processs_lock_with_the_loop_running_then_goes_through(
        tmp_path: Path) -> None:
    path = tmp_path / "locked.sqlite3"
    engine = create_engine(f"sqlite:///{path}")
    try:
        async with engine.begin() as conn:
            await conn.run_sync(lambda sync: jobs.create(sync))
            await Prepared(_INSERT_JOB).execute(conn, {"kind": "k", "key": "a", "payload": {}, "at": NOW})
        other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock...
        threading.Timer(0.3, lambda: other.execute("COMMIT")).start()  # ...for 0.3 s
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticking = asyncio.create_task(tick())
        started = time.monotonic()
        async with engine.begin() as conn:
            assert (await Prepared(_TOUCH).execute(conn, {"b_key": "a"})).rowcount == 1
        waited = time.monotonic() - started
        ticking.cancel()
        other.close()
        assert waited >= 0.25 and ticks >= 10  # it waited, on the loop, which ran meanwhile
        async with engine.connect() as conn:
            assert (await conn.execute(select(jobs.c.attempts))).scalar() == 1
    finally:
        await engine.dispose()


def test_a_datetime_parameter_is_stored_in_sqlalchemys_format(tmp_path: Path) -> None:
    async def run() -> str:
        engine = create_engine(f"sqlite:///{tmp_path / 'f.sqlite3'}")
        try:
            async with engine.begin() as conn:
                await conn.run_sync(lambda sync: jobs.create(sync))
                await Prepared(_INSERT_JOB).execute(conn, {"kind": "k", "key": "a", "payload": {},
                                                           "at": NOW + timedelta(hours=1)})
        finally:
            await engine.dispose()
        with sqlite3.connect(tmp_path / "f.sqlite3") as raw:
            return str(raw.execute("SELECT run_after FROM jobs").fetchone()[0])

    assert asyncio.run(run()) == "2026-12-05 02:02:03.456789"


async def test_many_rows_are_written_as_one_by_one(runtime: Runtime) -> None:
    plain = insert(jobs)
    rows = [{"kind": "k", "key": f"many:{n}", "payload": {"n": n}, "status": "queued", "attempts": 0, "runs": 0,
             "max_attempts": 3, "run_after": NOW, "rerun": False, "last_error": "", "created_at": NOW,
             "updated_at": NOW} for n in range(3)]
    async with runtime.engine.begin() as conn:
        await Prepared(plain).execute_many(conn, rows)
        await Prepared(plain).execute_many(conn, [])
        stored = [(r.key, r.payload, r.run_after) for r in (await conn.execute(select(jobs).order_by(jobs.c.key)))]
    assert stored == [(f"many:{n}", {"n": n}, NOW) for n in range(3)]


def test_none_for_a_nullable_json_column_is_stored_as_sqlalchemy_stores_it(tmp_path: Path) -> None:
    """SQLAlchemy runs every parameter through its type's processor, None too (JSON's makes it 'null')."""
    table = Table("notes", MetaData(), Column("id", Integer, primary_key=True), Column("body", JSON, nullable=True))
    add = insert(table).values(id=bindparam("b_id"), body=bindparam("b_body", type_=JSON()))

    async def run() -> None:
        engine = create_engine(f"sqlite:///{tmp_path / 'j.sqlite3'}")
        try:
            async with engine.begin() as conn:
                await conn.run_sync(lambda sync: table.create(sync))
                await Prepared(add).execute(conn, {"b_id": 1, "b_body": None})
                await conn.execute(add, {"b_id": 2, "b_body": None})
        finally:
            await engine.dispose()

    asyncio.run(run())
    with sqlite3.connect(tmp_path / "j.sqlite3") as raw:
        stored = raw.execute("SELECT id, body FROM notes ORDER BY id").fetchall()
    assert stored[0][1] == stored[1][1]


async def test_a_write_outside_a_transaction_is_committed_by_the_connections_commit(runtime: Runtime) -> None:
    async with runtime.engine.connect() as conn:
        await Prepared(_INSERT_JOB).execute(conn, {"kind": "k", "key": "outside", "payload": {}, "at": NOW})
        await conn.commit()
    async with runtime.engine.connect() as conn:
        assert (await Prepared(_JOB).execute(conn, {"b_key": "outside"})).first() is not None
