"""The dashboard's chart of the last 30 days, drawn on the server as SVG (no script, no library).

Bars are orders per day; for owners a line shows revenue (the merchant's retail totals). The picture
has a title and a description for screen readers, and the page carries the same figures as a table.
Colours are SVG presentation attributes, not ``style`` attributes, so the page's CSP allows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

from ..services.order_desk import Day

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 36, 56, 12, 28
BAR = "#8a3b12"
LINE = "#1d1d1f"


def _nice_max(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten that is at least ``value`` (the axis top)."""
    scale = 1
    while True:
        for step in (1, 2, 5):
            if step * scale >= value:
                return step * scale
        scale *= 10


def orders_chart(days: Sequence[Day], *, revenue: bool, money: str = "USD") -> Markup:
    """An inline ``<svg>`` of orders (bars) and, with ``revenue``, revenue (line) per day."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    most_orders = _nice_max(max((d.orders for d in days), default=0))
    most_cents = _nice_max(max((d.cents for d in days), default=0))
    step = plot_w / max(len(days), 1)
    total_orders = sum(d.orders for d in days)
    desc = f"{total_orders} orders in {len(days)} days"
    if revenue:
        desc += f", {sum(d.cents for d in days) / 100:,.2f} {money} in all"
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="chart-title chart-desc"'
             f' xmlns="http://www.w3.org/2000/svg">',
             '<title id="chart-title">Orders' + (" and revenue" if revenue else "") + " per day, last 30 days</title>",
             f'<desc id="chart-desc">{escape(desc)}; the table below has every day.</desc>',
             f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" stroke="#999"/>',
             f'<text x="{LEFT - 4}" y="{TOP + 10}" text-anchor="end" font-size="11" fill="#555">{most_orders}</text>',
             f'<text x="{LEFT - 4}" y="{TOP + plot_h}" text-anchor="end" font-size="11" fill="#555">0</text>']
    points = []
    for n, day in enumerate(days):
        x = LEFT + n * step
        h = plot_h * day.orders / most_orders
        if day.orders:
            parts.append(f'<rect x="{x + 1:.1f}" y="{TOP + plot_h - h:.1f}" width="{max(step - 2, 1):.1f}" '
                         f'height="{h:.1f}" fill="{BAR}"><title>{day.day}: {day.orders} orders</title></rect>')
        points.append(f"{x + step / 2:.1f},{TOP + plot_h - plot_h * day.cents / most_cents:.1f}")
        if (len(days) - 1 - n) % 7 == 0:  # weekly labels counted back from today, which is always labelled
            parts.append(f'<text x="{x + step / 2:.1f}" y="{HEIGHT - 8}" text-anchor="middle" font-size="11" '
                         f'fill="#555">{day.day[5:]}</text>')
    if revenue and points:
        parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{LINE}" stroke-width="2"/>')
        parts.append(f'<text x="{LEFT + plot_w + 4}" y="{TOP + 10}" font-size="11" fill="#555">'
                     f'{most_cents / 100:,.0f}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every value above is a number or escaped)
