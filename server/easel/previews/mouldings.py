"""A frame's moulding drawn from its profile: four mitred sides, textured along their length and lit.

Each side is a strip (rows across the face from the outer edge, columns along the side) whose height
comes from the profile (plus the ornament's beads); the strips are turned into place and cut at 45° where
they meet, so grain and brushing turn at the mitres while the light stays the same for the whole frame.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from PIL import Image

from .lighting import Array, shade
from .profiles import FrameProfile
from .textures import brushed, generator, satin, wood

_FINISH = {  # specular strength, shininess, tint of highlights
    "satin": (0.16, 14.0, (1.0, 1.0, 1.0)),
    "wood": (0.07, 10.0, (1.0, 0.95, 0.85)),
    "metal": (0.5, 28.0, (1.0, 1.0, 1.0)),
    "gold": (0.75, 22.0, (1.0, 0.9, 0.62)),
}
_SIDES = ("top", "bottom", "left", "right")


def _height(profile: FrameProfile, u: Array, v: Array, face: float) -> Array:
    """Height in inches of each point of a side (rows across the face, columns along it)."""
    ts, hs = zip(*profile.profile, strict=True)
    across = np.interp(v / max(face, 1e-6), ts, hs).astype(np.float32)
    height = np.repeat(across[:, None], u.size, axis=1)
    o = profile.ornament
    if o is not None:
        radius = min(o.period * 0.42, o.width * face / 2)
        across_in = (v - o.at * face) / radius
        along_in = ((u / o.period) % 1.0 - 0.5) * o.period / radius
        bead = np.clip(1 - across_in[:, None] ** 2 - along_in[None, :] ** 2, 0.0, 1.0)
        height = height + o.relief * np.sqrt(bead)
    return height


def _side(profile: FrameProfile, name: str, length: int, band: int, ppi: float) -> tuple[Array, Array, Array]:
    """One side's albedo and its height slopes along (``gu``) and across (``gv``), per pixel."""
    u = (np.arange(length, dtype=np.float32) + 0.5) / ppi
    v = (np.arange(band, dtype=np.float32) + 0.5) / ppi
    rng = generator(profile.code, name)
    base = np.asarray(profile.color, dtype=np.float32)
    if profile.finish == "wood":
        grain = np.asarray(profile.grain or profile.color, dtype=np.float32)
        albedo = wood(rng, u, v, ppi, base, grain)
    elif profile.finish == "metal":
        albedo = brushed(rng, (band, length), base)
    else:
        albedo = satin(rng, (band, length), base)
    height = _height(profile, u, v, profile.face) * ppi
    if band >= 2 and length >= 2:
        gv, gu = np.gradient(height)
    else:
        gv = gu = np.zeros_like(height)
    if profile.finish == "gold":  # recesses hold darker, older gilding
        low, high = float(height.min()), float(height.max())
        albedo = albedo * (0.62 + 0.38 * (height - low) / max(high - low, 1e-6))[..., None]
    return albedo, gu.astype(np.float32), gv.astype(np.float32)


def draw_moulding(profile: FrameProfile, size: tuple[int, int], band: int, ppi: float) -> Image.Image:
    """An RGBA image of ``size``: the moulding's face ``band`` px wide around it, transparent inside.
    Only the four strips are computed in floating point; the picture itself is bytes."""
    width, height = size
    band = max(1, min(band, width // 2, height // 2))
    out = np.zeros((height, width, 4), dtype=np.uint8)
    specular, shininess, tint = _FINISH[profile.finish]
    for name in _SIDES:
        length = width if name in ("top", "bottom") else height
        albedo, gu, gv = _side(profile, name, length, band, ppi)
        gx, gy = {"top": (gu, gv), "bottom": (gu, -gv), "left": (gv, gu), "right": (-gv, gu)}[name]
        lit = np.empty((band, length, 4), dtype=np.uint8)
        lit[..., :3] = shade(gx, gy, albedo, specular, shininess, tint)
        lit[..., 3] = 255
        rows = np.arange(band)[:, None]
        cols = np.arange(length)[None, :]
        mitred = (rows <= cols) & (rows <= length - 1 - cols)  # this side's part of each corner
        if name == "bottom":
            lit, mitred = lit[::-1], mitred[::-1]
        elif name in ("left", "right"):
            lit, mitred = lit.transpose(1, 0, 2), mitred.T
            if name == "right":
                lit, mitred = lit[:, ::-1], mitred[:, ::-1]
        target = {"top": np.s_[:band, :], "bottom": np.s_[height - band:, :],
                  "left": np.s_[:, :band], "right": np.s_[:, width - band:]}[name]
        region = out[target]  # a view: writing through it draws on ``out``
        region[mitred] = lit[mitred]
    _mitre_lines(out, band)
    return Image.fromarray(out, "RGBA")


def _mitre_lines(rgba: npt.NDArray[np.uint8], band: int) -> None:
    """The joints: a faint dark line where two sides meet at each corner."""
    height, width = rgba.shape[:2]
    d = np.arange(band)
    for ys, xs in ((d, d), (d, width - 1 - d), (height - 1 - d, d), (height - 1 - d, width - 1 - d)):
        rgba[ys, xs, :3] = (rgba[ys, xs, :3] * 0.8).astype(np.uint8)
