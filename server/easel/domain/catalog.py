"""Artworks: what can be printed, at what sizes, on which substrates.

The largest printable size follows from the master image's resolution: a size is offered only when the
long edge still has at least ``min_dpi`` pixels per inch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .options import OptionTables

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,31}$")
SUBSTRATES = ("paper", "canvas")
ORIENTATIONS = ("portrait", "landscape", "square")


@dataclass(frozen=True, slots=True)
class Artwork:
    code: str
    title: str
    artist: str
    description: str
    width_px: int
    height_px: int
    image: str
    substrates: tuple[str, ...] = SUBSTRATES
    extra: dict[str, str] = field(default_factory=dict, compare=False)
    hidden: bool = False
    """Hidden by the operator from every shop (a shop hides an artwork from itself apart: ``hidden_artworks``)."""

    @property
    def orientation(self) -> str:
        """One of ORIENTATIONS."""
        if self.width_px == self.height_px:
            return "square"
        return "landscape" if self.width_px > self.height_px else "portrait"

    @property
    def long_edge_px(self) -> int:
        return max(self.width_px, self.height_px)

    def image_inches(self, long_edge: int) -> tuple[int, int]:
        """Image size in whole inches for a long edge, keeping the aspect ratio (rounded half up)."""
        w, h = self.width_px, self.height_px
        if w >= h:
            return long_edge, max(1, (2 * long_edge * h + w) // (2 * w))
        return max(1, (2 * long_edge * w + h) // (2 * h)), long_edge

    def max_long_edge(self, min_dpi: int) -> int:
        return self.long_edge_px // min_dpi

    def sizes(self, tables: OptionTables) -> list[str]:
        """Size codes this artwork's resolution allows, smallest first."""
        limit = self.max_long_edge(tables.min_dpi)
        return [s.code for s in tables.sizes_by_edge if s.long_edge <= limit]


class ArtworkError(ValueError):
    """A catalogue row that cannot become an artwork; the message names the field."""


def artwork_from_row(row: dict[str, object], tables: OptionTables) -> Artwork:
    """Validate one import row (CSV or JSON lines) and build the artwork, or raise ArtworkError."""
    problems: list[str] = []

    def text(name: str, required: bool = True, limit: int = 500) -> str:
        value = row.get(name)
        if value is None or value == "":
            if required:
                problems.append(f"{name}: is required")
            return ""
        if not isinstance(value, str):
            problems.append(f"{name}: must be text")
            return ""
        value = value.strip()
        if len(value) > limit:
            problems.append(f"{name}: longer than {limit} characters")
        return value

    def pixels(name: str) -> int:
        value = row.get(name)
        try:
            number = int(str(value).strip()) if not isinstance(value, bool) else -1
        except ValueError:
            problems.append(f"{name}: must be a whole number of pixels, got {value!r}")
            return 0
        if number <= 0 or number > 200_000:
            problems.append(f"{name}: must be between 1 and 200000 pixels, got {number}")
        return number

    code = text("code", limit=32).upper()
    if code and not CODE_PATTERN.match(code):
        problems.append(f"code: {code!r} must be 2-32 letters, digits, '-' or '_'")
    title = text("title")
    artist = text("artist")
    description = text("description", required=False, limit=5000)
    image = text("image", limit=2000)
    width, height = pixels("width_px"), pixels("height_px")
    raw_substrates = row.get("substrates", ",".join(SUBSTRATES))
    if isinstance(raw_substrates, str):
        substrates = tuple(s.strip().lower() for s in raw_substrates.replace(";", ",").split(",") if s.strip())
    elif isinstance(raw_substrates, list) and all(isinstance(s, str) for s in raw_substrates):
        substrates = tuple(s.strip().lower() for s in raw_substrates)
    else:
        substrates = ()
    known = tuple(s.code for s in tables.substrates)
    bad = [s for s in substrates if s not in known]
    if not substrates or bad:
        problems.append(f"substrates: {', '.join(bad) or 'none given'} not allowed (allowed: {', '.join(known)})")
    if width > 0 and height > 0 and not problems:
        smallest = min(s.long_edge for s in tables.sizes)
        if max(width, height) < smallest * tables.min_dpi:
            problems.append(
                f"width_px/height_px: {width}x{height} is too small to print the smallest size "
                f"({smallest} in needs {smallest * tables.min_dpi} px on the long edge at {tables.min_dpi} dpi)"
            )
    hidden = parse_hidden(row.get("hidden"), problems)
    if problems:
        raise ArtworkError("; ".join(problems))
    return Artwork(code, title, artist, description, width, height, image, tuple(dict.fromkeys(substrates)),
                   hidden=bool(hidden))


_YES = ("true", "yes", "1", "hidden")
_NO = ("false", "no", "0", "shown")


def parse_hidden(value: object, problems: list[str] | None = None) -> bool | None:
    """The optional ``hidden`` column: true/false (also yes/no, 1/0, hidden/shown, or a JSON boolean);
    None when the row leaves it out or empty (an import then keeps what the artwork had)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    message = f"hidden: must be true or false, got {str(value)[:40]!r}"
    if problems is None:
        raise ArtworkError(message)
    problems.append(message)
    return None


def artwork_to_row(artwork: Artwork) -> dict[str, object]:
    """The import format for one artwork, so export → import round-trips."""
    return {
        "code": artwork.code,
        "title": artwork.title,
        "artist": artwork.artist,
        "description": artwork.description,
        "image": artwork.image,
        "width_px": artwork.width_px,
        "height_px": artwork.height_px,
        "substrates": ",".join(artwork.substrates),
        "hidden": artwork.hidden,
    }
