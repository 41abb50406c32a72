"""Add to cart: the signed item (direct mode) and the relay (easel posts to the shop), including a
cart path that points at a private address."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from easel.app import create_app
from easel.demo.seed import DEMO_SECRET
from easel.runtime import Runtime
from easel.storage import merchants as merchant_store
from easel.widget.cart_signature import verify_cart_item
from easel.widget.customer_token import customer_token

from .asgi_client import in_process
from .servers import run_asgi

pytestmark = pytest.mark.anyio
ITEM = "/widget/v1/api/cart/item?api_key=demo"
RELAY_SECRET = "relay-secret"
ORDER = {"code": "MP148A", "choices": {"substrate": "paper", "style": "PF", "frame": "F0092", "size": "S"},
         "quantity": 2, "price": 48.75, "url": "http://localhost:8000/shop#/product/edit/MP148A/paper/PF/F0092/S"}


async def test_the_item_has_the_documents_fields_and_a_valid_signature(client: httpx.AsyncClient) -> None:
    response = await client.post(ITEM, json=ORDER, headers={"Origin": "http://localhost:8000"})
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    item = response.json()["item"]
    verify_cart_item(item, DEMO_SECRET)
    for name in ("artist", "description", "frame", "image_code", "image_size", "inner_size", "outer_size", "preview",
                 "price", "size", "sku", "style", "substrate", "title", "url"):
        assert name in item, name
    assert item["price"] == 48.75 and item["quantity"] == 2 and item["url"] == ORDER["url"]
    priced = (await client.get("/widget/v1/api/price", params={"api_key": "demo", "code": "MP148A",
                                                               **ORDER["choices"]})).json()  # type: ignore[dict-item]
    assert item["list_price"] == priced["price"] and item["sku"] == priced["product"]["sku"]


@pytest.mark.parametrize(("price", "shown"), [(None, "list"), ("45", "list"), (-1, "list"), (1e12, "list"),
                                              (True, "list"), (39.0, 39), (0, 0)])
async def test_the_shown_price_is_kept_only_when_it_is_a_sane_number(client: httpx.AsyncClient, price: Any,
                                                                     shown: Any) -> None:
    item = (await client.post(ITEM, json={**ORDER, "price": price})).json()["item"]
    assert item["price"] == (item["list_price"] if shown == "list" else shown)


@pytest.mark.parametrize("url", ["https://evil.example/x", "javascript:alert(1)", "x" * 3000])
async def test_a_page_url_off_the_merchants_origins_is_dropped(client: httpx.AsyncClient, url: str) -> None:
    assert (await client.post(ITEM, json={**ORDER, "url": url})).json()["item"]["url"] == ""


@pytest.mark.parametrize("body", [{**ORDER, "quantity": 0}, {**ORDER, "quantity": 100}, {**ORDER, "quantity": "2"},
                                  {**ORDER, "choices": "PF"}, {**ORDER, "choices": {"style": ["PF"]}},
                                  {**ORDER, "code": "NOPE00"}, {**ORDER, "choices": {"frame": "F0305"}}])
async def test_bad_items_are_refused(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    response = await client.post(ITEM, json=body)
    assert 400 <= response.status_code < 500 and response.json()["detail"]


async def test_pricing_behind_login_needs_a_shopper_to_buy(client: httpx.AsyncClient) -> None:
    anonymous = await client.post(ITEM, json={**ORDER, "auth": "pricing"})
    assert anonymous.status_code == 401
    known = await client.post(ITEM, json={**ORDER, "auth": "pricing"}, headers={"X-Customer-Id": "ann"})
    assert known.status_code == 200


async def test_the_relay_is_refused_for_a_direct_mode_merchant(client: httpx.AsyncClient) -> None:
    response = await client.post("/widget/v1/api/cart/relay?api_key=demo", json=ORDER,
                                 headers={"Origin": "http://localhost:8000"})
    assert response.status_code == 409


@pytest.fixture
async def relay_shop(demo_runtime: Runtime) -> Runtime:
    async with demo_runtime.engine.begin() as conn:
        await merchant_store.create_merchant(
            conn, "relayshop", demo_runtime.secrets.encrypt(RELAY_SECRET),
            {"allowed_origins": ["http://127.0.0.1:*", "https://shop.example"], "cart_mode": "relay",
             "cart_path": "/cart/add", "test_mode": True},  # its sandbox accounts make what it sells
            api_key="relay-key")
    return demo_runtime


async def _app_client(runtime: Runtime, allow_private: bool) -> AsyncIterator[httpx.AsyncClient]:
    if allow_private:  # the demo's setting: the relay may reach the test shop on loopback
        runtime.settings = replace(runtime.settings, callbacks_allow_private=True)
    app = create_app(runtime=runtime)
    async with in_process(app) as http:
        yield http


@pytest.fixture
async def guarded(relay_shop: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async for http in _app_client(relay_shop, allow_private=False):
        yield http


@pytest.fixture
async def loopback_ok(relay_shop: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async for http in _app_client(relay_shop, allow_private=True):
        yield http


async def test_the_relay_never_posts_to_a_private_address(guarded: httpx.AsyncClient) -> None:
    received: list[bytes] = []

    async def cart(request: Request) -> Response:
        received.append(await request.body())
        return JSONResponse({"ok": True})

    with run_asgi(Starlette(routes=[Route("/cart/add", cart, methods=["POST"])])) as shop:
        response = await guarded.post("/widget/v1/api/cart/relay?api_key=relay-key", json=ORDER,
                                      headers={"Origin": shop})
    assert response.status_code == 502
    assert response.json()["title"] == "Cart relay refused" and "loopback" in response.json()["detail"]
    assert received == []


async def test_the_relay_needs_the_page_origin(guarded: httpx.AsyncClient) -> None:
    response = await guarded.post("/widget/v1/api/cart/relay?api_key=relay-key", json=ORDER)
    assert response.status_code == 400


async def test_the_relay_posts_the_signed_item_and_returns_the_shops_answer(loopback_ok: httpx.AsyncClient) -> None:
    received: list[dict[str, Any]] = []
    status = {"code": 200}

    async def cart(request: Request) -> Response:
        received.append(json.loads(await request.body()))
        if status["code"] != 200:
            return JSONResponse({"error": "closed"}, status_code=status["code"])
        return JSONResponse({"ok": True, "cart_count": len(received)})

    token = customer_token("eve", RELAY_SECRET)
    with run_asgi(Starlette(routes=[Route("/cart/add", cart, methods=["POST"])])) as shop:
        headers = {"Origin": shop, "X-Customer-Id": "eve", "X-Customer-Token": token}
        response = await loopback_ok.post("/widget/v1/api/cart/relay?api_key=relay-key", json=ORDER, headers=headers)
        assert response.status_code == 200, response.text
        data = response.json()
        assert data["ok"] is True and data["status"] == 200 and data["answer"] == {"ok": True, "cart_count": 1}
        relayed = received[0]
        verify_cart_item(relayed, RELAY_SECRET)
        assert relayed["customer_id"] == "eve" and relayed["customer_token"] == token
        status["code"] = 503
        failed = await loopback_ok.post("/widget/v1/api/cart/relay?api_key=relay-key", json=ORDER, headers=headers)
    assert failed.status_code == 502
    assert failed.json()["ok"] is False and failed.json()["answer"] == {"error": "closed"}
