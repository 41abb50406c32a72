"""Every configuration the demo catalogue can offer resolves and gets a price."""

from __future__ import annotations

from pathlib import Path

from easel.demo.seed import demo_artworks
from easel.domain.configuration import resolve, standard_choices
from easel.domain.options import load_option_tables
from easel.domain.pricing import Markups, load_price_table, merchant_price_cents

TABLES = load_option_tables()
PRICES = load_price_table(TABLES)


def test_the_demo_option_space_resolves_and_prices() -> None:
    artworks = [a for a, _ in demo_artworks(Path("images"))]
    assert len(artworks) >= 24
    assert {a.orientation for a in artworks} == {"portrait", "landscape", "square"}
    count = 0
    for artwork in artworks:
        assert artwork.sizes(TABLES), f"{artwork.code} cannot be printed at any size"
        for choices in standard_choices(artwork, TABLES):
            for extra in ({}, {"border_type": "color", "border_color": "#336699"}):
                style = TABLES.style_by_code[str(choices["style"])]
                if extra and "color" not in style.border_types:
                    continue
                item = resolve(artwork, {**choices, **extra}, TABLES)
                assert merchant_price_cents(item, PRICES, Markups({"PF": 2500})) > 0
                count += 1
    assert count > 3000
