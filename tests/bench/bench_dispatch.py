"""Fulfilment throughput: 1,000 orders from ``POST /orders`` to "Submitted" at the Pwinty sandbox.

The sandbox is served over real HTTP by its own uvicorn process (as a vendor is its own service); the
workers are ``easel worker`` processes; orders are placed through the signed order API in-process while the workers run. Figures:
seconds and orders per second on SQLite with one worker, and on PostgreSQL with one and with two
workers (and the speed-up), the PostgreSQL part only when a server answers at ``TEST_DATABASE_URL``
(default ``postgresql://postgres@127.0.0.1:5432/test``). ``sqlite_posting_s`` is how long placing the
orders alone took (the workers run meanwhile). ``BENCH_ORDERS=300`` and ``BENCH_SQLITE_ONLY=1`` make a
quick run.

The baseline, in the same run: ``vendor_calls_only_s`` is the same four Pwinty calls per order (create,
add images, submission status, submit) made by easel's Pwinty adapter straight at a fresh sandbox with
the worker's concurrency, and no database, queue or order API: the floor the sandbox and the HTTP client
set. What the worker adds above it is durability (an intent row before each call, the order's status,
the next job).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from easel.demo.seed import seed_demo
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
POSTED: list[float] = []


async def _prepare(settings: Settings) -> None:
    engine = create_engine(settings.resolved_database_url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


async def _place_all(settings: Settings, sandbox: str, workers: int) -> float:
    runtime = Runtime.create(settings)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        await seed_demo(runtime, images=False)
        env = {**os.environ, "DATABASE_URL": settings.database_url, "EASEL_SECRET_KEY": settings.secret_key,
               "EASEL_DATA_DIR": str(settings.data_dir), "EASEL_VENDOR_ACCOUNTS": settings.vendor_accounts,
               "EASEL_POLL_INTERVAL": "1000000", "EASEL_LOG_LEVEL": "warning", "EASEL_JOB_LEASE": "30",
               **{k: v for k, v in os.environ.items() if k == "EASEL_WORKER_CONCURRENCY"}}
        easel = str(Path(sys.executable).parent / "easel")
        processes = [subprocess.Popen([easel, "worker"], env=env, stdout=subprocess.DEVNULL)  # noqa: ASYNC220
                     for _ in range(workers)]
        await asyncio.sleep(1.5)  # let the workers start before the clock does
        async with api_client(runtime) as client, httpx.AsyncClient(headers=CONTROL) as http:
            skus = await styled_skus(runtime, "CG", "S")
            start = time.perf_counter()
            for _ in range(ORDERS):
                await place(client, skus)
            POSTED.append(time.perf_counter() - start)
            while True:
                summary = (await http.get(f"{sandbox}/_control/orders", params={"summary": 1})).json()
                if summary["countsByStatus"].get("Submitted", 0) >= ORDERS:
                    return time.perf_counter() - start
                if time.perf_counter() - start > 600:
                    raise RuntimeError(f"only {summary['total']} orders reached the sandbox in 10 minutes")
                await asyncio.sleep(0.25)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(10)
        await runtime.close()


def _measure(base: Settings, workers: int) -> float:
    with tempfile.TemporaryDirectory() as folder, uvicorn_process("tests.bench.pwinty_app:create") as sandbox:
        settings = replace(base, data_dir=Path(folder), vendor_accounts=write_accounts(Path(folder), sandbox),
                           rate_limit=10**7)
        if not settings.database_url:
            settings = replace(settings, database_url=f"sqlite:///{folder}/bench.sqlite3")
        asyncio.run(_prepare(settings))
        return asyncio.run(_place_all(settings, sandbox, workers))


async def _vendor_calls(sandbox: str, concurrency: int) -> float:
    recipient = Recipient(name="A", country_code="US", address1="1 St", town_or_city="Austin",
                          state_or_county="TX", postal_or_zip_code="78701", email="a@b.co")
    item = PrintItem(sku="GLOBAL-CAN-10x12", image_url="http://127.0.0.1:8000/vendor-files/MP148A/x.jpg",
                     attributes={"wrap": "MirrorWrap", "edge": "19mm"})
    pending = iter(range(ORDERS))
    async with httpx.AsyncClient() as http:
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


def run() -> dict[str, Any]:
    base = Settings(secret_key=new_key())
    figures: dict[str, Any] = {"orders": ORDERS}
    figures["vendor_calls_only_s"] = round(_vendor_calls_only(), 2)
    seconds = _measure(base, 1)
    figures.update(sqlite_1_worker_s=round(seconds, 2), sqlite_1_worker_orders_per_s=round(ORDERS / seconds, 1),
                   sqlite_posting_s=round(POSTED[-1], 2))
    if os.environ.get("BENCH_SQLITE_ONLY"):
        return figures
    for workers in (1, 2):
        with scratch_postgresql() as url:
            if url is None:
                figures["postgresql"] = "skipped: no server answers"
                return figures
            seconds = _measure(replace(base, database_url=url), workers)
        figures[f"postgresql_{workers}_workers_s"] = round(seconds, 2)
        figures[f"postgresql_{workers}_workers_orders_per_s"] = round(ORDERS / seconds, 1)
    figures["postgresql_speedup_2_over_1"] = round(
        figures["postgresql_1_workers_s"] / figures["postgresql_2_workers_s"], 2)
    return figures
