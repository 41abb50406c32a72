"""A matte board: paper in its colour around the picture, its window cut at 45° so the white core shows.

The bevel's four faces are lit by the one light (the lower and right faces turn toward it, the upper and
left away), and the board's cut edge casts a hairline shadow on the art beneath.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from .lighting import facing
from .profiles import RGB
from .textures import generator

CORE: RGB = (250, 248, 241)  # the white core of conservation board, seen in the bevel
BEVEL = 0.14  # inches: the cut's width seen from the front
_TILE = 97  # px: the paper texture's repeat (prime, so it does not line up with anything)


def _scaled(rgb: RGB, factor: float) -> RGB:
    r, g, b = (max(0, min(255, round(v * factor))) for v in rgb)
    return r, g, b


def paper(size: tuple[int, int], tone: RGB, seed: str, grain: float = 0.018) -> Image.Image:
    """A sheet of ``tone`` with a faint, even paper texture (so a large matte does not look flat): a small
    seeded tile of fibres, repeated (at this contrast the repeat does not show)."""
    w, h = size
    tile = generator("paper", seed).uniform(1 - grain, 1 + grain, (_TILE, _TILE)).astype(np.float32)
    tile_rgb = np.clip(np.asarray(tone, dtype=np.float32)[None, None, :] * tile[..., None], 0, 255).astype(np.uint8)
    reps = (-(-h // _TILE), -(-w // _TILE), 1)
    return Image.fromarray(np.tile(tile_rgb, reps)[:h, :w], "RGB")


def draw_matte(size: tuple[int, int], window: tuple[int, int, int, int], tone: RGB, ppi: float) -> Image.Image:
    """An RGBA board of ``size`` with ``window`` (x0, y0, x1, y1) cut out (transparent)."""
    board = paper(size, tone, f"{tone}").convert("RGBA")
    x0, y0, x1, y1 = window
    bevel = max(1, round(BEVEL * ppi))
    draw = ImageDraw.Draw(board)
    ox0, oy0, ox1, oy1 = x0 - bevel, y0 - bevel, x1 + bevel, y1 + bevel
    faces = (  # polygon, the face's normal (pointing out of the board, into the window)
        ([(ox0, oy0), (ox1, oy0), (x1, y0), (x0, y0)], (0.0, 1.0, 1.0)),
        ([(ox0, oy1), (ox1, oy1), (x1, y1), (x0, y1)], (0.0, -1.0, 1.0)),
        ([(ox0, oy0), (x0, y0), (x0, y1), (ox0, oy1)], (1.0, 0.0, 1.0)),
        ([(ox1, oy0), (x1, y0), (x1, y1), (ox1, oy1)], (-1.0, 0.0, 1.0)),
    )
    for polygon, normal in faces:
        draw.polygon(polygon, fill=_scaled(CORE, facing(*normal)))
    draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=(0, 0, 0, 0))
    return board


def board_shadow(picture: Image.Image, ppi: float) -> None:
    """Darken the picture's top and left edges in place: the matte above it casts a thin shadow."""
    w, h = picture.size
    width = max(1, round(0.05 * ppi))
    shade = Image.new("RGB", (w, h), (0, 0, 0))
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).rectangle((0, 0, w, width - 1), fill=70)
    ImageDraw.Draw(mask).rectangle((0, 0, width - 1, h), fill=70)
    picture.paste(shade, (0, 0), mask)
