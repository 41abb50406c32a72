"""The admin panel's Prices, Widget and API pages in Chromium: the owner changes the PF markup, watches
the sample price follow as they type, saves, and the demo shop's widget shows the new price at once;
every page passes axe-core at 1200 and 360 px with no console error."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from easel.demo.seed import DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD

from .test_admin import _checked, _sign_in
from .widget import open_page, wait_event

PRODUCT = "#/product/edit/MP148A/paper/PF/F0092/S"


def _shop_price(page: Page, shop_url: str) -> int:
    """The merchant's price of one PF piece as the demo shop's widget receives it (before the shop's own
    setPrice markup)."""
    open_page(page, shop_url + PRODUCT)
    detail = wait_event(page, "widget:price:changed")
    assert detail["product"]["style"] == "PF"
    return int(detail["product"]["price"])


def test_the_owner_changes_the_pf_markup_and_the_shop_shows_it(page: Page, easel_url: str, shop_url: str) -> None:
    _sign_in(page, easel_url, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Prices").click()
    expect(page.get_by_role("heading", name="Prices", exact=True)).to_be_visible()
    _checked(page)
    field = page.get_by_label(re.compile(r"^PF: "))
    old = float(field.input_value() or 0)
    new = old + 100
    before = _shop_price(page, shop_url)

    page.goto(easel_url + "/admin/prices")
    page.locator('select[name="style"]').select_option("PF")
    field = page.get_by_label(re.compile(r"^PF: "))
    field.fill(f"{new:g}")
    expect(page.locator("#sample-output")).to_contain_text(f"markup {new:g}%")  # the script, as they type
    page.get_by_role("button", name="Save prices").click()
    expect(page.get_by_role("status").filter(has_text="The prices were saved.")).to_be_visible()
    expect(page.locator("#history + .scroll")).to_contain_text("markup PF")
    expect(page.locator("#history + .scroll")).to_contain_text(f"{new:g}%")
    _checked(page)

    after = _shop_price(page, shop_url)  # no wait: the panel's process forgot the merchant at once
    expected = before * (1 + new / 100) / (1 + old / 100)
    assert abs(after - expected) <= 1.5, (before, after, expected)


def test_the_widget_and_api_pages_work_without_console_errors(page: Page, easel_url: str) -> None:
    _sign_in(page, easel_url, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Widget").click()
    expect(page.get_by_role("heading", name="Widget", exact=True)).to_be_visible()
    wait_event(page, "widget:loaded")  # the real widget, live on the page, under the page's CSP
    expect(page.locator("#nep_widget .nep-grid .nep-tile").first).to_be_visible()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy the snippet").click()
    expect(page.locator("#copied")).to_have_text("Copied.")
    assert "code.js?api_key=" in page.evaluate("navigator.clipboard.readText()")
    page.get_by_role("button", name="Send a test item").click()
    expect(page.get_by_text("The browser would post this to")).to_be_visible()
    _checked(page)
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="API").click()
    expect(page.get_by_role("heading", name="API", exact=True)).to_be_visible()
    _checked(page)
