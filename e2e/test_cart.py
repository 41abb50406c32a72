"""Add to cart in both modes, the merchant's signature check, failures with a retry, and a whole purchase
in the demo store ending in an order the order API knows."""

from __future__ import annotations

import re

from playwright.sync_api import Page

from easel.client import Image2ArtClient
from easel.demo.seed import DEMO_SECRET, DEMO_USERNAME
from easel.widget.cart_signature import verify_cart_item

from . import pages
from .conftest import Console
from .launch import Site
from .serve import RELAY_SECRET
from .widget import W, choose, open_page, wait_event


def test_direct_add_to_cart_posts_a_signed_item_to_the_shop(page: Page, shop_url: str) -> None:
    open_page(page, shop_url + "#/product/edit/V00551/paper/PF/F0092/M")
    shown = wait_event(page, "widget:price:changed")
    page.fill(f"{W} .nep-qty", "2")
    page.click(f"{W} .nep-add")
    added = wait_event(page, "widget:cart:added")
    item = added["item"]
    verify_cart_item(item, DEMO_SECRET)  # what the shop's back end checks
    for name in ("artist", "description", "frame", "image_code", "image_size", "inner_size", "outer_size", "preview",
                 "price", "size", "sku", "style", "substrate", "title", "url"):
        assert name in item, name
    assert item["quantity"] == 2 and item["list_price"] == shown["product"]["price"]
    assert item["price"] == round(shown["product"]["price"] * 1.2)  # the shop's setPrice markup
    assert item["url"].endswith("#/product/edit/V00551/paper/PF/F0092/M")
    assert added["answer"] == {"ok": True, "count": 2, "cart_url": "/demo/cart"}
    assert page.inner_text("#cart-count") == "2"
    page.click("#toast a")
    page.wait_for_selector(".cart-line")
    assert "Starry Night" in page.inner_text(".cart-line")


def test_the_demo_store_rejects_tampered_items(page: Page, shop_url: str) -> None:
    open_page(page, shop_url + "#/product/edit/MP148A/paper/PF/F0092/S")
    wait_event(page, "widget:price:changed")
    page.click(f"{W} .nep-add")
    item = wait_event(page, "widget:cart:added")["item"]
    cart = shop_url + "cart"
    for change in ({"list_price": 1}, {"sku": "0" * 16}, {"frame": "F0420"}, {"quantity": 50},
                   {"expires_at": item["expires_at"] + 10**6}, {"signature": "f" * 64}):
        response = page.request.post(cart, data={**item, **change})
        assert response.status == 400 and "Rejected" in response.json()["error"], change
    expired = page.request.post(cart, data={**item, "expires_at": 1})
    assert expired.status == 400
    assert page.request.post(cart, data=item).status == 200  # the genuine item still goes in


def test_relay_mode_posts_from_easel_to_the_shop(page: Page, site: Site, easel_url: str) -> None:
    site.received.clear()
    url = site.page("/relay", pages.shop(easel_url, key="relay-key", after=pages.options(customer_id="dora")))
    open_page(page, url + "#/product/edit/DM420P/canvas/CG/F0000/S")
    wait_event(page, "widget:price:changed")
    choose(page, "border_type", "blur")
    with page.expect_request(re.compile(r"/api/cart/relay")) as request:
        page.click(f"{W} .nep-add")
    assert (request.value.post_data_json or {})["quantity"] == 1
    added = wait_event(page, "widget:cart:added")
    assert added["answer"] == {"ok": True, "count": 1}
    assert len(site.received) == 1
    relayed = site.received[0]
    verify_cart_item(relayed, RELAY_SECRET)
    assert relayed["customer_id"] == "dora" and relayed["border_type"] == "blur"
    assert page.inner_text(f"{W} .nep-msg") == "Added to your cart."


def test_a_failed_relay_is_shown_and_retried_without_losing_the_item(page: Page, site: Site, easel_url: str,
                                                                     console: Console) -> None:
    console.expect("status of 502")
    site.received.clear()
    site.cart_status = 503
    try:
        url = site.page("/relay-fail", pages.shop(easel_url, key="relay-key"))
        open_page(page, url + "#/product/edit/MP148A/paper/PF/F0101/S")
        wait_event(page, "widget:price:changed")
        page.click(f"{W} .nep-add")
        page.wait_for_selector(f"{W} .nep-msg >> text=Could not add to cart: the cart is closed today")
    finally:
        site.cart_status = 200
    page.click(f"{W} .nep-msg button >> text=Try again")
    added = wait_event(page, "widget:cart:added")
    assert added["item"]["frame"] == "F0101" and site.received[-1]["frame"] == "F0101"


def test_a_failed_direct_post_offers_a_retry(page: Page, site: Site, easel_url: str, console: Console) -> None:
    console.expect("status of 405")  # the demo key's cart path does not exist on this site
    url = site.page("/direct-fail", pages.shop(easel_url))
    open_page(page, url + "#/product/edit/MP148A")
    wait_event(page, "widget:price:changed")
    page.click(f"{W} .nep-add")
    page.wait_for_selector(f"{W} .nep-msg >> text=Could not add to cart: the shop answered 405")
    assert page.locator(f"{W} .nep-msg button >> text=Try again").count() == 1


def test_a_whole_purchase_in_the_demo_store(page: Page, shop_url: str, easel_url: str) -> None:
    page.goto(shop_url.replace("/demo/", "/demo/login"))
    page.fill("input[name=name]", "Grace Buyer")
    page.fill("input[name=email]", "grace@example.com")
    page.click("button[type=submit]")
    page.wait_for_url(shop_url)
    wait_event(page, "widget:loaded")
    page.evaluate("location.hash = '#/product/edit/FL641L/canvas/CG/F0000/M'")
    wait_event(page, "widget:price:changed")
    page.click(f"{W} .nep-add")
    wait_event(page, "widget:cart:added")
    page.evaluate("location.hash = '#/product/edit/MP148A/paper/PF/F0420/S?matte=ML020'")
    wait_event(page, "widget:price:changed", 1)
    page.click(f"{W} .nep-add")
    wait_event(page, "widget:cart:added", 1)
    page.goto(shop_url + "cart")
    assert page.locator(".cart-line").count() == 2
    page.click("text=Check out")
    page.click("button[type=submit] >> text=Place order")
    page.wait_for_url(re.compile(r"/demo/orders/\d+$"))
    order_id = int(page.inner_text("#order-id"))
    status = page.inner_text("#order-status")
    assert status
    with Image2ArtClient(easel_url, DEMO_USERNAME, DEMO_SECRET, timeout=10) as client:
        listed = client.list_orders(0, 100)["orders"]
        order = client.get_order(order_id)
    assert order_id in [o["id"] for o in listed]
    statuses = ("Pending", "Processing", "In Production", "On Hold")  # fulfilment moves on in the background
    assert status in statuses and order["status"] in statuses
    assert len(order["items"]) == 2
    assert {i["image"]["code"] for i in order["items"]} == {"FL641L", "MP148A"}
    assert order["customer"]["name"] == "Grace Buyer"
    page.goto(shop_url + "cart")
    assert "Your cart is empty" in page.inner_text("main")
