"""Shadows a piece casts on the wall: soft, to the lower right (away from the light), longer the further
the piece stands off the wall. Blurred at a quarter of the size and scaled up: cheap and soft."""

from __future__ import annotations

from PIL import Image, ImageChops, ImageFilter

from .lighting import SHADOW_DIRECTION


def cast(wall: Image.Image, silhouette: Image.Image, at: tuple[int, int], depth: float, ppi: float,
         strength: float = 0.42) -> None:
    """Darken ``wall`` in place under ``silhouette`` (an alpha mask placed at ``at``), ``depth`` inches off it."""
    w, h = wall.size
    small = 4
    reach = depth * ppi
    dx, dy = SHADOW_DIRECTION[0] * reach * 0.45, SHADOW_DIRECTION[1] * reach * 0.45
    sw, sh = silhouette.size
    shrunk = silhouette.resize((max(1, sw // small), max(1, sh // small)), Image.Resampling.BILINEAR)
    mask = Image.new("L", (max(1, w // small), max(1, h // small)), 0)
    for offset, blur, weight in (((dx, dy), max(1.0, reach * 0.6), strength),  # the soft shadow
                                 ((dx * 0.2, dy * 0.2), max(0.6, reach * 0.12), strength * 0.6)):  # contact
        layer = Image.new("L", mask.size, 0)
        layer.paste(shrunk.point(lambda v, k=weight: round(v * k)),
                    (round((at[0] + offset[0]) / small), round((at[1] + offset[1]) / small)))
        mask = ImageChops.add(mask, layer.filter(ImageFilter.GaussianBlur(blur / small)))
    wall.paste((24, 20, 16), (0, 0, w, h), mask.resize((w, h), Image.Resampling.BILINEAR))
