"""Shipping method and packing slip on the order API: an omitted method is stored as the document's default
("best way"), every method a quote offers is accepted, and `shipping.packing_slip` is kept and shown."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from easel.domain.orders import DEFAULT_SHIPPING_METHOD, SHIPPING_METHODS

from .orders_helpers import ADDRESS, call, order

pytestmark = pytest.mark.anyio


async def _sku(client: httpx.AsyncClient) -> str:
    catalog = (await call(client, "GET", "/catalog", {"rows": 1})).json()
    sku: str = catalog["artworks"][0]["configurations"][0]["sku"]
    return sku


async def _placed(client: httpx.AsyncClient, shipping: dict[str, Any], sku: str) -> httpx.Response:
    return await call(client, "POST", "/orders", {**order([sku]), "shipping": shipping})


async def test_an_omitted_method_is_stored_as_best_way(client: httpx.AsyncClient) -> None:
    sku = await _sku(client)
    for shipping in (dict(ADDRESS), {**ADDRESS, "method": ""}):
        placed = await _placed(client, shipping, sku)
        assert placed.status_code == 201, placed.text
        shown = (await call(client, "GET", f"/orders/{placed.json()['order']['id']}")).json()["shipping"]
        assert shown["method"] == DEFAULT_SHIPPING_METHOD == "best way"


async def test_every_method_a_quote_offers_is_accepted(client: httpx.AsyncClient) -> None:
    sku = await _sku(client)
    quote = await call(client, "POST", "/quotes", {"items": [{"sku": sku, "quantity": 1}]})
    offered = [s["method"] for s in quote.json()["quote"]["shipping"]]
    assert set(offered) == {DEFAULT_SHIPPING_METHOD, *SHIPPING_METHODS}  # every method the document lists
    for method in offered:
        placed = await _placed(client, {**ADDRESS, "method": method.upper()}, sku)
        assert placed.status_code == 201, (method, placed.text)
        shown = (await call(client, "GET", f"/orders/{placed.json()['order']['id']}")).json()["shipping"]
        assert shown["method"] == method


async def test_an_unknown_method_is_refused_naming_the_field(client: httpx.AsyncClient) -> None:
    placed = await _placed(client, {**ADDRESS, "method": "pigeon"}, await _sku(client))
    assert 400 <= placed.status_code < 500
    assert "shipping.method" in placed.json()["error"]["long_message"]
    assert "best way" in placed.json()["error"]["long_message"]


async def test_the_packing_slip_is_kept_and_shown(client: httpx.AsyncClient) -> None:
    sku = await _sku(client)
    slip = "https://shop.example.com/slips/42.pdf"
    placed = await _placed(client, {**ADDRESS, "method": "ups", "packing_slip": slip}, sku)
    shown = (await call(client, "GET", f"/orders/{placed.json()['order']['id']}")).json()["shipping"]
    assert shown["packing_slip"] == slip
    listed = (await call(client, "GET", "/orders", {"start": 0, "rows": 1})).json()["orders"][0]
    assert listed["shipping"]["packing_slip"] == slip
    without = await _placed(client, dict(ADDRESS), sku)
    shown = (await call(client, "GET", f"/orders/{without.json()['order']['id']}")).json()["shipping"]
    assert shown["packing_slip"] == ""
    refused = await _placed(client, {**ADDRESS, "packing_slip": "slip.pdf"}, sku)
    assert 400 <= refused.status_code < 500 and "shipping.packing_slip" in refused.json()["error"]["long_message"]
