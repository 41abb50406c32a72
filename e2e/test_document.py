"""The Image2ART document's widget section, verbatim: the snippet, setOptions, both setPrice examples,
binding events with image2art.$(window).on, and the CSS overrides."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page

from . import pages
from .launch import Site
from .widget import W, choose, events, open_page, shown_price, wait_event


def test_the_snippet_renders_the_gallery_into_box_widget_and_moves_the_id(page: Page, site: Site,
                                                                          easel_url: str) -> None:
    url = site.page("/snippet", pages.shop(easel_url, after=pages.options()))
    open_page(page, url)
    assert page.locator("#box_widget > #nep_widget").count() == 1
    assert page.locator("script#nep_widget").count() == 0  # the id moved to the container
    assert page.locator(f"{W} #sidebar").is_visible()
    assert page.locator(f"{W} #images .nep-tile").count() >= 20
    leaked = page.evaluate("Object.keys(window).filter((k) => /^(image2art|\\$|jQuery|nep)/i.test(k))")
    assert leaked == ["image2art"]


def test_the_demo_store_embeds_the_documented_snippet(page: Page, shop_url: str) -> None:
    html = httpx.get(shop_url).text
    assert re.search(r'<script id="nep_widget" type="text/javascript" '
                     r'src="http://127\.0\.0\.1:\d+/widget/v1/code\.js\?api_key=demo"></script>\s*'
                     r'<div id="box_widget"></div>', html)
    assert "image2art.widget.setOptions({" in html and "image2art.$(window).on('widget:ready'" in html
    open_page(page, shop_url)
    assert page.evaluate("document.documentElement.classList.contains('gallery-ready')")


def test_events_bound_the_documented_way_fire_in_order(page: Page, site: Site, easel_url: str) -> None:
    url = site.page("/events", pages.shop(easel_url, after=pages.EVENTS + pages.options()))
    open_page(page, url + "#/product/edit/MP148A/paper/PF/F0092/S")
    wait_event(page, "widget:price:changed")
    choose(page, "frame", "F0101")
    seen = page.evaluate("window.seen")
    assert seen == ["widget:ready", "widget:loaded", "widget:price:change", "widget:price:changed",
                    "widget:price:change", "widget:price:changed"]
    assert events(page)[:2] == ["widget:ready", "widget:loaded"]  # the DOM CustomEvents agree


def test_shim_supports_off_one_and_trigger(page: Page, site: Site, easel_url: str) -> None:
    url = site.page("/shim", pages.shop(easel_url))
    open_page(page, url)
    calls = page.evaluate("""() => {
        const calls = [];
        const f = (e, d) => calls.push(['on', e.type, d && d.n]);
        image2art.$(window).on('x:test', f).one('x:test', (e) => calls.push(['one', e.type]));
        image2art.$(window).trigger('x:test', {n: 1});
        image2art.$(window).trigger('x:test', {n: 2});
        image2art.$(window).off('x:test', f);
        image2art.$(window).trigger('x:test', {n: 3});
        return calls;
    }""")
    assert calls == [["on", "x:test", 1], ["one", "x:test"], ["on", "x:test", 2]]


def test_first_set_price_example_as_written_marks_everything_up_25_percent(page: Page, site: Site,
                                                                           easel_url: str) -> None:
    url = site.page("/setprice1", pages.shop(easel_url, after=pages.SET_PRICE_FIRST + pages.options()))
    open_page(page, url + "#/product/edit/MP148A/paper/PF/F0092/S")
    detail = wait_event(page, "widget:price:changed")
    base = detail["product"]["price"]
    assert detail["price"] == base * 1.25  # the `if` has no return: 25 %, framed paper too
    expected = f"${base * 1.25:,.2f}".replace(".00", "")
    assert shown_price(page) == expected
    detail = choose(page, "style", "PO")
    assert detail["price"] == detail["product"]["price"] * 1.25


def test_second_set_price_example_looks_skus_up(page: Page, site: Site, easel_url: str) -> None:
    probe = httpx.get(f"{easel_url}/widget/v1/api/price", params={
        "api_key": "demo", "code": "MP148A", "substrate": "paper", "style": "PF", "frame": "F0092", "size": "S"}).json()
    script = pages.SET_PRICE_SECOND.replace('"sku1"', f'"{probe["product"]["sku"]}"')
    url = site.page("/setprice2", pages.shop(easel_url, after=script + pages.options()))
    open_page(page, url + "#/product/edit/MP148A/paper/PF/F0092/S")
    detail = wait_event(page, "widget:price:changed")
    assert detail["price"] == 139 and shown_price(page) == "$139"
    detail = choose(page, "frame", "F0093")  # not in the list: the server's price
    assert detail["price"] == detail["product"]["price"]
    assert shown_price(page) == f"${detail['product']['price']}"


def test_second_set_price_example_verbatim_keeps_server_prices(page: Page, site: Site, easel_url: str) -> None:
    url = site.page("/setprice2v", pages.shop(easel_url, after=pages.SET_PRICE_SECOND + pages.options()))
    open_page(page, url + "#/product/edit/V00551/paper/PF/F0092/M")
    detail = wait_event(page, "widget:price:changed")
    assert detail["price"] == detail["product"]["price"] > 0


def test_set_price_may_be_assigned_before_the_script_loads(page: Page, site: Site, easel_url: str) -> None:
    early = "<script>window.image2art = {widget: {setPrice: function (p) { return 7; }}};</script>"
    url = site.page("/early", pages.shop(easel_url, before=early))
    open_page(page, url + "#/product/edit/MP148A")
    assert wait_event(page, "widget:price:changed")["price"] == 7


def test_set_options_before_and_after_the_script_loads(page: Page, site: Site, easel_url: str) -> None:
    stub = ("<script>window.image2art = {widget: {setOptions: function (o) { (this._o = this._o || []).push(o); }}};"
            "image2art.widget.setOptions({ShowHardwareOption: true});</script>")
    url = site.page("/options", pages.shop(easel_url, before=stub))
    open_page(page, url + "#/product/edit/MP148A/paper/PF/F0092/S")
    wait_event(page, "widget:price:changed")
    assert page.locator(f'{W} [data-opt="security_hardware"]').count() == 1  # queued before load
    n = page.evaluate("window.__nep.length")
    page.evaluate("image2art.widget.setOptions({ShowHardwareOption: false})")  # again, later
    page.wait_for_function("(n) => window.__nep.length > n", arg=n)
    assert page.locator(f'{W} [data-opt="security_hardware"]').count() == 0


def test_the_documented_css_overrides_win(page: Page, site: Site, easel_url: str) -> None:
    url = site.page("/css", pages.shop(easel_url, head=f"<style>{pages.CSS_OVERRIDES}</style>",
                                       after=pages.options()))
    open_page(page, url)
    gray = "rgb(128, 128, 128)"
    assert page.eval_on_selector(f"{W} #sidebar", "(el) => getComputedStyle(el).backgroundColor") == gray
    assert page.eval_on_selector(f"{W} #images", "(el) => getComputedStyle(el).backgroundColor") == gray
    page.click(f"{W} .nep-tile >> nth=1")
    wait_event(page, "widget:price:changed")
    assert page.eval_on_selector(f"{W} h3", "(el) => getComputedStyle(el).fontSize") == "14px"
    # Even without !important, a merchant's one-id rule beats the widget's own styles.
    page.add_style_tag(content="#nep_widget h3 { font-family: monospace; } #nep_widget .nep-price { color: rgb(1, 2, 3); }")
    assert "monospace" in page.eval_on_selector(f"{W} h3", "(el) => getComputedStyle(el).fontFamily")
    assert page.eval_on_selector(f"{W} .nep-price", "(el) => getComputedStyle(el).color") == "rgb(1, 2, 3)"
