"""The widget's three figures, in headless Debian chromium on loopback, each next to a baseline measured
in the same run (so a slow machine shows in both):

- ``wire_kb_gzip``: bytes of code.js + its CSS over the wire with gzip (aim ≤ 12 KB; jQuery alone is ~30);
- ``first_view_ms``: median time from the script tag (the start of code.js's fetch) to the first search grid
  with the thumbnails in view received (aim ≤ 150 ms), against ``baseline_first_view_ms``: a bare inline
  script fetching the same search and painting the same tiles with innerHTML, from its start to the same
  point; ``ready_ms`` / ``grid_ms``: the widget's own timings, from its script starting to ``widget:ready``
  and to the grid's elements painted (images not waited for), against ``baseline_grid_ms``;
- ``price_p95_ms``: option click → ``widget:price:changed``, 95th percentile over 50 clicks (aim ≤ 30 ms),
  each click leading to a configuration not priced before, at a brisk human pace (150 ms apart, so the
  previous preview is being rendered meanwhile), against ``baseline_click_p95_ms``: a click that fetches a
  tiny JSON document from the page's own server and updates a text node.
"""

from __future__ import annotations

import os
import statistics
import tempfile
from pathlib import Path

import httpx
from e2e import pages
from e2e.launch import CHROMIUM, CHROMIUM_ARGS, Site, start_easel, start_site
from playwright.sync_api import Browser, sync_playwright

LOADS = 15
CLICKS = 50

_BASELINE_GRID = """<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body>
<ul id="grid" style="display:grid;grid-template-columns:repeat(5,1fr);list-style:none"></ul>
<script>
var t0 = performance.now();
window.t0 = t0;
fetch("{easel}/widget/v1/api/search?api_key=demo&facets=1").then(function (r) {{ return r.json(); }}).then(function (d) {{
  document.getElementById("grid").innerHTML = d.items.map(function (i) {{
    return '<li><a href="#"><img width="240" height="240" alt="" src="' + i.thumb + '"><span></span></a></li>';
  }}).join("");
  requestAnimationFrame(function () {{ window.baseline = performance.now() - t0; }});
}});
</script></body></html>"""

_BASELINE_CLICK = """<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body>
<button id="b">click</button><span id="out"></span>
<script>
document.getElementById("b").addEventListener("click", function () {
  fetch("/merchant/ping").then(function (r) { return r.json(); }).then(function (d) {
    document.getElementById("out").textContent = d.n;
    window.dispatchEvent(new CustomEvent("done"));
  });
});
</script></body></html>"""

# Each click picks an option (frame, matte or size) that leads to a configuration not seen before, so
# every click is a real round trip (the widget keeps prices it has seen for a minute).
_CLICKS = """async ([n, done]) => {
  const times = [];
  const seen = new Set();
  const current = () => ['frame', 'matte', 'size'].map((g) =>
    document.querySelector(`#nep_widget [data-opt="${g}"] [aria-pressed="true"]`).dataset.val);
  for (let i = 0; i < n; i++) {
    let target = document.getElementById('b');
    if (done === 'widget:price:changed') {
      seen.add(current().join('|'));
      target = null;
      for (const [index, group] of ['frame', 'matte', 'size'].entries()) {
        for (const b of document.querySelectorAll(`#nep_widget [data-opt="${group}"] [aria-pressed="false"]`)) {
          const next = current();
          next[index] = b.dataset.val;
          if (!target && !seen.has(next.join('|'))) target = b;
        }
      }
    }
    const finished = new Promise((resolve) => window.addEventListener(done, resolve, {once: true}));
    const t0 = performance.now();
    target.click();
    await finished;
    times.push(performance.now() - t0);
    await new Promise((resolve) => setTimeout(resolve, 150));  // a brisk human pace
  }
  return times;
}"""


# When the last thumbnail in view arrived (or the grid was painted, if later), from ``start``: resource
# timings, so polling does not add to the figure; 0 until every thumbnail in view is there.
_FIRST_VIEW = """(() => {{
  const grid = {grid};
  const images = [...document.querySelectorAll('{images}')].filter((i) => i.getBoundingClientRect().top < innerHeight);
  if (!grid || !images.length || !images.every((i) => i.complete && i.naturalWidth)) return 0;
  const arrived = images.map((i) => (performance.getEntriesByName(i.currentSrc)[0] || {{responseEnd: 1e9}}).responseEnd);
  return Math.max(grid, ...arrived) - ({start});
}})()"""
_WIDGET_FIRST_VIEW = _FIRST_VIEW.format(
    grid="window.image2art && image2art.widget.timing && image2art.widget.timing.grid",
    images="#nep_widget .nep-grid img",
    start="performance.getEntriesByType('resource').find((e) => e.name.includes('/widget/v1/code.js')).startTime")
_BASELINE_FIRST_VIEW = _FIRST_VIEW.format(grid="window.baseline && window.t0 + window.baseline",
                                          images="#grid img", start="window.t0")


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _wire_bytes(easel: str) -> float:
    with httpx.Client(headers={"Accept-Encoding": "gzip"}) as http:
        script = http.get(f"{easel}/widget/v1/code.js", params={"api_key": "demo"})
        css_name = script.text.split('"css":"', 1)[1].split('"', 1)[0]
        css = http.get(f"{easel}/widget/v1/{css_name}")
        return float(script.num_bytes_downloaded + css.num_bytes_downloaded)


def _load(browser: Browser, url: str, expressions: list[str]) -> list[float]:
    """One load in a fresh context (empty cache): each expression's value once the first is truthy."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(url)
    page.wait_for_function(expressions[0])
    found = [float(page.evaluate(expression)) for expression in expressions]
    context.close()
    return found


def _loads(browser: Browser, url: str, expression: str) -> list[float]:
    return [_load(browser, url, [expression])[0] for _ in range(LOADS)]


def _measure(browser: Browser, easel: str, site: Site) -> dict[str, float]:
    widget_page = site.page("/bench", pages.shop(easel, after=pages.options()))
    baseline_page = site.page("/bench-baseline", _BASELINE_GRID.format(easel=easel))
    timing = "image2art.widget.timing"
    first_view, grid, ready, baseline_first_view, baseline_grid = [], [], [], [], []
    for _ in range(LOADS):  # interleaved, so a busy moment of a shared machine weighs on both alike
        view, painted, shown = _load(browser, widget_page, [
            _WIDGET_FIRST_VIEW, f"{timing}.grid - {timing}.start", f"{timing}.ready - {timing}.start"])
        first_view.append(view)
        grid.append(painted)
        ready.append(shown)
        view, painted = _load(browser, baseline_page, [_BASELINE_FIRST_VIEW, "window.baseline"])
        baseline_first_view.append(view)
        baseline_grid.append(painted)
    context = browser.new_context()
    page = context.new_page()
    page.goto(widget_page + "#/product/edit/V00551/paper/PF/F0092/M")
    page.wait_for_function("window.image2art.widget.timing.loaded")
    page.wait_for_selector('#nep_widget [data-opt="frame"]')
    clicks = page.evaluate(_CLICKS, [CLICKS, "widget:price:changed"])
    page.goto(site.page("/bench-click", _BASELINE_CLICK))
    baseline_clicks = page.evaluate(_CLICKS, [CLICKS, "done"])
    context.close()
    return {
        "wire_kb_gzip": round(_wire_bytes(easel) / 1024, 2),
        "first_view_ms": round(statistics.median(first_view), 1),
        "first_view_p95_ms": round(_p95(first_view), 1),
        "baseline_first_view_ms": round(statistics.median(baseline_first_view), 1),
        "ready_ms": round(statistics.median(ready), 1),
        "grid_ms": round(statistics.median(grid), 1),
        "grid_p95_ms": round(_p95(grid), 1),
        "baseline_grid_ms": round(statistics.median(baseline_grid), 1),
        "price_p95_ms": round(_p95(clicks), 1),
        "price_median_ms": round(statistics.median(clicks), 1),
        "baseline_click_p95_ms": round(_p95(baseline_clicks), 1),
    }


def run() -> dict[str, float]:
    # Hundreds of gallery loads from one address would hit the per-address picture limit.
    os.environ.setdefault("EASEL_IMAGE_RATE_LIMIT", "1000000")
    with tempfile.TemporaryDirectory() as folder, start_easel(Path(folder)) as easel, start_site() as site, \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            _loads(browser, site.page("/warm", pages.shop(easel)), "image2art.widget.timing.grid")  # warm caches
            return _measure(browser, easel, site)
        finally:
            browser.close()


if __name__ == "__main__":
    print(run())
