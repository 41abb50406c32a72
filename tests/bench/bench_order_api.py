"""Signed ``GET /orders/:id`` through uvicorn, against a bare Starlette JSON endpoint in the same run.

Both servers run in a subprocess with the same uvicorn settings and are loaded the same way from this
process; the figure that matters is the ratio (aim ≥ 0.6), which the machine's noise affects less than
either absolute number. The signed GET is measured on SQLite (the default) and, when a server answers at
``TEST_DATABASE_URL`` (or the local default), on PostgreSQL too, there beside easel reading the order in
full on every request (``order_api_app.full_read``: what the order's row-version check saves); signed
``/ping`` shows the same request path without the database. Each server's CPU time per request is printed
too: other work on a shared machine moves it far less than requests per second.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from sqlalchemy import select, update

from easel.client import sign_request
from easel.demo.seed import DEMO_SECRET, DEMO_USERNAME, seed_demo
from easel.domain.orders import OrderRequest
from easel.runtime import Runtime
from easel.secret_box import new_key
from easel.settings import Settings
from easel.storage import migrate
from easel.storage.tables import configurations, merchants

from ..dispatch_helpers import write_accounts
from .servers import alternating_rps, scratch_postgresql, uvicorn_process

ADDRESS = {"name": "A", "address": "1 St", "city": "Austin", "state": "TX", "zip": "78701", "country": "US"}


async def _prepare(settings: Settings) -> int:
    runtime = Runtime.create(settings)
    try:
        await migrate.upgrade(runtime.engine)
        await seed_demo(runtime, images=False)
        async with runtime.engine.begin() as conn:  # the demo merchant's own limit would stop the load: EASEL_RATE_LIMIT
            await conn.execute(update(merchants).where(merchants.c.username == DEMO_USERNAME).values(rate_limit=None))
        async with runtime.engine.connect() as conn:
            rows = (await conn.execute(select(configurations.c.sku, configurations.c.choices))).all()
            skus = [r.sku for r in rows if r.choices["style"] == "PO"][:3]
        merchant = await runtime.merchants.by_username(DEMO_USERNAME)
        assert merchant is not None
        request = OrderRequest.model_validate({"customer": {**ADDRESS, "email": "a@b.co", "phone": "555"},
                                               "shipping": ADDRESS, "items": [{"sku": s} for s in skus]})
        order_id, _ = await runtime.orders.create(merchant.merchant, request, None)
        return order_id
    finally:
        await runtime.close()


def _signed(path: str, method: str = "GET") -> Callable[[], tuple[str, str, dict[str, str], bytes | None]]:
    body = json.dumps(sign_request(path.lstrip("/"), {}, DEMO_USERNAME, DEMO_SECRET)).encode()
    request = (method, path, {"Content-Type": "application/json"}, body)
    return lambda: request


def _env(settings: Settings) -> dict[str, str]:
    env = {"EASEL_DATA_DIR": str(settings.data_dir), "EASEL_SECRET_KEY": settings.secret_key,
           "EASEL_RATE_LIMIT": str(10**9), "EASEL_LOG_LEVEL": "warning", "EASEL_WORKER": "false",
           "EASEL_VENDOR_ACCOUNTS": settings.vendor_accounts}
    if settings.database_url:
        env["DATABASE_URL"] = settings.database_url
    return env


def run(seconds: float = 5.0) -> dict[str, float | str]:
    """Bare endpoint, signed GET and signed /ping in alternating slices (see servers.alternating_rps)."""
    with tempfile.TemporaryDirectory() as folder:
        # a vendor account makes the order placeable; no worker runs, so its URL is never called
        accounts = write_accounts(Path(folder), "http://127.0.0.1:9")
        settings = Settings(data_dir=Path(folder), secret_key=new_key(), rate_limit=10**9,
                            vendor_accounts=accounts)
        order_id = asyncio.run(_prepare(settings))
        get, ping = _signed(f"/orders/{order_id}"), _signed("/ping", "POST")
        with uvicorn_process("tests.bench.bare_app:create") as bare_base, \
                uvicorn_process("easel.app:create_app", env=_env(settings)) as base:
            targets = [(bare_base, _signed("/orders/1")), (base, get), (base, ping)]
            alternating_rps(targets, seconds=len(targets))  # warm up
            cpu: list[float] = []
            bare, easel, pinged = alternating_rps(targets, seconds=seconds, cpu_us=cpu)
        figures: dict[str, float | str] = {
            "bare_starlette_rps": round(bare), "easel_signed_get_rps": round(easel),
            "easel_signed_ping_rps": round(pinged), "ratio": round(easel / bare, 2),
            "ratio_without_database": round(pinged / bare, 2), "target_ratio": 0.6,
            "bare_cpu_us_per_request": round(cpu[0], 1), "easel_get_cpu_us_per_request": round(cpu[1], 1),
            "cpu_ratio": round(cpu[0] / cpu[1], 2)}
        with scratch_postgresql() as url:
            if url is None:
                figures["postgresql"] = "skipped: no server answers"
                return figures
            pg_settings = replace(settings, database_url=url)
            order_id = asyncio.run(_prepare(pg_settings))
            with uvicorn_process("tests.bench.bare_app:create") as bare_base, \
                    uvicorn_process("easel.app:create_app", env=_env(pg_settings)) as base, \
                    uvicorn_process("tests.bench.order_api_app:full_read", env=_env(pg_settings)) as full_base:
                get = _signed(f"/orders/{order_id}")
                targets = [(bare_base, _signed("/orders/1")), (base, get), (full_base, get)]
                alternating_rps(targets, seconds=len(targets))
                cpu = []
                bare_pg, pg, full = alternating_rps(targets, seconds=seconds, cpu_us=cpu)
            figures.update(postgresql_signed_get_rps=round(pg), postgresql_bare_rps=round(bare_pg),
                           postgresql_ratio=round(pg / bare_pg, 2), postgresql_full_read_rps=round(full),
                           postgresql_check_gain=round(pg / full, 2),
                           postgresql_cpu_us_per_request=round(cpu[1], 1),
                           postgresql_full_read_cpu_us_per_request=round(cpu[2], 1))
    return figures
