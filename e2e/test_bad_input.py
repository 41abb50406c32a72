"""A page that gets the embedding wrong: an unknown key, or an origin the merchant did not register."""

from __future__ import annotations

from playwright.sync_api import Page

from . import pages
from .conftest import Console
from .launch import Site


def test_an_unknown_key_logs_one_error_and_shows_a_notice(page: Page, site: Site, easel_url: str,
                                                          console: Console) -> None:
    console.expect(r"^easel widget: unknown api_key 'no-such-key'")
    url = site.page("/unknown", pages.shop(easel_url, key="no-such-key", after=pages.EVENTS + pages.options()
                                           + pages.SET_PRICE_FIRST))
    page.goto(url)
    notice = page.locator("#box_widget .nep-notice")
    notice.wait_for()
    assert "unknown api_key" in notice.inner_text()
    console.wait_for(page, "unknown api_key")
    page.wait_for_timeout(100)
    assert console.errors == ["easel widget: unknown api_key 'no-such-key'; check the key in the script tag"]


def test_a_missing_box_is_reported(page: Page, site: Site, easel_url: str, console: Console) -> None:
    console.expect("has no <div id=\"box_widget\">")
    url = site.page("/nobox", pages.shop(easel_url).replace('<div id="box_widget"></div>', ""))
    page.goto(url)
    console.wait_for(page, "box_widget")


def test_an_unregistered_origin_is_refused_with_a_clear_error(page: Page, site: Site, easel_url: str,
                                                             console: Console) -> None:
    console.expect("CORS policy")  # the browser's own report
    console.expect("Failed to load resource")
    console.expect(r"origin http://127\.0\.0\.1:\d+ is not registered for api_key elsewhere-key")
    url = site.page("/elsewhere", pages.shop(easel_url, key="elsewhere-key", after=pages.options()))
    page.goto(url)
    notice = page.locator("#nep_widget .nep-notice")
    notice.wait_for()
    assert "not enabled for http://127.0.0.1" in notice.inner_text()
    console.wait_for(page, "is not registered for api_key elsewhere-key")
    assert page.locator("#nep_widget .nep-tile").count() == 0
