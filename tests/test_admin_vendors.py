"""The admin panel's Vendors page: own accounts set and removed through the service (credentials masked,
errors named, history kept), routing rules checked and saved as JSON with what they sell, error rates on
the page and the dashboard, owners only, CSRF, and another shop's accounts out of reach."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from easel.domain.merchants import Merchant
from easel.runtime import Runtime
from easel.storage import merchants as merchant_store
from easel.storage.tables import merchant_vendor_accounts, setting_changes
from easel.vendors.errors import VendorUnavailable

from .admin_helpers import csrf_of, make_user, other_merchant, post_form, sign_in

pytestmark = pytest.mark.anyio
LIVE = {"vendor": "pwinty", "mode": "live", "url": "https://8.8.8.8/v3.0", "cred_merchant_id": "shop-merchant-id",
        "cred_api_key": "very-secret-api-key-4321"}
POSTS = ("/admin/vendors/accounts", "/admin/vendors/accounts/remove", "/admin/vendors/routing")


async def _owner(client: httpx.AsyncClient) -> None:
    assert (await sign_in(client, "owner@demo.test", "demo")).status_code == 303


async def _merchant(runtime: Runtime, name: str = "testing") -> Merchant:
    async with runtime.engine.connect() as conn:
        found = await merchant_store.merchant_by_username(conn, name)
    assert found is not None
    return found


async def _history(runtime: Runtime) -> list[tuple[str, str, str, str]]:
    async with runtime.engine.connect() as conn:
        rows = (await conn.execute(select(setting_changes).order_by(setting_changes.c.id))).all()
    return [(r.actor, r.field, r.old_value, r.new_value) for r in rows]


async def test_the_owner_sets_and_removes_an_own_account(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    await _owner(client)
    page = await client.get("/admin/vendors")
    assert page.status_code == 200 and "Vendors and routing" in page.text
    assert 'href="/admin/vendors" aria-current="page"' in page.text
    assert "the operator's" in page.text and "pwinty cannot take your live orders" in page.text

    saved = await post_form(client, "/admin/vendors", "/admin/vendors/accounts", LIVE)
    assert saved.status_code == 303
    shown = (await client.get(saved.headers["location"])).text
    assert "The vendor account was saved." in shown and "https://8.8.8.8/v3.0" in shown
    assert "••••4321" in shown and LIVE["cred_api_key"] not in shown and "shop-merchant-id" not in shown
    assert "pwinty cannot take your live orders" not in shown
    assert ("owner@demo.test", "pwinty live account api_key", "none", "••••4321") in await _history(demo_runtime)
    assert (await _merchant(demo_runtime)).own_vendor_accounts == {("pwinty", "live")}

    removed = await post_form(client, "/admin/vendors", "/admin/vendors/accounts/remove",
                              {"vendor": "pwinty", "mode": "live"})
    assert removed.status_code == 303
    assert "pwinty cannot take your live orders" in (await client.get(removed.headers["location"])).text
    assert ("owner@demo.test", "pwinty live account", "https://8.8.8.8/v3.0", "operator's") \
        in await _history(demo_runtime)


async def test_account_errors_name_the_field_and_never_echo_a_credential(
        client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    await _owner(client)
    refused = await post_form(client, "/admin/vendors", "/admin/vendors/accounts",
                              {**LIVE, "url": "http://8.8.8.8/v3.0", "cred_merchant_id": ""})
    assert refused.status_code == 400
    assert "base URL: must be https" in refused.text
    refused = await post_form(client, "/admin/vendors", "/admin/vendors/accounts",
                              {**LIVE, "cred_merchant_id": "", "mode": "sandbox"})
    assert refused.status_code == 400 and "merchant_id: is required for a pwinty account" in refused.text
    assert LIVE["cred_api_key"] not in refused.text
    for bad, message in ((dict(LIVE, vendor="printful"), "not an installed vendor"),
                         (dict(LIVE, mode="staging"), "must be sandbox or live"),
                         (dict(LIVE, url="https://10.0.0.7/v3.0"), "a private address"),
                         (dict(LIVE, cred_colour="red"), "colour: is not a pwinty credential")):
        answer = await post_form(client, "/admin/vendors", "/admin/vendors/accounts", bad)
        assert answer.status_code == 400 and message in answer.text, message
    gone = await post_form(client, "/admin/vendors", "/admin/vendors/accounts/remove",
                           {"vendor": "pwinty", "mode": "live"})
    assert gone.status_code == 400 and "no pwinty live account of this shop" in gone.text
    async with demo_runtime.engine.connect() as conn:
        assert (await conn.execute(select(merchant_vendor_accounts))).all() == []
    assert await _history(demo_runtime) == []


async def test_routing_rules_are_checked_then_saved(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    await _owner(client)
    bad_json = await post_form(client, "/admin/vendors", "/admin/vendors/routing",
                               {"rules": '{"rules": [}', "action": "check"})
    assert bad_json.status_code == 400 and "line 1, column 12" in bad_json.text
    bad_rule = await post_form(client, "/admin/vendors", "/admin/vendors/routing",
                               {"rules": '{"rules": [{"vendors": ["pwinty"]}, {"vendors": "pwinty"}]}',
                                "action": "save"})
    assert bad_rule.status_code == 400 and "rules[1].vendors: Input should be a valid list" in bad_rule.text
    unknown = await post_form(client, "/admin/vendors", "/admin/vendors/routing",
                              {"rules": '{"rules": [{"when": {"colour": "red"}}]}', "action": "save"})
    assert unknown.status_code == 400 and "rules[0].when: colour is not a choice" in unknown.text

    only_pwinty = '{"default": ["pwinty", "printful"]}'
    checked = await post_form(client, "/admin/vendors", "/admin/vendors/routing",
                              {"rules": only_pwinty, "action": "check"})
    assert checked.status_code == 200 and "Not saved yet." in checked.text
    merchant = await _merchant(demo_runtime)
    capability = demo_runtime.products.capability
    assert capability is not None
    now = len(capability.plan(None, merchant.test_mode).makeable)
    after = len(capability.preview({"default": ["pwinty"]}, merchant.test_mode).makeable)
    assert 0 < after < now
    assert f"could sell {after} of" in checked.text and f"it sells {now} now" in checked.text
    assert "No longer sellable" in checked.text and "Not installed here (skipped): printful." in checked.text
    assert await _history(demo_runtime) == []  # a check saves nothing

    saved = await post_form(client, "/admin/vendors", "/admin/vendors/routing",
                            {"rules": only_pwinty, "action": "save"})
    assert saved.status_code == 303
    assert (await _merchant(demo_runtime)).routing == {"default": ["pwinty", "printful"]}
    page = (await client.get(saved.headers["location"])).text
    assert "The routing rules were saved." in page and "&#34;pwinty&#34;" in page
    reset = await post_form(client, "/admin/vendors", "/admin/vendors/routing", {"rules": " ", "action": "save"})
    assert reset.status_code == 303 and (await _merchant(demo_runtime)).routing is None
    assert [field for _, field, _, _ in await _history(demo_runtime)] == ["routing", "routing"]


async def test_error_rates_show_on_the_page_and_the_dashboard(client: httpx.AsyncClient,
                                                              demo_runtime: Runtime) -> None:
    merchant = await _merchant(demo_runtime)
    tally = demo_runtime.dispatch.meter.tally_for(merchant.id)
    for _ in range(3):
        tally("pwinty", None)
    tally("pwinty", VendorUnavailable("pwinty", "get_order", "502 from https://api.x.test/o?api_key=LEAK"))
    other = await other_merchant(demo_runtime)
    demo_runtime.dispatch.meter.tally_for(other)("image2art", VendorUnavailable("image2art", "x", "other shop"))
    await _owner(client)
    page = (await client.get("/admin/vendors")).text
    assert "25.0 %" in page and "pwinty.get_order: 502 from https://api.x.test/o?api_key=***" in page
    assert "LEAK" not in page and "other shop" not in page
    dashboard = (await client.get("/admin/")).text
    assert "Vendors with recent errors" in dashboard and "pwinty.get_order" in dashboard
    assert "other shop" not in dashboard


async def test_only_owners_reach_the_page_and_forms_need_csrf(client: httpx.AsyncClient,
                                                              demo_runtime: Runtime) -> None:
    await make_user(demo_runtime, "staff@demo.test", role="staff")
    await sign_in(client, "staff@demo.test")
    refused = await client.get("/admin/vendors")
    assert refused.status_code == 403 and "for the shop&#39;s owner" in refused.text
    assert "/admin/vendors" not in (await client.get("/admin/")).text
    for path in POSTS:
        assert (await post_form(client, "/admin/", path, LIVE)).status_code == 403, path
    await client.post("/admin/sign-out", data={"csrf": csrf_of((await client.get("/admin/")).text)})
    await _owner(client)
    for path in POSTS:
        sent = await client.post(path, data={**LIVE, "rules": "{}", "action": "save"})
        assert sent.status_code == 403 and "security token" in sent.text, path
    assert await _history(demo_runtime) == []


async def test_another_shops_accounts_are_out_of_reach(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    await _owner(client)
    assert (await post_form(client, "/admin/vendors", "/admin/vendors/accounts", LIVE)).status_code == 303
    await client.post("/admin/sign-out", data={"csrf": csrf_of((await client.get("/admin/")).text)})
    await other_merchant(demo_runtime)
    await make_user(demo_runtime, "owner@other.test", merchant="othershop")
    await sign_in(client, "owner@other.test")
    page = (await client.get("/admin/vendors")).text
    assert "8.8.8.8" not in page and "••••4321" not in page
    gone = await post_form(client, "/admin/vendors", "/admin/vendors/accounts/remove",
                           {"vendor": "pwinty", "mode": "live"})
    assert gone.status_code == 400  # its own (none), never the other shop's
    assert (await _merchant(demo_runtime)).own_vendor_accounts == {("pwinty", "live")}
