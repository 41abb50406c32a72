"""Driving the widget in a page: wait for it, open products, pick options and read what it shows."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

W = "#nep_widget"


def count(page: Page, event: str) -> int:
    return int(page.evaluate("(t) => window.__nep.filter((e) => e.type === t).length", event))


def events(page: Page) -> list[str]:
    return list(page.evaluate("window.__nep.map((e) => e.type)"))


def last(page: Page, event: str) -> Any:
    return page.evaluate("(t) => window.__nep.filter((e) => e.type === t).pop().detail", event)


def wait_event(page: Page, event: str, more_than: int = 0) -> Any:
    page.wait_for_function("([t, n]) => window.__nep.filter((e) => e.type === t).length > n", arg=[event, more_than])
    return last(page, event)


def wait_grid(page: Page) -> None:
    page.wait_for_selector(f"{W} .nep-grid .nep-tile, {W} .nep-grid .nep-empty")


def open_page(page: Page, url: str) -> None:
    page.goto(url)
    wait_event(page, "widget:loaded")


def choose(page: Page, option: str, value: str) -> dict[str, Any]:
    """Click a choice button and wait for the price display to update; the price:changed detail."""
    before = count(page, "widget:price:changed")
    page.click(f'{W} [data-opt="{option}"] [data-val="{value}"]')
    detail: dict[str, Any] = wait_event(page, "widget:price:changed", before)
    return detail


def change(page: Page, option: str, value: str) -> dict[str, Any]:
    """Set a select, checkbox or text field of the product page and wait for the new price."""
    before = count(page, "widget:price:changed")
    control = page.locator(f'{W} [data-opt="{option}"]')
    kind = control.evaluate("(el) => el.tagName + (el.type || '')")
    if kind.startswith("SELECT"):
        control.select_option(value)
    elif kind == "INPUTcheckbox":
        control.set_checked(value == "true")
    else:
        control.fill(value)
        control.press("Tab")  # leaving the field commits it (the change event)
    detail: dict[str, Any] = wait_event(page, "widget:price:changed", before)
    return detail


def shown_price(page: Page) -> str:
    return page.inner_text(f"{W} .nep-price")


def hash_of(page: Page) -> str:
    return str(page.evaluate("location.hash"))


# A function expression, not a string body: Playwright evaluates strings with eval, which a page's CSP may forbid.
PREVIEW_SHOWN = """(part) => {
  const i = document.querySelector('#nep_widget .nep-preview');
  return !!i && i.complete && i.naturalWidth > 0 && i.getAttribute('src').includes(part);
}"""


def wait_preview(page: Page, part: str = "") -> dict[str, Any]:
    """Wait until the preview shown has loaded and its URL contains ``part``; its src, currentSrc and size."""
    page.wait_for_function(PREVIEW_SHOWN, arg=part)
    shown: dict[str, Any] = page.evaluate("""() => {
      const i = document.querySelector('#nep_widget .nep-preview');
      return {src: i.getAttribute('src'), current: i.currentSrc, width: i.naturalWidth, height: i.naturalHeight};
    }""")
    return shown


def pressed_label(page: Page, option: str) -> str:
    return page.inner_text(f'{W} [data-opt="{option}"] [aria-pressed="true"]')
