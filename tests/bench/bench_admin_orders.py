"""The admin panel's orders list on 100,000 orders, against the signed ``GET /orders`` on the same data.

One merchant (the demo's) has 100,000 orders (inserted directly with executemany, a few transactions) and
another merchant 5,000, so every query must keep to its merchant. One easel process serves both, through
uvicorn; the panel is signed in as the demo owner (a real session cookie from the real sign-in form). In
alternating slices (see servers.alternating_rps) it measures: the API's first page of 50 orders, the panel's
first page (50 rows, newest first), the panel searching a customer's name, and the panel filtered by a rare
status. The figure that matters is each panel page's throughput as a share of the API's (``ratio_*``; the
issue asks for "comparable", i.e. about 1 or better). Run on SQLite and, when a server answers at
``TEST_DATABASE_URL`` (or the local default), on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import re
import statistics
import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select

from easel.client import sign_request
from easel.demo.seed import DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD, DEMO_SECRET, DEMO_USERNAME, seed_demo
from easel.runtime import Runtime
from easel.secret_box import new_key
from easel.settings import Settings
from easel.storage import merchants as merchant_store
from easel.storage import migrate
from easel.storage.tables import configurations, order_items, orders

from .servers import alternating_rps, scratch_postgresql, uvicorn_process

ORDERS = 100_000
OTHER_ORDERS = 5_000
BATCH = 10_000
PAGE = 50
FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Dennis"]
LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Hamilton", "Ritchie",
        "Wirth", "Kay", "Backus", "Perlis", "Naur", "Iverson", "Floyd", "Hoare", "Milner", "Lamport"]
SEARCH = "hamilton"  # one customer surname in 20: a search that matches 5,000 orders
RARE_STATUS = "On Hold"  # one order in 200
Request = Callable[[], tuple[str, str, dict[str, str], bytes | None]]


def _status(i: int) -> str:
    if i % 200 == 7:
        return RARE_STATUS
    return ("Delivered", "Delivered", "In Transit", "In Production", "Cancelled")[i % 5]


def _rows(merchant_id: int, count: int, first_id: int, sku: str, choices: dict[str, Any],
          start: datetime) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    made, items = [], []
    for n in range(count):
        i = first_id + n
        name = f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]}"
        person = {"name": name, "address": f"{i} Main St", "city": "Austin", "state": "TX", "zip": "78701",
                  "country": "US", "email": f"{name.split()[0].lower()}.{i}@example.com", "phone": "555-0100"}
        when = start + timedelta(seconds=30 * n)
        made.append({"id": i, "merchant_id": merchant_id, "reference": f"B{i:010d}",
                     "external_order_number": f"EXT-{i}", "request_hash": "0" * 64, "status": _status(i),
                     "status_reason": "address needs a look" if _status(i) == RARE_STATUS else "",
                     "is_test": i % 10 == 0, "currency": "USD", "total_cents": 4_000 + (i % 97) * 100,
                     "customer": person, "shipping": person, "shipping_method": "ups",
                     "purchase_date": when, "updated_at": when})
        items.append({"order_id": i, "position": 0, "sku": sku, "gp_sku": "GP-" + sku, "artwork_code": "MP148A",
                      "quantity": 1, "choices": choices, "specs": {}, "image": {}, "unit_retail_cents": 4_000,
                      "unit_cents": 2_500})
    return made, items


async def _prepare(settings: Settings) -> None:
    """The demo data, another merchant, and their orders (ids given, so the two merchants interleave)."""
    runtime = Runtime.create(settings, create_key=True)
    try:
        await migrate.upgrade(runtime.engine)
        await seed_demo(runtime, images=False)
        async with runtime.engine.begin() as conn:
            demo = await merchant_store.merchant_by_username(conn, DEMO_USERNAME)
            assert demo is not None
            other = await merchant_store.create_merchant(
                conn, "benchother", runtime.secrets.encrypt("bench-other-secret"), {"email": "o@example.com"},
                api_key="bench-other-key")
            config = (await conn.execute(select(configurations.c.sku, configurations.c.choices).limit(1))).one()
        start = datetime.now(UTC) - timedelta(seconds=30 * ORDERS)
        plan = [(demo.id, 1 + n, BATCH) for n in range(0, ORDERS, BATCH)]
        plan.insert(len(plan) // 2, (other.id, ORDERS + 1, OTHER_ORDERS))
        for merchant_id, first_id, count in plan:
            made, items = _rows(merchant_id, count, first_id, config.sku, dict(config.choices), start)
            async with runtime.engine.begin() as conn:
                await conn.execute(insert(orders), made)
                await conn.execute(insert(order_items), items)
        if runtime.engine.dialect.name == "postgresql":  # the rows were given ids: move the sequence past them
            async with runtime.engine.begin() as conn:
                await conn.exec_driver_sql("SELECT setval('orders_id_seq', (SELECT max(id) FROM orders))")
                await conn.exec_driver_sql("ANALYZE")
        else:
            async with runtime.engine.begin() as conn:
                await conn.exec_driver_sql("ANALYZE")
    finally:
        await runtime.close()


def _env(settings: Settings) -> dict[str, str]:
    env = {"EASEL_DATA_DIR": str(settings.data_dir), "EASEL_SECRET_KEY": settings.secret_key,
           "EASEL_RATE_LIMIT": str(10**9), "EASEL_LOG_LEVEL": "warning", "EASEL_WORKER": "false",
           "EASEL_ADMIN_PAGE_SIZE": str(PAGE)}
    if settings.database_url:
        env["DATABASE_URL"] = settings.database_url
    return env


def _signed_list() -> Request:
    data = {"start": 0, "rows": PAGE}
    body = json.dumps(sign_request("orders", data, DEMO_USERNAME, DEMO_SECRET)).encode()
    request = ("GET", "/orders", {"Content-Type": "application/json"}, body)
    return lambda: request


def _session_cookie(base: str) -> str:
    """Sign in through the panel's form, as a browser does; the cookie to send with each request."""
    with httpx.Client(base_url=base) as client:
        page = client.get("/admin/sign-in").text
        match = re.search(r'name="csrf" value="([^"]+)"', page)
        assert match is not None, "no CSRF token on the sign-in page"
        answer = client.post("/admin/sign-in", data={"email": DEMO_OWNER_EMAIL, "password": DEMO_OWNER_PASSWORD,
                                                      "csrf": match.group(1), "next": "/admin/"})
        assert answer.status_code == 303, answer.text[:300]
        listed = client.get("/admin/orders")
        assert listed.status_code == 200 and f'href="/admin/orders/{ORDERS}"' in listed.text, listed.text[:500]
        return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


def _panel(path: str, cookie: str) -> Request:
    request = ("GET", path, {"Cookie": cookie}, None)
    return lambda: request


def _measure(base: str, seconds: float) -> dict[str, float]:
    cookie = _session_cookie(base)
    targets = [(base, _signed_list()), (base, _panel("/admin/orders", cookie)),
               (base, _panel(f"/admin/orders?q={SEARCH}", cookie)),
               (base, _panel("/admin/orders?status=" + RARE_STATUS.replace(" ", "+"), cookie))]
    names = ["api_list", "panel_list", "panel_search", "panel_status"]
    alternating_rps(targets, seconds=len(targets), slices=2)  # warm up
    latencies: list[list[float]] = [[] for _ in targets]
    rates = alternating_rps(targets, seconds=seconds * len(targets), latencies=latencies)
    figures: dict[str, float] = {}
    for name, rate, times in zip(names, rates, latencies, strict=True):
        figures[f"{name}_rps"] = round(rate, 1)
        figures[f"{name}_median_ms"] = round(statistics.median(times) * 1000, 1)
    for name in names[1:]:
        figures[f"ratio_{name.removeprefix('panel_')}"] = round(figures[f"{name}_rps"] / figures["api_list_rps"], 2)
    return figures


def run(seconds: float = 3.0) -> dict[str, Any]:
    """Each of the four requests for ``seconds`` in all, in alternating slices, on SQLite then PostgreSQL."""
    result: dict[str, Any] = {"orders": ORDERS, "other_merchant_orders": OTHER_ORDERS, "rows_per_page": PAGE}
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), secret_key=new_key(), rate_limit=10**9)
        asyncio.run(_prepare(settings))
        with uvicorn_process("easel.app:create_app", env=_env(settings)) as base:
            result["sqlite"] = _measure(base, seconds)
        with scratch_postgresql() as url:
            if url is None:
                result["postgresql"] = "skipped: no server answers"
                return result
            pg_settings = replace(settings, database_url=url)
            asyncio.run(_prepare(pg_settings))
            with uvicorn_process("easel.app:create_app", env=_env(pg_settings)) as base:
                result["postgresql"] = _measure(base, seconds)
    return result
