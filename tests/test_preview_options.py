"""Every option the widget offers, rendered and checked on the pixels: each frame, matte, canvas border
kind and stretcher depth looks different from the others, lighting and shadows fall one way, and the
art keeps its aspect ratio. Rendered straight through the drawing code (no HTTP), at 600 px."""

from __future__ import annotations

import itertools

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageStat

from easel.domain.catalog import Artwork
from easel.domain.configuration import resolve
from easel.domain.options import OptionTables, load_option_tables
from easel.previews.front import Placed
from easel.previews.profiles import ProfileError, load_profiles
from easel.previews.views import place_front
from easel.previews.wall import hang
from easel.widget.previews import piece_for

TABLES = load_option_tables()
PROFILES = load_profiles((f.code, f.width) for f in TABLES.frames)
PAPER = Artwork("TPAPER", "Paper test", "t", "", 4500, 6000, "/nonexistent.jpg", ("paper",))
CANVAS = Artwork("TCANVS", "Canvas test", "t", "", 6000, 4500, "/nonexistent.jpg", ("canvas",))
BLUE = (0, 0, 255)
SIZE = 600


def _art(width: int, height: int) -> Image.Image:
    """Vertical stripes (detail a blur must remove) around a blue square (which must stay square)."""
    image = Image.new("RGB", (width, height), (230, 120, 40))
    draw = ImageDraw.Draw(image)
    for x in range(0, width, 8):
        draw.rectangle((x, 0, x + 3, height), fill=(40, 160, 90))
    side = min(width, height) // 3
    draw.rectangle(((width - side) // 2, (height - side) // 2, (width + side) // 2, (height + side) // 2), fill=BLUE)
    return image


ART = {"TPAPER": _art(450, 600), "TCANVS": _art(800, 600)}


def _render(artwork: Artwork, **choices: str) -> Placed:
    resolved = resolve(artwork, choices, TABLES)
    return place_front(piece_for(resolved, TABLES, PROFILES), ART[artwork.code], SIZE)


def _luma(image: Image.Image, box: tuple[int, int, int, int]) -> ImageStat.Stat:
    return ImageStat.Stat(image.crop(box).convert("L"))


def _distance(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference per channel of two pictures (0-255)."""
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


def _all_differ(renders: dict[str, Image.Image], threshold: float) -> None:
    for (x, a), (y, b) in itertools.combinations(renders.items(), 2):
        assert _distance(a, b) > threshold, f"{x} and {y} look alike"


def _band(placed: Placed, code: str, side: str) -> tuple[int, int, int, int]:
    """A strip along the middle of one side of the moulding (a few px inside its edges)."""
    x0, y0, x1, y1 = placed.face
    band = round(PROFILES[code].face * placed.ppi)
    w, h = x1 - x0, y1 - y0
    return {"top": (x0 + w // 3, y0 + 2, x1 - w // 3, y0 + band - 2),
            "bottom": (x0 + w // 3, y1 - band + 2, x1 - w // 3, y1 - 2),
            "left": (x0 + 2, y0 + h // 3, x0 + band - 2, y1 - h // 3),
            "right": (x1 - band + 2, y0 + h // 3, x1 - 2, y1 - h // 3)}[side]


def test_every_frame_looks_different() -> None:
    renders = {code: _render(PAPER, style="PF", frame=code) for code in TABLES.frame_codes_for("PF")}
    crops = {code: p.image.crop(_band(p, code, "top")).resize((48, 8)) for code, p in renders.items()}
    _all_differ(crops, 4.0)
    floats = {code: _render(CANVAS, style="CF", frame=code).image for code in TABLES.frame_codes_for("CF")}
    _all_differ(floats, 1.0)


def test_finishes_show_on_the_pixels() -> None:
    def along(code: str, at: float) -> float:
        """Brightness variation along the top side, at ``at`` across the face."""
        p = _render(PAPER, style="PF", frame=code)
        y = p.face[1] + round(PROFILES[code].face * p.ppi * at)
        row = p.image.crop((p.face[0] + 80, y, p.face[2] - 80, y + 1)).convert("L")
        return float(ImageStat.Stat(row).stddev[0])

    wood, walnut, satin, gold_beads = along("F0101", 0.5), along("F0102", 0.5), along("F0092", 0.5), along("F0420", 0.52)
    assert wood > 3 * satin and walnut > 2 * satin  # grain runs along the side
    assert gold_beads > 12  # a row of beads catches the light one by one
    gold = _render(PAPER, style="PF", frame="F0420")
    stat = _luma(gold.image, _band(gold, "F0420", "top"))
    assert stat.extrema[0][1] > stat.mean[0] + 40  # highlights


def test_one_light_from_the_upper_left() -> None:
    p = _render(PAPER, style="PF", frame="F0093")
    edge = {side: _luma(p.image, _band(p, "F0093", side)).mean[0] for side in ("top", "bottom", "left", "right")}
    outer = {}
    for side, box in (("top", (p.face[0] + 150, p.face[1], p.face[2] - 150, p.face[1] + 2)),
                      ("bottom", (p.face[0] + 150, p.face[3] - 2, p.face[2] - 150, p.face[3]))):
        outer[side] = _luma(p.image, box).mean[0]
    assert outer["top"] > outer["bottom"] + 15, outer  # outer slopes: toward the light vs away from it
    assert abs(edge["top"] - edge["bottom"]) < 40
    x0, y0, x1, y1 = p.face
    above_left = _luma(p.image, (x0 - 14, y0 - 14, x0 - 6, y0 - 6)).mean[0]
    below_right = _luma(p.image, (x1 + 2, y1 + 2, x1 + 10, y1 + 10)).mean[0]
    assert below_right < above_left - 10  # the cast shadow falls away from the light


def test_every_matte_looks_different_with_its_white_core() -> None:
    renders = {code: _render(PAPER, style="PF", frame="F0092", matte=code) for code in TABLES.matte_codes_for("PF")}
    _all_differ({c: p.image for c, p in renders.items()}, 1.0)
    black = renders["ML020"]
    px0, py0, px1, _ = black.picture
    tone = _luma(black.image, (px0, (black.face[1] + py0) // 2, px1, (black.face[1] + py0) // 2 + 2)).mean[0]
    bevel = _luma(black.image, (px0 + 20, py0 - 2, px1 - 20, py0 - 1)).mean[0]
    assert tone < 50 and bevel > tone + 60  # even in shade, the bevel shows the board's white core
    lower = _luma(black.image, (px0 + 20, black.picture[3] + 1, px1 - 20, black.picture[3] + 2)).mean[0]
    assert lower > bevel  # the lower bevel faces the light
    widths = {c: (p.picture[2] - p.picture[0]) / (p.face[2] - p.face[0]) for c, p in renders.items()}
    assert widths["ML000"] > widths["ML001"] > widths["ML002"]


def _side_columns(p: Placed) -> int:
    """Columns left of the canvas face, on its middle row, that are coloured (the wall and its shadow are grey)."""
    y = (p.face[1] + p.face[3]) // 2
    count = 0
    for x in range(p.face[0] - 1, 0, -1):
        pixel = p.image.getpixel((x, y))
        assert isinstance(pixel, tuple)
        if max(pixel) - min(pixel) < 20:
            break
        count += 1
    return count


def test_each_stretcher_depth_shows_its_depth() -> None:
    thin = _render(CANVAS, style="CG", stretcher_bar="0.75", border_width="2")
    deep = _render(CANVAS, style="CG", stretcher_bar="1.5", border_width="2")
    ratio = _side_columns(deep) / _side_columns(thin)
    assert 1.6 < ratio < 2.4, ratio
    assert _distance(thin.image, deep.image) > 0.5


def test_each_border_kind_is_told_apart() -> None:
    renders = {kind: _render(CANVAS, style="CG", stretcher_bar="1.5", border_type=kind,
                             **({"border_color": "#c02020"} if kind == "color" else {}))
               for kind in ("mirror", "blur", "color")}
    sides = {}
    for kind, p in renders.items():
        width = _side_columns(p)
        assert width >= 8
        sides[kind] = p.image.crop((p.face[0] - width + 2, p.face[1] + 40, p.face[0] - 1, p.face[3] - 40))
    size = min(s.size for s in sides.values())
    _all_differ({k: s.crop((0, 0, *size)) for k, s in sides.items()}, 12.0)

    def detail(side: Image.Image) -> float:  # how much neighbouring pixels differ along the side's width
        gray = side.convert("L")
        return float(ImageStat.Stat(ImageChops.difference(gray, gray.transform(
            gray.size, Image.Transform.AFFINE, (1, 0, 1, 0, 1, 0)))).mean[0])

    assert detail(sides["mirror"]) > 3 * detail(sides["blur"])  # the stripes survive mirroring, not blurring
    red = ImageStat.Stat(sides["color"]).mean
    assert red[0] > 2 * red[1] and red[0] > 2 * red[2]


def test_a_floater_frame_shows_its_gap() -> None:
    floater = _render(CANVAS, style="CF", frame="F0305")
    band = round(PROFILES["F0305"].face * floater.ppi)
    gap = floater.picture[0] - floater.face[0] - band
    assert gap >= 4
    assert floater.picture[1] - floater.face[1] - band >= 4  # on every side
    x = (floater.face[0] + floater.face[2]) // 2
    channel = _luma(floater.image, (x - 40, floater.face[1] + band + 1, x + 40, floater.picture[1] - 1)).mean[0]
    assert channel < 60  # the channel between frame and canvas is in shadow


@pytest.mark.parametrize(("artwork", "choices"), [
    (PAPER, {"style": "PO", "size": size}) for size in PAPER.sizes(TABLES)] + [
    (PAPER, {"style": "PF", "frame": "F0420", "matte": "ML002", "size": "XL"}),
    (CANVAS, {"style": "CG", "stretcher_bar": "1.5", "size": "S"}),
    (CANVAS, {"style": "CF", "frame": "F0305", "size": "L"}),
])
def test_the_art_keeps_its_aspect_ratio(artwork: Artwork, choices: dict[str, str]) -> None:
    resolved = resolve(artwork, choices, TABLES)
    p = _render(artwork, **choices)
    w, h = p.picture[2] - p.picture[0], p.picture[3] - p.picture[1]
    iw, ih = resolved.image_size
    assert abs(w / h - iw / ih) < 2.5 / min(w, h)
    blue = p.image.crop(p.picture).point(lambda v: 255 if v > 200 else 0).split()[2]
    red = p.image.crop(p.picture).point(lambda v: 255 if v > 100 else 0).split()[0]
    square = ImageChops.subtract(blue, red).getbbox()
    assert square is not None
    sw, sh = square[2] - square[0], square[3] - square[1]
    assert abs(sw / sh - 1) < 0.05, (sw, sh)  # not stretched


def test_the_wall_view_is_at_true_scale() -> None:
    small = resolve(PAPER, {"style": "PF", "frame": "F0101", "size": "S"}, TABLES)
    large = resolve(PAPER, {"style": "PF", "frame": "F0101", "size": "XL"}, TABLES)
    hung = [hang(piece_for(r, TABLES, PROFILES), ART["TPAPER"], 600) for r in (small, large)]
    assert hung[0].ppi == hung[1].ppi
    for placed, resolved in zip(hung, (small, large), strict=True):
        width = placed.face[2] - placed.face[0]
        assert abs(width - resolved.outer_size[0] * placed.ppi) <= 2
    assert hung[0].image.size == (600, 450)
    walls = {w: hang(piece_for(small, TABLES, PROFILES), ART["TPAPER"], 300, w).image
             for w in ("white", "greige", "sage", "charcoal")}
    _all_differ(walls, 10.0)
    person = hang(piece_for(small, TABLES, PROFILES), ART["TPAPER"], 300, reference="person").image
    assert _distance(person, walls["white"]) > 2


def test_renders_are_deterministic() -> None:
    a = _render(PAPER, style="PF", frame="F0101", matte="ML010").image
    b = _render(PAPER, style="PF", frame="F0101", matte="ML010").image
    assert a.tobytes() == b.tobytes()


def test_frame_profiles_must_match_the_option_tables() -> None:
    frames = [(f.code, f.width) for f in TABLES.frames]
    with pytest.raises(ProfileError, match="no profile for frame F9999"):
        load_profiles([*frames, ("F9999", 2)])
    with pytest.raises(ProfileError, match=r"F0092: face 2.0 \+ gap 0.0 is not its width 3"):
        load_profiles([("F0092", 3)])


def test_the_shipped_tables_have_a_profile_for_every_frame(tmp_path: object) -> None:
    assert {f.code for f in TABLES.frames if f.width} <= set(PROFILES)
    assert isinstance(TABLES, OptionTables)
