"""On Hold always says why: in GET /orders/:id (`status_reason`), in the `order.on_hold` event, and on the
demo store's order page, which also shows tracking (number, carrier, link) once there is some."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from easel.app import create_demo_app
from easel.demo.seed import seed_demo
from easel.dispatch import progress
from easel.dispatch.drivers.base import Tracking
from easel.runtime import Runtime
from easel.settings import Settings

from .dispatch_helpers import get_order
from .orders_helpers import call

pytestmark = pytest.mark.anyio
ITEM = {"code": "MP148A", "choices": {"substrate": "paper", "style": "PF", "frame": "F0092", "size": "S"},
        "quantity": 1, "price": 60}
REASON = "no vendor left for item 1 (X): pwinty refused it: unknown sku <b>"


@pytest.fixture
async def quiet_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """The demo runtime without a background worker: the test decides what happens to the order."""
    runtime = Runtime.create(replace(settings, worker=False, rate_limit=10**6), builtin_sandboxes=True)
    await seed_demo(runtime, images=False)
    yield runtime
    await runtime.close()


@pytest.fixture
async def shop(quiet_runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_demo_app(runtime=quiet_runtime)
    async with app.router.lifespan_context(app) as state:

        async def with_state(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
            scope["state"] = dict(state or {})
            await app(scope, receive, send)  # type: ignore[arg-type]

        transport = httpx.ASGITransport(app=with_state)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as inner, \
                httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            app.state.demo_order_http = inner
            yield http


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]{64})"', html)
    assert match
    return match.group(1)


async def _checkout(shop: httpx.AsyncClient) -> tuple[int, str]:
    item = (await shop.post("/widget/v1/api/cart/item?api_key=demo", json=ITEM)).json()["item"]
    assert (await shop.post("/demo/cart", json=item)).status_code == 200
    form = await shop.get("/demo/checkout")
    fields = {"csrf": _csrf(form.text), "name": "Ann", "email": "ann@example.com", "phone": "512-555-0100",
              "address": "1 Main St", "city": "Austin", "state": "TX", "zip": "78701", "country": "us"}
    placed = await shop.post("/demo/checkout", data=fields)
    assert placed.status_code == 303, placed.text
    page = placed.headers["location"]
    return int(page.rsplit("/", 1)[1]), page


async def test_on_hold_shows_its_reason_in_the_api_the_events_and_the_demo_order_page(
        shop: httpx.AsyncClient, quiet_runtime: Runtime) -> None:
    order_id, page = await _checkout(shop)
    assert 'id="order-status-reason"' not in (await shop.get(page)).text
    async with quiet_runtime.engine.begin() as conn:
        assert await progress.hold(conn, order_id, REASON)
    found = await get_order(shop, order_id)
    assert found["status"] == "On Hold" and found["status_reason"] == REASON
    events = (await call(shop, "GET", f"/orders/{order_id}/events")).json()["events"]
    assert events[-1]["type"] == "order.on_hold" and events[-1]["data"]["reason"] == REASON
    html = (await shop.get(page)).text
    assert '<strong id="order-status">On Hold</strong>' in html
    assert "Why: no vendor left for item 1 (X): pwinty refused it: unknown sku &lt;b&gt;" in html


async def test_a_hold_without_a_reason_still_gets_one(shop: httpx.AsyncClient, quiet_runtime: Runtime) -> None:
    order_id, _ = await _checkout(shop)
    async with quiet_runtime.engine.begin() as conn:
        assert await progress.hold(conn, order_id, "  ")
    assert "recorded no reason" in (await get_order(shop, order_id))["status_reason"]


async def test_the_demo_order_page_shows_tracking_with_carrier_and_a_link(shop: httpx.AsyncClient,
                                                                         quiet_runtime: Runtime) -> None:
    order_id, page = await _checkout(shop)
    assert 'id="order-tracking"' not in (await shop.get(page)).text
    async with quiet_runtime.engine.begin() as conn:
        await progress.merge_tracking(conn, order_id, [
            Tracking("1Z999", "UPS", "https://www.ups.com/track?tracknum=1Z999"),
            Tracking("EVIL1", "Evil", "javascript:alert(1)")])
    html = (await shop.get(page)).text
    assert ('<li>UPS:\n          <a href="https://www.ups.com/track?tracknum=1Z999" rel="noopener noreferrer">1Z999</a>'
            in html)
    assert "Evil:\n          EVIL1</li>" in html and "javascript:" not in html
