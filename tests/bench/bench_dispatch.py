"""Fulfilment throughput: 1,000 orders from ``POST /orders`` to "Submitted" at the Pwinty sandbox.

The sandbox is served over real HTTP by its own uvicorn process (as a vendor is its own service); the
workers are ``easel worker`` processes; orders are placed through the signed order API in-process while the
workers run. Figures: seconds and orders per second on SQLite with one worker, and on PostgreSQL with one
and with two workers, the PostgreSQL part only when a server answers at ``TEST_DATABASE_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``). ``sqlite_posting_s`` is how long placing the orders took
(the workers run meanwhile). ``BENCH_ORDERS=300`` and ``BENCH_SQLITE_ONLY=1`` make a quick run.

The baseline, in the same run: ``vendor_calls_only_s`` is the same four Pwinty calls per order (create,
add images, submission status, submit) made by easel's Pwinty adapter and HTTP client straight at a fresh sandbox with
the worker's concurrency, and no database, queue or order API: the floor the sandbox and the HTTP client
set, measured before and after each SQLite run (a shared machine drifts). A run's ratio is its time over
the mean of the floors on its two sides; ``sqlite_ratio`` is the median of ``BENCH_SQLITE_RUNS`` (3) runs,
``sqlite_ratios`` all of them. What the worker adds above it is durability (an intent
row before each call that is not safe to repeat, the order's status, the next job).

Placing orders while the workers run measures the whole path, but on PostgreSQL the order API (this
process) then sets the pace, not the workers. So the workers are also timed alone: the orders are placed
first, then the workers start and drain the queue (``postgresql_{n}_workers_drain_orders_per_s`` and
``postgresql_drain_speedup_2_over_1``), with each process's CPU per order (worker, sandbox, PostgreSQL's
backends) for the model in the README. ``cores`` and ``load_average`` say how much of the machine was free.

Those drains are CPU-bound: on a 2-core machine the two workers share their cores with the sandbox and
PostgreSQL, so "two cores free for them" cannot be had. The last pair of drains holds every vendor
answer back ``BENCH_VENDOR_LATENCY`` seconds (0.1 by default, the sandbox's own fault setting; a real
vendor answers across the internet): each worker then needs a fraction of a core, and
``postgresql_latency_speedup_2_over_1`` shows whether a second worker adds what the first has, that is
whether anything in the queue or the database makes workers wait for each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from easel.demo.seed import seed_demo
from easel.http_client import shared_client
from easel.runtime import Runtime
from easel.secret_box import new_key
from easel.settings import Settings
from easel.storage import migrate
from easel.storage.engine import create_engine
from easel.vendors.pwinty import PrintItem, PwintyAdapter, Recipient

from ..dispatch_helpers import api_client, place, styled_skus, write_accounts
from ..sandbox_access import CONTROL
from .servers import scratch_postgresql, uvicorn_process

ORDERS = int(os.environ.get("BENCH_ORDERS", "1000"))
SQLITE_RUNS = int(os.environ.get("BENCH_SQLITE_RUNS", "3"))
"""SQLite runs, each between two measurements of the floor; the figure is the median."""
LATENCY = float(os.environ.get("BENCH_VENDOR_LATENCY", "0.1"))
"""Seconds each vendor answer is held back in the PostgreSQL scaling run with latency."""
POSTED: list[float] = []


async def _prepare(settings: Settings) -> None:
    engine = create_engine(settings.resolved_database_url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _sandbox_pid(sandbox: str) -> int:
    port = sandbox.rsplit(":", 1)[1]
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "pwinty_app" in command and f"--port {port} " in command:
            return int(entry.name)
    raise RuntimeError("the sandbox process is not found")


async def _backends(url: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend serving the bench's database (none on SQLite)."""
    if not url.startswith("postgresql"):
        return {}
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                "AND pid <> pg_backend_pid()")
    finally:
        await conn.close()
    found: dict[int, float] = {}
    for row in rows:
        with contextlib.suppress(OSError):  # a backend on another host, or gone
            found[int(row["pid"])] = _cpu_seconds(int(row["pid"]))
    return found


async def _submitted(http: httpx.AsyncClient, sandbox: str) -> int:
    summary = (await http.get(f"{sandbox}/_control/orders", params={"summary": 1})).json()
    return int(summary["countsByStatus"].get("Submitted", 0))


async def _place_all(settings: Settings, sandbox: str, workers: int, drain: bool) -> dict[str, float]:
    """Place the orders while the workers run (or, with ``drain``, before they start) and time them to
    Submitted; with ``drain`` also each process's CPU per order drained."""
    runtime = Runtime.create(settings)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        await seed_demo(runtime, images=False)
        env = {**os.environ, "DATABASE_URL": settings.database_url, "EASEL_SECRET_KEY": settings.secret_key,
               "EASEL_DATA_DIR": str(settings.data_dir), "EASEL_VENDOR_ACCOUNTS": settings.vendor_accounts,
               "EASEL_POLL_INTERVAL": "1000000", "EASEL_LOG_LEVEL": "warning", "EASEL_JOB_LEASE": "30",
               **{k: v for k, v in os.environ.items() if k == "EASEL_WORKER_CONCURRENCY"}}
        easel = str(Path(sys.executable).parent / "easel")

        def start_workers() -> list[subprocess.Popen[bytes]]:
            return [subprocess.Popen([easel, "worker"], env=env, stdout=subprocess.DEVNULL)
                    for _ in range(workers)]

        async with api_client(runtime) as client, httpx.AsyncClient(headers=CONTROL) as http:
            skus = await styled_skus(runtime, "CG", "S")
            processes = start_workers()
            await asyncio.sleep(1.5)  # let the workers start before the clock does
            if drain:  # hold them (their start-up is not a cost per order) until the orders are placed
                for process in processes:
                    process.send_signal(signal.SIGSTOP)
                workers_cpu = sum(_cpu_seconds(p.pid) for p in processes)
            start = time.perf_counter()
            for _ in range(ORDERS):
                await place(client, skus)
            POSTED.append(time.perf_counter() - start)
            figures: dict[str, float] = {}
            if drain:
                sandbox_cpu, backends = _cpu_seconds(_sandbox_pid(sandbox)), await _backends(settings.database_url)
                for process in processes:
                    process.send_signal(signal.SIGCONT)
                start = time.perf_counter()
            while (done := await _submitted(http, sandbox)) < ORDERS:
                if time.perf_counter() - start > 600:
                    raise RuntimeError(f"only {done} orders reached Submitted in 10 minutes")
                await asyncio.sleep(0.1 if drain else 0.25)
            figures["seconds"] = time.perf_counter() - start
            if drain:
                per_order = 1000 / ORDERS
                figures["worker_cpu_ms"] = (sum(_cpu_seconds(p.pid) for p in processes) - workers_cpu) * per_order
                figures["sandbox_cpu_ms"] = (_cpu_seconds(_sandbox_pid(sandbox)) - sandbox_cpu) * per_order
                now = await _backends(settings.database_url)
                figures["postgresql_cpu_ms"] = sum(v - backends.get(k, 0.0) for k, v in now.items()) * per_order
            return figures
    finally:
        for process in processes:
            process.send_signal(signal.SIGCONT)  # a stopped process would not act on SIGTERM
            process.terminate()
        for process in processes:
            process.wait(10)
        await runtime.close()


def _measure(base: Settings, workers: int, drain: bool = False, latency: float = 0.0) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder, uvicorn_process("tests.bench.pwinty_app:create") as sandbox:
        if latency:  # every call answered `latency` seconds late, as a vendor across the internet is
            httpx.post(f"{sandbox}/_control/faults", headers=CONTROL,
                       json={"slow_rate": 1.0, "slow_seconds": latency}).raise_for_status()
        settings = replace(base, data_dir=Path(folder), vendor_accounts=write_accounts(Path(folder), sandbox),
                           rate_limit=10**7)
        if not settings.database_url:
            settings = replace(settings, database_url=f"sqlite:///{folder}/bench.sqlite3")
        asyncio.run(_prepare(settings))
        return asyncio.run(_place_all(settings, sandbox, workers, drain))


async def _vendor_calls(sandbox: str, concurrency: int) -> float:
    recipient = Recipient(name="A", country_code="US", address1="1 St", town_or_city="Austin",
                          state_or_county="TX", postal_or_zip_code="78701", email="a@b.co")
    item = PrintItem(sku="GLOBAL-CAN-10x12", image_url="http://127.0.0.1:8000/vendor-files/MP148A/x.jpg",
                     attributes={"wrap": "MirrorWrap", "edge": "19mm"})
    pending = iter(range(ORDERS))
    async with shared_client() as http:  # the client the worker uses, so the floor pays what easel pays
        adapter = PwintyAdapter(http, merchant_id="sandbox-merchant", api_key="sandbox-key", base_url=sandbox)

        async def one_at_a_time() -> None:
            for n in pending:
                order = await adapter.create_order(recipient, merchant_order_id=f"B{n}", shipping_method="Standard")
                await adapter.add_images(order.id, [item])
                await adapter.ensure_submittable(order.id)
                await adapter.submit(order.id)

        start = time.perf_counter()
        await asyncio.gather(*[one_at_a_time() for _ in range(concurrency)])
        return time.perf_counter() - start


def _vendor_calls_only() -> float:
    with uvicorn_process("tests.bench.pwinty_app:create") as sandbox:
        return asyncio.run(_vendor_calls(sandbox, Settings().worker_concurrency))


def _on_postgresql(base: Settings, workers: int, *, drain: bool = False,
                   latency: float = 0.0) -> dict[str, float] | None:
    """:func:`_measure` on a scratch PostgreSQL database; None when no server answers."""
    with scratch_postgresql() as url:
        return None if url is None else _measure(replace(base, database_url=url), workers, drain, latency)


def run() -> dict[str, Any]:
    base = Settings(secret_key=new_key())
    figures: dict[str, Any] = {"orders": ORDERS, "cores": os.cpu_count(),
                               "load_average": round(os.getloadavg()[0], 1)}
    # Runs and floors alternate, each run against the mean of the floors on both sides of it (a shared
    # machine's speed drifts by a fifth within a minute); the figure is the median run.
    floors = [_vendor_calls_only()]
    runs: list[tuple[float, float, float]] = []  # (ratio, seconds, posting)
    for _ in range(SQLITE_RUNS):
        seconds = _measure(base, 1)["seconds"]
        floors.append(_vendor_calls_only())
        runs.append((seconds / ((floors[-2] + floors[-1]) / 2), seconds, POSTED[-1]))
    ratio, seconds, posting = sorted(runs)[len(runs) // 2]
    at = runs.index((ratio, seconds, posting))
    figures["vendor_calls_only_s"] = round((floors[at] + floors[at + 1]) / 2, 2)
    figures["vendor_calls_only_floors_s"] = [round(f, 2) for f in floors]
    figures.update(sqlite_1_worker_s=round(seconds, 2), sqlite_1_worker_orders_per_s=round(ORDERS / seconds, 1),
                   sqlite_posting_s=round(posting, 2), sqlite_ratio=round(ratio, 2),
                   sqlite_ratios=[round(r[0], 2) for r in runs], sqlite_runs_s=[round(r[1], 2) for r in runs])
    if os.environ.get("BENCH_SQLITE_ONLY"):
        return figures
    for workers in (1, 2):
        placed = _on_postgresql(base, workers)
        if placed is None:
            figures["postgresql"] = "skipped: no server answers"
            return figures
        seconds = placed["seconds"]
        figures[f"postgresql_{workers}_workers_s"] = round(seconds, 2)
        figures[f"postgresql_{workers}_workers_orders_per_s"] = round(ORDERS / seconds, 1)
        figures[f"postgresql_{workers}_workers_posting_s"] = round(POSTED[-1], 2)
    figures["postgresql_speedup_2_over_1"] = round(
        figures["postgresql_1_workers_s"] / figures["postgresql_2_workers_s"], 2)
    for workers in (1, 2):
        if (drained := _on_postgresql(base, workers, drain=True)) is None:
            return figures
        figures[f"postgresql_{workers}_workers_drain_orders_per_s"] = round(ORDERS / drained["seconds"], 1)
        for name in ("worker", "sandbox", "postgresql"):
            figures[f"postgresql_{workers}_workers_drain_{name}_cpu_ms_per_order"] = round(drained[f"{name}_cpu_ms"], 2)
    figures["postgresql_drain_speedup_2_over_1"] = round(
        figures["postgresql_2_workers_drain_orders_per_s"] / figures["postgresql_1_workers_drain_orders_per_s"], 2)
    # The same, with the vendor's answers LATENCY seconds late (as across the internet): each worker then
    # waits more than it computes, so two of them have the cores they need on this machine, which the
    # CPU-bound runs above cannot give them beside the sandbox and PostgreSQL.
    for workers in (1, 2):
        if (drained := _on_postgresql(base, workers, drain=True, latency=LATENCY)) is None:
            return figures
        figures[f"postgresql_{workers}_workers_latency_drain_orders_per_s"] = round(ORDERS / drained["seconds"], 1)
    figures["vendor_latency_s"] = LATENCY
    figures["postgresql_latency_speedup_2_over_1"] = round(
        figures["postgresql_2_workers_latency_drain_orders_per_s"]
        / figures["postgresql_1_workers_latency_drain_orders_per_s"], 2)
    figures["load_average_after"] = round(os.getloadavg()[0], 1)
    return figures
