"""Artworks hidden from a shop (by that shop, or by the operator from every shop): the shop's widget never
lists them and answers for them as for an unknown artwork; the order API's catalogue and products leave them
out; an order or quote naming one is refused with the item's field. Other shops are not affected. A hide made
in this process shows at once; one made by another process within EASEL_CACHE_TTL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from starlette.applications import Starlette

from easel.app import create_demo_app
from easel.demo.seed import DEMO_API_KEY, DEMO_USERNAME
from easel.runtime import Runtime
from easel.services.products import HiddenArtwork, UnknownSku
from easel.storage import catalog as catalog_store
from easel.storage import merchants as merchant_store
from easel.storage.tables import artworks, configurations
from easel.widget.state import WidgetState

from .asgi_client import in_process
from .orders_helpers import call, order

pytestmark = pytest.mark.anyio
API = "/widget/v1/api"


async def _get(client: httpx.AsyncClient, path: str, key: str = DEMO_API_KEY, **params: Any) -> httpx.Response:
    return await client.get(API + path, params={"api_key": key, **params})


async def _shop_id(runtime: Runtime, username: str = DEMO_USERNAME) -> int:
    async with runtime.engine.connect() as conn:
        found = await merchant_store.merchant_by_username(conn, username)
    assert found is not None
    return found.id


async def _hide(runtime: Runtime, shop: int, code: str, hidden: bool = True) -> None:
    async with runtime.engine.begin() as conn:
        await catalog_store.set_hidden_by_shop(conn, shop, code, hidden)


async def _sku_of(runtime: Runtime, code: str) -> str:
    async with runtime.engine.connect() as conn:
        return str((await conn.execute(select(configurations.c.sku).where(configurations.c.artwork_code == code)
                                       .order_by(configurations.c.sku))).scalars().first())


async def _codes(client: httpx.AsyncClient, key: str = DEMO_API_KEY) -> set[str]:
    return {i["code"] for i in (await _get(client, "/search", key, per_page="48")).json()["items"]}


@pytest.fixture
async def app(demo_runtime: Runtime) -> Starlette:
    return create_demo_app(runtime=demo_runtime)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with in_process(app) as http:
        yield http


@pytest.fixture
def forget(app: Starlette) -> Any:
    """What the panel does after a hide in this process (a hide written elsewhere waits for EASEL_CACHE_TTL)."""
    return lambda: _state(app).forget()


def _state(app: Starlette) -> WidgetState:
    found: WidgetState = app.state.easel_widget
    return found


async def test_a_shop_hides_an_artwork_from_its_widget_only(client: httpx.AsyncClient, demo_runtime: Runtime,
                                                            forget: Any) -> None:
    before = (await _get(client, "/search", facets="1")).json()
    code, artist = before["items"][0]["code"], before["items"][0]["artist"]
    assert (await _get(client, f"/artworks/{code}")).status_code == 200  # cached in the widget's state now
    shop = await _shop_id(demo_runtime)
    async with demo_runtime.engine.begin() as conn:
        other = await merchant_store.create_merchant(conn, "othershop", demo_runtime.secrets.encrypt("s"),
                                                     {"test_mode": True}, "otherkey")
    await _hide(demo_runtime, shop, code)
    forget()
    after = (await _get(client, "/search", facets="1")).json()
    assert code not in {i["code"] for i in after["items"]} and after["total"] == before["total"] - 1
    alone = sum(1 for i in before["items"] if i["artist"] == artist) == 1
    assert (artist not in after["facets"]["artists"]) == alone
    unknown = (await _get(client, "/artworks/NOSUCH9")).json()
    for path, params in ((f"/artworks/{code}", {}), ("/price", {"code": code})):
        hidden = await _get(client, path, **params)
        assert hidden.status_code == 404 and hidden.headers["content-type"] == "application/problem+json"
        assert hidden.json() == unknown | ({"instance": hidden.json()["instance"]} if "instance" in unknown else {})
    assert code in await _codes(client, other.api_keys[0])  # another shop still shows it
    assert (await _get(client, "/price", other.api_keys[0], code=code)).status_code == 200
    await _hide(demo_runtime, shop, code, hidden=False)
    forget()
    assert code in await _codes(client) and (await _get(client, "/price", code=code)).status_code == 200


async def test_the_operator_hides_an_artwork_from_every_shop(client: httpx.AsyncClient, demo_runtime: Runtime,
                                                             forget: Any) -> None:
    code = sorted(await _codes(client))[0]
    price = (await _get(client, "/price", code=code)).json()
    preview = price["product"]["preview"].split("/widget/v1/", 1)[1]
    assert (await client.get(f"/widget/v1/{preview}")).status_code == 200
    async with demo_runtime.engine.begin() as conn:
        await conn.execute(update(artworks).where(artworks.c.code == code).values(hidden=True))
    forget()
    assert code not in await _codes(client)
    assert (await _get(client, "/price", code=code)).status_code == 404
    assert (await _get(client, f"/artworks/{code}")).status_code == 404
    fresh = preview.replace("/600.", "/300.")  # not yet drawn, so not served from memory
    assert (await client.get(f"/widget/v1/{fresh}")).status_code == 404


async def test_a_hide_made_elsewhere_shows_within_the_cache_ttl(client: httpx.AsyncClient, demo_runtime: Runtime,
                                                                app: Starlette) -> None:
    now = [1000.0]
    app.state.easel_widget = WidgetState(demo_runtime, clock=lambda: now[0])  # its caches on a clock we move
    code = sorted(await _codes(client))[0]
    assert (await _get(client, "/price", code=code)).status_code == 200
    await _hide(demo_runtime, await _shop_id(demo_runtime), code)  # as another process would: no forget()
    assert (await _get(client, "/price", code=code)).status_code == 200  # still cached
    now[0] += demo_runtime.settings.cache_ttl + 0.1
    assert (await _get(client, "/price", code=code)).status_code == 404


async def test_the_order_api_leaves_hidden_artworks_out(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    listed = (await call(client, "GET", "/catalog", {"rows": 50})).json()
    code = listed["artworks"][0]["code"]
    sku = await _sku_of(demo_runtime, code)
    assert (await call(client, "GET", f"/products/{sku}")).status_code == 200
    await _hide(demo_runtime, await _shop_id(demo_runtime), code)
    after = (await call(client, "GET", "/catalog", {"rows": 50})).json()
    assert after["total"] == listed["total"] - 1 and code not in {a["code"] for a in after["artworks"]}
    one = (await call(client, "GET", "/catalog", {"code": code})).json()
    assert one["artworks"] == [] and one["total"] == 0
    product = await call(client, "GET", f"/products/{sku}")
    assert product.status_code == 404 and f"unknown sku {sku}" in product.text
    refused = await call(client, "POST", "/orders", order([sku]))
    assert refused.status_code == 400, refused.text
    assert f"items[0].sku: artwork {code} is not offered by this shop" in refused.text
    quote = await call(client, "POST", "/quotes", {"items": [{"sku": sku, "quantity": 1}], "country": "US"})
    assert f"artwork {code} is not offered by this shop" in quote.text
    await _hide(demo_runtime, await _shop_id(demo_runtime), code, hidden=False)
    placed = await call(client, "POST", "/orders", order([sku]))
    assert placed.status_code in (200, 201), placed.text


async def test_a_skus_lookup_sees_its_own_shops_hides_and_the_operators(demo_runtime: Runtime) -> None:
    """The order API resolves an item's sku, its artwork and the hide in one statement: a hide by one shop
    binds that shop only, the operator's binds every shop, and a deleted artwork's sku is unknown."""
    products, shop = demo_runtime.products, await _shop_id(demo_runtime)
    async with demo_runtime.engine.begin() as conn:
        other = await merchant_store.create_merchant(conn, "other-shop", "sealed", {"currency": "USD"})
        mine = await merchant_store.merchant_by_id(conn, shop)
        code = str((await conn.execute(select(artworks.c.code).order_by(artworks.c.code))).scalars().first())
    assert mine is not None
    sku = await _sku_of(demo_runtime, code)
    assert (await products.by_sku(mine, sku)).artwork.code == code
    await _hide(demo_runtime, other.id, code)
    assert (await products.by_sku(mine, sku)).resolved.sku == sku  # another shop's hide is not this one's
    with pytest.raises(HiddenArtwork):
        await products.by_sku(other, sku)
    await _hide(demo_runtime, other.id, code, hidden=False)
    async with demo_runtime.engine.begin() as conn:
        await conn.execute(update(artworks).where(artworks.c.code == code).values(hidden=True))
    for merchant in (mine, other):
        with pytest.raises(HiddenArtwork, match=f"artwork {code} is not offered"):
            await products.by_sku(merchant, sku)
    with pytest.raises(UnknownSku):
        await products.by_sku(mine, "0" * 16)
    async with demo_runtime.engine.begin() as conn:
        await catalog_store.delete_artwork(conn, code)
    with pytest.raises(UnknownSku) as gone:
        await products.by_sku(mine, sku)
    assert not isinstance(gone.value, HiddenArtwork)
