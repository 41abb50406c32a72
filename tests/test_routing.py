"""Routing rules and mapping tables: data, checked at start-up; unroutable items refused when the order
is placed; test orders and test-mode merchants only ever reach sandbox base URLs."""

from __future__ import annotations

import json

import httpx
import pytest

from easel.dispatch.build import installed_drivers
from easel.domain.options import load_option_tables
from easel.runtime import Runtime
from easel.settings import SettingsError
from easel.vendors.mapping import load_product_map
from easel.vendors.routing import NoAccount, Router, VendorAccount, VendorAccounts, load_accounts, load_rules

from .dispatch_helpers import styled_skus
from .orders_helpers import call, order

TABLES = load_option_tables()
MAPS = {v: load_product_map(v, TABLES) for v in ("pwinty", "image2art")}
CANVAS = {"substrate": "canvas", "style": "CG", "frame": "F0000", "matte": "ML000", "size": "S",
          "border_type": "mirror", "border_color": None, "border_width": 2, "stretcher_bar": "1.5",
          "security_hardware": False}
LIVE = {"pwinty": frozenset({"api.pwinty.com"})}


def test_every_vendor_table_loads_and_maps_a_canvas() -> None:
    product = MAPS["pwinty"].product(CANVAS)
    assert product.sku == "GLOBAL-CAN-10x12" and product.sizing == "Crop"
    assert dict(product.attributes) == {"wrap": "MirrorWrap", "edge": "38mm"}
    assert MAPS["pwinty"].can_make({**CANVAS, "border_type": "color", "border_color": "navy"}) is not None
    assert MAPS["pwinty"].shipping_method("fedex overnight") == "Overnight"


def test_a_table_naming_an_unknown_option_stops_start_up() -> None:
    bad = {"vendor": "pwinty", "products": [{"when": {"style": "ZZ"}, "sku": "X"}]}
    with pytest.raises(SettingsError, match="'ZZ' is not a known style"):
        load_product_map("pwinty", TABLES, json.dumps(bad))
    with pytest.raises(SettingsError, match="not valid"):
        load_product_map("pwinty", TABLES, "{")


def test_rules_choose_the_first_vendor_that_can_make_the_item() -> None:
    router = Router(MAPS)
    assert router.route(None, CANVAS).vendor == "pwinty"
    navy = {**CANVAS, "border_type": "color", "border_color": "navy"}
    assert router.route(None, navy).vendor == "image2art"
    only_pwinty = {"rules": [], "default": ["pwinty"]}
    assert router.reason(only_pwinty, navy) == "no vendor can make this item: pwinty cannot make border color:navy"
    upstream_first = {"rules": [{"when": {"substrate": "canvas"}, "vendors": ["image2art"]}], "default": ["pwinty"]}
    assert router.route(upstream_first, CANVAS).vendor == "image2art"
    assert "retouching vendor pixelz is not available" in (router.reason({"retouch": "pixelz"}, CANVAS) or "")
    with pytest.raises(ValueError, match="colour is not a choice"):
        load_rules({"rules": [{"when": {"colour": "red"}, "vendors": ["pwinty"]}]})


def test_test_orders_and_test_mode_merchants_only_get_sandbox_accounts() -> None:
    accounts = VendorAccounts([VendorAccount("pwinty", "sandbox", "http://127.0.0.1:1/v3.0"),
                               VendorAccount("pwinty", "live", "https://api.pwinty.com/v3.0")], LIVE)
    assert accounts.for_order("pwinty", is_test=True, merchant_test_mode=False).sandbox
    assert accounts.for_order("pwinty", is_test=False, merchant_test_mode=True).sandbox
    assert not accounts.for_order("pwinty", is_test=False, merchant_test_mode=False).sandbox
    with pytest.raises(SettingsError, match="sandbox account points at the live API"):
        VendorAccounts([VendorAccount("pwinty", "sandbox", "https://api.pwinty.com/v3.0")], LIVE)
    with pytest.raises(NoAccount, match="no live pwinty account"):
        VendorAccounts([VendorAccount("pwinty", "sandbox", "http://127.0.0.1:1")], LIVE).for_order(
            "pwinty", is_test=False, merchant_test_mode=False)


def test_the_accounts_file_completes_the_built_in_sandboxes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "vendors.json"
    path.write_text(json.dumps({"pwinty": {"live": {"url": "https://api.pwinty.com/v3.0", "merchant_id": "m",
                                                    "api_key": "k"}}}))
    drivers = installed_drivers(httpx.AsyncClient())
    builtin = [d.builtin_sandbox("http://127.0.0.1:8000") for d in drivers.values()]
    accounts = load_accounts(str(path), builtin, {v: d.live_hosts for v, d in drivers.items()})
    live = accounts.for_order("pwinty", is_test=False, merchant_test_mode=False)
    assert live.credentials == {"merchant_id": "m", "api_key": "k"}
    test = accounts.for_order("pwinty", is_test=True, merchant_test_mode=False)
    assert test.base_url == "http://127.0.0.1:8000/sandbox/pwinty/v3.0"


@pytest.mark.anyio
async def test_an_item_no_vendor_can_make_is_refused_when_the_order_is_placed(
        client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    from easel.storage import merchants as merchant_store

    async with demo_runtime.engine.begin() as conn:
        merchant = await merchant_store.merchant_by_username(conn, "testing")
        assert merchant is not None
        await merchant_store.update_merchant(conn, merchant.id, {"routing": {"rules": [], "default": ["pwinty"]}})
    demo_runtime.merchants.forget("testing")
    framed_canvas = await styled_skus(demo_runtime, "CF", "S")
    refused = await call(client, "POST", "/orders", order(framed_canvas))
    assert refused.status_code == 400
    assert "items[0].sku: no vendor can make this item: pwinty has no product for style CF" in refused.text
    accepted = await call(client, "POST", "/orders", order(await styled_skus(demo_runtime, "CG", "S")))
    assert accepted.status_code == 201
