"""A shopper's flow: search and filter, open a product, change every kind of option, deep links,
the back button, a phone-sized screen, and input that should not break anything."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import httpx
from playwright.sync_api import Page, Route

from easel.previews.encoding import FORMATS

from . import pages
from .conftest import Console
from .launch import Site
from .serve import HOSTILE_TITLE
from .widget import (
    W,
    change,
    choose,
    count,
    events,
    hash_of,
    open_page,
    pressed_label,
    shown_price,
    wait_event,
    wait_grid,
    wait_preview,
)


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


def test_wall_view_is_a_tab_beside_the_front_view(page: Page, site: Site, easel_url: str) -> None:
    open_page(page, site.page("/wall", pages.shop(easel_url, after=pages.options())) +
              "#/product/edit/V00551/paper/PF/F0101/M?matte=ML002")
    first = wait_event(page, "widget:price:changed")
    sku = first["product"]["sku"]
    front = wait_preview(page, f"/preview/{sku}/")
    assert front["width"] == front["height"]  # the piece alone is square
    tabs = page.locator(f'{W} [role="tablist"] [role="tab"]')
    assert tabs.all_inner_texts() == ["Front", "On a wall"]
    assert tabs.evaluate_all("(t) => t.map((x) => x.getAttribute('aria-selected'))") == ["true", "false"]
    page.click(f'{W} [role="tab"] >> text=On a wall')
    wall = wait_preview(page, f"/wall/{sku}/")
    assert abs(wall["width"] / wall["height"] - 4 / 3) < 0.01  # the wall view is 4:3
    assert page.get_attribute(f"{W} #nep-tab-wall", "aria-selected") == "true"
    panel = page.locator(f'{W} [role="tabpanel"]')
    assert panel.get_attribute("aria-labelledby") == "nep-tab-wall"
    assert "on a wall" in str(page.get_attribute(f"{W} .nep-preview", "alt"))
    # An option change keeps the wall view, for the new piece.
    detail = choose(page, "size", "L")
    wait_preview(page, f"/wall/{detail['product']['sku']}/")
    # The keyboard: arrows move between the tabs and select (roving tabindex), as screen readers expect.
    page.focus(f"{W} #nep-tab-wall")
    page.keyboard.press("ArrowLeft")
    wait_preview(page, f"/preview/{detail['product']['sku']}/")
    assert page.evaluate("() => document.activeElement.id") == "nep-tab-front"
    assert tabs.evaluate_all("(t) => t.map((x) => [x.getAttribute('aria-selected'), x.tabIndex])") == \
        [["true", 0], ["false", -1]]
    page.keyboard.press("End")
    wait_preview(page, f"/wall/{detail['product']['sku']}/")


def test_size_options_say_the_outer_size_in_inches_and_cm(page: Page, site: Site, easel_url: str) -> None:
    """Each size's label is what hangs on the wall: the same figures the server gives as outer_size, for
    a print, a framed print with a matte, a gallery wrap and a framed canvas, before and after a frame change."""
    open_page(page, site.page("/sizes", pages.shop(easel_url, after=pages.options())) +
              "#/product/edit/V00551/paper/PO/F0000/S")
    wait_event(page, "widget:price:changed")
    assert page.inner_text(f'{W} [data-opt="size"] legend') == "Size on the wall"
    steps = [("size", "M"), ("style", "PF"), ("matte", "ML010"), ("frame", "F0420"), ("size", "L"),
             ("substrate", "canvas"), ("size", "S"), ("style", "CF")]
    for option, value in steps:
        detail = choose(page, option, value)
        w, h = (int(x) for x in detail["product"]["outer_size"].split("x"))
        expected = f"{w} × {h} in ({round(w * 2.54)} × {round(h * 2.54)} cm)"
        assert pressed_label(page, "size").startswith(f"{detail['product']['size']} · {expected}"), (option, value)
        assert page.inner_text(f"{W} .nep-dims") == f"Size on the wall: {expected}"
        for label in page.locator(f'{W} [data-opt="size"] [data-val]').all_inner_texts():
            assert re.fullmatch(r"[A-Z]+ · \d+ × \d+ in \(\d+ × \d+ cm\)✓?", label.strip()), label


# Records, on every DOM change and every frame, whether the preview in the page is a fully loaded picture.
WATCH_PREVIEW = """() => {
  window.__blank = []; window.__seen = new Set();
  const look = (why) => {
    const i = document.querySelector('#nep_widget .nep-preview');
    if (!i || !i.complete || !i.naturalWidth || !i.getAttribute('src')) window.__blank.push(why + ' ' + (i && i.src));
    else window.__seen.add(i.getAttribute('src'));
  };
  new MutationObserver(() => look('mutation')).observe(document.querySelector('#nep_widget .nep-pv'),
    {subtree: true, childList: true, attributes: true});
  const tick = () => { look('frame'); requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
}"""


def test_preview_never_blanks_between_configurations(page: Page, site: Site, easel_url: str) -> None:
    open_page(page, site.page("/steady", pages.shop(easel_url, after=pages.options())) +
              "#/product/edit/V00551/paper/PF/F0101/S")
    wait_preview(page, wait_event(page, "widget:price:changed")["product"]["sku"])
    page.evaluate(WATCH_PREVIEW)
    detail = {}
    for option, value in [("frame", "F0092"), ("matte", "ML002"), ("size", "M"), ("frame", "F0420")]:
        detail = choose(page, option, value)
    for value in ("F0101", "F0092", "F0420"):  # quick clicks: only the last one needs to be shown
        page.click(f'{W} [data-opt="frame"] [data-val="{value}"]')
    page.click(f'{W} [role="tab"] >> text=On a wall')
    last = wait_event(page, "widget:price:changed", count(page, "widget:price:changed") - 1)
    wait_preview(page, f"/wall/{last['product']['sku']}/")
    assert detail["product"]["frame"] == "F0420"
    assert page.evaluate("() => window.__blank") == []
    assert page.evaluate("() => window.__seen.size") >= 5  # the pictures really changed, each time whole


# What the preview shows: its src (or null), whether it is a loaded picture, and its alt text.
PREVIEW_STATE = """() => {
  const i = document.querySelector('#nep_widget .nep-preview');
  return {src: i.getAttribute('src'), loaded: i.complete && i.naturalWidth > 0, alt: i.alt};
}"""


def test_a_preview_that_fails_keeps_the_last_picture_and_is_asked_for_again(
        page: Page, site: Site, easel_url: str, console: Console) -> None:
    """Previews rate-limited or unavailable (503 here) never leave a broken image: the first one gives way
    to the empty frame, a later one leaves the last good picture in place (front view, wall view and every
    width of the srcset), and each is asked for again a little later."""
    console.expect(r"status of 503")
    failing: list[str] = []

    def unavailable(route: Route) -> None:
        failing.append(route.request.url)
        route.fulfill(status=503, headers={"Retry-After": "1", "Cache-Control": "no-store"}, body="busy")

    previews = re.compile(r"/(preview|wall)/[0-9a-f]{16}/")
    page.route(previews, unavailable)
    open_page(page, site.page("/flaky", pages.shop(easel_url, after=pages.options())) +
              "#/product/edit/V00551/paper/PF/F0101/S")
    sku = wait_event(page, "widget:price:changed")["product"]["sku"]
    page.wait_for_function("() => !document.querySelector('#nep_widget .nep-preview').getAttribute('src')")
    assert failing and all(f"/preview/{sku}/" in url for url in failing)  # the first one was asked for, and failed
    page.unroute(previews)
    good = wait_preview(page, f"/preview/{sku}/")  # asked for again, unprompted
    assert good["width"] > 0

    page.route(previews, unavailable)
    failing.clear()
    page.evaluate(WATCH_PREVIEW)
    other = choose(page, "frame", "F0092")["product"]["sku"]
    assert other != sku
    page.click(f'{W} [role="tab"] >> text=On a wall')
    for part in (f"/preview/{other}/", f"/wall/{other}/"):
        for _ in range(400):
            if any(part in url for url in failing):
                break
            page.wait_for_timeout(25)  # route handlers run while the page is waited on
        else:
            raise AssertionError(f"{part} was never asked for: {failing}")
    page.wait_for_timeout(300)  # both failures are in: the page has had time to show what it got
    state = page.evaluate(PREVIEW_STATE)
    assert state["src"] == good["src"] and state["loaded"], state  # the last good picture, still whole
    assert page.evaluate("() => window.__blank") == []
    page.unroute(previews)
    shown = wait_preview(page, f"/wall/{other}/")  # the retry brings the wall view of the new piece
    assert shown["width"] > 0 and "on a wall" in page.evaluate(PREVIEW_STATE)["alt"]
    assert page.evaluate("() => window.__blank") == []


def test_preview_is_a_picture_with_widths_and_formats(page: Page, site: Site, easel_url: str) -> None:
    open_page(page, site.page("/picture", pages.shop(easel_url, after=pages.options())) +
              "#/product/edit/V00551/canvas/CG/F0000/S")
    sku = wait_event(page, "widget:price:changed")["product"]["sku"]
    shown = wait_preview(page, sku)
    picture = page.evaluate("""() => {
      const i = document.querySelector('#nep_widget .nep-preview'), p = i.parentElement;
      return {parent: p.tagName, sizes: i.sizes, srcset: i.srcset,
              sources: [...p.querySelectorAll('source')].map((s) => [s.type, s.srcset, s.sizes])};
    }""")
    assert picture["parent"] == "PICTURE" and picture["sizes"]
    offered = [f for f in ("avif", "webp") if f in FORMATS]
    assert "webp" in offered
    assert [s[0] for s in picture["sources"]] == [f"image/{f}" for f in offered]
    for ext, srcset in [*((f, s[1]) for f, s in zip(offered, picture["sources"], strict=True)),
                        ("jpg", picture["srcset"])]:
        entries = [e.strip().rsplit(" ", 1) for e in srcset.split(",")]
        assert [w for _, w in entries] == ["300w", "600w", "1200w"]
        for url, width in entries:
            assert f"/preview/{sku}/" in url and url.split("?")[0].endswith(f"/{width[:-1]}.{ext}")
        got = httpx.get(entries[0][0])  # the smallest of each: the server answers in that format
        assert got.status_code == 200 and got.headers["content-type"] == f"image/{'jpeg' if ext == 'jpg' else ext}"
    assert shown["current"].split("?")[0].endswith(f".{offered[0]}")  # chromium takes the first it decodes
    assert shown["src"].split("?")[0].endswith("/600.jpg")


def test_pwinty_only_merchant_is_offered_only_sizes_it_can_make(page: Page, site: Site, easel_url: str) -> None:
    """Pwinty makes framed paper up to L: the widget must not offer PF at XL (the price call would answer
    422), and moving from an XL print to framed says the size changed to fit."""
    page.set_default_timeout(8000)
    options = httpx.get(f"{easel_url}/widget/v1/api/options", params={"api_key": "pwinty-key"}).json()
    per_style = {s["code"]: s["sizes"] for s in options["styles"]}
    assert "XL" not in per_style["PF"] and "XL" in per_style["PO"]
    open_page(page, site.page("/pwinty", pages.shop(easel_url, "pwinty-key", after=pages.options())) +
              "#/product/edit/V00551/paper/PO/F0000/XL")
    wait_event(page, "widget:price:changed")
    detail = choose(page, "style", "PF")
    assert detail["product"]["size"] in per_style["PF"]
    assert "Also changed to fit: Size" in page.inner_text(f"{W} .nep-msg")
    for substrate, styles in (("paper", ("PO", "PF")), ("canvas", ("CG", "CF"))):
        if detail["product"]["substrate"] != substrate:
            detail = choose(page, "substrate", substrate)
        for style in styles:
            if detail["product"]["style"] != style:
                detail = choose(page, "style", style)
            offered = page.locator(f'{W} [data-opt="size"] [data-val]').evaluate_all("(b) => b.map((x) => x.dataset.val)")
            assert offered == [s for s in per_style[style] if s in offered] and offered, (style, offered)
            assert set(offered) <= set(per_style[style]), style
            for size in offered:
                if detail["product"]["size"] != size:
                    detail = choose(page, "size", size)
                assert (detail["product"]["style"], detail["product"]["size"]) == (style, size)
                assert "not offered" not in page.inner_text(f"{W} .nep-msg")
