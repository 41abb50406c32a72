"""Serving code.js, the widget's CSS and its source map: per-merchant config, caching, compression, the
size budget, the notice script for bad keys, and the check that the esbuild build is present and current."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
from pathlib import Path

import brotli
import httpx
import pytest

from easel.runtime import Runtime
from easel.storage import merchants as merchant_store
from easel.web.templates import resource_dir
from easel.widget.assets import WidgetAssets, WidgetBuildError, check_build
from easel.widget.script import js_literal

pytestmark = pytest.mark.anyio
CODE = "/widget/v1/code.js"


def _config(script: str) -> dict[str, object]:
    match = re.search(r"\}\)\(\n(\{.*\})\);\n//# sourceMappingURL=assets/widget\.[0-9a-f]{12}\.js\.map\n$", script, re.S)
    assert match, script[-300:]
    config: dict[str, object] = json.loads(match.group(1))
    return config


def _map_url(script: str) -> str:
    return "/widget/v1/" + script.rsplit("//# sourceMappingURL=", 1)[1].strip()


async def test_code_js_carries_the_merchants_settings(client: httpx.AsyncClient) -> None:
    response = await client.get(CODE, params={"api_key": "demo"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert "max-age=300" in response.headers["cache-control"]
    config = _config(response.text)
    assert config["key"] == "demo" and config["currency"] == "USD"
    assert config["cart"] == {"mode": "direct", "path": "/demo/cart"}
    assert config["origins"] == ["http://127.0.0.1:*", "http://localhost:*"]
    assert str(config["css"]).startswith("assets/widget.") and str(config["css"]).endswith(".css")
    assert "jQuery" not in response.text and "secret" not in response.text.lower()


async def test_code_js_revalidates_by_etag(client: httpx.AsyncClient) -> None:
    first = await client.get(CODE, params={"api_key": "demo"})
    etag = first.headers["etag"]
    again = await client.get(CODE, params={"api_key": "demo"}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag


async def test_code_js_is_compressed_as_the_client_accepts(client: httpx.AsyncClient) -> None:
    plain = await client.get(CODE, params={"api_key": "demo"}, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.headers["vary"] == "Accept-Encoding"
    for coding, decode in (("gzip", gzip.decompress), ("br", brotli.decompress)):
        async with client.stream("GET", CODE, params={"api_key": "demo"},
                                 headers={"Accept-Encoding": coding}) as response:
            raw = b"".join([chunk async for chunk in response.aiter_raw()])
        assert response.headers["content-encoding"] == coding
        assert decode(raw) == plain.content


async def test_script_and_css_fit_the_size_budget(client: httpx.AsyncClient) -> None:
    script = await client.get(CODE, params={"api_key": "demo"}, headers={"Accept-Encoding": "identity"})
    css = await client.get("/widget/v1/" + str(_config(script.text)["css"]), headers={"Accept-Encoding": "identity"})
    wire = len(gzip.compress(script.content, 9)) + len(gzip.compress(css.content, 9))
    assert wire <= 12 * 1024, wire


async def test_css_has_a_content_hashed_forever_cacheable_name(client: httpx.AsyncClient) -> None:
    script = await client.get(CODE, params={"api_key": "demo"})
    name = str(_config(script.text)["css"])
    css = await client.get(f"/widget/v1/{name}")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert css.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert css.text.startswith("#nep_widget{")
    stale = await client.get("/widget/v1/assets/widget.000000000000.css")
    assert stale.status_code == 200 and stale.headers["cache-control"] == "public, max-age=60"
    assert (await client.get("/widget/v1/assets/../../secret.key")).status_code == 404
    assert (await client.get("/widget/v1/assets/other.css")).status_code == 404


async def test_every_css_rule_is_scoped_to_the_widget(client: httpx.AsyncClient) -> None:
    script = await client.get(CODE, params={"api_key": "demo"})
    css = (await client.get(f"/widget/v1/{_config(script.text)['css']}")).text
    selectors = re.findall(r"(?:^|})([^{}@]+)\{", re.sub(r"@media[^{]+\{", "}", css))
    assert selectors
    for group in selectors:
        for selector in re.sub(r"\([^()]*\)", "()", group).split(","):
            assert selector.strip().startswith("#nep_widget"), selector


@pytest.mark.parametrize("key", ["no-such-key", "", "x" * 300, "<script>"])
async def test_a_bad_key_gets_a_notice_script_never_a_500(client: httpx.AsyncClient, key: str) -> None:
    response = await client.get(CODE, params={"api_key": key} if key else {})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.text.count("console.error(") == 1 and "box_widget" in response.text
    assert "<script>" not in response.text and "</" not in response.text


def test_js_literals_cannot_close_a_script_element() -> None:
    assert js_literal({"t": "</script><!--\u2028&"}) == '{"t":"\\u003c/script\\u003e\\u003c!--\\u2028\\u0026"}'


async def test_one_source_map_serves_every_merchant(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    async with demo_runtime.engine.begin() as conn:
        await merchant_store.create_merchant(conn, "othershop", demo_runtime.secrets.encrypt("x" * 32),
                                             {"allowed_origins": ["https://shop.example"]}, api_key="other-key")
    demo = (await client.get(CODE, params={"api_key": "demo"})).text
    other = (await client.get(CODE, params={"api_key": "other-key"})).text
    assert _config(demo) != _config(other) and _map_url(demo) == _map_url(other)
    response = await client.get(_map_url(demo))
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    source_map = response.json()
    assert source_map["version"] == 3 and "../src/main.js" in source_map["sources"]
    assert all(source_map["sourcesContent"])
    # The map describes only the lines before the merchant's settings, so their length moves nothing.
    config_line = next(i for i, line in enumerate(demo.split("\n")) if line.startswith("{"))
    assert source_map["mappings"].count(";") + 1 <= config_line


async def test_a_source_map_of_another_build_is_not_found(client: httpx.AsyncClient) -> None:
    assert (await client.get("/widget/v1/assets/widget.000000000000.js.map")).status_code == 404
    assert (await client.get("/widget/v1/assets/widget.js.map")).status_code == 404


def _copy_of_the_widget(tmp_path: Path) -> Path:
    folder = tmp_path / "widget_assets"
    shutil.copytree(resource_dir("widget_assets"), folder, ignore=shutil.ignore_patterns("node_modules"))
    return folder


def test_a_missing_build_stops_start_up_with_the_way_to_build_it(tmp_path: Path) -> None:
    folder = _copy_of_the_widget(tmp_path)
    (folder / "dist" / "widget.js.map").unlink()
    with pytest.raises(WidgetBuildError, match=r"widget\.js\.map is missing\); run `make widget`"):
        check_build(folder)


def test_a_build_older_than_a_source_is_refused_not_served(tmp_path: Path) -> None:
    folder = _copy_of_the_widget(tmp_path)
    assets = WidgetAssets(folder)
    assert assets.bundle().script_head.startswith("(function(__easel_config){")
    built = (folder / "dist" / "widget.js").stat().st_mtime_ns
    os.utime(folder / "src" / "product.js", ns=(built + 10**9, built + 10**9))
    with pytest.raises(WidgetBuildError, match=r"older than src/product\.js; run `make widget`"):
        check_build(folder)
    with pytest.raises(WidgetBuildError):
        WidgetAssets(folder).bundle()


def test_an_installed_build_without_sources_is_served(tmp_path: Path) -> None:
    folder = _copy_of_the_widget(tmp_path)
    shutil.rmtree(folder / "src")
    (folder / "widget.css").unlink()
    bundle = WidgetAssets(folder).bundle()
    assert bundle.script_tail.endswith(f"//# sourceMappingURL=assets/{bundle.map_name}\n")
