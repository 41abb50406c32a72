"""The Image2ART-compatible order API over in-process HTTP: signing, orders, idempotency, isolation."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from sqlalchemy import select, update

from easel.api.errors import ERROR_CODES
from easel.app import create_app
from easel.client import sign_request
from easel.runtime import Runtime
from easel.storage import merchants as merchant_store
from easel.storage.tables import configurations, orders

from .orders_helpers import ADDRESS, call, order

pytestmark = pytest.mark.anyio
VECTOR = "16a060c526f2c460815567d73e05a4cdaf48e9ee2e3b9858e9b6933011ad798b"


async def skus(runtime: Runtime, style: str = "PF", n: int = 2) -> list[str]:
    async with runtime.engine.connect() as conn:
        rows = (await conn.execute(select(configurations.c.sku, configurations.c.choices)
                                   .order_by(configurations.c.sku))).all()
    return [r.sku for r in rows if r.choices["style"] == style][:n]


async def test_the_documents_curl_example_lists_orders(client: httpx.AsyncClient) -> None:
    body = json.dumps({"start": 0, "rows": 20, "username": "testing", "signature": VECTOR})
    response = await client.post("/orders", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    assert response.json()["orders"] == []
    assert response.headers["x-rate-limit"] and response.headers["x-rate-limit-remaining"]


async def test_get_with_query_parameters_signed_as_numbers_or_strings(client: httpx.AsyncClient) -> None:
    as_numbers = await client.get("/orders", params={"start": 0, "rows": 20, "username": "testing", "signature": VECTOR})
    assert as_numbers.status_code == 200
    signed = sign_request("orders", {"start": "0", "rows": "20"}, "testing",
                          "$2y$08$tEwCIc9DxDNKRvzHhfRRlOHxDbu.MyIk5EnzEmZVEJ/GeuHXa.tki")
    as_strings = await client.get("/orders", params=signed)
    assert as_strings.status_code == 200


async def test_create_read_and_list_an_order(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    chosen = await skus(demo_runtime)
    created = await call(client, "POST", "/orders", order(chosen, external_order_number="A-1", notes="Test Order"))
    assert created.status_code == 201, created.text
    order_id = created.json()["order"]["id"]
    assert isinstance(order_id, int)
    got = await call(client, "GET", f"/orders/{order_id}")
    body = got.json()
    assert set(body) >= {"id", "status", "purchase_date", "is_test", "notes", "total_price", "total_items", "items",
                         "customer", "shipping"}
    assert body["status"] == "Pending" and body["is_test"] is True and body["notes"] == "Test Order"
    assert len(body["purchase_date"]) == 19 and body["purchase_date"][10] == " "
    item = body["items"][0]
    assert set(item) >= {"id", "sku", "gp_sku", "quantity", "item_sale_price", "sale_price", "item_price",
                         "final_price", "image", "specs"}
    assert item["image"] == {"name": "Dancing on the Water", "code": "MP148A", "artist": "Maxine Price"}
    assert set(item["specs"]) >= {"image_size", "print_size", "outer_size", "frame_code", "matte_code",
                                  "border_width", "border_color", "stretcher_bar"}
    assert body["total_price"] == sum(i["final_price"] for i in body["items"])
    assert body["shipping"]["tracking"] == []
    listed = (await call(client, "GET", "/orders", {"start": 0, "rows": 20})).json()
    assert [o["id"] for o in listed["orders"]] == [order_id]
    # the document's curl example for GET /orders/:id is a POST with only the signature
    assert (await call(client, "POST", f"/orders/{order_id}")).json()["id"] == order_id


async def test_repeats_are_idempotent_and_conflicts_name_the_field(client: httpx.AsyncClient,
                                                                   demo_runtime: Runtime) -> None:
    chosen = await skus(demo_runtime)
    first = await call(client, "POST", "/orders", order(chosen, external_order_number="N-7"))
    again = await call(client, "POST", "/orders", order(chosen, external_order_number="N-7"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    changed = await call(client, "POST", "/orders", order(chosen[:1], external_order_number="N-7"))
    assert changed.status_code == 409 and changed.json()["error_code"] == 210
    assert "external_order_number" in changed.json()["error"]["long_message"]

    keyed = await call(client, "POST", "/orders", order(chosen), headers={"Idempotency-Key": "k-1"})
    keyed_again = await call(client, "POST", "/orders", order(chosen), headers={"Idempotency-Key": "k-1"})
    assert (keyed.status_code, keyed_again.status_code) == (201, 200)
    assert keyed.json() == keyed_again.json()
    other = await call(client, "POST", "/orders", order(chosen[1:]), headers={"Idempotency-Key": "k-1"})
    assert other.status_code == 409 and "Idempotency-Key" in other.json()["error"]["long_message"]


async def test_concurrent_duplicates_make_exactly_one_order(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    chosen = await skus(demo_runtime)
    responses = await asyncio.gather(*[
        call(client, "POST", "/orders", order(chosen, external_order_number="RACE-1")) for _ in range(8)])
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    assert len({r.json()["order"]["id"] for r in responses}) == 1
    async with demo_runtime.engine.connect() as conn:
        count = len((await conn.execute(select(orders.c.id))).all())
    assert count == 1


async def test_validation_names_every_field_at_once(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    bad = {"customer": {"name": "x", "email": "nope"}, "shipping": {**ADDRESS, "country": "USA", "method": "pony"},
           "items": [{"sku": "0000000000000000", "quantity": 0}, {"sku": "xyz"}], "colour": "red"}
    response = await call(client, "POST", "/orders", bad)
    assert response.status_code == 400
    message = response.json()["error"]["long_message"]
    for expected in ("customer.email: 'nope' is not an email address", "customer.phone: is required",
                     "shipping.country: 'USA' is not a two-letter country code", "shipping.method: unknown shipping",
                     "items[0].quantity: must be at least 1", "items[1].sku: 'xyz' is not a sku",
                     "colour: is not a field of this object"):
        assert expected in message
    unknown = await call(client, "POST", "/orders", order(["0000000000000000"]))
    assert unknown.status_code == 400 and unknown.json()["error_code"] == 201
    assert unknown.json()["error"]["long_message"] == "items[0].sku: unknown sku 0000000000000000"


async def test_item_border_and_hardware_overrides_are_validated(client: httpx.AsyncClient,
                                                                demo_runtime: Runtime) -> None:
    canvas = await skus(demo_runtime, "CG", 1)
    paper = await skus(demo_runtime, "PO", 1)
    ok = await call(client, "POST", "/orders", {**order(canvas), "items": [
        {"sku": canvas[0], "border": {"type": "color", "size": 3, "color": "navy"}, "security_hardware": True}]})
    assert ok.status_code == 201, ok.text
    got = (await call(client, "GET", f"/orders/{ok.json()['order']['id']}")).json()
    assert got["items"][0]["specs"]["border_color"] == "navy" and got["items"][0]["specs"]["border_width"] == 3
    bad = await call(client, "POST", "/orders", {**order(paper), "items": [
        {"sku": paper[0], "border": {"type": "mirror"}, "security_hardware": True}]})
    assert bad.status_code == 400
    message = bad.json()["error"]["long_message"]
    assert "items[0].border.type: not offered with style PO" in message
    assert "items[0].security_hardware: not available for style PO" in message


async def test_shipping_changes_until_production(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    created = await call(client, "POST", "/orders", order(await skus(demo_runtime)))
    order_id = created.json()["order"]["id"]
    changed = await call(client, "PUT", f"/orders/{order_id}", {"shipping": {"name": "John Doe"}})
    assert changed.json() == {"order": {"id": order_id}, "affectedRows": 1}
    got = (await call(client, "GET", f"/orders/{order_id}")).json()
    assert got["shipping"]["name"] == "John Doe" and got["shipping"]["city"] == "Austin"
    async with demo_runtime.engine.begin() as conn:
        await conn.execute(update(orders).where(orders.c.id == order_id).values(status="In Production"))
    late = await call(client, "PUT", f"/orders/{order_id}", {"shipping": {"name": "Too Late"}})
    assert late.status_code == 409 and late.json()["error_code"] == 211
    assert (await call(client, "PUT", "/orders/999999", {"shipping": {"name": "x"}})).status_code == 404


async def test_delete_is_not_implemented_as_documented(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    created = await call(client, "POST", "/orders", order(await skus(demo_runtime)))
    response = await call(client, "DELETE", f"/orders/{created.json()['order']['id']}")
    assert response.status_code == 501 and response.json()["error_code"] == 501
    assert (await call(client, "DELETE", "/orders/424242")).status_code == 404


async def test_merchants_see_only_their_own_orders(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    created = await call(client, "POST", "/orders", order(await skus(demo_runtime)))
    order_id = created.json()["order"]["id"]
    async with demo_runtime.engine.begin() as conn:
        await merchant_store.create_merchant(conn, "other", demo_runtime.secrets.encrypt("other-secret"), {})
    other = await call(client, "GET", f"/orders/{order_id}", username="other", secret="other-secret")
    assert other.status_code == 404 and other.json()["error_code"] == 404
    listed = await call(client, "GET", "/orders", username="other", secret="other-secret")
    assert listed.json()["orders"] == []
    put = await call(client, "PUT", f"/orders/{order_id}", {"shipping": {"name": "x"}}, username="other",
                     secret="other-secret")
    assert put.status_code == 404


async def test_ping_shows_the_user_when_signed(client: httpx.AsyncClient) -> None:
    assert (await client.get("/ping")).json() == {"pong": "ping"}
    signed = await call(client, "POST", "/ping")
    assert signed.json() == {"pong": "ping", "user": {"username": "testing", "email": "testing@newerahd.com"}}
    wrong = await call(client, "POST", "/ping", secret="wrong")
    assert wrong.status_code == 401 and wrong.json()["error_code"] == 112


async def test_home_is_html_docs_or_json_by_accept(client: httpx.AsyncClient) -> None:
    as_json = await client.get("/", headers={"Accept": "application/json"})
    assert as_json.json()["version"] == "1.0-beta"
    assert as_json.json()["endpoints"][0] == "GET    /orders"
    html = await client.get("/", headers={"Accept": "text/html"})
    assert "hash_hmac" in html.text and "/openapi.json" in html.text
    for e in ERROR_CODES:
        assert f"<td>{e.code}</td>" in html.text


async def test_catalog_products_and_quotes(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    catalog = (await call(client, "GET", "/catalog", {"rows": 2})).json()
    assert catalog["total"] >= 24 and len(catalog["artworks"]) == 2
    first = catalog["artworks"][0]["configurations"][0]
    product = (await call(client, "GET", f"/products/{first['sku']}")).json()["product"]
    assert product["sku"] == first["sku"] and product["price"] == first["price"] > 0
    assert (await call(client, "GET", "/products/0000000000000000")).status_code == 404
    quote = await call(client, "POST", "/quotes", {"items": [{"sku": first["sku"], "quantity": 2}], "country": "CA"})
    assert quote.status_code == 201, quote.text
    q = quote.json()["quote"]
    assert q["total_price"] == q["items"][0]["final_price"] and len(q["shipping"]) == 12
    placed = await call(client, "POST", "/orders", {**order([]), "items": [{"sku": first["sku"], "quantity": 2}],
                                                    "quote_id": q["id"]})
    assert placed.status_code == 201
    got = (await call(client, "GET", f"/orders/{placed.json()['order']['id']}")).json()
    assert got["total_price"] == q["total_price"]
    wrong = await call(client, "POST", "/orders", {**order([first["sku"]]), "quote_id": q["id"]})
    assert wrong.status_code == 409 and wrong.json()["error_code"] == 212


async def test_order_events_are_readable(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    created = await call(client, "POST", "/orders", order(await skus(demo_runtime)))
    order_id = created.json()["order"]["id"]
    events = (await call(client, "GET", f"/orders/{order_id}/events")).json()["events"]
    assert [e["type"] for e in events] == ["order.accepted"]


async def test_openapi_describes_every_route_and_nothing_else(demo_runtime: Runtime) -> None:
    from starlette.routing import Route

    from easel.api.docs import _endpoints
    from easel.api.openapi import build_openapi

    spec = build_openapi(_endpoints(), "http://testserver")
    app = create_app(runtime=demo_runtime)
    in_app = {(m, r.path) for r in app.routes if isinstance(r, Route) for m in (r.methods or ()) if m != "HEAD"}
    in_spec = {(m.upper(), p.replace("{id}", "{order_id}")) for p, ops in spec["paths"].items() for m in ops}
    assert in_app == in_spec
    assert spec["openapi"] == "3.1.0"
    assert "OrderRequest" in spec["components"]["schemas"]


async def test_signed_timestamps_when_the_merchant_requires_them(client: httpx.AsyncClient,
                                                                  demo_runtime: Runtime) -> None:
    import time

    async with demo_runtime.engine.begin() as conn:
        found = await merchant_store.merchant_by_username(conn, "testing")
        assert found is not None
        await merchant_store.update_merchant(conn, found.id, {"require_timestamp": True})
    demo_runtime.merchants.forget("testing")
    assert (await call(client, "GET", "/orders")).json()["error_code"] == 113
    old = await call(client, "GET", "/orders", {"timestamp": int(time.time()) - 600})
    assert old.json()["error_code"] == 113
    fresh = await call(client, "GET", "/orders", {"timestamp": int(time.time())})
    assert fresh.status_code == 200


async def test_rate_limits_per_merchant_endpoint_and_action(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    async with demo_runtime.engine.begin() as conn:
        found = await merchant_store.merchant_by_username(conn, "testing")
        assert found is not None and found.rate_limit == 100_000  # the demo's "very liberal" limit
        await merchant_store.update_merchant(conn, found.id, {"rate_limit": 3})
    demo_runtime.merchants.forget("testing")
    remaining = [int((await call(client, "GET", "/orders")).headers["x-rate-limit-remaining"]) for _ in range(2)]
    assert remaining == [2, 1]
    as_post = await call(client, "POST", "/orders", {"start": 0})  # the curl -d list: the same GET budget
    assert as_post.status_code == 200 and as_post.headers["x-rate-limit-remaining"] == "0"
    limited = await call(client, "POST", "/orders")
    assert limited.status_code == 429 and limited.json()["error_code"] == 120
    assert int(limited.headers["retry-after"]) > 0 and limited.headers["x-rate-limit"] == "3"
    # another endpoint, or another action on the same path, has its own budget
    missing = await call(client, "GET", "/orders/999999")
    assert missing.status_code == 404 and missing.headers["x-rate-limit-remaining"] == "2"
    assert (await call(client, "POST", "/orders", {"items": []})).headers["x-rate-limit-remaining"] == "2"
    assert (await call(client, "POST", "/ping")).headers["x-rate-limit-remaining"] == "2"


async def test_tracking_is_listed_under_shipping(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    from datetime import UTC, datetime

    from easel.storage.tables import order_tracking

    created = await call(client, "POST", "/orders", order(await skus(demo_runtime, n=3)))
    order_id = created.json()["order"]["id"]
    async with demo_runtime.engine.begin() as conn:
        for number, method in (("12313123", "FedEx Home Delivery"), ("123123123", "UPS 2-day")):
            await conn.execute(order_tracking.insert().values(order_id=order_id, number=number, method=method,
                                                              url="", created_at=datetime.now(UTC)))
    body = (await call(client, "GET", f"/orders/{order_id}")).json()
    assert len(body["items"]) == 3 and [i["id"] for i in body["items"]] == sorted(i["id"] for i in body["items"])
    assert body["shipping"]["tracking"] == [
        {"number": "12313123", "method": "FedEx Home Delivery", "url": ""},
        {"number": "123123123", "method": "UPS 2-day", "url": ""},
    ]
