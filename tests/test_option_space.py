"""The demo's whole option space (every artwork kind x substrate x style x frame x matte x size x border
kind/colour/width x stretcher bar x hardware): what the widget offers and prices and what the order API
accepts is exactly what the capability function says can be made, for the demo's routing and for a
merchant that routes everything to Pwinty; and what it says can be made, the vendors' sandboxes accept."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from easel.api.phpjson import php_json_encode
from easel.client import sign_request
from easel.demo.seed import demo_artworks
from easel.dispatch.drivers.image2art import SANDBOX_CREDENTIALS as UPSTREAM_LOGIN
from easel.dispatch.drivers.image2art import upstream_fields
from easel.dispatch.drivers.pwinty import SANDBOX_CREDENTIALS as PWINTY_LOGIN
from easel.domain.catalog import Artwork
from easel.domain.configuration import CHOICE_FIELDS, Configuration, resolve, standard_choices
from easel.domain.option_space import OTHER_COLOUR, configurations
from easel.domain.options import load_option_tables
from easel.domain.pricing import Markups, load_price_table, merchant_price_cents
from easel.runtime import Runtime
from easel.sandboxes.image2art import Image2ArtSandboxSettings
from easel.sandboxes.image2art import create_app as create_upstream
from easel.services.products import NotOffered
from easel.storage import merchants as merchant_store
from easel.vendors.capability import Capability, Plan
from easel.vendors.image2art import Image2ArtAdapter
from easel.vendors.mapping import load_product_map
from easel.vendors.pwinty import PrintItem, PwintyAdapter, Recipient
from easel.vendors.routing import Router, VendorAccount, VendorAccounts

from .dispatch_helpers import pwinty_sandbox
from .orders_helpers import call
from .sandbox_access import CONTROL_TOKEN
from .servers import run_asgi

TABLES = load_option_tables()
PRICES = load_price_table(TABLES)
PWINTY_ONLY = {"rules": [], "default": ["pwinty"], "retouch": None}
SHADES = ("white", "#000", "navy", "rgb(10,20,30)")
"""Colours walked: ones the Pwinty table names (as written two ways) and ones nobody names."""
OPTIONS = ("substrate", "style", "frame", "matte", "size", "border_type", "border_color", "border_width",
           "stretcher_bar", "security_hardware")
ARTWORKS = [a for a, _ in demo_artworks(Path("images"))]


def kinds(artworks: Iterable[Artwork]) -> list[Artwork]:
    """One artwork per kind: orientation, substrates and the sizes its resolution allows."""
    found: dict[tuple[object, ...], Artwork] = {}
    for artwork in artworks:
        found.setdefault((artwork.orientation, artwork.substrates, tuple(artwork.sizes(TABLES))), artwork)
    return list(found.values())


def space(artwork: Artwork) -> Iterator[Configuration]:
    """Every configuration of the artwork, each colour border in every colour of SHADES."""
    sizes = artwork.sizes(TABLES)
    for config in configurations(TABLES, ()):
        if config.substrate not in artwork.substrates or config.size not in sizes:
            continue
        shades = SHADES if config.border_color == OTHER_COLOUR else (config.border_color,)
        for shade in shades:
            yield replace(config, artwork=artwork.code, border_color=shade)


def covering(configs: list[Configuration]) -> list[Configuration]:
    """A few configurations that together hold every value of every option the list holds."""
    wanted = {(name, getattr(c, name)) for c in configs for name in OPTIONS}
    chosen: list[Configuration] = []
    for config in configs:
        new = {(name, getattr(config, name)) for name in OPTIONS} & wanted
        if new:
            chosen.append(config)
            wanted -= new
    return chosen


def demo_capability() -> Capability:
    maps = {v: load_product_map(v, TABLES) for v in ("pwinty", "image2art")}
    accounts = VendorAccounts([VendorAccount(v, "sandbox", f"http://127.0.0.1:9/{v}") for v in (*maps, "pixelz")], {})
    return Capability(Router(maps, retouchers=["pixelz"]), accounts, TABLES)


def test_every_configuration_of_the_demo_resolves_and_prices() -> None:
    assert len(ARTWORKS) >= 24 and {a.orientation for a in ARTWORKS} == {"portrait", "landscape", "square"}
    count = 0
    for artwork in kinds(ARTWORKS):
        for config in space(artwork):
            item = resolve(artwork, config.as_choices(), TABLES)
            assert item.configuration == config
            assert merchant_price_cents(item, PRICES, Markups({"PF": 2500})) > 0
            count += 1
    assert count > 8_000


def test_the_demo_makes_everything_and_lists_a_second_vendor_for_what_pwinty_makes() -> None:
    plan = demo_capability().plan(None, True)
    assert all(v.reason is None for v in plan.verdicts.values())
    first_pwinty = [c for c, v in plan.verdicts.items() if v.vendors[0] == "pwinty"]
    assert len(first_pwinty) > 300
    assert all(plan.verdicts[c].vendors == ("pwinty", "image2art") for c in first_pwinty)
    assert demo_capability().plan(None, False).verdict(first_pwinty[0]).reason == (
        "no vendor can make this item: no live pwinty account is configured (EASEL_VENDOR_ACCOUNTS); "
        "no live image2art account is configured (EASEL_VENDOR_ACCOUNTS)")


# --- the widget and the order API against the capability function ---------------------------------------


def _expected_options(plan: Plan, artwork: Artwork | None = None) -> dict[str, set[object]]:
    """From the makeable configurations themselves: the values offered per style, and per artwork."""
    made = [c for c in plan.makeable
            if artwork is None or (c.substrate in artwork.substrates and c.size in artwork.sizes(TABLES))]
    found: dict[str, set[object]] = {"substrate": {c.substrate for c in made}, "size": {c.size for c in made},
                                     "style": {c.style for c in made}}
    for c in made:
        for name in ("frame", "matte", "border_type", "stretcher_bar"):
            if getattr(c, name) is not None:
                found.setdefault(f"{c.style}.{name}", set()).add(getattr(c, name))
        found.setdefault(f"{c.style}.security_hardware", set()).add(c.security_hardware)
    return found


def _offered_options(options: dict[str, Any]) -> dict[str, set[object]]:
    found: dict[str, set[object]] = {"substrate": {s["code"] for s in options["substrates"]},
                                     "size": {s["code"] for s in options["sizes"]},
                                     "style": {s["code"] for s in options["styles"]}}
    for style in options["styles"]:
        code = style["code"]
        found[f"{code}.frame"] = {f["code"] for f in options["frames"] if code in f["styles"]}
        found[f"{code}.matte"] = {m["code"] for m in options["mattes"] if code in m["styles"]}
        if style["border_types"]:
            found[f"{code}.border_type"] = set(style["border_types"])
            found[f"{code}.stretcher_bar"] = set(style["stretcher_bars"])
        found[f"{code}.security_hardware"] = {False, True} if style["hardware"] else {False}
    for code, default in options["defaults"].items():  # every default is offered with its style
        assert default["frame"] in found[f"{code}.frame"] and default["matte"] in found[f"{code}.matte"]
    return found


def _item(config: Configuration, standard: dict[tuple[object, ...], str]) -> dict[str, Any]:
    """The order item for a configuration as the document lets a merchant send it: the standard sku with
    the same substrate, style, frame, matte, size and stretcher bar, and border and hardware fields."""
    base = (config.artwork, config.substrate, config.style, config.frame, config.matte, config.size,
            config.stretcher_bar)
    item: dict[str, Any] = {"sku": standard[base], "quantity": 1, "security_hardware": config.security_hardware}
    if config.border_type is not None:
        item["border"] = {"type": config.border_type, "size": config.border_width, "color": config.border_color or ""}
    return item


@pytest.mark.anyio
@pytest.mark.parametrize("routing", [None, PWINTY_ONLY], ids=["demo routing", "pwinty only"])
async def test_the_widget_and_the_order_api_offer_exactly_what_can_be_made(
        client: httpx.AsyncClient, demo_runtime: Runtime, routing: dict[str, Any] | None) -> None:
    async with demo_runtime.engine.begin() as conn:
        merchant = await merchant_store.merchant_by_username(conn, "testing")
        assert merchant is not None
        await merchant_store.update_merchant(conn, merchant.id, {"routing": routing})
    demo_runtime.merchants.forget("testing")
    merchant = replace(merchant, routing=routing)
    products = demo_runtime.products
    plan = products.plan(merchant)
    assert plan is not None
    if routing is not None:
        assert 0 < len(plan.makeable) < len(plan.verdicts)  # something is hidden, something offered

    options = (await client.get("/widget/v1/api/options", params={"api_key": "demo"})).json()
    assert _offered_options(options) == _expected_options(plan)

    problems: list[str] = []
    for n, artwork in enumerate(kinds(ARTWORKS)):
        detail = (await client.get(f"/widget/v1/api/artworks/{artwork.code}", params={"api_key": "demo"})).json()
        expected = _expected_options(plan, artwork)
        assert set(detail["substrates"]) == expected["substrate"] and {s["code"] for s in detail["sizes"]} == \
            expected["size"], artwork.code
        configs = list(space(artwork))
        for config in configs:  # the widget's price answer for every configuration, in process
            reason = products.cannot_make(merchant, config)
            try:
                offered = products.offered(merchant, artwork, config.as_choices()).resolved.configuration
            except NotOffered as err:
                if reason is None or err.reason != reason:
                    problems.append(f"{config}: refused ({err.reason}) but can be made ({reason})")
                continue
            if reason is not None or offered != config:
                problems.append(f"{config}: priced as {offered} though {reason}")
        assert not problems, problems[:5]

        sample = list(dict.fromkeys(
            covering(configs) + covering([c for c in configs if products.cannot_make(merchant, c) is None])))
        for config in sample if n < 3 else ():  # the same answers over HTTP (within the widget's rate limit)
            priced = await client.get("/widget/v1/api/price", params={
                "api_key": "demo", "code": artwork.code,
                **{k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in config.as_choices().items()
                   if v is not None}})
            assert priced.status_code == (200 if products.cannot_make(merchant, config) is None else 422), (
                config, priced.text)

        standard = {(artwork.code, *(c.get(k) for k in ("substrate", "style", "frame", "matte", "size",
                                                          "stretcher_bar"))): resolve(artwork, c, TABLES).sku
                    for c in standard_choices(artwork, TABLES)}
        quoted = await call(client, "POST", "/quotes", {"items": [_item(c, standard) for c in sample]})
        refused = {int(n) for n in re.findall(r"items\[(\d+)\]", quoted.text)} if quoted.status_code != 201 else set()
        assert refused == {n for n, c in enumerate(sample) if products.cannot_make(merchant, c) is not None}, \
            quoted.text

    catalog = (await call(client, "GET", "/catalog", {"start": 0, "rows": 50})).json()
    listed = [c for a in catalog["artworks"] for c in a["configurations"]]
    every = [resolve(a, c, TABLES) for a in ARTWORKS for c in standard_choices(a, TABLES)]
    assert {c["sku"] for c in listed} == {r.sku for r in every if products.cannot_make(merchant, r.configuration) is None}
    hidden = next((r for r in every if products.cannot_make(merchant, r.configuration) is not None), None)
    if hidden is not None:
        answer = await call(client, "GET", f"/products/{hidden.sku}")
        assert answer.status_code == 404 and "is not offered: no vendor can make this item" in answer.text
    shown = await call(client, "GET", f"/products/{listed[0]['sku']}")
    assert shown.status_code == 200


def test_a_price_request_leaving_choices_out_gets_a_configuration_that_can_be_made() -> None:
    plan = demo_capability().plan(PWINTY_ONLY, True)
    artwork = max(ARTWORKS, key=lambda a: (len(a.substrates), len(a.sizes(TABLES))))
    framed_canvas = resolve(artwork, {"substrate": "canvas", "style": "CF"}, TABLES).configuration
    assert framed_canvas.frame == "F0092" and plan.verdict(framed_canvas).reason is not None
    made = plan.complete(framed_canvas, ("substrate", "style"), artwork.substrates, artwork.sizes(TABLES))
    assert made is not None and made.frame == "F0305" and made.style == "CF" and plan.verdict(made).reason is None
    assert plan.complete(replace(framed_canvas, frame="F0092"), ("style", "frame"), artwork.substrates,
                         artwork.sizes(TABLES)) is None


# --- what can be made against what the vendors' sandboxes accept -----------------------------------------


def _signed_post(base: str, uri: str, data: dict[str, Any]) -> httpx.Response:
    signed = sign_request(uri, data, UPSTREAM_LOGIN["username"], UPSTREAM_LOGIN["secret"])
    return httpx.post(f"{base}/{uri}", content=php_json_encode(signed).encode(),
                      headers={"Content-Type": "application/json"}, timeout=30)


@pytest.mark.anyio
async def test_what_can_be_made_is_what_the_sandboxes_accept() -> None:
    capability = demo_capability()
    plan = capability.plan(None, True)
    pwinty = load_product_map("pwinty", TABLES)
    upstream_app = create_upstream(Image2ArtSandboxSettings(control_token=CONTROL_TOKEN, tick_seconds=3600))
    with pwinty_sandbox() as pwinty_url, run_asgi(upstream_app) as upstream_url:
        async with httpx.AsyncClient() as http:
            # Pwinty: every product and attribute set its table maps a configuration that Pwinty makes to.
            products = {}
            for config in plan.makeable:
                if "pwinty" in plan.verdicts[config].vendors:
                    p = pwinty.product(config.as_choices())
                    products[(p.sku, json.dumps(dict(p.attributes), sort_keys=True))] = p
            assert len(products) > 50
            adapter = PwintyAdapter(http, base_url=pwinty_url, **PWINTY_LOGIN)
            order = await adapter.create_order(Recipient("Jane Doe", "US", "456 False Ln.", None, "Austin", "TX",
                                                         "78705"), merchant_order_id="walk-1")
            await adapter.add_images(order.id, [PrintItem(p.sku, f"https://example.com/{n}.jpg", 1, p.sizing,  # type: ignore[arg-type]
                                                          dict(p.attributes)) for n, p in enumerate(products.values())])
            status = await adapter.submission_status(order.id)
            assert status.problems() == []  # an unknown sku is refused when added; a bad attribute is fatal here

            # The upstream Image2ART: every configuration of the widest artwork, items as the driver sends
            # them (its own skus, border and hardware fields), quoted upstream in batches.
            upstream = Image2ArtAdapter(http, base_url=upstream_url, **UPSTREAM_LOGIN)
            for artwork in kinds(ARTWORKS)[:2]:
                sold = await upstream.artwork_products(artwork.code)
                assert sold, artwork.code
                configs = [c for c in space(artwork) if c.border_color in (None, "white", "navy")]
                assert all("image2art" in plan.verdict(c).vendors for c in configs)
                items = [{**upstream_fields(c.as_choices(), sold), "quantity": 1} for c in configs]
                for start in range(0, len(items), 100):
                    answer = _signed_post(upstream_url, "quotes", {"items": items[start:start + 100]})
                    assert answer.status_code == 201, answer.text[:500]
            # And what the upstream never handed out it refuses.
            refused = _signed_post(upstream_url, "quotes", {"items": [{"sku": "0123456789abcdef", "quantity": 1}]})
            assert refused.json()["error_code"] == 201


def test_the_choice_fields_are_the_options_walked() -> None:
    assert set(CHOICE_FIELDS) == set(OPTIONS)
