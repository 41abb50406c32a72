"""Moulding profiles (``data/frames.json``): what each frame code looks like, checked against the option tables.

A profile is data, not code: the visible face width and the floater gap (together the frame's width in
``options.json``), how far the frame stands off the wall, its colour and finish, and its cross-section as
points (fraction across the face from the outer edge, height in inches), from which the renderer lights it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from itertools import pairwise
from typing import Literal, cast

from PIL import ImageColor

Finish = Literal["wood", "satin", "metal", "gold"]
RGB = tuple[int, int, int]
FINISHES: tuple[Finish, ...] = ("wood", "satin", "metal", "gold")


@dataclass(frozen=True, slots=True)
class Ornament:
    """A row of raised beads along the moulding, centred at ``at`` (fraction across the face)."""

    at: float
    width: float  # fraction of the face
    period: float  # inches between beads
    relief: float  # inches


@dataclass(frozen=True, slots=True)
class FrameProfile:
    code: str
    face: float
    gap: float
    depth: float
    color: RGB
    finish: Finish
    profile: tuple[tuple[float, float], ...]
    grain: RGB | None = None
    ornament: Ornament | None = None

    @property
    def width(self) -> float:
        return self.face + self.gap


class ProfileError(ValueError):
    """``frames.json`` does not describe the frames of the option tables; the message says which and why."""


def _rgb(value: object, where: str) -> RGB:
    try:
        r, g, b = ImageColor.getrgb(str(value))[:3]
    except ValueError:
        raise ProfileError(f"{where}: {value!r} is not a colour") from None
    return r, g, b


def _profile(code: str, raw: dict[str, object]) -> FrameProfile:
    where = f"frames.json {code}"
    finish = raw.get("finish")
    if finish not in FINISHES:
        raise ProfileError(f"{where}: finish {finish!r} is not one of {', '.join(FINISHES)}")
    points = tuple((float(t), float(h)) for t, h in cast(list[list[float]], raw.get("profile") or []))
    if len(points) < 2 or points[0][0] != 0 or points[-1][0] != 1 or any(
            b[0] <= a[0] for a, b in pairwise(points)):
        raise ProfileError(f"{where}: profile must be points from 0 to 1 with rising fractions")
    ornament = None
    if isinstance(raw.get("ornament"), dict):
        o = cast(dict[str, float], raw["ornament"])
        ornament = Ornament(float(o["at"]), float(o["width"]), float(o["period"]), float(o["relief"]))
    grain = _rgb(raw["grain"], where) if raw.get("grain") else None
    if finish == "wood" and grain is None:
        raise ProfileError(f"{where}: a wood finish needs a grain colour")
    return FrameProfile(code, float(cast(float, raw["face"])), float(cast(float, raw.get("gap", 0))),
                        float(cast(float, raw["depth"])), _rgb(raw["color"], where), finish,
                        points, grain, ornament)


def load_profiles(frames: Iterable[tuple[str, float]], text: str | None = None) -> dict[str, FrameProfile]:
    """Profiles by frame code; ``frames`` are the option tables' (code, width) pairs: every frame with a
    width needs a profile whose face and gap add up to it (:class:`ProfileError` otherwise)."""
    if text is None:
        text = resources.files("easel.data").joinpath("frames.json").read_text("utf-8")
    raw = cast(dict[str, dict[str, object]], json.loads(text)["frames"])
    profiles = {code: _profile(code, entry) for code, entry in raw.items()}
    for code, width in frames:
        if not width:
            continue
        found = profiles.get(code)
        if found is None:
            raise ProfileError(f"frames.json has no profile for frame {code}")
        if abs(found.width - width) > 1e-6:
            raise ProfileError(f"frames.json {code}: face {found.face} + gap {found.gap} is not its width {width}")
    return profiles
