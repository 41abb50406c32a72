"""Signed ``GET /orders/:id`` through uvicorn, against a bare Starlette JSON endpoint in the same run.

Both servers run in a subprocess with the same uvicorn settings and are loaded the same way from this
process; the figure that matters is the ratio (aim ≥ 0.6), which the machine's noise affects less than
either absolute number.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path

from easel.client import sign_request
from easel.demo.seed import DEMO_SECRET, DEMO_USERNAME, seed_demo
from easel.runtime import Runtime
from easel.secret_box import new_key
from easel.settings import Settings
from easel.storage import migrate

from .servers import requests_per_second, uvicorn_process

ADDRESS = {"name": "A", "address": "1 St", "city": "Austin", "state": "TX", "zip": "78701", "country": "US"}


async def _prepare(settings: Settings) -> int:
    runtime = Runtime.create(settings)
    try:
        await migrate.upgrade(runtime.engine)
        await seed_demo(runtime, images=False)
        async with runtime.engine.connect() as conn:
            from sqlalchemy import select

            from easel.storage.tables import configurations

            rows = (await conn.execute(select(configurations.c.sku, configurations.c.choices))).all()
            skus = [r.sku for r in rows if r.choices["style"] == "PO"][:3]
        from easel.domain.orders import OrderRequest

        merchant = (await runtime.merchants.by_username(DEMO_USERNAME))
        assert merchant is not None
        request = OrderRequest.model_validate({"customer": {**ADDRESS, "email": "a@b.co", "phone": "555"},
                                               "shipping": ADDRESS, "items": [{"sku": s} for s in skus]})
        order, _ = await runtime.orders.create(merchant.merchant, request, None)
        return order.id
    finally:
        await runtime.close()


def run(seconds: float = 5.0) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        key = new_key()
        settings = Settings(data_dir=Path(folder), secret_key=key, rate_limit=10**9)
        order_id = asyncio.run(_prepare(settings))
        env = {"EASEL_DATA_DIR": folder, "EASEL_SECRET_KEY": key, "EASEL_RATE_LIMIT": str(10**9),
               "EASEL_LOG_LEVEL": "warning", "EASEL_IN_PROCESS_WORKER": "false"}
        path = f"/orders/{order_id}"
        body = json.dumps(sign_request(path.lstrip("/"), {}, DEMO_USERNAME, DEMO_SECRET)).encode()
        headers = {"Content-Type": "application/json"}

        def signed_get() -> tuple[str, str, dict[str, str], bytes | None]:
            return "GET", path, headers, body

        with uvicorn_process("tests.bench.bare_app:create") as base:
            requests_per_second(base, signed_get, seconds=1)  # warm up
            bare = requests_per_second(base, signed_get, seconds=seconds)
        ping_body = json.dumps(sign_request("ping", {}, DEMO_USERNAME, DEMO_SECRET)).encode()

        def signed_ping() -> tuple[str, str, dict[str, str], bytes | None]:
            return "POST", "/ping", headers, ping_body

        with uvicorn_process("easel.app:create_app", env=env) as base:
            requests_per_second(base, signed_get, seconds=1)
            easel = requests_per_second(base, signed_get, seconds=seconds)
            # The same signature path without the database: where the time of a signed GET goes.
            ping = requests_per_second(base, signed_ping, seconds=seconds)
    return {"bare_starlette_rps": round(bare), "easel_signed_get_rps": round(easel),
            "easel_signed_ping_rps": round(ping), "ratio": round(easel / bare, 2),
            "ratio_without_database": round(ping / bare, 2), "target_ratio": 0.6}
