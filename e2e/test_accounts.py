"""Signing in: the login redirect round trip, prices that need an account, and projects with and
without a CustomerToken."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, Response

from easel.widget.customer_token import customer_token

from . import pages
from .conftest import Console
from .launch import Site
from .serve import TOKEN_SECRET
from .widget import W, choose, hash_of, open_page, wait_event


def _sign_in(page: Page, name: str = "Ada Shopper", email: str = "ada@example.com") -> None:
    page.fill("input[name=name]", name)
    page.fill("input[name=email]", email)
    page.click("button[type=submit]")


def test_login_round_trip_keeps_the_spot_and_projects_work(page: Page, shop_url: str) -> None:
    open_page(page, shop_url + "#/product/edit/MP148A/paper/PF/F0092/S")
    choose(page, "frame", "F0101")
    choose(page, "matte", "ML002")
    spot = page.url
    page.click(f"{W} .nep-save")  # AuthRequired.projects is true in the demo store
    page.wait_for_url("**/demo/login?redirect_url=*")
    query = parse_qs(urlsplit(page.url).query)
    assert list(query) == ["redirect_url"] and query["redirect_url"] == [spot]
    _sign_in(page)
    page.wait_for_url(spot)
    detail = wait_event(page, "widget:price:changed")
    assert (detail["product"]["frame"], detail["product"]["matte"]) == ("F0101", "ML002")
    page.click(f"{W} .nep-save")
    page.wait_for_selector(f"{W} .nep-msg >> text=Saved to your projects.")
    page.click(f"{W} .nep-msg button")  # "View projects"
    page.wait_for_selector(f"{W} .nep-project")
    assert page.inner_text(f"{W} .nep-project .nep-open") == "Dancing on the Water (S)"
    page.fill(f"{W} .nep-project input", "Hallway, oak frame")
    page.click(f"{W} .nep-project .nep-rename button")
    page.wait_for_selector(f"{W} .nep-project .nep-open >> text=Hallway, oak frame")
    page.click(f"{W} .nep-project .nep-open")  # reopen
    detail = wait_event(page, "widget:price:changed", 1)
    assert (detail["product"]["frame"], detail["product"]["matte"]) == ("F0101", "ML002")
    page.go_back()
    page.wait_for_selector(f"{W} .nep-project")
    page.click(f"{W} .nep-project .nep-delete")
    page.wait_for_selector(f"{W} .nep-project", state="detached")


def test_pricing_behind_login_sends_no_prices_and_redirects(page: Page, site: Site, easel_url: str) -> None:
    url = site.page("/pricing", pages.shop(easel_url, after=pages.options(pricing=True,
                                                                           login_url="/merchant/login?next=x")))
    answers: list[dict[str, object]] = []

    def keep(response: Response) -> None:
        if "/api/price" in response.url:
            answers.append(json.loads(response.body()))

    page.on("response", keep)
    open_page(page, url + "#/product/edit/MP148A/paper/PF/F0092/S")
    wait_event(page, "widget:price:changed")
    assert answers and all(a["price"] is None and a["product"]["price"] is None for a in answers)  # type: ignore[index]
    assert page.inner_text(f"{W} .nep-price") == "Sign in to see prices"
    choose(page, "frame", "F0093")
    spot = page.url
    page.click(f"{W} .nep-add")
    page.wait_for_url("**/merchant/login?redirect_url=*")
    assert parse_qs(urlsplit(page.url).query) == {"redirect_url": [spot]}  # the LoginUrl's own query is dropped
    assert urlsplit(page.url).netloc == urlsplit(site.url).netloc


def test_pricing_for_a_signed_in_shopper(page: Page, site: Site, easel_url: str) -> None:
    url = site.page("/pricing-in", pages.shop(easel_url, after=pages.options(customer_id="c-42", pricing=True)))
    open_page(page, url + "#/product/edit/MP148A")
    detail = wait_event(page, "widget:price:changed")
    assert detail["price"] > 0 and page.inner_text(f"{W} .nep-price").startswith("$")


def test_login_event_can_be_handled_by_the_page(page: Page, site: Site, easel_url: str) -> None:
    handler = "<script>image2art.$(window).on('widget:login:required', function (e, d) { window.wanted = d; return false; });</script>"
    url = site.page("/modal", pages.shop(easel_url, after=pages.options(projects=True) + handler))
    open_page(page, url + "#/product/edit/MP148A")
    wait_event(page, "widget:price:changed")
    page.click(f"{W} .nep-save")
    page.wait_for_function("window.wanted")
    assert page.evaluate("window.wanted.feature") == "projects" and page.url.startswith(url)


def test_login_url_on_another_site_is_refused(page: Page, site: Site, easel_url: str, console: Console) -> None:
    console.expect("LoginUrl https://evil.example/login is neither on this site")
    url = site.page("/evil-login", pages.shop(easel_url, after=pages.options(projects=True,
                                                                             login_url="https://evil.example/login")))
    open_page(page, url + "#/product/edit/MP148A")
    wait_event(page, "widget:price:changed")
    page.click(f"{W} .nep-save")
    page.wait_for_selector(f"{W} .nep-msg >> text=Please sign in to this shop first.")
    assert page.url.startswith(url)


def test_projects_keyed_by_customer_id_without_a_token(page: Page, site: Site, easel_url: str) -> None:
    url = site.page("/projects-id", pages.shop(easel_url, after=pages.options(customer_id="bob-7")))
    open_page(page, url + "#/product/edit/V00551/canvas/CG/F0000/M")
    wait_event(page, "widget:price:changed")
    page.click(f"{W} .nep-save")
    page.wait_for_selector(f"{W} .nep-msg >> text=Saved to your projects.")
    other = site.page("/projects-id-2", pages.shop(easel_url, after=pages.options(customer_id="bob-7")))
    open_page(page, other + "#/projects")  # the same id on another page sees them: that is all an id proves
    page.wait_for_selector(f"{W} .nep-project")
    assert "Starry Night" in page.inner_text(f"{W} .nep-projects")


def test_projects_require_a_valid_token_when_the_merchant_says_so(page: Page, site: Site, easel_url: str,
                                                                 console: Console) -> None:
    console.expect("status of 401")
    bare = site.page("/token-none", pages.shop(easel_url, key="token-key", after=pages.options(customer_id="carol")))
    open_page(page, bare + "#/product/edit/MP148A")
    wait_event(page, "widget:price:changed")
    page.click(f"{W} .nep-save")
    page.wait_for_selector(f"{W} .nep-msg >> text=requires CustomerToken")
    forged = site.page("/token-bad", pages.shop(easel_url, key="token-key",
                                                after=pages.options(customer_id="carol", token="0" * 64)))
    open_page(page, forged + "#/projects")
    page.wait_for_selector(f"{W} .nep-projects >> text=CustomerToken does not match")
    good = site.page("/token-good", pages.shop(easel_url, key="token-key", after=pages.options(
        customer_id="carol", token=customer_token("carol", TOKEN_SECRET))))
    open_page(page, good + "#/product/edit/MP148A")
    wait_event(page, "widget:price:changed")
    page.click(f"{W} .nep-save")
    page.wait_for_selector(f"{W} .nep-msg >> text=Saved to your projects.")
    page.goto(good + "#/projects")
    page.wait_for_selector(f"{W} .nep-project")
    assert hash_of(page) == "#/projects"
