"""The admin panel in Chromium: the owner signs in, finds an order placed through the API and reads its
timeline; staff invited by the owner see orders but nothing owner-only; every page passes axe-core
(from npm, injected into the page), fits a 360 px screen and is usable from the keyboard."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from easel.client import Image2ArtClient
from easel.demo.seed import DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD, DEMO_SECRET, DEMO_USERNAME

from .conftest import Console

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
ADDRESS = {"name": "Grace Hopper", "address": "1 Navy Yard", "city": "Arlington", "state": "VA", "zip": "22202",
           "country": "US"}


def _place_order(easel_url: str) -> tuple[int, str]:
    number = "E2E-" + secrets.token_hex(4).upper()
    with Image2ArtClient(easel_url, DEMO_USERNAME, DEMO_SECRET) as api:
        artworks = api.catalog(rows=50)["artworks"]
        sku = next(a for a in artworks if a["code"] == "MP148A")["configurations"][0]["sku"]
        created = api.create_order({"external_order_number": number,
                                    "customer": {**ADDRESS, "email": "grace@example.com", "phone": "555-0100"},
                                    "shipping": {**ADDRESS, "method": "ups"}, "items": [{"sku": sku, "quantity": 1}]})
    return int(created["order"]["id"]), number


def _sign_in(page: Page, easel_url: str, email: str, password: str) -> None:
    page.goto(easel_url + "/admin/sign-in")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/admin/$"))


def _axe(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page (evaluated through DevTools, so the page's CSP does not apply)."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` installs it (npm ci in e2e/)")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    return list(page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']})).violations
        .map((v) => ({id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' '))}))"""))


def _checked(page: Page) -> None:
    """Accessible, and usable at 360 px: nothing wider than the screen but the tables' own scroll boxes."""
    assert _axe(page) == [], page.url
    size = page.viewport_size
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url
    assert _axe(page) == [], f"{page.url} at 360 px"
    if size:
        page.set_viewport_size(size)


def test_the_owner_finds_an_order_and_reads_its_timeline(page: Page, easel_url: str) -> None:
    order_id, number = _place_order(easel_url)
    page.goto(easel_url + "/admin/orders")
    page.wait_for_url(re.compile(r".*/admin/sign-in\?next=.*"))
    _checked(page)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.get_by_label("E-mail address").fill(DEMO_OWNER_EMAIL)
    page.get_by_label("Password").fill(DEMO_OWNER_PASSWORD)
    page.keyboard.press("Enter")  # the form submits from the keyboard and comes back to the orders
    page.wait_for_url(re.compile(r".*/admin/orders$"))
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Orders and revenue per day"))).to_be_visible()
    _checked(page)
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Orders").click()
    page.get_by_label("Search").fill(number)
    page.get_by_label("Search").press("Enter")
    expect(page.locator("#result-count")).to_have_text("1 order")
    _checked(page)
    page.get_by_role("link", name=str(order_id), exact=True).click()
    expect(page.get_by_role("heading", name=f"Order {order_id} ({number})")).to_be_visible()
    timeline = page.locator("#timeline + ol")
    expect(timeline).to_contain_text("order.accepted")
    expect(page.locator("#customer + address")).to_contain_text("grace@example.com")
    expect(page.get_by_role("columnheader", name="Your price")).to_be_visible()
    _checked(page)
    page.get_by_role("link", name="Account").click()
    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    _checked(page)


def test_staff_see_orders_but_nothing_owner_only(page: Page, browser: Browser, easel_url: str,
                                                 console: Console) -> None:
    order_id, _ = _place_order(easel_url)
    _sign_in(page, easel_url, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)
    page.get_by_role("link", name="Team").click()
    page.wait_for_url(re.compile(r".*/admin/team$"))  # a click does not wait for the page it opens
    _checked(page)
    email = f"staff-{secrets.token_hex(3)}@demo.test"
    page.get_by_label("E-mail address").fill(email)
    page.get_by_role("button", name="Make the link").click()
    link = page.get_by_label("One-time link").input_value()
    _checked(page)

    context = browser.new_context(viewport={"width": 1200, "height": 900})
    try:
        staff = context.new_page()
        staff.on("console", console.message)
        staff.on("pageerror", console.page_error)
        staff.goto(link)
        _checked(staff)
        staff.get_by_label("New password").fill("staff password 1")
        staff.get_by_label("The same again").fill("staff password 1")
        staff.get_by_role("button", name="Set password").click()
        expect(staff.get_by_role("status")).to_contain_text("Your password is set")
        _sign_in(staff, easel_url, email, "staff password 1")
        nav = staff.get_by_role("navigation", name="Admin")
        expect(nav.get_by_role("link", name="Orders")).to_be_visible()
        expect(nav.get_by_role("link", name="Team")).to_have_count(0)
        expect(staff.get_by_role("img", name="Orders per day, last 30 days")).to_be_visible()
        staff.goto(f"{easel_url}/admin/orders/{order_id}")
        expect(staff.get_by_role("heading", name=re.compile(f"Order {order_id}"))).to_be_visible()
        expect(staff.get_by_role("columnheader", name="Your price")).to_have_count(0)
        console.expect(r"status of 403")
        staff.goto(f"{easel_url}/admin/team")
        expect(staff.get_by_role("heading", name="Not allowed")).to_be_visible()
        _checked(staff)
    finally:
        context.close()


def test_the_catalogue_grid_search_and_an_artwork(page: Page, easel_url: str) -> None:
    _sign_in(page, easel_url, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Catalogue").click()
    expect(page.get_by_role("heading", name="Catalogue")).to_be_visible()
    first = page.locator("#artworks img").first
    expect(first).to_be_visible()
    page.wait_for_function("() => [...document.querySelectorAll('#artworks img')].slice(0, 4)"
                           ".every((img) => img.complete && img.naturalWidth > 0)")
    _checked(page)
    page.get_by_label("Search").fill("MP148A")
    page.get_by_label("Search").press("Enter")
    expect(page.locator("#result-count")).to_have_text("1 artwork")
    page.locator("#artworks a").first.click()
    expect(page.get_by_role("heading", name=re.compile(r"\(MP148A\)"))).to_be_visible()
    expect(page.get_by_role("button", name="Save")).to_have_count(0)  # the operator changes the catalogue
    _checked(page)


def test_the_owner_cancels_an_order_from_its_page(page: Page, easel_url: str) -> None:
    order_id, _ = _place_order(easel_url)
    _sign_in(page, easel_url, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)
    page.goto(f"{easel_url}/admin/orders/{order_id}")
    expect(page.get_by_role("heading", name="Actions")).to_be_visible()
    _checked(page)
    page.get_by_label("Reason for cancelling (optional)").fill("the customer changed their mind")
    page.get_by_label("Yes, cancel this order").check()
    page.get_by_role("button", name="Cancel the order").click()
    expect(page.get_by_role("status")).to_contain_text("The order was cancelled.")
    expect(page.locator("#order-status")).to_contain_text("Cancelled — the customer changed their mind")
    expect(page.locator("#timeline + ol")).to_contain_text("order.cancelled")
    _checked(page)
