"""The widget's JSON API: options, search, artworks, prices, pricing behind a login, the error shape
on every error path, and rate limits."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from easel.demo.seed import DEMO_SECRET
from easel.domain.money import whole_units
from easel.runtime import Runtime
from easel.storage import merchants as merchant_store
from easel.widget.customer_token import customer_token

pytestmark = pytest.mark.anyio
API = "/widget/v1/api"
KEY = {"api_key": "demo"}


async def _get(client: httpx.AsyncClient, path: str, **params: Any) -> httpx.Response:
    return await client.get(API + path, params={**KEY, **params})


async def test_options_lists_what_can_be_combined(client: httpx.AsyncClient) -> None:
    response = await _get(client, "/options")
    data = response.json()
    assert [s["code"] for s in data["styles"]] == ["PO", "PF", "CG", "CF"]
    assert "etag" in response.headers and response.headers["cache-control"] == "public, max-age=300"


async def test_search_pages_and_filters(client: httpx.AsyncClient) -> None:
    everything = (await _get(client, "/search", facets="1")).json()
    assert everything["total"] == 24 and everything["pages"] == 1 and len(everything["items"]) == 24
    assert "Maxine Price" in everything["facets"]["artists"]
    first = everything["items"][0]
    assert set(first) >= {"code", "title", "artist", "orientation", "thumb", "thumb2x", "route"}
    assert first["route"] == f"/product/edit/{first['code']}"
    page2 = (await _get(client, "/search", per_page="10", page="3")).json()
    assert page2["page"] == 3 and page2["pages"] == 3 and len(page2["items"]) == 4
    squares = (await _get(client, "/search", orientation="square")).json()
    assert squares["total"] > 0 and all(i["orientation"] == "square" for i in squares["items"])
    canvas = (await _get(client, "/search", substrate="canvas", orientation="portrait")).json()
    assert all("canvas" in i["substrates"] and i["orientation"] == "portrait" for i in canvas["items"])
    text = (await _get(client, "/search", q="STARRY")).json()
    assert [i["title"] for i in text["items"]] == ["Starry Night"]
    artist = (await _get(client, "/search", artist="Ana Bellweather")).json()
    assert {i["artist"] for i in artist["items"]} == {"Ana Bellweather"}
    assert (await _get(client, "/search", q="100%_")).json()["total"] == 0


@pytest.mark.parametrize("params", [{"page": "0"}, {"page": "x"}, {"per_page": "49"}, {"orientation": "round"},
                                    {"substrate": "glass"}, {"q": "x" * 101}])
async def test_search_refuses_bad_parameters(client: httpx.AsyncClient, params: dict[str, str]) -> None:
    response = await _get(client, "/search", **params)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


async def test_artwork_lists_its_printable_sizes(client: httpx.AsyncClient) -> None:
    data = (await _get(client, "/artworks/V00551")).json()
    assert data["title"] == "Starry Night" and data["description"]
    assert data["sizes"] == [{"code": "S", "image_size": "12x9"}, {"code": "M", "image_size": "20x15"},
                             {"code": "L", "image_size": "30x23"}, {"code": "XL", "image_size": "40x30"}]
    assert (await _get(client, "/artworks/mp148a")).json()["code"] == "MP148A"


async def test_price_is_the_merchants_with_the_documents_cart_fields(client: httpx.AsyncClient,
                                                                     demo_runtime: Runtime) -> None:
    params = {"code": "MP148A", "substrate": "paper", "style": "PF", "frame": "F0092", "size": "S"}
    data = (await _get(client, "/price", **params)).json()
    product = data["product"]
    assert set(product) >= {"artist", "description", "frame", "image_code", "image_size", "inner_size", "outer_size",
                            "preview", "price", "size", "sku", "style", "substrate", "title"}
    assert data["route"] == "/product/edit/MP148A/paper/PF/F0092/S"
    merchant = await _merchant(demo_runtime)
    expected = demo_runtime.products.price(merchant, await demo_runtime.products.artwork("MP148A"), params)
    assert product["price"] == data["price"] == whole_units(expected.price_cents)
    assert product["sku"] == expected.resolved.sku and data["login_required"] is None
    assert product["preview"].startswith("http://testserver/widget/v1/preview/")


async def _merchant(runtime: Runtime) -> Any:
    async with runtime.engine.connect() as conn:
        return await merchant_store.merchant_by_api_key(conn, "demo")


async def test_markups_are_applied_on_the_server(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    params = {"code": "MP148A", "style": "PO"}
    merchant = await _merchant(demo_runtime)
    plain = demo_runtime.products.price(merchant, await demo_runtime.products.artwork("MP148A"), params)
    async with demo_runtime.engine.begin() as conn:
        await merchant_store.update_merchant(conn, merchant.id, {"markups": {"style_basis_points": {"PO": 5000},
                                                                             "sku_cents": {}}})
    shown = (await _get(client, "/price", **params)).json()["price"]
    assert shown == whole_units(plain.price_cents * 3 // 2)


async def test_unoffered_choices_name_every_field(client: httpx.AsyncClient) -> None:
    response = await _get(client, "/price", code="MP148A", substrate="paper", style="PF", frame="F0305",
                          size="XL", border_type="blur")
    assert response.status_code == 422
    problem = response.json()
    assert problem["title"] == "Configuration not offered"
    assert {e["field"] for e in problem["errors"]} == {"frame", "size", "border_type"}


async def test_pricing_behind_a_login_is_not_sent_to_anonymous_widgets(client: httpx.AsyncClient) -> None:
    params = {"code": "MP148A", "auth": "pricing"}
    anonymous = (await _get(client, "/price", **params)).json()
    assert anonymous["price"] is None and anonymous["product"]["price"] is None
    assert anonymous["login_required"] == "pricing"
    assert "list_price" not in str(anonymous)
    known = await client.get(API + "/price", params={**KEY, **params}, headers={"X-Customer-Id": "c%201"})
    assert known.json()["price"] > 0
    token = customer_token("c 1", DEMO_SECRET)
    signed = await client.get(API + "/price", params={**KEY, **params},
                              headers={"X-Customer-Id": "c%201", "X-Customer-Token": token})
    assert signed.json()["price"] > 0
    forged = await client.get(API + "/price", params={**KEY, **params},
                              headers={"X-Customer-Id": "c%201", "X-Customer-Token": "0" * 64})
    assert forged.status_code == 401


async def test_hostile_text_comes_back_as_json_text(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    from easel.domain.catalog import Artwork
    from easel.storage import catalog as catalog_store

    title = '<img src=x onerror=alert(1)>"\u2028</script>'
    async with demo_runtime.engine.begin() as conn:
        await catalog_store.upsert_artworks(conn, [Artwork("EVIL01", title, "<b>me</b>", "", 3000, 3000,
                                                           "/nonexistent.jpg", ("paper",))])
    found = (await _get(client, "/search", q="onerror")).json()["items"]
    assert found[0]["title"] == title
    thumb = await client.get(found[0]["thumb"].replace("http://testserver", ""))
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"


async def test_every_error_has_the_problem_shape(client: httpx.AsyncClient) -> None:
    failures = [
        await client.get(API + "/search", params={"api_key": "nope"}),
        await client.get(API + "/search", params=KEY, headers={"Origin": "https://evil.example"}),
        await _get(client, "/search", page="-1"),
        await _get(client, "/artworks/NOPE00"),
        await _get(client, "/artworks/%3Cx%3E"),
        await _get(client, "/price", code="NOPE00"),
        await _get(client, "/price", code="MP148A", style="ZZ"),
        await _get(client, "/price", code="MP148A", style="P" * 61),
        await client.post(API + "/cart/item", params=KEY, content=b"{not json"),
        await client.post(API + "/cart/item", params=KEY, json=[1, 2]),
        await client.post(API + "/cart/item", params=KEY, content=b"x" * 20_000),
        await client.post(API + "/cart/item", params=KEY, json={"code": "MP148A", "quantity": 0}),
        await client.post(API + "/cart/relay", params=KEY, json={"code": "MP148A"}),
        await client.get(API + "/projects", params=KEY),
        await client.get(API + "/projects", params=KEY, headers={"X-Customer-Id": "%00bad"}),
    ]
    for response in failures:
        assert response.status_code >= 400, response.request.url
        assert response.headers["content-type"] == "application/problem+json", response.request.url
        body = response.json()
        assert set(body) >= {"type", "title", "status", "detail"} and body["status"] == response.status_code


async def test_each_page_is_rate_limited(client: httpx.AsyncClient) -> None:
    statuses = []
    for _ in range(45):
        response = await client.post(API + "/cart/item", params=KEY, json={"code": "MP148A"})
        statuses.append(response.status_code)
    assert statuses[0] == 200 and statuses[-1] == 429
    assert int(response.headers["retry-after"]) >= 1
    assert (await _get(client, "/options")).status_code == 200  # reads have their own, larger budget


async def test_a_failing_database_is_a_readable_503(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    import easel.storage.catalog as catalog_store

    async def broken(*args: object, **kwargs: object) -> None:
        raise OperationalError("SELECT", {}, Exception("database is locked"))

    monkeypatch.setattr(catalog_store, "search_artworks", broken)
    response = await client.get(API + "/search", params=KEY, headers={"Origin": "http://localhost:3000"})
    assert response.status_code == 503
    assert response.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert response.json()["title"] == "Service unavailable"


async def test_a_merchant_can_withhold_prices_from_anonymous_shoppers(client: httpx.AsyncClient,
                                                                      demo_runtime: Runtime) -> None:
    merchant = await _merchant(demo_runtime)
    async with demo_runtime.engine.begin() as conn:
        await merchant_store.update_merchant(conn, merchant.id, {"pricing_requires_login": True})
    # The page does not ask for a login (no auth=pricing), yet no price leaves the server.
    anonymous = (await _get(client, "/price", code="MP148A")).json()
    assert anonymous["price"] is None and anonymous["login_required"] == "pricing"
    known = await client.get(API + "/price", params={**KEY, "code": "MP148A"}, headers={"X-Customer-Id": "c1"})
    assert known.json()["price"] > 0
