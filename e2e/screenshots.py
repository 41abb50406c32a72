"""``python -m e2e.screenshots [FOLDER]``: screenshots of the demo store's search and product pages, as a
newcomer sees them after ``make demo`` (the README shows them). Not a test; run it after visual changes.

The demo store's CSP forbids eval, so every wait is a locator or a function expression (Playwright runs a
string body with eval, which the page refuses), never a string expression."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from .launch import CHROMIUM, CHROMIUM_ARGS, start_easel
from .widget import PREVIEW_SHOWN

ALL_IMAGES_LOADED = "() => [...document.querySelectorAll('#nep_widget img')].every((i) => i.complete)"


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
        browser.close()
    print(f"wrote widget-search.png, widget-product.png and widget-wall.png in {folder}")


if __name__ == "__main__":
    main()
