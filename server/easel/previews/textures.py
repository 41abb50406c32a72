"""Procedural surface textures, seeded by a name so the same moulding always looks the same.

Textures are laid out along a moulding side: rows run across the face (``v``, from its outer edge),
columns along it (``u``), so wood grain and brushing follow each side and turn at the mitres where the
sides meet. Coordinates are in inches, so a frame's grain keeps its scale at every preview size; detail
finer than a pixel fades out instead of aliasing.
"""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float32]


def generator(*names: str) -> np.random.Generator:
    """A random generator seeded by ``names`` (the same in every process)."""
    digest = hashlib.blake2b("|".join(names).encode(), digest_size=8).digest()
    return np.random.default_rng(int.from_bytes(digest, "big"))


def smooth_noise(rng: np.random.Generator, positions: Array, cell: float, octaves: int = 2) -> Array:
    """Value noise in ``[-1, 1]`` at ``positions`` (inches), features about ``cell`` inches apart."""
    total = np.zeros_like(positions)
    weight = 1.0
    for _ in range(octaves):
        knots = rng.uniform(-1.0, 1.0, int(positions.max(initial=0.0) / cell) + 3).astype(np.float32)
        x = positions / cell
        i = np.floor(x).astype(np.int64)
        f = x - i
        f = f * f * (3 - 2 * f)
        total += weight * (knots[i] * (1 - f) + knots[i + 1] * f)
        cell /= 2.7
        weight *= 0.45
    return total / 1.45


def wood(rng: np.random.Generator, u: Array, v: Array, ppi: float, base: Array, grain: Array) -> Array:
    """Albedo (rows ``v``, columns ``u``, RGB) of a planed board: grain lines running along it, wavering,
    with fibres and broad figure across."""
    rings = 6.0  # grain lines per inch across the board
    fade = float(np.clip(1.6 - 4.0 * rings / ppi, 0.15, 1.0))  # fewer than ~3 px per line: fade out
    warp = smooth_noise(rng, u, 3.0, 3) * 1.8 + rng.uniform(0, 10)
    phase = v[:, None] * rings + warp[None, :] + smooth_noise(rng, v, 0.4)[:, None] * 0.6
    lines = (0.5 + 0.5 * np.sin(phase * (2 * np.pi))) ** 5
    figure = 0.5 + 0.5 * smooth_noise(rng, v, 0.25)[:, None] * smooth_noise(rng, u, 6.0)[None, :]
    fibres = rng.uniform(-1, 1, (v.size, 1)).astype(np.float32) * 0.5 + \
        rng.uniform(-1, 1, (v.size, u.size)).astype(np.float32) * 0.12
    mix = np.clip(lines * 0.7 * fade + figure * 0.25 + fibres * 0.12 * fade, 0.0, 1.0)
    blended: Array = base * (1 - mix[..., None]) + grain * mix[..., None]
    return blended


def brushed(rng: np.random.Generator, shape: tuple[int, int], base: Array) -> Array:
    """Brushed metal: fine streaks along the side."""
    rows = rng.uniform(-1, 1, (shape[0], 1)).astype(np.float32)
    speckle = rng.uniform(-1, 1, shape).astype(np.float32)
    streaks = rows * 0.05 + speckle * 0.025
    metal: Array = base * (1 + streaks[..., None])
    return metal


def satin(rng: np.random.Generator, shape: tuple[int, int], base: Array) -> Array:
    """Painted satin: an even colour with a trace of surface texture, so it does not look drawn."""
    return base * (1 + rng.uniform(-0.012, 0.012, shape).astype(np.float32)[..., None])
