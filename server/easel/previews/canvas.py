"""A stretched canvas's side as seen slightly from the left, so its depth and its wrap show.

The side is the strip of canvas folded around the stretcher bars: the image mirrored at the fold, the
image's edge smeared and blurred, or a solid colour. It is drawn as a trapezoid whose width follows the bars'
depth (1.5 in bars show twice the side of 0.75 in ones), foreshortened toward the wall and lit by the one light.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from .lighting import facing
from .piece import CanvasEdge

SIDE_VIEW = 0.9  # how much of the side's depth shows in the front view (the view is turned ~40°)
_RECEDE = 0.18  # the back edge is shorter than the front by this share of the side's width, top and bottom


def side_width(edge: CanvasEdge, ppi: float) -> int:
    """Pixels of side shown for bars ``edge.depth`` inches deep."""
    return max(2, round(edge.depth * SIDE_VIEW * ppi))


def wrapped_strip(face: Image.Image, edge: CanvasEdge, ppi: float) -> Image.Image:
    """The canvas on the left side, flat (``depth`` inches wide, the face's height), back edge at the left."""
    w, h = face.size
    depth = max(1, min(w, round(edge.depth * ppi)))
    if edge.kind == "color":
        return Image.new("RGB", (depth, h), edge.color or (128, 128, 128))
    strip = face.crop((0, 0, depth, h)).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if edge.kind == "blur":  # the outermost columns smeared across the side, then blurred soft
        edge_px = max(1, depth // 6)
        strip = face.crop((0, 0, edge_px, h)).resize((depth, h), Image.Resampling.BILINEAR)
        strip = strip.filter(ImageFilter.GaussianBlur(max(2.0, depth / 2.5)))
    return strip


def _coefficients(dst: list[tuple[float, float]], src: list[tuple[float, float]]) -> tuple[float, ...]:
    """Pillow's PERSPECTIVE coefficients mapping output points ``dst`` to input points ``src``."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    solved = np.linalg.solve(np.asarray(rows, dtype=np.float64), np.asarray(rhs, dtype=np.float64))
    return tuple(float(c) for c in solved)


def draw_side(face: Image.Image, edge: CanvasEdge, ppi: float) -> Image.Image:
    """An RGBA image ``side_width`` wide and as tall as the face: the side in perspective, lit."""
    strip = wrapped_strip(face, edge, ppi)
    sw, h = side_width(edge, ppi), face.size[1]
    lift = sw * _RECEDE
    light = facing(-1.0, 0.0, 0.6)
    strip = strip.point(lambda v: min(255, round(v * light)))
    sd, _ = strip.size
    coefficients = _coefficients([(0, lift), (sw, 0), (sw, h), (0, h - lift)], [(0, 0), (sd, 0), (sd, h), (0, h)])
    side = strip.convert("RGBA").transform((sw, h), Image.Transform.PERSPECTIVE, coefficients,
                                           Image.Resampling.BILINEAR)
    ramp = Image.linear_gradient("L").rotate(90).resize((sw, h))  # darker toward the wall
    dark = Image.new("RGBA", (sw, h), (0, 0, 0, 255))
    dark.putalpha(ramp.point(lambda v: v * 60 // 255))
    alpha = side.getchannel("A")
    side = Image.alpha_composite(side, dark)
    side.putalpha(alpha)
    return side


def weave(size: tuple[int, int], ppi: float) -> Image.Image | None:
    """A faint canvas weave to multiply over the face, or None when the threads would be under a pixel."""
    pitch = ppi / 40  # about 40 threads an inch
    if pitch < 2.5:
        return None
    w, h = size
    xs = np.cos(np.arange(w, dtype=np.float32) * (2 * np.pi / pitch))
    ys = np.cos(np.arange(h, dtype=np.float32) * (2 * np.pi / pitch))
    texture = 247 + 4 * (xs[None, :] + ys[:, None])
    return Image.fromarray(texture.astype(np.uint8), "L").convert("RGB")
