"""The wall view: the piece at true scale on a wall, above a sofa or beside a person, on a wooden floor.

The scene shows 100 inches of wall above the floor whatever the piece, so pieces of different sizes look
different sizes; the piece hangs at gallery height (its centre 57 in above the floor) or, above a sofa, at
least 8 in over its back. Pictures are 4:3, ``width`` wide.
"""

from __future__ import annotations

from PIL import Image

from .canvas import SIDE_VIEW
from .front import Placed, render_piece
from .furniture import PERSON, SOFA, person, sofa
from .piece import Piece
from .shadows import cast
from .views import lit_wall

WALLS: dict[str, tuple[int, int, int]] = {  # wall colours a shopper can try
    "white": (238, 236, 231),
    "greige": (214, 206, 192),
    "sage": (182, 192, 170),
    "charcoal": (74, 78, 84),
}
REFERENCES = ("sofa", "person")
SCENE_HEIGHT = 100.0  # inches of wall shown above the floor
_FLOOR = (176, 146, 112)
_SKIRTING = 4.0
_SUPERSAMPLE = 2


def wall_height(width: int) -> int:
    return round(width * 3 / 4)


def wall_view(piece: Piece, art: Image.Image, width: int, wall: str = "white", reference: str = "sofa") -> Image.Image:
    """An RGB ``width`` x ``wall_height(width)`` picture of the piece hung on a ``wall`` coloured wall."""
    return hang(piece, art, width, wall, reference).image


def hang(piece: Piece, art: Image.Image, width: int, wall: str = "white", reference: str = "sofa") -> Placed:
    """The wall view and where the piece hangs in it."""
    height = wall_height(width)
    floor_y = round(height * 0.9)
    ppi = floor_y / SCENE_HEIGHT
    picture = lit_wall((width, height), WALLS[wall])
    picture.paste(_FLOOR, (0, floor_y, width, height))
    skirting = max(1, round(_SKIRTING * ppi))
    picture.paste((246, 245, 241), (0, floor_y - skirting, width, floor_y))
    picture.paste((200, 198, 192), (0, floor_y - 1, width, floor_y))

    def inches_up(y_in: float) -> int:
        return floor_y - round(y_in * ppi)

    cx = width // 2
    _, oh = piece.outer
    if reference == "sofa":
        ref = sofa(ppi)
        ref_at = (cx - ref.size[0] // 2, floor_y - ref.size[1])
        centre = max(57.0, SOFA[1] + 8.0 + oh / 2)
        ref_depth = 4.0
    else:
        ref = person(ppi, light=sum(WALLS[wall]) < 300)
        centre = 57.0
        ref_depth = 10.0
        ref_at = (0, floor_y - ref.size[1])  # placed once the piece's width is known
    rendered = render_piece(piece, art, ppi * _SUPERSAMPLE)
    big = rendered.image
    small = big.resize((max(1, round(big.size[0] / _SUPERSAMPLE)), max(1, round(big.size[1] / _SUPERSAMPLE))),
                       Image.Resampling.LANCZOS)
    side = piece.canvas.depth * SIDE_VIEW if piece.canvas and piece.frame is None else 0.0
    face_left = cx - round((piece.outer[0] / 2 + side) * ppi)
    at = (face_left, inches_up(centre + oh / 2))
    if reference == "person":
        ref_at = (at[0] + small.size[0] + round(14 * ppi), floor_y - ref.size[1])
        if ref_at[0] + ref.size[0] > width:  # a very wide piece: the person stands to its left
            ref_at = (at[0] - round((14 + PERSON[0]) * ppi), ref_at[1])
    cast(picture, small.getchannel("A"), at, piece.depth, ppi)
    cast(picture, ref.getchannel("A"), ref_at, ref_depth, ppi, strength=0.3)
    picture.paste(small, at, small)
    picture.paste(ref, ref_at, ref)
    return Placed.of(picture, ppi, rendered, at, _SUPERSAMPLE)
