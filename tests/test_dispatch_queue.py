"""The jobs queue and the worker: keys coalesce, leases expire and are taken over, SQLite has one
lease-holding worker, failures back off and then park, and the CLI lists, shows, retries and cancels."""

from __future__ import annotations

import asyncio
import contextlib
import random
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import event

from easel.cli import main
from easel.dispatch import queue
from easel.dispatch.backoff import RetryPolicy
from easel.dispatch.worker import SQLITE_LEASE, JobKind, Park, Reschedule, Worker
from easel.runtime import Runtime
from easel.settings import Settings
from easel.storage.engine import create_engine
from easel.vendors.errors import VendorUnavailable

from .dispatch_helpers import FakeClock


@pytest.mark.anyio
async def test_enqueueing_a_key_again_coalesces_and_rearms(runtime: Runtime) -> None:
    clock = FakeClock()
    async with runtime.engine.begin() as conn:
        await queue.enqueue(conn, "k", "k:1", {"n": 1}, now=clock())
        await queue.enqueue(conn, "k", "k:1", {"n": 2}, now=clock())
        [claimed] = await queue.claim(conn, "w1", limit=10, lease=5, now=clock())
        await queue.enqueue(conn, "k", "k:1", {"n": 3}, now=clock())  # while running: run once more
        assert await queue.finish(conn, claimed, "w1", now=clock())
        [again] = await queue.claim(conn, "w1", limit=10, lease=5, now=clock())
        assert again.id == claimed.id and again.payload == {"n": 3} and again.runs == 2
        assert await queue.finish(conn, again, "w1", now=clock())
        assert await queue.claim(conn, "w1", limit=10, lease=5, now=clock()) == []


@pytest.mark.anyio
async def test_an_expired_lease_is_taken_over_and_the_old_holder_cannot_finish(runtime: Runtime) -> None:
    clock = FakeClock()
    async with runtime.engine.begin() as conn:
        await queue.enqueue(conn, "k", "k:1", now=clock())
        [first] = await queue.claim(conn, "dead", limit=1, lease=5, now=clock())
        assert await queue.claim(conn, "w2", limit=1, lease=5, now=clock()) == []
        clock.advance(6)
        [taken] = await queue.claim(conn, "w2", limit=1, lease=5, now=clock())
        assert taken.id == first.id
        assert not await queue.finish(conn, first, "dead", now=clock())
        assert await queue.finish(conn, taken, "w2", now=clock())


@pytest.mark.anyio
async def test_claims_take_due_and_abandoned_jobs_alike_oldest_first(runtime: Runtime) -> None:
    """Queued jobs that are due and running jobs whose lease ran out are one line, by ``run_after``."""
    clock = FakeClock()
    async with runtime.engine.begin() as conn:
        await queue.enqueue(conn, "k", "abandoned", now=clock())
        [abandoned] = await queue.claim(conn, "dead", limit=1, lease=5, now=clock())
        clock.advance(1)
        await queue.enqueue(conn, "k", "due", now=clock())
        await queue.enqueue(conn, "k", "later", run_after=clock() + timedelta(hours=1), now=clock())
        assert await queue.claim(conn, "w", limit=5, lease=5, now=clock()) != []  # "due" only: the lease holds
        clock.advance(10)
        await queue.enqueue(conn, "k", "due again", now=clock())
        [first] = await queue.claim(conn, "w2", limit=1, lease=5, now=clock())
        assert first.id == abandoned.id and first.runs == 2
        claimed = await queue.claim(conn, "w2", limit=5, lease=5, now=clock())
        assert [j.key for j in claimed] == ["due", "due again"]  # "due" was abandoned by "w" in turn


@pytest.mark.anyio
async def test_on_sqlite_one_worker_holds_the_lease(runtime: Runtime, database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the lease is how SQLite keeps to one worker")
    clock = FakeClock()
    one = Worker(runtime.engine, {}, name="one", lease=5, clock=clock)
    two = Worker(runtime.engine, {}, name="two", lease=5, clock=clock)
    assert await one._may_work() and not await two._may_work()
    clock.advance(6)
    assert await two._may_work() and not await one._may_work()
    async with runtime.engine.begin() as conn:
        await queue.release_lease(conn, SQLITE_LEASE, "two")
    assert await one._may_work()


@pytest.mark.anyio
async def test_failures_back_off_with_jitter_then_park_and_a_retry_requeues(runtime: Runtime) -> None:
    clock = FakeClock()
    seen: list[str] = []
    parked: list[str] = []

    async def flaky(job: queue.Job) -> None:
        seen.append(job.kind)
        raise VendorUnavailable("pwinty", "create_order", "503", status=503)

    async def on_park(conn: object, job: queue.Job, reason: str) -> None:
        parked.append(reason)

    policy = RetryPolicy(base=10, cap=100, max_attempts=4)
    worker = Worker(runtime.engine, {"flaky": JobKind(flaky, on_park=on_park)}, lease=30, policy=policy,
                    clock=clock, rng=random.Random(1))
    async with runtime.engine.begin() as conn:
        await queue.enqueue(conn, "flaky", "flaky:1", now=clock())
    delays = []
    for _ in range(4):
        assert await worker.run_once() == 1
        async with runtime.engine.connect() as conn:
            [job] = await queue.list_jobs(conn)
        if job.status == "parked":
            break
        delays.append((job.run_after - clock()).total_seconds())
        clock.now = job.run_after
    assert [round(d) for d in delays] == [round(d) for d in delays] and len(delays) == 3
    assert 7.5 <= delays[0] <= 10 and 15 <= delays[1] <= 20 and 30 <= delays[2] <= 40
    assert job.status == "parked" and "gave up after 4 attempts" in job.last_error and parked
    async with runtime.engine.begin() as conn:
        assert await queue.retry(conn, job.id, now=clock())
        assert (await queue.get_job(conn, job.id)).status == "queued"  # type: ignore[union-attr]


@pytest.mark.anyio
async def test_planned_waits_do_not_count_as_failures(runtime: Runtime) -> None:
    clock = FakeClock()

    async def later(job: queue.Job) -> None:
        raise Reschedule(clock() + timedelta(hours=1))

    async def stop(job: queue.Job) -> None:
        raise Park("needs a person")

    worker = Worker(runtime.engine, {"later": JobKind(later), "stop": JobKind(stop)}, clock=clock)
    async with runtime.engine.begin() as conn:
        await queue.enqueue(conn, "later", "later:1", now=clock())
        await queue.enqueue(conn, "stop", "stop:1", now=clock())
    await worker.run_until_idle()
    async with runtime.engine.connect() as conn:
        jobs = {j.kind: j for j in await queue.list_jobs(conn)}
    assert jobs["later"].status == "queued" and jobs["later"].attempts == 0
    assert jobs["stop"].status == "parked" and jobs["stop"].last_error == "needs a person"


def test_the_jobs_commands(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    async def park_one() -> int:
        engine = create_engine(settings.resolved_database_url)
        try:
            async with engine.begin() as conn:
                await queue.enqueue(conn, "dispatch", "dispatch:99", {"order_id": 99}, order_id=99)
                [job] = await queue.claim(conn, "w", limit=1, lease=5, now=FakeClock()())
                await queue.park(conn, job, "w", reason="pwinty.submit: refused", now=FakeClock()())
                return job.id
        finally:
            await engine.dispose()

    job_id = asyncio.run(park_one())
    for name, value in (("DATABASE_URL", settings.database_url), ("EASEL_SECRET_KEY", settings.secret_key),
                        ("EASEL_DATA_DIR", str(settings.data_dir))):
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    listed = runner.invoke(main, ["jobs", "list", "--status", "parked"])
    assert listed.exit_code == 0 and "dispatch\tparked\torder 99" in listed.output, listed.output
    shown = runner.invoke(main, ["jobs", "show", str(job_id)])
    assert shown.exit_code == 0 and "pwinty.submit: refused" in shown.output
    assert runner.invoke(main, ["jobs", "retry", str(job_id)]).exit_code == 0
    assert runner.invoke(main, ["jobs", "cancel", str(job_id)]).exit_code == 0
    missing = runner.invoke(main, ["jobs", "retry", "12345"])
    assert missing.exit_code == 1 and "no parked or cancelled job 12345" in missing.output


@pytest.mark.anyio
async def test_a_busy_worker_claims_each_slots_next_job_as_it_records_the_last(runtime: Runtime) -> None:
    """The transaction that marks a job done also claims the freed slot's next job: a busy worker spends
    no transaction of its own on claiming (every job still runs, once)."""
    ran: list[int] = []
    all_ran = asyncio.Event()

    async def work(job: queue.Job) -> None:
        ran.append(int(job.payload["n"]))
        if len(ran) == 8:
            all_ran.set()

    open_: dict[int, list[str]] = {}  # per connection: slots write side by side on PostgreSQL
    transactions: list[list[str]] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.startswith("UPDATE jobs"):  # (not this test's own reads)
            open_.setdefault(id(conn), []).append(statement)

    def committed(conn: object) -> None:
        transactions.append(open_.pop(id(conn), []))

    worker = Worker(runtime.engine, {"work": JobKind(work)}, concurrency=2, poll=0.05)
    async with runtime.engine.begin() as conn:
        for n in range(8):
            await queue.enqueue(conn, "work", f"work:{n}", {"n": n})
    event.listen(runtime.engine.sync_engine, "before_cursor_execute", seen)
    event.listen(runtime.engine.sync_engine, "commit", committed)
    try:
        running = asyncio.create_task(worker.run())
        await asyncio.wait_for(all_ran.wait(), 20)
        for _ in range(200):  # the last completions commit after their handlers return
            async with runtime.engine.connect() as conn:
                if {j.status for j in await queue.list_jobs(conn)} == {"done"}:
                    break
            await asyncio.sleep(0.05)
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    finally:
        event.remove(runtime.engine.sync_engine, "before_cursor_execute", seen)
        event.remove(runtime.engine.sync_engine, "commit", committed)
    assert sorted(ran) == list(range(8))
    claims_with_a_finish = [t for t in transactions if any("jobs.runs +" in s for s in t) and len(t) > 1]
    assert len(claims_with_a_finish) == 8  # each completion claimed the slot's next job (the last two: none)
    async with runtime.engine.connect() as conn:
        assert {(j.status, j.runs) for j in await queue.list_jobs(conn)} == {("done", 1)}


@pytest.mark.anyio
@pytest.mark.parametrize("watch", [0.01, 0.0])
async def test_an_idle_worker_on_sqlite_sees_a_job_queued_by_another_process_at_once(
        runtime: Runtime, database_url: str, watch: float) -> None:
    """`easel worker` cannot be woken by the process that places an order: on SQLite it watches the
    commit counter while idle, and claims as soon as anything is committed (not at its next poll)."""
    if not database_url.startswith("sqlite"):
        pytest.skip("the commit counter is SQLite's")
    ran = asyncio.Event()

    async def work(job: queue.Job) -> None:
        ran.set()

    worker = Worker(runtime.engine, {"work": JobKind(work)}, poll=60, watch=watch)
    running = asyncio.create_task(worker.run())
    other = create_engine(runtime.settings.resolved_database_url)  # its own connections, as another process's
    try:
        await asyncio.sleep(0.3)  # the worker has looked, found nothing and gone idle
        async with other.begin() as conn:
            await queue.enqueue(conn, "work", "work:1")
        if watch:
            await asyncio.wait_for(ran.wait(), 2)
        else:  # without the watch it waits for its next poll
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(ran.wait(), 1)
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await other.dispose()
