"""Fixtures for the browser tests: easel (subprocess) and a merchant site (thread) started once per
session on free ports, one chromium per session, a fresh context per test, and console errors failing
the test unless it says which ones it expects."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, sync_playwright

from .launch import CHROMIUM, CHROMIUM_ARGS, Site, start_easel, start_site

# Every widget event, as DOM CustomEvents (the modern path), in order, for tests to wait on and read.
RECORDER = """
window.__nep = [];
['widget:ready', 'widget:loaded', 'widget:price:change', 'widget:price:changed', 'widget:cart:added',
 'widget:login:required'].forEach(function (t) {
  window.addEventListener(t, function (e) {
    window.__nep.push({type: t, detail: e.detail === undefined ? null : JSON.parse(JSON.stringify(e.detail))});
  });
});
"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark browser tests, and run them last: while the session's browser is open, Playwright's event
    loop is running, and the in-process tests' fixtures need ``asyncio.run``."""
    here = Path(__file__).parent
    browser_tests = [item for item in items if Path(str(item.fspath)).parent == here]
    for item in browser_tests:
        item.add_marker(pytest.mark.e2e)
    items[:] = [item for item in items if item not in browser_tests] + browser_tests


@pytest.fixture(scope="session")
def easel_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with start_easel(tmp_path_factory.mktemp("easel-e2e")) as url:
        yield url


@pytest.fixture(scope="session")
def shop_url(easel_url: str) -> str:
    """The demo store as a shopper opens it: on ``localhost``, so the widget (on 127.0.0.1) is cross-origin."""
    return easel_url.replace("127.0.0.1", "localhost") + "/demo/"


@pytest.fixture(scope="session")
def site() -> Iterator[Site]:
    with start_site() as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Console:
    """Console output of the page; errors fail the test unless they match ``expect``ed patterns."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    expected: list[re.Pattern[str]] = field(default_factory=list)

    def expect(self, pattern: str) -> None:
        self.expected.append(re.compile(pattern))

    def message(self, msg: ConsoleMessage) -> None:
        if msg.type == "error":
            self.errors.append(msg.text)
        elif msg.type == "warning":
            self.warnings.append(msg.text)

    def page_error(self, error: Error) -> None:
        self.errors.append(f"uncaught: {error}")

    def wait_for(self, page: Page, pattern: str, timeout_ms: int = 3000) -> None:
        """Console events reach Python a little after the page logs them: wait for one."""
        for _ in range(timeout_ms // 25):
            if any(re.search(pattern, e) for e in self.errors):
                return
            page.wait_for_timeout(25)
        raise AssertionError(f"no console error matching {pattern!r}: {self.errors}")

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.expected)]


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def page(browser: Browser, console: Console) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(15000)
    context.add_init_script(RECORDER)
    opened = context.new_page()
    opened.on("console", console.message)
    opened.on("pageerror", console.page_error)
    yield opened
    context.close()
    assert not console.unexpected(), f"console errors: {console.unexpected()}"
