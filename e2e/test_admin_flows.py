"""The admin panel's guards and an order's whole story, in Chromium: an order placed through the signed API
is read in the panel up to In Transit with its tracking link; a form sent without its CSRF token is refused
and changes nothing; repeated wrong passwords are slowed, then the account is locked; another merchant's
order URLs are 404. Every page visited passes axe-core at 1200 and 360 px with no unexpected console error."""

from __future__ import annotations

import re
import secrets
import time

import httpx
from playwright.sync_api import Browser, Page, expect

from easel.admin.forms import CSRF_REFUSED
from easel.demo.seed import DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD
from easel.sandboxes.control_auth import control_headers

from .conftest import Console
from .serve import CONTROL_TOKEN, LOCKED_STAFF, OTHER_OWNER, SIGNIN_LOCK_AFTER
from .test_admin import _checked, _place_order, _sign_in

PWINTY_CLOCK = "/sandbox/pwinty/v3.0/_control/clock"


def _order_page(page: Page, easel_url: str, order_id: int) -> None:
    page.goto(f"{easel_url}/admin/orders/{order_id}")
    expect(page.get_by_role("heading", name=re.compile(f"^Order {order_id} "))).to_be_visible()


def test_an_api_order_is_read_in_the_panel_up_to_in_transit_with_tracking(page: Page, easel_url: str) -> None:
    order_id, number = _place_order(easel_url)
    _sign_in(page, easel_url, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Orders").click()
    page.get_by_label("Search").fill(number)
    page.get_by_label("Search").press("Enter")
    expect(page.locator("#result-count")).to_have_text("1 order")
    page.get_by_role("link", name=str(order_id), exact=True).click()
    vendors = page.get_by_role("region", name="Vendor orders")
    deadline = time.monotonic() + 20
    while not vendors.count() or "not yet" in vendors.inner_text():  # the worker sends it to the sandbox
        assert time.monotonic() < deadline, "the order was not submitted to the Pwinty sandbox"
        page.wait_for_timeout(300)
        page.reload()
    expect(page.locator("#order-status")).to_contain_text("In Production")
    # Three days pass at the sandbox: it ships the order and calls easel back, as the real Pwinty does.
    moved = httpx.post(easel_url + PWINTY_CLOCK, json={"advance": 3 * 86_400}, headers=control_headers(CONTROL_TOKEN))
    assert moved.status_code == 200, moved.text
    deadline = time.monotonic() + 20
    while "In Transit" not in page.locator("#order-status").inner_text():
        assert time.monotonic() < deadline, "the order did not reach In Transit"
        page.wait_for_timeout(300)
        page.reload()
    tracking = page.locator("#tracking + ul a")
    expect(tracking).to_have_count(1)
    assert re.fullmatch(r"https://www\.ups\.com/track\?tracknum=\w+", tracking.get_attribute("href") or "")
    assert tracking.get_attribute("rel") == "noopener noreferrer"
    timeline = page.locator("#timeline + ol")
    for event in ("order.accepted", "order.in_production", "order.shipped"):
        expect(timeline).to_contain_text(event)
    expect(timeline).to_contain_text(f"tracking: {tracking.inner_text()}")
    expect(vendors).to_contain_text("Complete")
    _checked(page)


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(page: Page, easel_url: str,
                                                                      console: Console) -> None:
    _sign_in(page, easel_url, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)
    page.goto(easel_url + "/admin/prices")
    field = page.get_by_label(re.compile(r"^CG: "))
    old = field.input_value()
    history = page.locator("#history + .scroll").inner_text() if page.locator("#history + .scroll").count() else ""
    field.fill(f"{float(old or 0) + 37:g}")
    page.evaluate("document.querySelector('#prices-form input[name=csrf]').remove()")
    console.expect(r"status of 403")
    page.get_by_role("button", name="Save prices").click()
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text(CSRF_REFUSED)
    _checked(page)
    page.goto(easel_url + "/admin/prices")
    expect(page.get_by_label(re.compile(r"^CG: "))).to_have_value(old)
    now = page.locator("#history + .scroll").inner_text() if page.locator("#history + .scroll").count() else ""
    assert now == history


def test_wrong_passwords_are_slowed_then_the_account_is_locked(browser: Browser, easel_url: str,
                                                               console: Console) -> None:
    # Failures are counted per account and per client address: this client comes through a trusted proxy
    # (uvicorn believes X-Forwarded-For from 127.0.0.1), so the other tests' sign-ins are not slowed.
    assert SIGNIN_LOCK_AFTER == 4  # slowed after 3 failures (the default), locked at the 4th
    address = f"198.51.100.{secrets.randbelow(250) + 1}"
    context = browser.new_context(viewport={"width": 1200, "height": 900},
                                  extra_http_headers={"X-Forwarded-For": address})
    try:
        page = context.new_page()
        page.on("console", console.message)
        page.on("pageerror", console.page_error)
        console.expect(r"status of 401")
        email, password = LOCKED_STAFF[0], LOCKED_STAFF[1]
        page.goto(easel_url + "/admin/sign-in")

        def attempt(secret: str) -> str:
            page.get_by_label("E-mail address").fill(email)
            page.get_by_label("Password").fill(secret)
            page.get_by_role("button", name="Sign in").click()
            return page.locator("#sign-in-error").inner_text()

        for n in range(3):
            assert attempt(f"wrong {n}") == "The e-mail address or password is not right."
        assert attempt("wrong again") == "Too many failed sign-ins: wait 1 second before trying again."
        _checked(page)
        page.wait_for_timeout(1100)
        assert attempt("still wrong") == "This account is locked for 15 minutes after too many failed sign-ins."
        page.wait_for_timeout(2100)  # past any wait: the lock, not the pace, refuses the right password
        assert attempt(password) == "This account is locked for 15 minutes after too many failed sign-ins."
        expect(page).to_have_url(re.compile(r".*/admin/sign-in$"))
        _checked(page)
    finally:
        context.close()


def _post(page: Page, action: str, fields: dict[str, str]) -> None:
    """Submit a real form, built in the page, as the browser does (through DevTools: the page's CSP stays)."""
    page.evaluate("""([action, fields]) => {
        const form = document.createElement('form');
        form.method = 'post';
        form.action = action;
        for (const [name, value] of Object.entries(fields)) {
            const input = document.createElement('input');
            input.type = 'hidden'; input.name = name; input.value = value;
            form.append(input);
        }
        document.body.append(form);
        form.submit();
    }""", [action, fields])


def test_another_merchants_order_urls_are_404(page: Page, browser: Browser, easel_url: str,
                                              console: Console) -> None:
    theirs, number = _place_order(easel_url)  # the demo merchant's
    _sign_in(page, easel_url, OTHER_OWNER[0], OTHER_OWNER[1])
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Orders").click()
    for query in (str(theirs), number):
        page.get_by_label("Search").fill(query)
        page.get_by_label("Search").press("Enter")
        expect(page.locator("#result-count")).to_have_text("0 orders")
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")  # this session's (the sign-out form)
    assert csrf
    console.expect(r"status of 404")
    for path in (f"/admin/orders/{theirs}", "/admin/orders/2147483647"):  # theirs, and nobody's: the same page
        page.goto(easel_url + path)
        expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    _checked(page)
    for action, fields in (("hold", {"reason": "mine now"}), ("cancel", {"confirm": "yes"}),
                           ("shipping", {"name": "Mallory", "address": "1 Elsewhere"})):
        _post(page, f"/admin/orders/{theirs}/{action}", {**fields, "csrf": csrf})
        expect(page).to_have_url(re.compile(f"/admin/orders/{theirs}/{action}$"))
        expect(page.get_by_role("heading", name="Not found")).to_be_visible()

    context = browser.new_context(viewport={"width": 1200, "height": 900})  # the demo's owner: nothing changed
    try:
        owner = context.new_page()
        _sign_in(owner, easel_url, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)
        _order_page(owner, easel_url, theirs)
        expect(owner.locator("#order-status")).not_to_contain_text(re.compile("On Hold|Cancelled"))
        expect(owner.locator("#timeline + ol")).not_to_contain_text("mine now")
        assert "Mallory" not in owner.content()
    finally:
        context.close()
