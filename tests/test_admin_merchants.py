"""The operator's merchants in the panel: creating one (the API secret shown once, and it signs order API
calls), a merchant's page without its secret, test mode and the rate limit through the settings service
(recorded), its owner created with a one-time link that works; the same rules as the CLI; owners and staff
get 404 on every /admin/merchants address; forms without CSRF are refused."""

from __future__ import annotations

import re

import httpx
import pytest

from easel.runtime import Runtime
from easel.storage import merchants as merchant_store

from .admin_helpers import csrf_of, make_user, sign_in
from .orders_helpers import call

pytestmark = pytest.mark.anyio


async def _operator(client: httpx.AsyncClient, runtime: Runtime) -> str:
    await make_user(runtime, "ops@host.test", merchant=None, role="operator")
    assert (await sign_in(client, "ops@host.test")).status_code == 303
    return csrf_of((await client.get("/admin/merchants")).text)


async def _stored(runtime: Runtime, username: str) -> merchant_store.Merchant | None:
    async with runtime.engine.connect() as conn:
        return await merchant_store.merchant_by_username(conn, username)


async def test_the_operator_creates_a_merchant_and_sees_its_secret_once(client: httpx.AsyncClient,
                                                                        demo_runtime: Runtime) -> None:
    csrf = await _operator(client, demo_runtime)
    made = await client.post("/admin/merchants", data={"csrf": csrf, "username": "northshop", "name": "North <Shop>",
                                                       "email": "n@north.test", "currency": "eur", "test_mode": "1"})
    assert made.status_code == 201, made.text
    secret = re.search(r'id="api-secret"[^>]*value="([^"]+)"', made.text)
    assert secret and len(secret.group(1)) >= 40 and "North &lt;Shop&gt;" in made.text
    stored = await _stored(demo_runtime, "northshop")
    assert stored is not None and (stored.currency, stored.test_mode, stored.email) == ("EUR", True, "n@north.test")
    assert stored.api_keys and stored.api_keys[0].startswith("pk_")
    pong = await call(client, "GET", "/ping", {}, username="northshop", secret=secret.group(1))
    assert pong.status_code == 200 and pong.json()["user"]["username"] == "northshop"
    page = await client.get("/admin/merchants/northshop")
    assert page.status_code == 200 and secret.group(1) not in page.text and "api-secret" not in page.text
    assert "EUR" in page.text and "test: orders go to the vendors" in page.text
    assert 'href="/admin/merchants/northshop"' in (await client.get("/admin/merchants")).text
    again = await client.post("/admin/merchants", data={"csrf": csrf, "username": "northshop", "currency": "USD"})
    assert again.status_code == 400 and "a merchant named &#39;northshop&#39; already exists" in again.text
    for bad, why in (({"username": "x"}, "must be 3-64 letters"), ({"username": "okname", "currency": "EURO"},
                                                                    "three-letter ISO 4217")):
        refused = await client.post("/admin/merchants", data={"csrf": csrf, **bad})
        assert refused.status_code == 400 and why in refused.text
    assert await _stored(demo_runtime, "okname") is None
    no_csrf = await client.post("/admin/merchants", data={"username": "nocsrf1"})
    assert no_csrf.status_code == 403 and await _stored(demo_runtime, "nocsrf1") is None
    assert (await client.get("/admin/merchants/nosuchshop")).status_code == 404


async def test_the_operator_changes_test_mode_and_rate_limit(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    csrf = await _operator(client, demo_runtime)
    before = await _stored(demo_runtime, "testing")
    assert before is not None and before.test_mode
    live = await client.post("/admin/merchants/testing/settings", data={"csrf": csrf, "test_mode": "0"})
    assert live.status_code == 303 and live.headers["location"] == "/admin/merchants/testing?done=saved"
    limited = await client.post("/admin/merchants/testing/settings", data={"csrf": csrf, "rate_limit": "7"})
    assert limited.status_code == 303
    after = await _stored(demo_runtime, "testing")
    assert after is not None and (after.test_mode, after.rate_limit) == (False, 7)
    page = (await client.get("/admin/merchants/testing")).text
    assert "live: orders are printed" in page and "ops@host.test" in page and "rate_limit" in page
    for bad, why in (({"rate_limit": "lots"}, "rate limit &#39;lots&#39; must be a whole number"),
                     ({"test_mode": "maybe"}, "test_mode must be 1"), ({}, "Nothing to change")):
        refused = await client.post("/admin/merchants/testing/settings", data={"csrf": csrf, **bad})
        assert refused.status_code == 400 and why in refused.text
    await client.post("/admin/merchants/testing/settings", data={"csrf": csrf, "rate_limit": "", "test_mode": "1"})
    restored = await _stored(demo_runtime, "testing")
    assert restored is not None and (restored.test_mode, restored.rate_limit) == (True, None)


async def test_the_operator_creates_the_owner_with_a_one_time_link(client: httpx.AsyncClient,
                                                                    demo_runtime: Runtime) -> None:
    csrf = await _operator(client, demo_runtime)
    made = await client.post("/admin/merchants/testing/owner", data={"csrf": csrf, "email": "Boss@Shop.test"})
    assert made.status_code == 201, made.text
    link = re.search(r'id="owner-link"[^>]*value="([^"]+)"', made.text)
    assert link and "/admin/set-password?token=" in link.group(1)
    again = await client.post("/admin/merchants/testing/owner", data={"csrf": csrf, "email": "boss@shop.test"})
    assert again.status_code == 400 and "There is already a user boss@shop.test" in again.text
    bad = await client.post("/admin/merchants/testing/owner", data={"csrf": csrf, "email": "not an address"})
    assert bad.status_code == 400 and "is not an e-mail address" in bad.text
    await client.post("/admin/sign-out", data={"csrf": csrf})
    path = "/admin/set-password?" + link.group(1).split("?", 1)[1]
    form = await client.get(path)
    assert form.status_code == 200
    fields = {"csrf": csrf_of(form.text), "password": "a long new password", "confirm": "a long new password"}
    assert (await client.post(path, data=fields)).status_code == 303
    signed = await sign_in(client, "boss@shop.test", "a long new password")
    assert signed.status_code == 303 and signed.headers["location"] == "/admin/"
    assert (await client.get("/admin/prices")).status_code == 200  # an owner of that shop


@pytest.mark.parametrize("role", ["owner", "staff"])
async def test_merchant_users_get_404_on_every_merchants_address(client: httpx.AsyncClient, demo_runtime: Runtime,
                                                                 role: str) -> None:
    await make_user(demo_runtime, f"{role}@shop.test", role=role)
    await sign_in(client, f"{role}@shop.test")
    csrf = csrf_of((await client.get("/admin/orders")).text)
    for path in ("/admin/merchants", "/admin/merchants/testing", "/admin/merchants/nosuchshop"):
        assert (await client.get(path)).status_code == 404
    for path, data in (("/admin/merchants", {"username": "sneaky1"}),
                       ("/admin/merchants/testing/settings", {"test_mode": "0"}),
                       ("/admin/merchants/testing/owner", {"email": "me2@shop.test"})):
        assert (await client.post(path, data={"csrf": csrf, **data})).status_code == 404
    assert await _stored(demo_runtime, "sneaky1") is None
    stored = await _stored(demo_runtime, "testing")
    assert stored is not None and stored.test_mode
    anonymous = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    gone = await anonymous.get("/admin/merchants/testing")
    assert gone.status_code == 303 and gone.headers["location"].startswith("/admin/sign-in")
