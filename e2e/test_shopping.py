"""A shopper's flow: search and filter, open a product, change every kind of option, deep links,
the back button, a phone-sized screen, and input that should not break anything."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from playwright.sync_api import Page

from . import pages
from .conftest import Console
from .launch import Site
from .serve import HOSTILE_TITLE
from .widget import W, change, choose, count, events, hash_of, open_page, shown_price, wait_event, wait_grid


def _titles(page: Page) -> list[str]:
    return page.locator(f"{W} .nep-tile .nep-t").all_inner_texts()


def test_search_filter_and_open_a_product(page: Page, site: Site, easel_url: str) -> None:
    open_page(page, site.page("/browse", pages.shop(easel_url, after=pages.options())))
    assert page.inner_text(f"{W} .nep-count") == "25 artworks"
    page.fill(f"{W} #sidebar input[name=q]", "night")
    page.press(f"{W} #sidebar input[name=q]", "Enter")
    page.wait_for_function("location.hash === '#/search?q=night'")
    page.wait_for_function("document.querySelector('#nep_widget .nep-count').textContent === '1 artwork'")
    assert _titles(page) == ["Starry Night"]
    page.click(f"{W} .nep-chip")  # remove the text filter
    page.wait_for_function("document.querySelector('#nep_widget .nep-count').textContent === '25 artworks'")
    page.select_option(f"{W} #sidebar select[name=orientation]", "portrait")
    page.wait_for_function("location.hash === '#/search?orientation=portrait'")
    page.wait_for_function("!document.querySelector('#nep_widget #images').hasAttribute('aria-busy')")
    assert "Lighthouse Keeper" in _titles(page) and "Starry Night" not in _titles(page)
    page.select_option(f"{W} #sidebar select[name=artist]", "Ana Bellweather")
    page.wait_for_function("document.querySelector('#nep_widget .nep-count').textContent === '1 artwork'")
    page.select_option(f"{W} #sidebar select[name=substrate]", "canvas")
    page.wait_for_function("location.hash.includes('substrate=canvas')")
    page.wait_for_function("!document.querySelector('#nep_widget #images').hasAttribute('aria-busy')")
    assert _titles(page) == ["Lighthouse Keeper"]
    page.click(f"{W} .nep-tile")
    detail = wait_event(page, "widget:price:changed")
    assert page.inner_text(f"{W} h3") == "Lighthouse Keeper"
    assert hash_of(page).startswith("#/product/edit/AB202P/paper/PO/F0000/")
    assert detail["product"]["title"] == "Lighthouse Keeper" and detail["price"] > 0


def test_no_results_offer_to_clear_the_filters(page: Page, site: Site, easel_url: str) -> None:
    open_page(page, site.page("/none", pages.shop(easel_url)) + "#/search?q=zzzz-nothing")
    wait_grid(page)
    assert "No artworks match" in page.inner_text(f"{W} #images")
    page.click(f"{W} #images .nep-empty button")
    page.wait_for_function("document.querySelector('#nep_widget .nep-count').textContent === '25 artworks'")


def test_every_kind_of_option_changes_price_preview_and_route(page: Page, site: Site, easel_url: str) -> None:
    url = site.page("/options-all", pages.shop(easel_url, after=pages.EVENTS + pages.options(hardware=True)))
    open_page(page, url + "#/product/edit/V00551/paper/PO/F0000/S")
    first = wait_event(page, "widget:price:changed")
    previews = {first["product"]["preview"]}
    steps: list[tuple[str, str, Callable[[dict[str, Any]], bool]]] = [
        ("style", "PF", lambda d: d["product"]["style"] == "PF"),
        ("frame", "F0420", lambda d: d["product"]["frame"] == "F0420"),
        ("matte", "ML002", lambda d: d["product"]["matte"] == "ML002"),
        ("size", "M", lambda d: d["product"]["size"] == "M" and d["product"]["image_size"] == "20x15"),
        ("substrate", "canvas", lambda d: d["product"]["substrate"] == "canvas" and d["product"]["style"] == "CG"),
        ("style", "CF", lambda d: d["product"]["style"] == "CF"),
        ("style", "CG", lambda d: d["product"]["style"] == "CG"),
        ("border_type", "blur", lambda d: d["product"]["border_type"] == "blur"),
        ("stretcher_bar", "1.5", lambda d: d["product"]["stretcher_bar"] == "1.5"),
        ("border_type", "color", lambda d: d["product"]["border_type"] == "color"),
    ]
    prices = [first["price"]]
    for option, value, check in steps:
        before = len(page.evaluate("window.seen"))
        detail = choose(page, option, value)
        assert check(detail), (option, value, detail["product"])
        assert page.evaluate("window.seen")[before:] == ["widget:price:change", "widget:price:changed"]
        assert detail["price"] == detail["product"]["price"]
        assert shown_price(page) == f"${detail['price']}"
        previews.add(detail["product"]["preview"])
        prices.append(detail["price"])
    detail = change(page, "border_color", "navy")
    assert detail["product"]["border_color"] == "navy"
    detail = change(page, "border_width", "4")
    assert detail["product"]["border_width"] == 4
    detail = change(page, "security_hardware", "true")
    assert detail["product"]["security_hardware"] is True
    assert unquote(hash_of(page)) == ("#/product/edit/V00551/canvas/CG/F0000/M?border_type=color&border_width=4"
                                      "&border_color=navy&stretcher_bar=1.5&security_hardware=1")
    assert len(previews) == len(steps) and len(set(prices)) > 3  # CF → CG returns to an earlier piece
    page.wait_for_function("(sku) => document.querySelector('#nep_widget .nep-preview').src.includes(sku)",
                           arg=detail["product"]["sku"])


def test_options_that_do_not_combine_are_not_offered(page: Page, site: Site, easel_url: str) -> None:
    open_page(page, site.page("/combine", pages.shop(easel_url, after=pages.options(hardware=False)))
              + "#/product/edit/MP148A/paper/PO/F0000/S")
    wait_event(page, "widget:price:changed")
    assert page.locator(f'{W} [data-opt="frame"]').count() == 0  # unframed paper: no frames
    assert page.locator(f'{W} [data-opt="border_type"]').count() == 0
    assert page.locator(f'{W} [data-opt="security_hardware"]').count() == 0  # ShowHardwareOption false
    choose(page, "style", "PF")
    choose(page, "matte", "ML002")
    frames = page.locator(f'{W} [data-opt="frame"] [data-val]').evaluate_all("(b) => b.map((x) => x.dataset.val)")
    assert "F0305" not in frames and "F0000" not in frames  # floater: canvas only; none: unframed only
    detail = choose(page, "substrate", "canvas")
    assert detail["product"]["matte"] == "ML000"  # canvas drops the matte, and says so
    assert "Matte: No matte" in page.inner_text(f"{W} .nep-msg")
    assert page.locator(f'{W} [data-opt="matte"]').count() == 0
    sizes = page.locator(f'{W} [data-opt="size"] [data-val]').evaluate_all("(b) => b.map((x) => x.dataset.val)")
    assert sizes == ["S", "M", "L"]  # 4800 px: 40 in (XL) would be under 150 dpi


def test_deep_link_reload_and_back_button(page: Page, site: Site, easel_url: str) -> None:
    url = site.page("/deep", pages.shop(easel_url, after=pages.options()))
    open_page(page, url + "#/search?substrate=canvas")
    page.click(f"{W} .nep-tile >> text=Starry Night")
    wait_event(page, "widget:price:changed")
    choose(page, "style", "PF")
    choose(page, "matte", "ML010")
    deep = hash_of(page)
    assert deep == "#/product/edit/V00551/paper/PF/F0092/S?matte=ML010"
    page.reload()
    detail = wait_event(page, "widget:price:changed")
    assert detail["product"]["matte"] == "ML010" and hash_of(page) == deep
    assert page.get_attribute(f'{W} [data-opt="matte"] [data-val="ML010"]', "aria-pressed") == "true"
    page.go_back()  # option changes replace the entry: back is the search the shopper came from
    page.wait_for_function("location.hash === '#/search?substrate=canvas'")
    page.wait_for_selector(f"{W} #sidebar")
    assert page.input_value(f"{W} #sidebar select[name=substrate]") == "canvas"
    seen = count(page, "widget:price:changed")
    page.go_forward()
    wait_event(page, "widget:price:changed", seen)
    assert page.inner_text(f"{W} h3") == "Starry Night"


def test_foreign_hashes_are_left_alone(page: Page, site: Site, easel_url: str) -> None:
    open_page(page, site.page("/foreign", pages.shop(easel_url) .replace("<h1>", '<h1 id="reviews">')) + "#reviews")
    assert hash_of(page) == "#reviews"
    page.click(f"{W} .nep-tile >> nth=0")
    wait_event(page, "widget:price:changed")
    page.evaluate("location.hash = '#reviews'")
    page.wait_for_timeout(100)
    assert page.locator(f"{W} h3").count() == 1  # still on the product: not the widget's hash


def test_garbage_routes_fall_back_to_search(page: Page, site: Site, easel_url: str, console: Console) -> None:
    console.expect(r"status of (404|422)")  # the browser logs the API's answers to unknown artworks and options
    url = site.page("/garbage", pages.shop(easel_url))
    for route in ("#/product/edit/%3Cscript%3Ealert(1)%3C%2Fscript%3E", "#/product/edit/%E0%A4%A", "#/product/edit/NOPE99",
                  "#/product/edit/MP148A/x/y/z/w/v/u"):
        page.goto("about:blank")
        open_page(page, url + route)
        wait_grid(page)
        assert hash_of(page) == "#/search"
        assert page.locator(f"{W} .nep-tile").count() > 0
    page.goto("about:blank")
    open_page(page, url + "#/product/edit/MP148A/paper/ZZ/F0092/S")  # a real artwork, options not offered
    detail = wait_event(page, "widget:price:changed")
    assert detail["product"]["image_code"] == "MP148A" and "not offered" in page.inner_text(f"{W} .nep-msg")


def test_set_price_returning_garbage_shows_the_server_price(page: Page, site: Site, easel_url: str,
                                                            console: Console) -> None:
    script = """<script>
      var answers = [NaN, -5, "45", Infinity, null];
      var n = 0;
      image2art.widget.setPrice = function (p) { if (n === answers.length) throw new Error('boom'); return answers[n++]; };
    </script>"""
    open_page(page, site.page("/badprice", pages.shop(easel_url, after=script)) + "#/product/edit/MP148A/paper/PF/F0092/S")
    detail = wait_event(page, "widget:price:changed")
    assert detail["price"] == detail["product"]["price"]
    for frame in ("F0093", "F0101", "F0102", "F0210", "F0211"):
        detail = choose(page, frame and "frame", frame)
        assert detail["price"] == detail["product"]["price"] and shown_price(page) == f"${detail['price']}"
    for _ in range(100):  # console events reach Python a little after the page logs them
        if len([w for w in console.warnings if "setPrice" in w]) >= 6:
            break
        page.wait_for_timeout(25)
    assert len([w for w in console.warnings if "setPrice" in w]) == 6


def test_hostile_titles_are_text_never_markup(page: Page, site: Site, easel_url: str) -> None:
    open_page(page, site.page("/hostile", pages.shop(easel_url)) + "#/search?q=tide")
    page.wait_for_function("document.querySelector('#nep_widget .nep-count').textContent === '1 artwork'")
    assert page.inner_text(f"{W} .nep-tile .nep-t") == HOSTILE_TITLE
    page.click(f"{W} .nep-tile")
    wait_event(page, "widget:price:changed")
    assert page.inner_text(f"{W} h3") == HOSTILE_TITLE
    assert page.locator(f"{W} img[src=x], {W} script, {W} b").count() == 0
    page.wait_for_timeout(200)
    assert page.evaluate("window.__pwned") is None


def test_a_phone_sized_screen(page: Page, shop_url: str) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    open_page(page, shop_url)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert not page.locator(f"{W} #sidebar").is_visible()  # filters fold into a button
    page.click(f"{W} .nep-toggle")
    assert page.locator(f"{W} #sidebar").is_visible()
    columns = page.eval_on_selector(f"{W} .nep-grid", "(el) => getComputedStyle(el).gridTemplateColumns.split(' ').length")
    assert columns == 2
    page.click(f"{W} .nep-tile >> text=Dancing on the Water")
    wait_event(page, "widget:price:changed")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    box = page.locator(f"{W} .nep-add").bounding_box()
    assert box is not None and box["height"] >= 44
    choose(page, "substrate", "canvas")
    assert events(page).count("widget:price:changed") == 2
