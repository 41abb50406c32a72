"""The front view: the piece alone, centred on a softly lit wall, with its cast shadow."""

from __future__ import annotations

import functools

from PIL import Image

from .canvas import SIDE_VIEW
from .front import Placed, render_piece
from .piece import Piece
from .shadows import cast

WALL = (236, 234, 230)
FILL = 0.84  # share of the picture the piece (with its canvas side) takes on its longer dimension


def lit_wall(size: tuple[int, int], color: tuple[int, int, int]) -> Image.Image:
    """A wall in ``color``, a little brighter toward the light (upper left) and darker away from it (a new
    image each call: callers draw on it)."""
    return _lit_wall(size, color).copy()


@functools.lru_cache(maxsize=32)
def _lit_wall(size: tuple[int, int], color: tuple[int, int, int]) -> Image.Image:
    w, h = size
    small = (max(2, w // 8), max(2, h // 8))  # a smooth ramp: drawn small, scaled up
    ramp = Image.linear_gradient("L").rotate(-45, resample=Image.Resampling.BILINEAR, expand=True)
    ramp = ramp.crop((ramp.size[0] // 4, ramp.size[1] // 4, 3 * ramp.size[0] // 4, 3 * ramp.size[1] // 4))
    light = Image.new("RGB", small, tuple(min(255, round(v * 1.04)) for v in color))
    dark = Image.new("RGB", small, tuple(round(v * 0.93) for v in color))
    return Image.composite(dark, light, ramp.resize(small, Image.Resampling.BILINEAR)).resize(
        size, Image.Resampling.BILINEAR)


def forget_caches() -> None:
    """Drop what this module keeps between renders (for measuring a cold render)."""
    _lit_wall.cache_clear()


def front_view(piece: Piece, art: Image.Image, size: int, wall: tuple[int, int, int] = WALL) -> Image.Image:
    """A ``size`` x ``size`` RGB picture of the piece, to scale, on a wall."""
    return place_front(piece, art, size, wall).image


def place_front(piece: Piece, art: Image.Image, size: int, wall: tuple[int, int, int] = WALL) -> Placed:
    """The front view and where the piece is in it."""
    side = piece.canvas.depth * SIDE_VIEW if piece.canvas and piece.frame is None else 0.0
    ow, oh = piece.outer
    ppi = size * FILL / max(ow + side, oh)
    rendered = render_piece(piece, art, ppi)
    picture = lit_wall((size, size), wall)
    pw, ph = rendered.image.size
    at = ((size - pw) // 2, (size - ph) // 2)
    cast(picture, rendered.image.getchannel("A"), at, piece.depth, ppi)
    picture.paste(rendered.image, at, rendered.image)
    return Placed.of(picture, ppi, rendered, at)
