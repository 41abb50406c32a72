"""The configuration function: derived sizes and skus, validation messages, and its invariants."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from easel.domain.catalog import Artwork
from easel.domain.configuration import (
    ConfigurationError,
    Resolved,
    compute_sku,
    parse_route,
    resolve,
    standard_choices,
)
from easel.domain.options import load_option_tables

TABLES = load_option_tables()
STARRY = Artwork("V00551", "Starry Night", "Vincent Van Gogh", "", 6000, 4500, "v.jpg")
DANCING = Artwork("MP148A", "Dancing on the Water", "Maxine Price", "", 6000, 6000, "m.jpg")


def test_framed_paper_matches_the_documents_example() -> None:
    # The document's second item: V00551-24x18-PF-F0092-ML002, print 30x24, outer 34x28.
    art = Artwork("V00551", "Starry Night", "Vincent Van Gogh", "", 4800, 3600, "v.jpg")
    # easel's sizes are 12/20/30/40 in on the long edge, so M gives 20x15 where the document had 24x18;
    # the matte (3 in) and moulding (2 in) add exactly as in the document.
    scaled = resolve(art, {"substrate": "paper", "style": "PF", "frame": "F0092", "matte": "ML002", "size": "M"},
                     TABLES)
    assert scaled.image_size == (20, 15)
    assert scaled.print_size == (26, 21) and scaled.inner_size == (26, 21) and scaled.outer_size == (30, 25)
    assert scaled.gp_sku == "V00551-20x15-PF-F0092-ML002"


def test_gallery_wrap_adds_the_border_to_the_print_only() -> None:
    item = resolve(DANCING, {"substrate": "canvas", "style": "CG", "size": "XL", "stretcher_bar": "1.5"}, TABLES)
    # As the document's first item: image 40x40, print 44x44 (2 in wrap), outer 40x40.
    assert (item.image_size, item.print_size, item.outer_size) == ((40, 40), (44, 44), (40, 40))
    assert item.specs()["border_color"] == "MIRROR" and item.specs()["stretcher_bar"] == "1.5 SB"
    assert item.gp_sku == "MP148A-40x40-CG-F0000-ML000"


def test_default_route_is_the_documents_route() -> None:
    item = resolve(DANCING, {"substrate": "paper", "style": "PF", "frame": "F0092", "size": "S"}, TABLES)
    assert item.route == "/product/edit/MP148A/paper/PF/F0092/S"
    assert parse_route("#" + item.route) == ("MP148A", {"substrate": "paper", "style": "PF", "frame": "F0092",
                                                         "size": "S"})


def test_choices_left_out_get_the_styles_defaults() -> None:
    item = resolve(DANCING, {}, TABLES)
    c = item.configuration
    assert (c.substrate, c.style, c.frame, c.matte, c.size) == ("paper", "PO", "F0000", "ML000", "S")


@pytest.mark.parametrize(
    ("choices", "expected"),
    [
        ({"substrate": "paper", "style": "PF", "frame": "F9999"}, "frame: 'F9999' is not a frame offered with style PF"),
        ({"substrate": "canvas", "style": "CG", "matte": "ML002"}, "matte: 'ML002' is not a matte offered with style CG (allowed: ML000)"),
        ({"substrate": "canvas", "style": "CG", "border_width": -1}, "border_width: must be between 1 and 4 inches"),
        ({"substrate": "canvas", "style": "CG", "border_width": "wide"}, "border_width: must be a whole number of inches"),
        ({"substrate": "canvas", "style": "CG", "border_type": "color"}, "border_color: is required when border_type is color"),
        ({"substrate": "canvas", "style": "CG", "border_type": "color", "border_color": "url(x)"}, "border_color: 'url(x)' is not a CSS colour"),
        ({"substrate": "paper", "style": "PO", "security_hardware": True}, "security_hardware: not available for style PO"),
        ({"substrate": "paper", "style": "PF", "border_type": "mirror"}, "border_type: not offered with style PF"),
        ({"substrate": "metal"}, "substrate: 'metal' is not offered for V00551 (allowed: paper, canvas)"),
        ({"substrate": "paper", "style": "CG"}, "style: 'CG' is not a style of paper (allowed: PO, PF)"),
        ({"size": "XXL"}, "size: 'XXL' is not a size of V00551 (allowed: S, M, L, XL)"),
        ({"frame": ["F0092"]}, "frame: must be text, got list"),
    ],
)
def test_invalid_choices_name_the_field_and_the_allowed_values(choices: dict[str, object], expected: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve(STARRY, choices, TABLES)
    assert expected in str(caught.value)


def test_a_size_beyond_the_resolution_says_how_many_pixels_it_needs() -> None:
    small = Artwork("SMALL1", "Small", "A", "", 3000, 2000, "s.jpg")  # 20 in at 150 dpi
    with pytest.raises(ConfigurationError) as caught:
        resolve(small, {"size": "L"}, TABLES)
    assert str(caught.value) == (
        "size: L needs 4500 px on the long edge at 150 dpi and SMALL1 has 3000 (allowed: S, M)")


def test_all_problems_are_reported_at_once() -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve(STARRY, {"substrate": "canvas", "style": "CG", "frame": "F0092", "matte": "ML002",
                         "border_width": 9}, TABLES)
    assert [e.field for e in caught.value.errors] == ["frame", "matte", "border_width"]


def test_the_sku_is_pinned_across_versions() -> None:
    # A changed sku would orphan every cart and order made before: this value must never change.
    item = resolve(DANCING, {"substrate": "paper", "style": "PF", "frame": "F0092", "matte": "ML002", "size": "S"},
                   TABLES)
    assert item.sku == compute_sku(item.configuration, item.image_size)
    assert item.sku == "5e4d70603c713b4c"


# --- properties over generated artworks and choices ---------------------------------------------------------

artworks = st.builds(
    lambda code, w, h: Artwork(code, "T", "A", "", w, h, "x.jpg"),
    st.from_regex(r"[A-Z]{2}[0-9]{3}[A-Z]", fullmatch=True),
    st.integers(1800, 9000),
    st.integers(1800, 9000),
)


@st.composite
def configurations(draw: st.DrawFn) -> tuple[Artwork, Resolved]:
    artwork = draw(artworks)
    choices = draw(st.sampled_from(standard_choices(artwork, TABLES)))
    style = TABLES.style_by_code[str(choices["style"])]
    if style.border_types:
        choices = dict(choices, border_width=draw(st.integers(2, 4)))
        if draw(st.booleans()):
            choices.update(border_type="color", border_color=draw(st.sampled_from(["red", "#123456", "navy"])))
    if style.hardware:
        choices = dict(choices, security_hardware=draw(st.booleans()))
    return artwork, resolve(artwork, choices, TABLES)


@settings(max_examples=300, deadline=None)
@given(configurations())
def test_sizes_grow_evenly_around_the_image(generated: tuple[Artwork, Resolved]) -> None:
    item = generated[1]
    w, h = item.image_size
    assert max(w, h) == TABLES.size_by_code[item.configuration.size].long_edge
    assert item.inner_size[0] - w == item.inner_size[1] - h >= 0
    assert item.print_size[0] - w == item.print_size[1] - h >= 0
    assert item.outer_size[0] - item.image_size[0] == item.outer_size[1] - item.image_size[1]


@settings(max_examples=200, deadline=None)
@given(artworks, st.sampled_from(["S", "M", "L", "XL"]))
def test_short_edge_is_within_half_an_inch_of_the_true_ratio(artwork: Artwork, size: str) -> None:
    long_edge = TABLES.size_by_code[size].long_edge
    w, h = artwork.image_inches(long_edge)
    exact_short = long_edge * min(artwork.width_px, artwork.height_px) / max(artwork.width_px, artwork.height_px)
    assert abs(min(w, h) - exact_short) <= 0.5
    assert max(w, h) == long_edge
    assert (w > h) == (artwork.width_px > artwork.height_px) or w == h


@settings(max_examples=300, deadline=None)
@given(configurations())
def test_the_sku_is_stable_and_the_route_round_trips(generated: tuple[Artwork, Resolved]) -> None:
    artwork, item = generated
    assert len(item.sku) == 16 and all(ch in "0123456789abcdef" for ch in item.sku)
    code, choices = parse_route(item.route)
    assert code == artwork.code
    assert resolve(artwork, choices, TABLES) == item
    assert resolve(artwork, item.configuration.as_choices(), TABLES) == item


def test_the_sku_is_injective_over_the_whole_generated_space() -> None:
    seen: dict[str, object] = {}
    for artwork in (STARRY, DANCING, Artwork("PP100P", "P", "A", "", 3000, 4500, "p.jpg")):
        for choices in standard_choices(artwork, TABLES):
            for width in (2, 3, 4):
                for hardware in (False, True):
                    extra: dict[str, object] = {}
                    style = TABLES.style_by_code[str(choices["style"])]
                    if style.border_types:
                        extra["border_width"] = width
                    elif width != 2:
                        continue
                    if hardware and not style.hardware:
                        continue
                    item = resolve(artwork, {**choices, **extra, "security_hardware": hardware}, TABLES)
                    assert seen.setdefault(item.sku, item.configuration) == item.configuration
    assert len(seen) > 1500
