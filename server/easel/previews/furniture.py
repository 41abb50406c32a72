"""Scale references for the wall view, drawn from their real measurements: a three-seat sofa and a
standing person's silhouette. Each is drawn at twice the asked scale and reduced, for smooth edges."""

from __future__ import annotations

from collections.abc import Callable

from PIL import Image, ImageDraw

SOFA = (84.0, 33.0)  # inches, width x height: a common three-seat sofa
PERSON = (19.0, 67.0)  # a person of 5 ft 7 in, shoulders included
_FABRIC = (108, 116, 124)
_SUPERSAMPLE = 2


def _drawn(size_in: tuple[float, float], ppi: float,
           paint: Callable[[ImageDraw.ImageDraw, Callable[[float, float, float, float], list[float]]], None]
           ) -> Image.Image:
    k = ppi * _SUPERSAMPLE
    w, h = max(2, round(size_in[0] * k)), max(2, round(size_in[1] * k))
    image = Image.new("RGBA", (w, h), (0, 0, 0, 0))

    def box(x0: float, y0: float, x1: float, y1: float) -> list[float]:
        """A rectangle in inches measured from the bottom left, as pixel coordinates."""
        return [x0 * k, h - y1 * k, x1 * k - 1, h - y0 * k - 1]

    paint(ImageDraw.Draw(image), box)
    out_w, out_h = max(1, round(size_in[0] * ppi)), max(1, round(size_in[1] * ppi))
    return image.resize((out_w, out_h), Image.Resampling.LANCZOS)


def _tone(factor: float) -> tuple[int, int, int, int]:
    r, g, b = (min(255, round(v * factor)) for v in _FABRIC)
    return r, g, b, 255


def sofa(ppi: float) -> Image.Image:
    """An RGBA sofa ``SOFA`` inches big at ``ppi``: legs, base, arms, back and seat cushions, lit from above left."""
    k = ppi * _SUPERSAMPLE

    def paint(d: ImageDraw.ImageDraw, box: Callable[[float, float, float, float], list[float]]) -> None:
        radius = max(1, round(2.5 * k))
        for x in (5.0, 77.0):
            d.rectangle(box(x, 0, x + 2, 4), fill=(58, 44, 34, 255))
        d.rounded_rectangle(box(4, 17, 80, 33), radius, fill=_tone(0.92))  # back
        for i in range(3):  # back cushions
            d.rounded_rectangle(box(9 + i * 22.2, 18, 9 + (i + 1) * 22.2 - 0.8, 31), radius, fill=_tone(1.0))
        d.rounded_rectangle(box(1, 4, 83, 17), radius, fill=_tone(0.85))  # base
        for i in range(3):  # seat cushions: the tops catch the light
            x0 = 9 + i * 22.2
            d.rounded_rectangle(box(x0, 13, x0 + 21.4, 19), radius, fill=_tone(1.08))
            d.rectangle(box(x0, 13, x0 + 21.4, 15), fill=_tone(0.95))
        for x in (0.0, 75.0):  # arms
            d.rounded_rectangle(box(x, 4, x + 9, 25), radius, fill=_tone(0.97))
            d.rounded_rectangle(box(x, 22.5, x + 9, 25), radius, fill=_tone(1.12))

    return _drawn(SOFA, ppi, paint)


def person(ppi: float, light: bool = False) -> Image.Image:
    """An RGBA silhouette of a standing person, ``PERSON`` inches big at ``ppi``; ``light`` on a dark wall."""
    k = ppi * _SUPERSAMPLE
    color = (168, 170, 176, 255) if light else (70, 72, 78, 255)

    def paint(d: ImageDraw.ImageDraw, box: Callable[[float, float, float, float], list[float]]) -> None:
        cx = PERSON[0] / 2
        d.ellipse(box(cx - 3.6, 58.2, cx + 3.6, 67), fill=color)  # head
        d.rectangle(box(cx - 1.6, 55, cx + 1.6, 59), fill=color)  # neck
        d.rounded_rectangle(box(cx - 8.2, 31, cx + 8.2, 56), max(1, round(3 * k)), fill=color)  # torso, shoulders
        d.rounded_rectangle(box(0, 30, 3.2, 54.5), max(1, round(1.5 * k)), fill=color)  # arms
        d.rounded_rectangle(box(PERSON[0] - 3.2, 30, PERSON[0], 54.5), max(1, round(1.5 * k)), fill=color)
        d.rectangle(box(cx - 7.4, 2, cx - 0.6, 33), fill=color)  # legs
        d.rectangle(box(cx + 0.6, 2, cx + 7.4, 33), fill=color)
        d.rounded_rectangle(box(cx - 8.4, 0, cx - 0.4, 3), max(1, round(1 * k)), fill=color)  # shoes
        d.rounded_rectangle(box(cx + 0.4, 0, cx + 8.4, 3), max(1, round(1 * k)), fill=color)

    return _drawn(PERSON, ppi, paint)
