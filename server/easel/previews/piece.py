"""What is drawn: a piece described in inches, free of skus and option codes.

The widget turns a configuration into a :class:`Piece`; the renderers only read these fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .profiles import RGB, FrameProfile

EdgeKind = Literal["mirror", "blur", "color"]


@dataclass(frozen=True, slots=True)
class MatteBoard:
    width: float  # inches on each side of the picture
    color: RGB


@dataclass(frozen=True, slots=True)
class CanvasEdge:
    """A canvas stretched over bars ``depth`` inches deep; its sides show the image mirrored, blurred, or a colour."""

    depth: float
    kind: EdgeKind
    color: RGB | None = None


@dataclass(frozen=True, slots=True)
class Piece:
    image: tuple[float, float]  # the printed picture, inches (width, height)
    frame: FrameProfile | None = None
    matte: MatteBoard | None = None
    margin: float = 0.0  # white paper around an unmatted print, inches
    canvas: CanvasEdge | None = None

    @property
    def glazed(self) -> bool:
        """Framed paper sits behind glass or acrylic; canvas does not."""
        return self.frame is not None and self.canvas is None

    @property
    def inner(self) -> tuple[float, float]:
        """Inside the frame: the picture, its matte or paper margin."""
        edge = (self.matte.width if self.matte else 0.0) + self.margin
        return self.image[0] + 2 * edge, self.image[1] + 2 * edge

    @property
    def outer(self) -> tuple[float, float]:
        """What hangs on the wall, seen from the front."""
        w, h = self.inner
        f = self.frame.width if self.frame else 0.0
        return w + 2 * f, h + 2 * f

    @property
    def depth(self) -> float:
        """How far the piece stands off the wall: its frame's depth, or the canvas's bars, or a sheet."""
        if self.frame is not None:
            return max(self.frame.depth, self.canvas.depth if self.canvas else 0.0)
        return self.canvas.depth if self.canvas else 0.05
