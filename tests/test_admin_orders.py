"""The admin panel's dashboard and orders: counts, what needs attention, the chart, search and filters,
an order's timeline, editing the shipping address by the order API's rules, retrying a parked job."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from easel.dispatch.status import Progress
from easel.runtime import Runtime
from easel.storage.tables import jobs, order_events, order_tracking, orders, vendor_orders
from easel.storage.types import utcnow

from .admin_helpers import make_user, park_order, place_order, post_form, sign_in
from .orders_helpers import CUSTOMER, call

pytestmark = pytest.mark.anyio


async def _owner(client: httpx.AsyncClient) -> None:
    assert (await sign_in(client, "owner@demo.test", "demo")).status_code == 303


async def test_dashboard_counts_attention_and_chart(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    first = await place_order(client, demo_runtime)
    second = await place_order(client, demo_runtime)
    job_id = await park_order(demo_runtime, second, "pwinty refused the address: no such ZIP")
    async with demo_runtime.engine.begin() as conn:
        await conn.execute(update(order_events).where(order_events.c.order_id == first).values(
            delivery_state="failed", delivery_attempts=15, delivery_error="gave up: HTTP 500"))
    await _owner(client)
    page = (await client.get("/admin/")).text
    assert "Today: 2 orders" in page and "This week: 2 orders" in page
    assert "pwinty refused the address: no such ZIP" in page  # on hold, with the reason
    assert f"{job_id} (dispatch)" in page  # the parked job
    assert "gave up: HTTP 500" in page  # the failing callback
    assert '<svg class="chart"' in page and "Orders and revenue per day, last 30 days" in page
    assert "2 orders in 30 days" in page


async def test_a_quiet_dashboard_says_nothing_needs_attention(client: httpx.AsyncClient,
                                                              demo_runtime: Runtime) -> None:
    await _owner(client)
    page = (await client.get("/admin/")).text
    assert "Nothing needs you" in page and "Today: 0 orders" in page


async def test_staff_see_orders_but_no_money_and_no_team(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    order_id = await place_order(client, demo_runtime)
    await make_user(demo_runtime, "staff@demo.test", role="staff")
    await sign_in(client, "staff@demo.test")
    dashboard = (await client.get("/admin/")).text
    assert "Orders per day, last 30 days" in dashboard and "revenue" not in dashboard.lower()
    order_page = (await client.get(f"/admin/orders/{order_id}")).text
    assert "Jane Doe" in order_page and "Your price" not in order_page and " USD" not in order_page
    assert " USD" not in (await client.get("/admin/orders")).text
    team = await client.get("/admin/team")
    assert team.status_code == 403 and "for the shop&#39;s owner" in team.text
    assert 'href="/admin/team"' not in dashboard


async def test_operators_list_merchants_and_see_no_orders(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    await make_user(demo_runtime, "ops@host.test", merchant=None, role="operator")
    signed = await sign_in(client, "ops@host.test")
    assert signed.headers["location"] == "/admin/merchants"
    listed = await client.get("/admin/merchants")
    assert listed.status_code == 200 and "testing" in listed.text and "Easel demo gallery" in listed.text
    assert (await client.get("/admin/orders")).status_code == 403


async def test_owners_cannot_open_the_operators_page(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    await _owner(client)
    assert (await client.get("/admin/merchants")).status_code == 404  # the operator's pages do not exist for them


async def test_orders_search_by_id_number_name_and_email(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    ada = await place_order(client, demo_runtime, external_order_number="SHOP-1001",
                            customer={**CUSTOMER, "name": "Ada Lovelace", "email": "ada@example.org"})
    jane = await place_order(client, demo_runtime)
    await _owner(client)

    async def found(query: str) -> set[int]:
        page = await client.get("/admin/orders", params={"q": query})
        assert page.status_code == 200
        return {i for i in (ada, jane) if f'href="/admin/orders/{i}"' in page.text}

    assert await found(str(ada)) == {ada}
    assert await found("SHOP-1001") == {ada}
    assert await found("lovelace") == {ada}
    assert await found("ADA@example") == {ada}
    assert await found("jdoe@") == {jane}
    assert await found("") == {ada, jane}
    assert await found("100%_") == set()  # LIKE wildcards are plain text


async def test_orders_filters_and_pages(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    placed = [await place_order(client, demo_runtime) for _ in range(3)]
    await park_order(demo_runtime, placed[0], "held for the test")
    await _owner(client)
    today = utcnow().date()

    async def count(**params: str) -> str:
        page = await client.get("/admin/orders", params=params)
        return page.text.split('id="result-count">', 1)[1].split("<", 1)[0].split(";")[0]

    assert await count(status="On Hold") == "1 order"
    assert await count(status="Pending") == "2 orders"
    assert await count(mode="test") == "3 orders" and await count(mode="live") == "0 orders"  # a test merchant
    assert await count(**{"from": today.isoformat(), "to": today.isoformat()}) == "3 orders"
    assert await count(**{"from": (today + timedelta(days=1)).isoformat()}) == "0 orders"
    assert await count(to=(today - timedelta(days=1)).isoformat()) == "0 orders"
    bad = await client.get("/admin/orders", params={"from": "yesterday", "status": "Lost"})
    assert bad.status_code == 400 and "must be a date" in bad.text and "no status" in bad.text
    demo_runtime.settings = dataclasses.replace(demo_runtime.settings, admin_page_size=2)
    first = await client.get("/admin/orders")
    assert "page 1 of 2" in first.text and 'rel="next"' in first.text
    assert f'/admin/orders/{placed[2]}"' in first.text and f'/admin/orders/{placed[0]}"' not in first.text
    second = await client.get("/admin/orders", params={"page": "2"})
    assert f'/admin/orders/{placed[0]}"' in second.text and 'rel="prev"' in second.text


async def test_an_orders_timeline(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    order_id = await place_order(client, demo_runtime)
    now = utcnow()
    async with demo_runtime.engine.begin() as conn:
        await conn.execute(vendor_orders.insert().values(
            order_id=order_id, position=0, vendor="pwinty", role="print", sandbox=True, reference="ES-TEST-1",
            vendor_ref="PW-4242", step="submitted", progress=int(Progress.SHIPPED), vendor_status="Complete",
            items=[], detail={}, created_at=now, updated_at=now))
        await conn.execute(order_tracking.insert().values(order_id=order_id, number="1Z999",
                                                          method="UPS", url="https://track.example/1Z999",
                                                          created_at=now))
        await conn.execute(update(orders).where(orders.c.id == order_id).values(status="In Transit"))
        await conn.execute(order_events.insert().values(
            event_id="evt_admin_test", order_id=order_id, merchant_id=1, type="order.in_transit",
            data={"status": "In Transit", "tracking": [{"number": "1Z999"}]}, created_at=now,
            delivery_state="pending", delivery_attempts=2, delivery_error="HTTP 502"))
        await conn.execute(update(order_events).where(order_events.c.type == "order.accepted").values(
            delivery_state="delivered", delivery_attempts=1, delivered_at=now))
    await _owner(client)
    page = (await client.get(f"/admin/orders/{order_id}")).text
    assert "pwinty" in page and "PW-4242" in page and "shipped" in page and "Complete" in page
    assert 'href="https://track.example/1Z999"' in page
    assert "order.accepted" in page and "Callback: delivered, 1 attempt" in page
    assert "order.in_transit" in page and "2 attempts; answer: HTTP 502" in page
    assert "can no longer change" in page and 'action="/admin/orders/' not in page  # not editable now


async def test_shipping_address_changes_by_the_order_apis_rules(client: httpx.AsyncClient,
                                                                demo_runtime: Runtime) -> None:
    order_id = await place_order(client, demo_runtime)
    await _owner(client)
    page = f"/admin/orders/{order_id}"
    fields = {"name": "Jane Roe", "company": "", "address": "1 New St", "address2": "", "city": "Austin",
              "state": "TX", "zip": "78701", "country": "USA"}
    refused = await post_form(client, page, f"{page}/shipping", fields)
    assert refused.status_code == 400 and "country" in refused.text and 'value="USA"' in refused.text
    saved = await post_form(client, page, f"{page}/shipping", {**fields, "country": "us"})
    assert saved.status_code == 303 and "done=shipping" in saved.headers["location"]
    read = (await call(client, "GET", f"/orders/{order_id}")).json()
    assert read["shipping"]["name"] == "Jane Roe" and read["shipping"]["country"] == "US"
    events = (await call(client, "GET", f"/orders/{order_id}/events")).json()
    assert events["events"][-1]["type"] == "order.updated"
    async with demo_runtime.engine.begin() as conn:
        await conn.execute(update(orders).where(orders.c.id == order_id).values(status="In Production"))
    page_html = (await client.get(page)).text
    too_late = await client.post(f"{page}/shipping", data={"csrf": page_html.split('name="csrf" value="')[1]
                                                           .split('"')[0], **fields, "country": "US"})
    assert too_late.status_code == 400 and "can no longer change: the order is In Production" in too_late.text


async def test_retrying_a_parked_job_releases_the_order(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    order_id = await place_order(client, demo_runtime)
    job_id = await park_order(demo_runtime, order_id, "image2art: timed out 12 times")
    await _owner(client)
    page = f"/admin/orders/{order_id}"
    assert f"Retry job {job_id}" in (await client.get(page)).text
    retried = await post_form(client, page, f"{page}/jobs/{job_id}/retry", {})
    assert retried.status_code == 303
    async with demo_runtime.engine.connect() as conn:
        assert (await conn.execute(select(jobs.c.status).where(jobs.c.id == job_id))).scalar_one() == "queued"
        assert (await conn.execute(select(orders.c.status).where(orders.c.id == order_id))).scalar_one() \
            == "Processing"
    async with demo_runtime.engine.begin() as conn:
        await conn.execute(update(jobs).where(jobs.c.id == job_id).values(status="done"))
    finished = await post_form(client, page, f"{page}/jobs/{job_id}/retry", {})
    assert finished.status_code == 409 and "not parked any more" in finished.text
