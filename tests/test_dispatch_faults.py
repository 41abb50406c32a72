"""Fulfilment under faults: 30 % vendor errors, a worker killed with SIGKILL mid-dispatch (twice), and
two workers sharing a PostgreSQL queue. Every order reaches the vendor exactly once; none is lost. The
Pwinty sandbox runs strict: its order list is the live API's (pages of 100, no merchantOrderId filter)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import anyio
import pytest
from sqlalchemy import select

from easel.dispatch import queue
from easel.dispatch.worker import JobKind, Worker
from easel.settings import Settings
from easel.storage.tables import jobs, orders

from .dispatch_helpers import (
    api_client,
    fulfilment_runtime,
    place,
    pwinty_sandbox,
    sandbox_orders,
    styled_skus,
    worker,
    write_accounts,
)

pytestmark = pytest.mark.anyio


async def _statuses(runtime, ids: list[int]) -> Counter[str]:  # type: ignore[no-untyped-def]
    async with runtime.engine.connect() as conn:
        rows = await conn.execute(select(orders.c.status).where(orders.c.id.in_(ids)))
        return Counter(r.status for r in rows)


async def test_thirty_percent_vendor_errors_still_submit_every_order_once(settings: Settings, tmp_path: Path) -> None:
    with pwinty_sandbox(strict=True, faults={"seed": 3, "error_rate": 0.3}) as sandbox:
        runtime = await fulfilment_runtime(settings, tmp_path, sandbox, poll_interval=10**6)
        try:
            async with api_client(runtime) as client:
                skus = await styled_skus(runtime, "CG", "S") + await styled_skus(runtime, "PO", "M")
                ids = [await place(client, skus) for _ in range(15)]
            run = worker(runtime, concurrency=4)
            with anyio.fail_after(60):
                while (await _statuses(runtime, ids))["In Production"] < len(ids):
                    await run.run_until_idle()
                    await anyio.sleep(0.02)
            counts = sandbox_orders(sandbox)["countsByMerchantOrderId"]
            assert len(counts) == len(ids) and set(counts.values()) == {1}
            async with runtime.engine.connect() as conn:
                retried = (await conn.execute(select(jobs.c.runs).where(jobs.c.kind == "dispatch"))).scalars().all()
            assert max(retried) > 1  # the faults were real
        finally:
            await runtime.close()


def _worker_process(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([str(Path(sys.executable).parent / "easel"), "worker"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def _wait_for(predicate, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


async def test_a_worker_killed_mid_dispatch_twice_loses_and_duplicates_nothing(
        settings: Settings, tmp_path: Path, database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the SQLite file case; PostgreSQL has its own concurrency test")
    # Slow vendor answers keep the worker inside vendor calls, where the kills land.
    with pwinty_sandbox(strict=True, faults={"seed": 1, "slow_rate": 0.5, "slow_seconds": 0.05}) as sandbox:
        runtime = await fulfilment_runtime(settings, tmp_path, sandbox, poll_interval=10**6)
        try:
            async with api_client(runtime) as client:
                skus = await styled_skus(runtime, "CG", "S") + await styled_skus(runtime, "PO", "S")
                ids = [await place(client, skus) for _ in range(24)]
            env = {**os.environ, "DATABASE_URL": database_url, "EASEL_SECRET_KEY": settings.secret_key,
                   "EASEL_DATA_DIR": str(settings.data_dir), "EASEL_VENDOR_ACCOUNTS": write_accounts(tmp_path, sandbox),
                   "EASEL_JOB_LEASE": "1", "EASEL_JOB_BACKOFF": "1", "EASEL_POLL_INTERVAL": "1000000",
                   "EASEL_LOG_LEVEL": "warning", "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "server")}  # noqa: ASYNC240

            def created() -> int:
                return len(sandbox_orders(sandbox)["orders"])

            for at_least in (4, 12):
                process = _worker_process(env)
                try:
                    _wait_for(lambda n=at_least: created() >= n, 60)
                finally:
                    process.send_signal(signal.SIGKILL)
                    process.wait()
            process = _worker_process(env)
            try:
                with anyio.move_on_after(120):  # (a shared CI machine: an attempt may fail and back off)
                    while (await _statuses(runtime, ids))["In Production"] < len(ids):  # noqa: ASYNC110
                        await anyio.sleep(0.1)
                statuses = await _statuses(runtime, ids)
                async with runtime.engine.connect() as conn:  # what the jobs say, should the orders not be there
                    held = [(j.status, j.attempts, j.last_error[:200]) for j in await queue.list_jobs(conn)
                            if j.kind == "dispatch" and j.status != "done"]
                assert statuses["In Production"] == len(ids), (statuses, held)
            finally:
                process.terminate()
                process.wait(10)
            counts = sandbox_orders(sandbox)["countsByMerchantOrderId"]
            assert len(counts) == len(ids) and set(counts.values()) == {1}
            assert {o["status"] for o in sandbox_orders(sandbox)["orders"]} == {"Submitted"}
            assert {o["images"] for o in sandbox_orders(sandbox)["orders"]} == {2}
        finally:
            await runtime.close()


async def test_two_workers_on_postgresql_never_run_a_job_twice(settings: Settings, tmp_path: Path,
                                                               database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SKIP LOCKED sharing is a PostgreSQL matter; SQLite runs one lease-holding worker")
    with pwinty_sandbox() as sandbox:
        runtime = await fulfilment_runtime(settings, tmp_path, sandbox, poll_interval=10**6)
        try:
            ran: list[int] = []

            async def probe(job: queue.Job) -> None:
                ran.append(job.id)
                await anyio.sleep(0.002)

            async with runtime.engine.begin() as conn:
                for n in range(300):
                    await queue.enqueue(conn, "probe", f"probe:{n}")
            async with api_client(runtime) as client:
                skus = await styled_skus(runtime, "CG", "S")
                ids = [await place(client, skus) for _ in range(20)]
            kinds = {**runtime.dispatch.kinds(), "probe": JobKind(probe)}
            workers = [Worker(runtime.engine, kinds, lease=5, concurrency=4, poll=0.01) for _ in range(2)]
            with anyio.fail_after(60):
                async with anyio.create_task_group() as tg:
                    for w in workers:
                        tg.start_soon(w.run)
                    while len(set(ran)) < 300 or (await _statuses(runtime, ids))["In Production"] < len(ids):  # noqa: ASYNC110
                        await anyio.sleep(0.05)
                    tg.cancel_scope.cancel()
            assert sorted(ran) == sorted(set(ran)) and len(ran) == 300
            async with runtime.engine.connect() as conn:
                runs = (await conn.execute(select(jobs.c.runs).where(jobs.c.kind.in_(["probe", "dispatch"])))).scalars()
                assert set(runs) == {1}
            counts = sandbox_orders(sandbox)["countsByMerchantOrderId"]
            assert len(counts) == len(ids) and set(counts.values()) == {1}
        finally:
            await runtime.close()
