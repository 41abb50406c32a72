"""``python -m e2e.screenshots [FOLDER]``: screenshots of the demo store's search and product pages, as a
newcomer sees them after ``make demo`` (the README shows them). Not a test; run it after visual changes."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from .launch import CHROMIUM, CHROMIUM_ARGS, start_easel


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
        page.wait_for_function("[...document.querySelectorAll('#nep_widget img')].every((i) => i.complete)")
        page.screenshot(path=str(folder / "widget-search.png"))
        page.set_viewport_size({"width": 1200, "height": 1180})
        page.goto(shop + "#/product/edit/V00551/paper/PF/F0101/M?matte=ML002")
        page.wait_for_selector("#nep_widget .nep-price:not(:empty)")
        page.wait_for_load_state("networkidle")
        page.wait_for_function("document.querySelector('#nep_widget .nep-preview').complete")
        page.screenshot(path=str(folder / "widget-product.png"))
        browser.close()
    print(f"wrote {folder / 'widget-search.png'} and {folder / 'widget-product.png'}")


if __name__ == "__main__":
    main()
