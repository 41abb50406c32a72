"""The admin panel's newest pages in Chromium: an owner sets a Pwinty sandbox account of their own and edits the
routing rules as JSON; the demo owner hides an artwork and the demo shop's widget stops listing it; the operator
creates a merchant (its secret shown once), its owner link, and imports a CSV with its streamed progress and
report. Every page visited passes axe-core at 1200 and 360 px with no unexpected console error."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import FilePayload, Page, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from tests.servers import run_asgi

from easel.client import Image2ArtClient
from easel.demo.images import draw_artwork
from easel.demo.seed import DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD, demo_rows

from .conftest import Console
from .serve import HOSTILE_CODE, HOSTILE_TITLE, OPERATOR, PANEL_OWNER
from .test_admin import _checked
from .widget import W, open_page, wait_grid

HIDDEN_CODE, HIDDEN_TITLE = "KA291S", "Marigold Mandala"  # a demo artwork no other browser test looks for
IMPORTED = "E2EIMPORT1"
PWINTY_KEY = "pwinty-own-api-key-7Q2Z"


def _sign_in_as(page: Page, easel_url: str, email: str, password: str, home: str) -> None:
    page.goto(easel_url + "/admin/sign-in")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(f".*{re.escape(home)}$"))


@pytest.fixture(scope="module")
def image_host() -> Iterator[str]:
    """A web server with one printable JPEG, for an import row's ``image`` URL (imports fetch images by URL)."""
    buffer = io.BytesIO()
    draw_artwork(IMPORTED, demo_rows()[0]["motif"], 3600, 3600).save(buffer, "JPEG", quality=70)
    body = buffer.getvalue()

    async def image(request: Request) -> Response:
        return Response(body, media_type="image/jpeg")

    with run_asgi(Starlette(routes=[Route("/art.jpg", image)])) as url:
        yield url


def test_an_owner_sets_an_own_pwinty_account_and_edits_the_routing(page: Page, easel_url: str,
                                                                    console: Console) -> None:
    email, password, _, _ = PANEL_OWNER
    _sign_in_as(page, easel_url, email, password, "/admin/")
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Vendors").click()
    expect(page.get_by_role("heading", name="Vendors and routing")).to_be_visible()
    _checked(page)

    # From the keyboard: open the Pwinty form, type the account, send it with Enter.
    page.locator("details > summary", has_text=re.compile(r"^pwinty$")).focus()
    page.keyboard.press("Enter")
    form = page.locator("details[open] form")
    expect(form.get_by_label("Mode")).to_have_value("sandbox")
    form.get_by_label("Mode").focus()
    page.keyboard.press("Tab")
    page.keyboard.type(easel_url + "/sandbox/pwinty/v3.0")
    page.keyboard.press("Tab")
    page.keyboard.type("own-merchant-42")
    page.keyboard.press("Tab")
    page.keyboard.type(PWINTY_KEY)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("The vendor account was saved.")
    accounts = page.get_by_role("region", name="Accounts")
    row = accounts.get_by_role("row").filter(has=page.get_by_role("cell", name="pwinty", exact=True)) \
        .filter(has=page.get_by_role("cell", name="sandbox", exact=True))
    expect(row).to_contain_text("your own")
    expect(row).to_contain_text("••••" + PWINTY_KEY[-4:])  # masked: the last four characters at most
    expect(row).to_contain_text("Callback URL to set in your pwinty dashboard")
    assert PWINTY_KEY not in page.content()
    expect(page.get_by_role("button", name="Remove your own pwinty sandbox account")).to_be_visible()

    rules = page.get_by_label("Rules (JSON)")
    console.expect(r"status of 400")  # a refused form answers 400, which Chromium logs
    rules.fill('{"default": [pwinty]}')
    page.get_by_role("button", name="Save the rules").click()
    expect(page.get_by_role("alert")).to_contain_text("line 1, column 14")
    expect(rules).to_have_value('{"default": [pwinty]}')  # what was typed is kept, to be corrected
    rules.fill('{"default": "pwinty"}')
    page.get_by_role("button", name="Save the rules").click()
    expect(page.get_by_role("alert")).to_contain_text("default: Input should be a valid list")
    _checked(page)

    rules.fill('{"default": ["pwinty"]}')
    page.get_by_role("button", name="Check what they sell").click()
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"could sell \d+ of \d+ configurations"))
    expect(page.get_by_role("status")).to_contain_text("Not saved yet.")
    _checked(page)
    page.get_by_role("button", name="Save the rules").click()
    expect(page.get_by_role("status")).to_have_text("The routing rules were saved.")
    expect(page.get_by_label("Rules (JSON)")).to_have_value(re.compile(r'"default": \[\s*"pwinty"\s*\]'))
    expect(page.get_by_role("region", name="Changes")).to_contain_text("routing")


def test_the_owner_hides_an_artwork_and_the_shop_stops_listing_it(page: Page, easel_url: str,
                                                                 shop_url: str) -> None:
    search = shop_url + "#/search?q=" + HIDDEN_TITLE.split()[0].lower()

    def listed_in_shop() -> bool:
        open_page(page, search)
        wait_grid(page)
        expect(page.locator(f"{W} .nep-count")).to_have_text(re.compile(r"^[01] artworks?$"))  # the search's
        return page.locator(f"{W} .nep-tile .nep-t").filter(has_text=HIDDEN_TITLE).count() == 1

    assert listed_in_shop()
    _sign_in_as(page, easel_url, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD, "/admin/")
    try:
        page.goto(easel_url + f"/admin/catalogue?q={HIDDEN_CODE}")
        tile = page.locator(f'#artworks li[data-code="{HIDDEN_CODE}"]')
        expect(tile.locator(".hidden-badge")).to_have_count(0)
        tile.get_by_role("button", name=f"Hide {HIDDEN_TITLE} from your shop").click()
        expect(tile.locator(".hidden-badge")).to_have_text("hidden")
        expect(page.get_by_label("Search")).to_have_value(HIDDEN_CODE)  # back on the same page of the grid
        page.get_by_label("Search").fill("")
        page.locator('select[name="show"]').select_option("hidden")
        page.get_by_role("button", name="Find").click()
        expect(page.locator("#artworks > li")).to_have_count(1)
        expect(tile).to_contain_text(HIDDEN_TITLE)
        _checked(page)

        assert not listed_in_shop()
        assert page.locator(f"{W} .nep-grid .nep-empty").count() == 1

        page.goto(easel_url + f"/admin/catalogue/{HIDDEN_CODE}")
        expect(page.locator("#visibility")).to_contain_text("hidden from your shop")
        _checked(page)
        page.get_by_role("button", name="Show in my shop").click()
        expect(page.get_by_role("status")).to_have_text("The artwork is shown in your shop.")
        expect(page.locator("#visibility")).to_have_text("in your shop")
    finally:  # the demo shop's other tests count its artworks
        page.goto(easel_url + f"/admin/catalogue/{HIDDEN_CODE}")
        if page.get_by_role("button", name="Show in my shop").count():
            page.get_by_role("button", name="Show in my shop").click()
    assert listed_in_shop()


def test_the_operator_creates_a_merchant_and_its_owner(page: Page, easel_url: str, console: Console) -> None:
    email, password, _, _ = OPERATOR
    _sign_in_as(page, easel_url, email, password, "/admin/merchants")
    expect(page.get_by_role("heading", name="Merchants", exact=True)).to_be_visible()
    _checked(page)
    username = "pages-shop"
    page.get_by_label("Username").fill(username)
    page.get_by_label("Shop name").fill("Pages & Frames")
    page.get_by_label("E-mail").fill("hello@pages.example")
    page.get_by_role("button", name="Create the merchant").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Pages & Frames"))).to_be_visible()
    secret = page.get_by_label("API secret").input_value()
    assert len(secret) >= 32
    _checked(page)
    with Image2ArtClient(easel_url, username, secret) as api:  # the secret shown is the one the API takes
        assert api.catalog(rows=1)["artworks"]

    page.goto(f"{easel_url}/admin/merchants/{username}")  # shown once: never again
    expect(page.locator("#summary")).to_contain_text("test: orders go to the vendors' sandboxes")
    assert secret not in page.content()
    expect(page.get_by_label("API secret")).to_have_count(0)

    console.expect(r"status of 400")
    page.get_by_label(re.compile(r"^Requests per endpoint")).fill("lots")
    page.get_by_role("button", name="Save the limit").click()
    expect(page.get_by_role("alert")).to_contain_text("rate limit 'lots' must be a whole number")
    page.get_by_label(re.compile(r"^Requests per endpoint")).fill("500")
    page.get_by_role("button", name="Save the limit").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    expect(page.locator("#rate")).to_have_text("500 requests per window")
    page.get_by_role("button", name="Go live").click()
    expect(page.locator("#mode")).to_have_text("live: orders are printed and shipped")
    page.get_by_role("button", name="Switch to test mode").click()
    expect(page.locator("#mode")).to_contain_text("test: orders go to the vendors' sandboxes")
    expect(page.get_by_role("region", name="Changes")).to_contain_text("rate_limit")

    owner = "owner@pages.example"
    page.get_by_label("Owner's e-mail").fill(owner)
    page.get_by_role("button", name="Create the owner and the link").click()
    link = page.get_by_label("One-time link").input_value()
    assert "/admin/set-password" in link
    expect(page.locator("#users")).to_contain_text(owner)
    expect(page.locator("#users")).to_contain_text("not set yet")
    _checked(page)

    # The owner follows the link, sets a password and signs in to the new shop.
    page.context.clear_cookies()
    page.goto(link)
    page.get_by_label("New password").fill("pages owner password")
    page.get_by_label("The same again").fill("pages owner password")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password is set")
    _sign_in_as(page, easel_url, owner, "pages owner password", "/admin/")
    expect(page.get_by_role("navigation", name="Admin").get_by_role("link", name="Vendors")).to_be_visible()


def test_the_operator_imports_a_csv_and_reads_the_report(page: Page, easel_url: str, image_host: str) -> None:
    email, password, _, _ = OPERATOR
    _sign_in_as(page, easel_url, email, password, "/admin/merchants")
    page.goto(easel_url + "/admin/catalogue")
    _checked(page)
    # Hidden from every shop, so the demo shop's other tests still count their artworks.
    csv = ("code,title,artist,image,substrates,hidden\n"
           f"{IMPORTED},Imported Sunrise,E2E Painter,{image_host}/art.jpg,paper,true\n"
           "E2EBAD1,Refused Row,E2E Painter,https://example.com/x.jpg,vellum,false\n")
    page.get_by_label("CSV or JSON-lines file").set_input_files(
        files=FilePayload(name="artworks.csv", mimeType="text/csv", buffer=csv.encode()))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("heading", name="Importing artworks.csv")).to_be_visible()
    report = page.locator("#import-report")
    expect(report).to_be_visible()
    expect(page.locator("#progress .progress-line").last).to_have_text("2 of 2 rows checked")
    expect(page.locator("#report-summary")).to_have_text("1 added, 0 updated, 1 refused.")
    refused = page.get_by_role("region", name="Refused rows")
    expect(refused).to_contain_text("E2EBAD1")
    expect(refused).to_contain_text("substrates: vellum not allowed")
    _checked(page)

    report.get_by_role("link", name="Back to the catalogue").click()
    page.get_by_label("Search").fill(IMPORTED)
    page.get_by_label("Search").press("Enter")
    tile = page.locator(f'#artworks li[data-code="{IMPORTED}"]')
    expect(tile.locator(".hidden-badge")).to_have_text("hidden from every shop")
    tile.get_by_role("link").click()
    expect(page.get_by_role("heading", name=re.compile(rf"\({IMPORTED}\)"))).to_be_visible()
    expect(page.get_by_label("Hidden from every shop")).to_be_checked()
    page.wait_for_function("() => document.querySelector('img.art').complete")
    _checked(page)

    # A title of one long word, and markup, on the operator's edit page: shown as text, within 360 px.
    page.goto(f"{easel_url}/admin/catalogue/{HOSTILE_CODE}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(HOSTILE_TITLE)
    expect(page.get_by_label("Title")).to_have_value(HOSTILE_TITLE)
    _checked(page)
    assert page.evaluate("window.__pwned") is None
