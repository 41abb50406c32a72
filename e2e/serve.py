"""Run easel for the browser tests and benchmarks: what ``easel demo`` does, plus a few test merchants.

``python -m e2e.serve --port N`` (with ``EASEL_DATA_DIR`` and ``EASEL_SECRET_KEY`` set) migrates, loads the
demo data and these merchants, and serves the demo app (``easel.app.create_demo_app``). Like ``easel demo``,
it turns ``EASEL_CALLBACKS_ALLOW_PRIVATE`` on unless it is set, so the cart relay reaches the test
merchant's shop on 127.0.0.1 through the production mechanism. The sandboxes' control token is
:data:`CONTROL_TOKEN` (tests advance their clocks), an account locks after :data:`SIGNIN_LOCK_AFTER` failed
sign-ins, and the ``relayshop`` merchant has two admin users (:data:`OTHER_OWNER`, :data:`LOCKED_STAFF`).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import shutil

import uvicorn

from easel.app import create_demo_app
from easel.demo.seed import seed_demo
from easel.domain.catalog import Artwork
from easel.runtime import Runtime
from easel.services.users import hash_password
from easel.settings import Settings
from easel.storage import catalog as catalog_store
from easel.storage import merchants as merchant_store
from easel.storage import migrate
from easel.storage import users as user_store

RELAY_SECRET = "relay-shop-secret-for-tests"
TOKEN_SECRET = "token-shop-secret-for-tests"
ELSEWHERE_SECRET = "elsewhere-secret-for-tests"
LOCAL_ORIGINS = ["http://127.0.0.1:*", "http://localhost:*"]
HOSTILE_CODE = "XSS001"
HOSTILE_TITLE = '<img src=x onerror="window.__pwned=1">Tide & "Moon"'
HOSTILE_ARTIST = "<script>window.__pwned=2</script>"
CONTROL_TOKEN = "e2e-sandbox-control-token"  # the sandboxes' /_control token, unless EASEL_SANDBOX_TOKEN
SIGNIN_LOCK_AFTER = 4  # failed admin sign-ins that lock an account (unless EASEL_ADMIN_SIGNIN_LOCK_AFTER): tests stay quick
# Admin users of another merchant (email, password, merchant, role): one to look for the demo's pages, one to lock out.
OTHER_OWNER = ("owner@relayshop.test", "relayshop owner password", "relayshop", "owner")
LOCKED_STAFF = ("staff@relayshop.test", "relayshop staff password", "relayshop", "staff")
# The admin pages' tests (e2e/test_admin_pages.py): an operator (no merchant) and the owner of a shop of its own,
# whose vendor accounts they change without touching the demo's (email, password, merchant, role).
OPERATOR: tuple[str, str, str | None, str] = ("operator@easel.test", "operator password for tests", None, "operator")
PANEL_OWNER: tuple[str, str, str | None, str] = ("owner@panelshop.test", "panelshop owner password", "panelshop", "owner")
PANEL_SECRET = "panel-shop-secret-for-tests"

# Test-mode merchants: the demo has sandbox accounts only, and a merchant sells what its mode can make.
MERCHANTS: list[tuple[str, str, str, dict[str, object]]] = [
    ("relayshop", "relay-key", RELAY_SECRET, {"allowed_origins": LOCAL_ORIGINS, "cart_mode": "relay",
                                              "cart_path": "/merchant/cart", "login_url": "/merchant/login",
                                              "test_mode": True}),
    ("tokenshop", "token-key", TOKEN_SECRET, {"allowed_origins": LOCAL_ORIGINS, "require_customer_token": True,
                                              "cart_path": "/merchant/cart", "login_url": "/merchant/login",
                                              "test_mode": True}),
    ("elsewhere", "elsewhere-key", ELSEWHERE_SECRET, {"allowed_origins": ["https://shop.example"],
                                                      "cart_path": "/cart", "test_mode": True}),
    # Everything routed to Pwinty alone: some styles lack some sizes (framed paper has no XL).
    ("pwintyshop", "pwinty-key", RELAY_SECRET, {"allowed_origins": LOCAL_ORIGINS, "cart_path": "/merchant/cart",
                                                "test_mode": True, "routing": {"default": ["pwinty"]}}),
    ("panelshop", "panel-key", PANEL_SECRET, {"allowed_origins": LOCAL_ORIGINS, "test_mode": True}),
]


async def prepare(settings: Settings) -> None:
    runtime = Runtime.create(settings, create_key=True)
    try:
        await migrate.upgrade(runtime.engine)
        await seed_demo(runtime)
        async with runtime.engine.begin() as conn:
            for username, key, secret, fields in MERCHANTS:
                if await merchant_store.merchant_by_username(conn, username) is None:
                    await merchant_store.create_merchant(conn, username, runtime.secrets.encrypt(secret),
                                                         {"email": f"{username}@example.com", **fields}, api_key=key)
            if await catalog_store.artwork_by_code(conn, HOSTILE_CODE) is None:
                images = settings.data_dir / "images"
                shutil.copyfile(images / "MP148A.jpg", images / f"{HOSTILE_CODE}.jpg")
                await catalog_store.upsert_artworks(conn, [Artwork(
                    HOSTILE_CODE, HOSTILE_TITLE, HOSTILE_ARTIST, "<b>bold?</b>", 4800, 4800,
                    str((images / f"{HOSTILE_CODE}.jpg").resolve()), ("paper",))])
            for email, password, username, role in (OTHER_OWNER, LOCKED_STAFF):
                merchant = await merchant_store.merchant_by_username(conn, username)
                if merchant is not None and await user_store.user_by_email(conn, email) is None:
                    user_id = await user_store.insert_user(conn, email, merchant.id, role)
                    await user_store.set_password_hash(conn, user_id, await hash_password(password))
            for email, password, shop_name, role in (OPERATOR, PANEL_OWNER):
                shop = await merchant_store.merchant_by_username(conn, shop_name) if shop_name else None
                if (shop is not None or shop_name is None) and await user_store.user_by_email(conn, email) is None:
                    user_id = await user_store.insert_user(conn, email, shop.id if shop else None, role)
                    await user_store.set_password_hash(conn, user_id, await hash_password(password))
    finally:
        await runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    settings = Settings.from_env()
    if "EASEL_CALLBACKS_ALLOW_PRIVATE" not in os.environ:
        settings = dataclasses.replace(settings, callbacks_allow_private=True)
    if "EASEL_SANDBOX_TOKEN" not in os.environ:  # tests move the sandboxes' clocks on
        settings = dataclasses.replace(settings, sandbox_token=CONTROL_TOKEN)
    if "EASEL_ADMIN_SIGNIN_LOCK_AFTER" not in os.environ:
        settings = dataclasses.replace(settings, admin_signin_lock_after=SIGNIN_LOCK_AFTER)
    if "EASEL_PUBLIC_URL" not in os.environ:  # as `easel demo` does: vendors reach the port actually served
        settings = dataclasses.replace(settings, public_url=f"http://127.0.0.1:{args.port}")
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(prepare(settings))
    uvicorn.run(create_demo_app(settings), host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
