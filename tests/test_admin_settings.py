"""The admin panel's Prices, API and Widget pages: changes through the settings service with their
history, validation errors shown, staff and forms without CSRF refused, another merchant unreachable, and
the test event and test item through the real callback and relay code paths."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from easel.app import create_demo_app
from easel.dispatch.webhook_signature import verify
from easel.runtime import Runtime
from easel.settings import Settings
from easel.storage import merchants as merchant_store
from easel.storage.tables import setting_changes

from .admin_helpers import csrf_of, make_user, other_merchant, post_form, sign_in
from .asgi_client import in_process
from .servers import run_asgi

pytestmark = pytest.mark.anyio
OWNER_PAGES = ("/admin/prices", "/admin/api", "/admin/widget")
POSTS = ("/admin/prices", "/admin/prices/preview", "/admin/api", "/admin/api/rotate-secret", "/admin/api/test-event",
         "/admin/widget", "/admin/widget/keys", "/admin/widget/test-item")


async def _owner(client: httpx.AsyncClient) -> None:
    assert (await sign_in(client, "owner@demo.test", "demo")).status_code == 303


async def _changes(runtime: Runtime, merchant: str = "testing") -> list[tuple[str, str, str, str]]:
    async with runtime.engine.connect() as conn:
        found = await merchant_store.merchant_by_username(conn, merchant)
        assert found is not None
        rows = (await conn.execute(select(setting_changes).where(setting_changes.c.merchant_id == found.id)
                                   .order_by(setting_changes.c.id))).all()
    return [(r.actor, r.field, r.old_value, r.new_value) for r in rows]


async def _merchant(runtime: Runtime, name: str = "testing") -> merchant_store.Merchant:
    async with runtime.engine.connect() as conn:
        found = await merchant_store.merchant_by_username(conn, name)
    assert found is not None
    return found


def _price_form(html: str, **changes: str) -> dict[str, str]:
    """The prices form's fields as the page filled them, with ``changes``."""
    fields = dict(re.findall(r'<input id="markup_(\w+)" name="markup_\w+"[^>]* value="([^"]*)"', html))
    data = {f"markup_{k}": v for k, v in fields.items()}
    for n, (sku, price) in enumerate(re.findall(r'name="sku_\d+"[^>]* value="([^"]*)"[^<]*</td>\s*<td><input '
                                                r'name="price_\d+"[^>]* value="([^"]*)"', html)):
        data[f"sku_{n}"], data[f"price_{n}"] = sku, price
    return {**data, "csrf": csrf_of(html), **changes}


async def test_the_owner_changes_a_markup_and_the_shopper_price_follows_at_once(
        client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    await _owner(client)
    key = (await _merchant(demo_runtime)).api_keys[0]
    before = (await client.get("/widget/v1/api/price", params={"api_key": key, "code": "MP148A", "style": "PF"})).json()
    page = await client.get("/admin/prices", params={"code": "MP148A", "style": "PF"})
    assert page.status_code == 200 and "Wholesale price table" in page.text and "What a shopper sees" in page.text
    preview = await client.post("/admin/prices/preview", data=_price_form(page.text, markup_PF="100", code="MP148A",
                                                                           style="PF"))
    assert preview.status_code == 200
    shown = preview.json()
    assert float(shown["price"]) == pytest.approx(2 * float(shown["list_price"]), abs=0.01)
    assert await _changes(demo_runtime) == []  # a preview saves nothing
    saved = await client.post("/admin/prices", data=_price_form(page.text, markup_PF="100", action="save",
                                                                 code="MP148A", style="PF"))
    assert saved.status_code == 303
    after = (await client.get("/widget/v1/api/price", params={"api_key": key, "code": "MP148A", "style": "PF"})).json()
    assert after["price"] == round(float(shown["price"])) != before["price"]  # no wait for EASEL_CACHE_TTL
    assert ("owner@demo.test", "markup PF", "none", "100%") in await _changes(demo_runtime)
    history = (await client.get(saved.headers["location"])).text
    assert "The prices were saved." in history and "markup PF" in history and "100%" in history


async def test_price_errors_are_shown_and_nothing_is_saved(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    await _owner(client)
    page = (await client.get("/admin/prices")).text
    refused = await client.post("/admin/prices", data=_price_form(page, markup_PF="lots", sku_0="xyz", price_0="3",
                                                                   action="save"))
    assert refused.status_code == 400
    assert "markup for PF: &#39;lots&#39; is not a percentage" in refused.text
    assert "sku &#39;xyz&#39; must be 16 hexadecimal characters" in refused.text
    assert await _changes(demo_runtime) == []
    bad = await client.post("/admin/prices/preview", data=_price_form(page, markup_PF="2000"))
    assert bad.status_code == 400 and "outside -90% … 1000%" in bad.json()["errors"][0]


async def test_the_cli_shows_the_same_errors_and_is_recorded_as_cli(demo_runtime: Runtime) -> None:
    from easel.services.merchant_settings import CLI_ACTOR, MerchantSettings, SettingProblem, markups_with, validated

    with pytest.raises(SettingProblem, match="markup for PF: 'lots' is not a percentage"):
        markups_with((await _merchant(demo_runtime)).markups, {"PF": "lots"}, {}, ["PF"])
    with pytest.raises(SettingProblem, match="callback URL 'ftp://x' must be an absolute http"):
        validated({"callback_url": "ftp://x"})
    service = MerchantSettings(demo_runtime.engine, demo_runtime.secrets)
    merchant = await _merchant(demo_runtime)
    await service.change(merchant.id, validated({"callback_url": "https://shop.example/hook"}), CLI_ACTOR)
    await service.change(merchant.id, validated({"callback_url": "https://shop.example/hook"}), CLI_ACTOR)  # no-op
    assert await _changes(demo_runtime) == [("cli", "callback_url", "", "https://shop.example/hook")]


async def test_staff_are_refused_and_forms_need_csrf(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    await make_user(demo_runtime, "staff@demo.test", role="staff")
    await sign_in(client, "staff@demo.test")
    for path in OWNER_PAGES:
        refused = await client.get(path)
        assert refused.status_code == 403 and "for the shop&#39;s owner" in refused.text, path
    assert "/admin/prices" not in (await client.get("/admin/")).text  # not in the staff's menu
    await client.post("/admin/sign-out", data={"csrf": csrf_of((await client.get("/admin/")).text)})
    await _owner(client)
    for path in POSTS:
        sent = await client.post(path, data={"markup_PF": "99", "callback_url": "https://evil.example/",
                                             "action": "add"})
        assert sent.status_code == 403 and "security token" in sent.text, path
    assert await _changes(demo_runtime) == []


async def test_another_merchants_settings_are_unreachable(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    await other_merchant(demo_runtime)
    await make_user(demo_runtime, "owner@other.test", merchant="othershop")
    await sign_in(client, "owner@other.test")
    demo_key = (await _merchant(demo_runtime)).api_keys[0]
    page = (await client.get("/admin/widget")).text
    assert demo_key not in page and "othershop" in page
    revoked = await client.post("/admin/widget/keys", data={"csrf": csrf_of(page), "action": "revoke",
                                                             "key": demo_key})
    assert revoked.status_code == 400 and "othershop has no active api_key" in revoked.text
    assert demo_key in (await _merchant(demo_runtime)).api_keys
    await post_form(client, "/admin/prices", "/admin/prices", {"markup_PF": "50", "action": "save"})
    assert (await _merchant(demo_runtime)).markups.style_basis_points.get("PF") != 5000
    assert await _changes(demo_runtime) == []
    assert [c[1] for c in await _changes(demo_runtime, "othershop")] == ["markup PF"]


async def test_api_settings_secret_rotation_and_validation(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    await _owner(client)
    page = (await client.get("/admin/api")).text
    assert "testing" in page and "Last 50 deliveries" in page
    bad = await client.post("/admin/api", data={"csrf": csrf_of(page), "callback_url": "javascript:alert(1)"})
    assert bad.status_code == 400 and "must be an absolute http(s) URL" in bad.text
    ok = await client.post("/admin/api", data={"csrf": csrf_of(page), "callback_url": "https://shop.example/e",
                                               "require_timestamp": "on", "test_mode": "on"})
    assert ok.status_code == 303
    merchant = await _merchant(demo_runtime)
    assert merchant.require_timestamp and merchant.callback_url == "https://shop.example/e"
    rotated = await client.post("/admin/api/rotate-secret", data={"csrf": csrf_of(page)})
    secret = re.search(r'id="new-secret"[^>]* value="([^"]+)"', rotated.text)
    assert secret and demo_runtime.secrets.decrypt(await _encrypted(demo_runtime)) == secret.group(1)
    assert secret.group(1) not in (await client.get("/admin/api")).text  # shown once
    fields = [c[1:] for c in await _changes(demo_runtime)]
    assert ("require_timestamp", "off", "on") in fields and ("api secret", "(hidden)", "(new, hidden)") in fields
    assert all(secret.group(1) not in " ".join(c) for c in fields)


async def _encrypted(runtime: Runtime) -> str:
    async with runtime.engine.connect() as conn:
        return await merchant_store.encrypted_secret(conn, (await _merchant(runtime)).id)


async def test_widget_settings_keys_and_validation(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    await _owner(client)
    page = (await client.get("/admin/widget")).text
    assert 'id="nep_widget"' in page and "ShowHardwareOption: true" in page and 'id="snippet-text"' in page
    bad = await client.post("/admin/widget", data={"csrf": csrf_of(page), "allowed_origins": "https://shop.example/x",
                                                   "cart_path": "https://evil.example/cart", "cart_mode": "post"})
    assert bad.status_code == 400
    for said in ("is not an origin", "must be a path on the merchant", "cart mode &#39;post&#39; must be one of"):
        assert said in bad.text
    added = await client.post("/admin/widget/keys", data={"csrf": csrf_of(page), "action": "add"})
    assert added.status_code == 303
    keys = (await _merchant(demo_runtime)).api_keys
    assert len(keys) == 2
    await client.post("/admin/widget/keys", data={"csrf": csrf_of(page), "action": "revoke", "key": keys[0]})
    assert (await _merchant(demo_runtime)).api_keys == keys[1:]
    gone = await client.get("/widget/v1/api/price", params={"api_key": keys[0], "code": "MP148A"})
    assert gone.status_code in (401, 403, 404)  # forgotten at once in this process
    assert [c[1] for c in await _changes(demo_runtime)] == ["widget api_key", "widget api_key"]
    assert "ShowHardwareOption: false" in (await client.get("/admin/widget", params={"hardware": "off"})).text
    saved = await client.post("/admin/widget", data={
        "csrf": csrf_of(page), "allowed_origins": "https://Shop.example\nhttp://127.0.0.1:*", "cart_path": "/cart/add",
        "cart_mode": "relay", "login_url": "/login", "pricing_requires_login": "on"})
    assert saved.status_code == 303
    merchant = await _merchant(demo_runtime)
    assert merchant.allowed_origins == ("https://shop.example", "http://127.0.0.1:*") and merchant.cart_mode == "relay"
    changed = {c[1]: c[2:] for c in await _changes(demo_runtime)}
    assert changed["cart_mode"] == ("direct", "relay") and changed["pricing_requires_login"] == ("off", "on")
    assert changed["allowed_origins"] == ("http://127.0.0.1:*, http://localhost:*", "https://shop.example, "
                                                                                    "http://127.0.0.1:*")
    assert "require_customer_token" not in changed  # unchanged fields are not recorded


# --- the test event and the test item, against real receivers ---------------------------------------------------

@pytest.fixture
async def open_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The demo app whose outbound guard lets requests reach this machine (EASEL_CALLBACKS_ALLOW_PRIVATE)."""
    from dataclasses import replace

    from easel.demo.seed import seed_demo

    runtime = Runtime.create(replace(settings, callbacks_allow_private=True), builtin_sandboxes=True)
    await seed_demo(runtime, images=False)
    app = create_demo_app(runtime=runtime)
    async with in_process(app) as http:
        yield http
    await runtime.close()


def _receiver(seen: list[tuple[dict[str, str], bytes]]) -> Starlette:
    async def take(request: Request) -> JSONResponse:
        seen.append((dict(request.headers), await request.body()))
        return JSONResponse({"count": 7, "note": "got it"}, status_code=201)
    return Starlette(routes=[Route("/hook", take, methods=["POST"]), Route("/cart/add", take, methods=["POST"])])


async def test_a_test_event_is_signed_and_its_answer_shown(open_client: httpx.AsyncClient) -> None:
    client = open_client
    seen: list[tuple[dict[str, str], bytes]] = []
    with run_asgi(_receiver(seen)) as url:
        await _owner(client)
        await post_form(client, "/admin/api", "/admin/api", {"callback_url": url + "/hook"})
        rotated = await post_form(client, "/admin/api", "/admin/api/rotate-secret", {})
        secret = re.search(r'id="new-secret"[^>]* value="([^"]+)"', rotated.text)
        assert secret
        answer = await post_form(client, "/admin/api", "/admin/api/test-event", {})
    assert answer.status_code == 200 and "answered HTTP 201" in answer.text and "got it" in answer.text
    headers, body = seen[0]
    assert json.loads(body)["type"] == "test"
    verify(secret.group(1), headers, body)  # signed as order events are


async def test_a_test_item_goes_through_the_relay(open_client: httpx.AsyncClient) -> None:
    client = open_client
    seen: list[tuple[dict[str, str], bytes]] = []
    with run_asgi(_receiver(seen)) as url:
        await _owner(client)
        direct = await post_form(client, "/admin/widget", "/admin/widget/test-item", {"origin": url})
        assert "The browser would post this to" in direct.text and "&#34;signature&#34;" in direct.text and not seen
        await post_form(client, "/admin/widget", "/admin/widget", {
            "allowed_origins": url, "cart_path": "/cart/add", "cart_mode": "relay", "login_url": "/demo/login"})
        relayed = await post_form(client, "/admin/widget", "/admin/widget/test-item", {"origin": url})
        elsewhere = await post_form(client, "/admin/widget", "/admin/widget/test-item",
                                    {"origin": "https://elsewhere.example"})
    assert relayed.status_code == 200 and "Your cart answered HTTP 201" in relayed.text and "got it" in relayed.text
    assert json.loads(seen[0][1])["sku"]
    assert elsewhere.status_code == 400 and "not one of the shop&#39;s allowed origins" in elsewhere.text


def test_the_command_line_goes_through_the_same_service(settings: Settings) -> None:
    """``easel merchant set`` refuses with the panel's sentences and its changes are in the history as "cli"."""
    import asyncio

    from click.testing import CliRunner

    from easel.cli import main

    env = {"EASEL_DATA_DIR": str(settings.data_dir), "DATABASE_URL": settings.database_url,
           "EASEL_SECRET_KEY": settings.secret_key}

    def easel(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
        return result.exit_code, result.output

    assert easel("merchant", "create", "acme")[0] == 0
    assert easel("merchant", "set", "acme", "--markup", "PF=lots") == \
        (1, "Error: markup for PF: 'lots' is not a percentage\n")
    assert easel("merchant", "set", "acme", "--cart-mode", "direct", "--cart-path", "//evil")[1].endswith(
        "cart path '//evil' must be a path on the merchant's site, such as /cart/add\n")
    assert easel("merchant", "set", "acme", "--markup", "pf=30", "--require-timestamp")[0] == 0
    assert easel("merchant", "rotate-secret", "acme")[0] == 0

    async def history() -> list[tuple[str, str, str, str]]:
        runtime = Runtime.create(settings)
        try:
            return await _changes(runtime, "acme")
        finally:
            await runtime.close()

    assert asyncio.run(history()) == [("cli", "require_timestamp", "off", "on"), ("cli", "markup PF", "none", "30%"),
                                      ("cli", "api secret", "(hidden)", "(new, hidden)")]


async def test_fixed_prices_are_added_and_removed_with_their_history(client: httpx.AsyncClient,
                                                                     demo_runtime: Runtime) -> None:
    await _owner(client)
    sku = "473784f02f26d24f"
    page = (await client.get("/admin/prices")).text
    assert (await client.post("/admin/prices", data=_price_form(page, sku_0=sku.upper(), price_0="139.5",
                                                                action="save"))).status_code == 303
    assert (await _merchant(demo_runtime)).markups.sku_cents == {sku: 13950}
    page = (await client.get("/admin/prices")).text
    assert f'value="{sku}"' in page and 'value="139.50"' in page
    assert (await client.post("/admin/prices", data=_price_form(page, price_0="", action="save"))).status_code == 303
    assert (await _merchant(demo_runtime)).markups.sku_cents == {}
    assert [c[1:] for c in await _changes(demo_runtime)] == [(f"price {sku}", "none", "139.50"),
                                                             (f"price {sku}", "139.50", "none")]
