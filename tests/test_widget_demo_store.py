"""The demo merchant store: the documented snippet, sign-in with a signed cookie, the cart receivable
path checking easel's signatures, and a checkout through the signed order API."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from easel.app import create_demo_app
from easel.demo.seed import DEMO_SECRET
from easel.runtime import Runtime
from easel.widget.customer_token import customer_token

pytestmark = pytest.mark.anyio
ORDER = {"code": "MP148A", "choices": {"substrate": "paper", "style": "PF", "frame": "F0092", "size": "S"},
         "quantity": 1, "price": 60}


@pytest.fixture
async def shop(demo_runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """The app in-process; the store's order client talks to the same app in-process too."""
    app = create_demo_app(runtime=demo_runtime)
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


async def _item(http: httpx.AsyncClient, **extra: Any) -> dict[str, Any]:
    response = await http.post("/widget/v1/api/cart/item?api_key=demo", json={**ORDER, **extra})
    item: dict[str, Any] = response.json()["item"]
    return item


async def _sign_in(http: httpx.AsyncClient, redirect: str = "") -> httpx.Response:
    page = await http.get("/demo/login", params={"redirect_url": redirect} if redirect else {})
    return await http.post("/demo/login", data={"csrf": _csrf(page.text), "name": "Ann", "email": "ann@example.com",
                                                "redirect_url": redirect})


async def test_home_embeds_the_documented_snippet(shop: httpx.AsyncClient) -> None:
    html = (await shop.get("/demo/")).text
    assert ('<script id="nep_widget" type="text/javascript" src="http://testserver/widget/v1/code.js?api_key=demo">'
            '</script>\n  <div id="box_widget"></div>') in html
    assert "CustomerId: null," in html and "image2art.$(window).on('widget:ready'" in html
    assert 'return Math.round(product["price"] * 1.2);' in html
    assert "Dancing on the Water" in html


async def test_opened_as_localhost_the_widget_comes_from_another_origin(shop: httpx.AsyncClient) -> None:
    html = (await shop.get("http://localhost:8000/demo/")).text
    assert 'src="http://127.0.0.1:8000/widget/v1/code.js?api_key=demo"' in html


async def test_sign_in_returns_to_the_spot_and_names_the_customer(shop: httpx.AsyncClient) -> None:
    spot = "http://testserver/demo/#/product/edit/MP148A/paper/PF/F0092/S"
    response = await _sign_in(shop, spot)
    assert response.status_code == 303 and response.headers["location"] == spot
    html = (await shop.get("/demo/")).text
    customer = re.search(r'CustomerId: "(cust-[0-9a-f]{12})"', html)
    assert customer and f'CustomerToken: "{customer_token(customer.group(1), DEMO_SECRET)}"' in html


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)",
                                    "http://testserver.evil.example/", "/\\evil.example"])
async def test_sign_in_never_redirects_off_the_shop(shop: httpx.AsyncClient, target: str) -> None:
    response = await _sign_in(shop, target)
    assert response.headers["location"] == "/demo/"


async def test_forms_need_the_sessions_csrf_token(shop: httpx.AsyncClient) -> None:
    response = await shop.post("/demo/login", data={"csrf": "0" * 64, "name": "Ann", "email": "ann@example.com"})
    assert response.status_code == 400


async def test_a_forged_cookie_is_just_a_new_visitor(shop: httpx.AsyncClient) -> None:
    shop.cookies.set("easel_demo", "eyJzaWQiOiJ4IiwiY3VzdG9tZXIiOnsiaWQiOiJib3NzIn19.forged", path="/demo")
    assert "CustomerId: null," in (await shop.get("/demo/")).text


async def test_the_cart_path_keeps_signed_items_and_rejects_changed_ones(shop: httpx.AsyncClient) -> None:
    item = await _item(shop)
    accepted = await shop.post("/demo/cart", json=item)
    assert accepted.json() == {"ok": True, "count": 1, "cart_url": "/demo/cart"}
    assert (await shop.post("/demo/cart", json=item)).json()["count"] == 2
    for change in ({"list_price": 1}, {"sku": "0" * 16}, {"signature": "0" * 64}, {"expires_at": 1}):
        rejected = await shop.post("/demo/cart", json={**item, **change})
        assert rejected.status_code == 400 and rejected.json()["error"].startswith("Rejected")
    assert (await shop.post("/demo/cart", content=b"not json")).status_code == 400
    page = (await shop.get("/demo/cart")).text
    assert "Dancing on the Water" in page and '<span id="cart-total">120.00</span>' in page


async def test_relayed_items_need_the_customers_token(shop: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    relayed = {**await _item(shop), "customer_id": "cust-x", "customer_token": None}
    async with httpx.AsyncClient(transport=shop._transport, base_url="http://testserver") as easel_server:
        assert (await easel_server.post("/demo/cart", json=relayed)).status_code == 401
        relayed["customer_token"] = customer_token("cust-x", DEMO_SECRET)
        assert (await easel_server.post("/demo/cart", json=relayed)).status_code == 200


async def test_checkout_places_the_order_through_the_signed_api(shop: httpx.AsyncClient) -> None:
    await _sign_in(shop)
    await shop.post("/demo/cart", json=await _item(shop))
    await shop.post("/demo/cart", json=await _item(shop, code="V00551", choices={"style": "PO"}, quantity=3))
    form = await shop.get("/demo/checkout")
    assert "2 pieces" in form.text
    fields = {"csrf": _csrf(form.text), "name": "Ann", "email": "ann@example.com", "phone": "512-555-0100",
              "address": "1 Main St", "city": "Austin", "state": "TX", "zip": "78701", "country": "us"}
    placed = await shop.post("/demo/checkout", data=fields)
    assert placed.status_code == 303, placed.text
    order_page = await shop.get(placed.headers["location"])
    order_id = re.search(r'<span id="order-id">(\d+)</span>', order_page.text)
    assert order_id and re.search(r'<strong id="order-status">\w', order_page.text)
    assert "Your cart is empty" in (await shop.get("/demo/cart")).text


async def test_a_refused_order_is_explained_on_the_checkout_page(shop: httpx.AsyncClient) -> None:
    await shop.post("/demo/cart", json=await _item(shop))
    form = await shop.get("/demo/checkout")
    fields = {"csrf": _csrf(form.text), "name": "Ann", "email": "not-an-email", "phone": "1", "address": "x",
              "city": "x", "state": "x", "zip": "x", "country": "USA"}
    refused = await shop.post("/demo/checkout", data=fields)
    assert refused.status_code == 400 and "The order was not accepted" in refused.text


async def test_orders_of_other_sessions_are_not_shown(shop: httpx.AsyncClient) -> None:
    assert (await shop.get("/demo/orders/1")).status_code == 404
