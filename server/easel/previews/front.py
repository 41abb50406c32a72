"""The piece itself, at a given scale: frame, floater gap, matte, paper or canvas, the art, the glazing.

:func:`render_piece` is shared by the front view (:mod:`views`) and the wall view (:mod:`wall`). Its picture
keeps the art's aspect ratio: the art is scaled to cover the picture's box and centred (the box follows
the print's size in whole inches, so at most a sliver is cropped), never stretched.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageChops, ImageDraw, ImageOps

from .canvas import draw_side, side_width, weave
from .mattes import board_shadow, draw_matte, paper
from .mouldings import draw_moulding
from .piece import Piece

SHEET = (250, 249, 245)  # fine art paper


@dataclass(frozen=True, slots=True)
class Rendered:
    image: Image.Image  # RGBA, transparent around the piece
    face: tuple[int, int, int, int]  # the piece's front outline within ``image`` (the side lies left of it)
    picture: tuple[int, int, int, int]  # where the art shows


@dataclass(frozen=True, slots=True)
class Placed:
    """A finished view and where the piece landed in it (for tests and the contact sheet)."""

    image: Image.Image  # RGB
    ppi: float
    face: tuple[int, int, int, int]
    picture: tuple[int, int, int, int]

    @staticmethod
    def of(image: Image.Image, ppi: float, rendered: Rendered, at: tuple[int, int], shrink: float = 1.0) -> Placed:
        def moved(box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
            x0, y0, x1, y1 = (round(v / shrink) for v in box)
            return x0 + at[0], y0 + at[1], x1 + at[0], y1 + at[1]

        return Placed(image, ppi, moved(rendered.face), moved(rendered.picture))


def _px(inches: float, ppi: float) -> int:
    return max(1, round(inches * ppi))


def _fit(art: Image.Image, size: tuple[int, int]) -> Image.Image:
    return ImageOps.fit(art, size, Image.Resampling.LANCZOS, centering=(0.5, 0.5)) if art.size != size else art


def render_piece(piece: Piece, art: Image.Image, ppi: float) -> Rendered:
    """The piece at ``ppi`` pixels per inch, as an RGBA image with its outlines."""
    ow, oh = _px(piece.outer[0], ppi), _px(piece.outer[1], ppi)
    side = side_width(piece.canvas, ppi) if piece.canvas and piece.frame is None else 0
    image = Image.new("RGBA", (ow + side, oh), (0, 0, 0, 0))
    face = (side, 0, side + ow, oh)
    frame = piece.frame
    band = min(_px(frame.face, ppi), ow // 3, oh // 3) if frame else 0
    gap = round(frame.gap * ppi) if frame else 0
    inner = (side + band + gap, band + gap, side + ow - band - gap, oh - band - gap)
    iw, ih = inner[2] - inner[0], inner[3] - inner[1]
    if piece.canvas is not None:
        picture = inner
        canvas_face = _fit(art, (iw, ih))
        texture = weave(canvas_face.size, ppi)
        if texture is not None:
            canvas_face = ImageChops.multiply(canvas_face, texture)
        if gap:
            _floater_channel(image, face, band, gap, frame.color if frame else (32, 32, 32))
            sliver = draw_side(canvas_face, piece.canvas, ppi)
            seen = min(gap - 1, sliver.size[0])
            if seen > 0:
                sliver = sliver.crop((sliver.size[0] - seen, 0, sliver.size[0], ih))
                image.alpha_composite(sliver, (inner[0] - seen, inner[1]))
        image.paste(canvas_face, inner[:2])
        if side:
            image.alpha_composite(draw_side(canvas_face, piece.canvas, ppi), (0, 0))
    else:
        edge = (piece.matte.width if piece.matte else 0.0) + piece.margin
        e = round(edge * ppi)
        picture = (inner[0] + e, inner[1] + e, inner[2] - e, inner[3] - e)
        pw, ph = max(1, picture[2] - picture[0]), max(1, picture[3] - picture[1])
        shown = _fit(art, (pw, ph)).copy()
        if piece.matte is not None:
            board_shadow(shown, ppi)
            image.paste(shown, picture[:2])
            window = (e, e, e + pw, e + ph)
            image.alpha_composite(draw_matte((iw, ih), window, piece.matte.color, ppi), inner[:2])
        else:
            if e:
                image.paste(paper((iw, ih), SHEET, "sheet", 0.01), inner[:2])
            image.paste(shown, picture[:2])
    if frame is not None:
        _lip_shadow(image, inner, frame.depth, ppi)
        if piece.glazed:
            _glazing(image, inner)
        moulding = draw_moulding(frame, (ow, oh), band, ppi)
        image.alpha_composite(moulding, (side, 0))
    return Rendered(image, face, picture)


def _floater_channel(image: Image.Image, face: tuple[int, int, int, int], band: int, gap: int,
                     color: tuple[int, int, int]) -> None:
    """The floater's gap: the channel between frame and canvas, dark, and darker at its bottom."""
    x0, y0, x1, y1 = face[0] + band, face[1] + band, face[2] - band, face[3] - band
    deep = tuple(round(v * 0.45) for v in color)
    ImageDraw.Draw(image).rectangle((x0, y0, x1 - 1, y1 - 1), fill=(*deep, 255))


def _lip_shadow(image: Image.Image, inner: tuple[int, int, int, int], depth: float, ppi: float) -> None:
    """The frame's lip shades what is inside along its top and left edges (the light is upper left)."""
    x0, y0, x1, y1 = inner
    w, h = x1 - x0, y1 - y0
    reach = max(1, min(w, h, round(min(depth, 1.0) * 0.22 * ppi)))
    ramp = Image.linear_gradient("L").resize((1, reach)).point(lambda v: (255 - v) * 95 // 255)
    for ramped, at in ((ramp.resize((w, reach)), (x0, y0)),
                       (ramp.transpose(Image.Transpose.TRANSPOSE).resize((reach, h)), (x0, y0))):
        shade = Image.new("RGBA", ramped.size, (10, 8, 6, 255))
        shade.putalpha(ramped)
        image.alpha_composite(shade, at)


def _glazing(image: Image.Image, inner: tuple[int, int, int, int]) -> None:
    """A barely visible sheen across the glass: a soft diagonal band of reflected light."""
    x0, y0, x1, y1 = inner
    w, h = x1 - x0, y1 - y0
    ramp = Image.linear_gradient("L").resize((64, 64)).rotate(35, resample=Image.Resampling.BILINEAR, expand=True)
    ramp = ramp.crop((ramp.size[0] // 5, ramp.size[1] // 5, 4 * ramp.size[0] // 5, 4 * ramp.size[1] // 5))
    band = ramp.point(lambda v: round(11 * max(0.0, 1 - abs(v - 120) / 110) ** 2))
    band = band.resize((w, h), Image.Resampling.BILINEAR)
    sheen = Image.new("RGBA", (w, h), (255, 255, 255, 255))
    sheen.putalpha(band)
    image.alpha_composite(sheen, (x0, y0))
