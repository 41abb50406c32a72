"""Configurations resolved per second (validation + sizes + sku + route + merchant price), one core.

Measured against a baseline in the same run: the bare cost of a BLAKE2b digest of a short string, so a
noisy machine shows up in both numbers.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from easel.demo.seed import demo_artworks
from easel.domain.configuration import resolve, standard_choices
from easel.domain.options import load_option_tables
from easel.domain.pricing import Markups, load_price_table, merchant_price_cents


def run(seconds: float = 2.0) -> dict[str, float]:
    tables = load_option_tables()
    prices = load_price_table(tables)
    markups = Markups({"PF": 2500})
    work = [(a, c) for a, _ in demo_artworks(Path("images")) for c in standard_choices(a, tables)]
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for artwork, choices in work[:2000]:
            merchant_price_cents(resolve(artwork, choices, tables), prices, markups)
        count += min(2000, len(work))
    resolved_per_s = count / (time.perf_counter() - started)
    n, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds / 4:
        for _ in range(10_000):
            hashlib.blake2b(b"MP148A\x1fpaper\x1fPF\x1fF0092", digest_size=8).hexdigest()
        n += 10_000
    baseline = n / (time.perf_counter() - started)
    return {"configurations_per_s": round(resolved_per_s), "baseline_blake2b_per_s": round(baseline),
            "target_per_s": 50_000}
