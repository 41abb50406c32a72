"""``python -m e2e.screenshots [FOLDER]``: screenshots of the demo store's search and product pages, as a
newcomer sees them after ``make demo``, and of the admin panel (dashboard, an order that reached In Transit,
prices) after a month of orders (the README shows them). Not a test; run it after visual changes.

The month of orders is placed through the signed API, then their purchase dates are moved back over 30 days
in the demo's SQLite file, so the dashboard's chart has something to show; the demo's sandboxes move them on.

The demo store's CSP forbids eval, so every wait is a locator or a function expression (Playwright runs a
string body with eval, which the page refuses), never a string expression."""

from __future__ import annotations

import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, sync_playwright

from easel.client import Image2ArtClient
from easel.demo.seed import DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD, DEMO_SECRET, DEMO_USERNAME

from .launch import CHROMIUM, CHROMIUM_ARGS, start_easel
from .widget import PREVIEW_SHOWN

ALL_IMAGES_LOADED = "() => [...document.querySelectorAll('#nep_widget img')].every((i) => i.complete)"
PAGE_IMAGES_LOADED = "() => [...document.images].every((i) => i.complete)"
PEOPLE = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra", "Barbara Liskov", "Donald Knuth",
          "Frances Allen", "Ken Thompson", "Margaret Hamilton", "Dennis Ritchie", "Niklaus Wirth", "Alan Kay"]
CITIES = [("Austin", "TX", "78701"), ("Portland", "OR", "97205"), ("Boston", "MA", "02108"),
          ("Denver", "CO", "80202"), ("Chicago", "IL", "60601"), ("Seattle", "WA", "98101")]
MONTH_OF_ORDERS = 40
MARKUPS = {"PO": "60", "PF": "45", "CG": "50", "CF": "40"}


def _a_month_of_orders(easel: str, database: Path) -> int:
    """Orders through the signed API, then spread over 30 days; returns today's newest (for its page)."""
    draw = random.Random(12)
    with Image2ArtClient(easel, DEMO_USERNAME, DEMO_SECRET) as api:
        skus = [c["sku"] for a in api.catalog(rows=24)["artworks"] for c in a["configurations"]]
        placed = []
        for n in range(MONTH_OF_ORDERS):
            name = draw.choice(PEOPLE)
            city, state, zip_code = draw.choice(CITIES)
            address = {"name": name, "address": f"{draw.randint(1, 999)} Main St", "city": city, "state": state,
                       "zip": zip_code, "country": "US"}
            email = name.lower().replace(" ", ".") + "@example.com"
            items = [{"sku": draw.choice(skus), "quantity": draw.choice((1, 1, 1, 2))}
                     for _ in range(draw.choice((1, 1, 2, 3)))]
            created = api.create_order({"external_order_number": f"SHOP-{1001 + n}",
                                        "customer": {**address, "email": email, "phone": "555-0100"},
                                        "shipping": {**address, "method": "ups"}, "items": items})
            placed.append(int(created["order"]["id"]))
    with sqlite3.connect(database) as db:  # all but today's last few go back 1-29 days, more of them recent
        for order_id in placed[:-4]:
            days = min(29, int(draw.expovariate(1 / 9)) + 1)
            db.execute("UPDATE orders SET purchase_date = datetime(purchase_date, ?, ?) WHERE id = ?",
                       (f"-{days} days", f"-{draw.randint(0, 600)} minutes", order_id))
    return placed[-1]


def _shot(page: Page, path: Path, *, full: bool = True) -> None:
    """A PNG of the page, 256 colours (the panel is flat colour and text), optimised."""
    page.wait_for_function(PAGE_IMAGES_LOADED)
    page.screenshot(path=str(path), full_page=full)
    with Image.open(path) as shot:
        small = shot.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def _admin(page: Page, easel: str, database: Path, folder: Path) -> None:
    order_id = _a_month_of_orders(easel, database)
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(easel + "/admin/sign-in")
    page.get_by_label("E-mail address").fill(DEMO_OWNER_EMAIL)
    page.get_by_label("Password").fill(DEMO_OWNER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")
    deadline = time.monotonic() + 90  # the demo's sandboxes ship an order in about 30 seconds
    while True:
        page.goto(f"{easel}/admin/orders/{order_id}")
        if "In Transit" in page.locator("#order-status").inner_text():
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"order {order_id} did not reach In Transit")
        page.wait_for_timeout(2000)
    _shot(page, folder / "admin-order.png")
    page.goto(easel + "/admin/")
    _shot(page, folder / "admin-dashboard.png")
    page.goto(easel + "/admin/prices")
    for style, markup in MARKUPS.items():  # what a shop owner sets first: markups, then the sample's price
        page.locator(f"#markup_{style}").fill(markup)
    page.get_by_role("button", name="Save prices").click()
    page.get_by_role("status").filter(has_text="The prices were saved.").wait_for()
    page.goto(easel + "/admin/prices?code=V00551&style=PF&frame=F0101&matte=ML002&action=preview")
    _shot(page, folder / "admin-prices.png")


def main() -> None:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/img")
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as data, start_easel(Path(data), plain=True) as easel, \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 860})
        shop = easel.replace("127.0.0.1", "localhost") + "/demo/"
        page.goto(shop)
        page.wait_for_selector("#nep_widget .nep-tile")
        page.wait_for_load_state("networkidle")
        page.wait_for_function(ALL_IMAGES_LOADED)
        page.screenshot(path=str(folder / "widget-search.png"))
        page.set_viewport_size({"width": 1200, "height": 1180})
        page.goto(shop + "#/product/edit/V00551/paper/PF/F0101/M?matte=ML002")
        page.wait_for_selector("#nep_widget .nep-price:not(:empty)")
        page.wait_for_load_state("networkidle")
        page.wait_for_function(PREVIEW_SHOWN, arg="/preview/")
        page.screenshot(path=str(folder / "widget-product.png"))
        page.click("#nep_widget [role=tab] >> text=On a wall")
        page.wait_for_function(PREVIEW_SHOWN, arg="/wall/")
        page.locator("#nep_widget .nep-pv").screenshot(path=str(folder / "widget-wall.png"))
        _admin(page, easel, Path(data) / "easel.sqlite3", folder)
        browser.close()
    print(f"wrote widget-search.png, widget-product.png, widget-wall.png and admin-*.png in {folder}")


if __name__ == "__main__":
    main()
