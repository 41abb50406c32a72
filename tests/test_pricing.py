"""Prices: integer cents, positive, monotonic in size, merchant markups and fixed prices."""

from __future__ import annotations

import json
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from easel.domain.catalog import Artwork
from easel.domain.configuration import resolve, standard_choices
from easel.domain.money import apply_basis_points, parse_amount, parse_percent, whole_units
from easel.domain.options import load_option_tables
from easel.domain.pricing import Markups, list_price_cents, load_price_table, merchant_price_cents

TABLES = load_option_tables()
PRICES = load_price_table(TABLES)
ART = Artwork("V00551", "Starry Night", "Vincent Van Gogh", "", 6000, 4500, "v.jpg")


def test_whole_units_round_half_up() -> None:
    assert [whole_units(c) for c in (3949, 3950, 3999, 0, 1)] == [39, 40, 40, 0, 0]


def test_markup_is_applied_in_basis_points() -> None:
    assert apply_basis_points(10_000, 2_500) == 12_500
    assert apply_basis_points(333, 5_000) == 500  # 499.5 rounds half up


def test_percent_and_amount_parsing_name_the_bad_value() -> None:
    assert parse_percent("25%") == 2500 and parse_percent("12.5") == 1250
    assert parse_amount("139") == 13900 and parse_amount("139.5") == 13950
    with pytest.raises(ValueError, match="'abc' is not a percentage"):
        parse_percent("abc")
    with pytest.raises(ValueError, match=r"'1\.234' is not an amount"):
        parse_amount("1.234")


def test_a_style_markup_and_a_fixed_sku_price() -> None:
    item = resolve(ART, {"substrate": "paper", "style": "PF", "size": "M"}, TABLES)
    base = list_price_cents(item, PRICES)
    assert merchant_price_cents(item, PRICES, Markups({"PF": 5000})) == apply_basis_points(base, 5000)
    assert merchant_price_cents(item, PRICES, Markups({"PO": 5000})) == base
    assert merchant_price_cents(item, PRICES, Markups({"PF": 5000}, {item.sku: 13900})) == 13900


def test_the_price_table_must_price_every_option() -> None:
    data = json.loads(resources.files("easel.data").joinpath("prices.json").read_text())
    del data["frames_cents_per_united_inch"]["F0092"]
    with pytest.raises(ValueError, match="no price for frame F0092"):
        load_price_table(TABLES, json.dumps(data))


@settings(max_examples=200, deadline=None)
@given(st.integers(1800, 9000), st.integers(1800, 9000), st.data())
def test_prices_are_positive_and_never_fall_as_the_size_grows(w: int, h: int, data: st.DataObject) -> None:
    artwork = Artwork("GEN01A", "T", "A", "", w, h, "x.jpg")
    choices = data.draw(st.sampled_from([c for c in standard_choices(artwork, TABLES) if c["size"] == "S"]))
    previous = 0
    for size in artwork.sizes(TABLES):
        cents = list_price_cents(resolve(artwork, {**choices, "size": size}, TABLES), PRICES)
        assert cents > 0
        assert cents >= previous
        previous = cents
