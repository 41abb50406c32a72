"""Real image files for the demo artworks, drawn with Pillow from a seed per artwork.

Each master is made at its declared pixel size (so the resolution limit on sizes is real), drawn small
and scaled up so a whole catalogue takes seconds, not minutes.
"""

from __future__ import annotations

import hashlib
import math
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

from ..services.artwork_images import working_copy_is_current, working_copy_path, write_working_copy

_DRAW_WIDTH = 320


def _palette(rng: random.Random) -> list[tuple[int, int, int]]:
    base = rng.random()
    colors = []
    for i in range(5):
        hue = (base + i * rng.uniform(0.08, 0.3)) % 1.0
        colors.append(_hsv(hue, rng.uniform(0.35, 0.9), rng.uniform(0.35, 0.95)))
    return colors


def _hsv(h: float, s: float, v: float) -> tuple[int, int, int]:
    i = int(h * 6) % 6
    f = h * 6 - int(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    r, g, b = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i]
    return int(r * 255), int(g * 255), int(b * 255)


def draw_artwork(code: str, motif: str, width: int, height: int) -> Image.Image:
    """A deterministic abstract picture for an artwork code, at the given pixel size."""
    rng = random.Random(int.from_bytes(hashlib.sha256(code.encode()).digest()[:8], "big"))
    w = _DRAW_WIDTH
    h = max(8, round(w * height / width))
    colors = _palette(rng)
    img = Image.new("RGB", (w, h), colors[0])
    draw = ImageDraw.Draw(img)
    top, bottom = colors[1], colors[2]
    for row in range(h):
        t = row / max(1, h - 1)
        draw.line([(0, row), (w, row)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))
    horizon = int(h * rng.uniform(0.45, 0.7))
    if motif in ("horizon", "mountains", "reflections"):
        for layer in range(3):
            pts = [(0, h)]
            for px in range(0, w + 20, 20):
                pts.append((px, horizon - layer * 12 - int(rng.uniform(0, 40 if motif == "mountains" else 10))))
            pts.append((w, h))
            draw.polygon(pts, fill=colors[(3 + layer) % 5])
        if motif == "reflections":
            upper = img.crop((0, 0, w, horizon)).transpose(Image.Transpose.FLIP_TOP_BOTTOM)
            img.paste(upper.resize((w, h - horizon)), (0, horizon))
    elif motif in ("circles", "rings"):
        cx, cy = w / 2.0, h / 2.0
        for i in range(14 if motif == "rings" else 9):
            r = (14 - i) * min(w, h) / 30 if motif == "rings" else rng.uniform(10, min(w, h) / 3)
            ex = cx if motif == "rings" else rng.uniform(0, w)
            ey = cy if motif == "rings" else rng.uniform(0, h)
            draw.ellipse((ex - r, ey - r, ex + r, ey + r), fill=colors[i % 5], outline=colors[(i + 2) % 5])
    elif motif in ("stripes", "tower"):
        count = 9 if motif == "stripes" else 1
        for i in range(count):
            sx = rng.uniform(0, w) if count > 1 else w * 0.5
            bw = rng.uniform(4, 14) if count > 1 else w * 0.12
            draw.rectangle((sx - bw / 2, h * rng.uniform(0, 0.2), sx + bw / 2, h), fill=colors[(i + 3) % 5])
    elif motif in ("grid", "blocks"):
        step = rng.choice((20, 32, 40))
        for x in range(0, w, step):
            for y in range(0, h, step):
                if rng.random() < (0.8 if motif == "grid" else 0.45):
                    draw.rectangle((x + 2, y + 2, x + step - 2, y + step - 2), fill=rng.choice(colors))
    else:  # swirls, gradient
        for i in range(40 if motif == "swirls" else 0):
            sx, sy, sr = rng.uniform(0, w), rng.uniform(0, h * 0.7), rng.uniform(8, 40)
            swirl: list[tuple[float, float]] = [
                (sx + sr * math.cos(a / 6) * (1 + a / 40), sy + sr * math.sin(a / 6) * (1 + a / 40) * 0.6)
                for a in range(36)
            ]
            draw.line(swirl, fill=colors[i % 5], width=3)
    img = img.filter(ImageFilter.GaussianBlur(1.2))
    return img.resize((width, height), Image.Resampling.BICUBIC)


def write_artwork_image(path: Path, code: str, motif: str, width: int, height: int) -> None:
    """Write the master JPEG unless a file of that size is already there, and its working copy (what
    thumbnails and previews are rendered from, as for an imported artwork) unless it is current."""
    if not _has_size(path, width, height):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        draw_artwork(code, motif, width, height).save(tmp, "JPEG", quality=80)
        tmp.replace(path)
    copy = working_copy_path(path)
    if not working_copy_is_current(path, copy):
        write_working_copy(path, copy, max_pixels=width * height)


def _has_size(path: Path, width: int, height: int) -> bool:
    try:
        with Image.open(path) as existing:
            return existing.size == (width, height)
    except OSError:
        return False
