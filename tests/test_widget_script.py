"""Serving code.js and the widget's CSS: per-merchant config, caching, compression, the size budget,
the notice script for bad keys, and the serve-time minifier."""

from __future__ import annotations

import gzip
import json
import re

import brotli
import httpx
import pytest

from easel.widget.minify import minify_css, minify_js
from easel.widget.script import js_literal

pytestmark = pytest.mark.anyio
CODE = "/widget/v1/code.js"


def _config(script: str) -> dict[str, object]:
    match = re.search(r"\}\)\(window, ?document, ?(\{.*\})\);\s*$", script, re.S)
    assert match, script[-300:]
    config: dict[str, object] = json.loads(match.group(1))
    return config


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


def test_the_minifier_keeps_strings_regexes_and_line_breaks_that_matter() -> None:
    source = """
    // a comment
    var a = 'http://x // not a comment', b = "/* nor this */";  /* inline */
    var re = /[/]\\/+/g, c = a / 2 / 1;
    var d = a
    ++b;
    function f() {
      return
      1;
    }
    var e = `tpl // kept`;
    x = y - -z + +w;
    """
    out = minify_js(source)
    assert "'http://x // not a comment'" in out and '"/* nor this */"' in out and "`tpl // kept`" in out
    assert "/[/]\\/+/g" in out and "a/2/1" in out
    assert "a\n++b" in out  # a line break before ++ is kept (ASI)
    assert "return\n1" in out  # and after return
    assert "y- -z+ +w" in out
    assert "comment" not in out.replace("not a comment", "") and "inline" not in out


def test_the_css_minifier_keeps_descendant_pseudo_classes() -> None:
    assert minify_css("#a :where(b) { color: red ; }\n#a  :focus-visible{x: 1}") == \
        "#a :where(b){color:red}#a :focus-visible{x:1}\n"
