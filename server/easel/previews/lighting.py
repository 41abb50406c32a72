"""One light for every surface: from the upper left, in front of the wall.

Mouldings, bevels, canvas sides and cast shadows all take their direction from :data:`LIGHT`, so a piece
is shaded consistently: top and left faces that turn toward the light are brighter, shadows fall to the
lower right. Shading is normalised so a flat surface keeps its nominal colour.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float32]


def _unit(x: float, y: float, z: float) -> tuple[float, float, float]:
    n = math.sqrt(x * x + y * y + z * z)
    return x / n, y / n, z / n


LIGHT = _unit(-0.55, -0.7, 0.9)  # x right, y down, z toward the viewer
HALF = _unit(LIGHT[0], LIGHT[1], LIGHT[2] + 1.0)  # Blinn-Phong half vector, the viewer straight in front
AMBIENT = 0.34
SHADOW_DIRECTION = (-LIGHT[0] / LIGHT[2], -LIGHT[1] / LIGHT[2])  # wall offset per inch of depth


def facing(nx: float, ny: float, nz: float) -> float:
    """Brightness factor of a flat surface with that normal (1 for one facing the viewer)."""
    x, y, z = _unit(nx, ny, nz)
    diffuse = max(0.0, x * LIGHT[0] + y * LIGHT[1] + z * LIGHT[2])
    return AMBIENT + (1 - AMBIENT) * diffuse / LIGHT[2]


def shade(gx: Array, gy: Array, albedo: Array, specular: float, shininess: float,
          tint: tuple[float, float, float] = (1.0, 1.0, 1.0)) -> Array:
    """RGB (0-255 floats) of a surface whose height rises by ``gx``, ``gy`` per pixel, lit by :data:`LIGHT`."""
    norm = np.sqrt(gx * gx + gy * gy + 1.0)
    n_dot_l = (-gx * LIGHT[0] - gy * LIGHT[1] + LIGHT[2]) / norm
    diffuse = AMBIENT + (1 - AMBIENT) * np.clip(n_dot_l, 0.0, None) / LIGHT[2]
    rgb = albedo * diffuse[..., None]
    if specular:
        n_dot_h = np.clip((-gx * HALF[0] - gy * HALF[1] + HALF[2]) / norm, 0.0, 1.0)
        flat = HALF[2] ** shininess
        highlight = (np.power(n_dot_h, shininess) - flat * 0.6) * (255.0 * specular)
        rgb = rgb + np.clip(highlight, 0.0, None)[..., None] * np.asarray(tint, dtype=np.float32)
    return np.clip(rgb, 0.0, 255.0).astype(np.float32)
