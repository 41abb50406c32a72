"""Per-merchant isolation in the admin panel: every admin URL that names another merchant's order or
job answers 404, exactly as one that names nothing, and lists and dashboards never show them."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select
from starlette.routing import Route

from easel.admin.routes import routes
from easel.runtime import Runtime
from easel.storage.tables import jobs, orders

from .admin_helpers import a_sku, csrf_of, make_user, other_merchant, park_order, place_order, sign_in
from .orders_helpers import call, order

pytestmark = pytest.mark.anyio
ID_ROUTES = [r for r in routes if isinstance(r, Route) and "{order_id" in r.path]


def _url(path: str, **ids: int) -> str:
    return "/admin" + re.sub(r"\{(\w+):int\}", lambda m: str(ids[m.group(1)]), path)


async def _answers(client: httpx.AsyncClient, route: Route, csrf: str, **ids: int) -> list[int]:
    url = _url(route.path, **ids)
    statuses = []
    for method in sorted(route.methods or ()):
        if method == "HEAD":
            continue
        sent = await client.request(method, url, data={"csrf": csrf, "name": "Mallory"} if method == "POST" else None)
        statuses.append(sent.status_code)
    return statuses


def test_the_isolation_test_covers_the_order_routes() -> None:
    assert {r.path for r in ID_ROUTES} >= {"/orders/{order_id:int}", "/orders/{order_id:int}/shipping",
                                           "/orders/{order_id:int}/jobs/{job_id:int}/retry",
                                           "/orders/{order_id:int}/hold", "/orders/{order_id:int}/release",
                                           "/orders/{order_id:int}/cancel",
                                           "/orders/{order_id:int}/events/{event_id}/resend"}


async def test_every_admin_url_of_another_merchant_is_404(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    theirs = await place_order(client, demo_runtime)  # the demo merchant's order, with a parked job
    their_job = await park_order(demo_runtime, theirs, "held")
    await other_merchant(demo_runtime)
    await make_user(demo_runtime, "owner@other.test", merchant="othershop")
    await sign_in(client, "owner@other.test")
    csrf = csrf_of((await client.get("/admin/orders")).text)
    for route in ID_ROUTES:
        assert await _answers(client, route, csrf, order_id=theirs, job_id=their_job) == \
            await _answers(client, route, csrf, order_id=999_999, job_id=999_999) == \
            [404] * len([m for m in route.methods or () if m != "HEAD"]), route.path
    assert (await client.get(f"/admin/orders/{2**40}")).status_code == 404  # past any integer column
    listed = await client.get("/admin/orders", params={"q": str(theirs)})
    assert f'href="/admin/orders/{theirs}"' not in listed.text and "0 orders" in listed.text
    dashboard = (await client.get("/admin/")).text
    assert "Today: 0 orders" in dashboard and "held" not in dashboard
    async with demo_runtime.engine.connect() as conn:  # nothing changed for the demo merchant
        assert (await conn.execute(select(jobs.c.status).where(jobs.c.id == their_job))).scalar_one() == "parked"
        assert (await conn.execute(select(orders.c.shipping).where(orders.c.id == theirs))).scalar_one()["name"] \
            == "Jane Doe"


async def test_a_job_of_another_merchants_order_is_404_under_ones_own_order(client: httpx.AsyncClient,
                                                                            demo_runtime: Runtime) -> None:
    theirs = await place_order(client, demo_runtime)
    their_job = await park_order(demo_runtime, theirs, "held")
    await other_merchant(demo_runtime)
    await make_user(demo_runtime, "owner@other.test", merchant="othershop")
    # the other merchant's own order, placed through the API with its own secret
    mine = await call(client, "POST", "/orders", order([await a_sku(demo_runtime)]), username="othershop",
                      secret="other-secret")
    my_order = int(mine.json()["order"]["id"])
    await sign_in(client, "owner@other.test")
    page = f"/admin/orders/{my_order}"
    assert (await client.get(page)).status_code == 200
    csrf = csrf_of((await client.get(page)).text)
    assert (await client.post(f"{page}/jobs/{their_job}/retry", data={"csrf": csrf})).status_code == 404


async def test_unknown_admin_pages_are_html_404s(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    missing = await client.get("/admin/no-such-page")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "Not found" in missing.text
    wrong_method = await client.delete("/admin/orders")
    assert wrong_method.status_code == 405 and "does not answer DELETE" in wrong_method.text


async def test_control_characters_get_a_4xx_page_not_a_database_error(client: httpx.AsyncClient,
                                                                      demo_runtime: Runtime) -> None:
    page = await client.get("/admin/sign-in")
    nul = await client.post("/admin/sign-in", data={"csrf": csrf_of(page.text), "email": "a\x00@b.test",
                                                    "password": "x"})
    assert nul.status_code == 400 and "control character" in nul.text
    await sign_in(client, "owner@demo.test", "demo")
    listed = await client.get("/admin/orders", params={"q": "jane\x00", "status": "\x00"})
    assert listed.status_code == 400 and "control character" in listed.text
    for text in ("é" * 300, "%", "' OR 1=1 --", "9" * 40):
        assert (await client.get("/admin/orders", params={"q": text})).status_code == 200
    assert (await client.get("/admin/orders", params={"page": "9" * 40})).status_code == 200
    assert (await client.post("/admin/sign-in", data={"csrf": "é€", "email": "x"})).status_code == 403
