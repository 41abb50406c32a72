"""The framing option tables (substrates, styles, frames, mattes, sizes, borders) as validated data.

Which options may be combined is data in ``data/options.json``: each frame and matte lists the styles it
is offered with, and each style lists its border types and stretcher bars. Code never special-cases a
code; it asks these tables. The tables are checked for internal consistency once, at load time.
"""

from __future__ import annotations

import json
from functools import cached_property
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

BorderType = Literal["mirror", "blur", "color"]
StretcherBar = Literal["0.75", "1.5"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Substrate(_Frozen):
    code: str
    name: str


class Style(_Frozen):
    """A way of making the piece: paper unframed/framed, canvas wrapped/framed."""

    code: str
    substrate: str
    name: str
    framed: bool
    print_margin: int = Field(ge=0, description="White paper margin (in) around an unmatted image.")
    border_types: tuple[BorderType, ...]
    stretcher_bars: tuple[StretcherBar, ...]
    hardware: bool = Field(description="Whether security hardware may be fitted.")


class Frame(_Frozen):
    code: str
    name: str
    color: str | None
    width: int = Field(ge=0, description="Moulding width in inches, added on each side.")
    styles: tuple[str, ...]


class Matte(_Frozen):
    code: str
    name: str
    color: str | None
    width: int = Field(ge=0, description="Matte width in inches, added on each side.")
    styles: tuple[str, ...]


class Size(_Frozen):
    code: str
    long_edge: int = Field(gt=0, description="Long edge of the printed image, in whole inches.")


class BorderRules(_Frozen):
    default_type: BorderType
    min_width: int = Field(ge=0)
    max_width: int = Field(gt=0)
    default_width: int
    min_width_for_bar: dict[str, int]


class StyleDefaults(_Frozen):
    frame: str
    matte: str
    stretcher_bar: StretcherBar | None = None


class OptionTables(_Frozen):
    """Every option the widget can offer, and the rules for combining them."""

    min_dpi: int = Field(gt=0)
    substrates: tuple[Substrate, ...]
    styles: tuple[Style, ...]
    frames: tuple[Frame, ...]
    mattes: tuple[Matte, ...]
    sizes: tuple[Size, ...]
    border: BorderRules
    defaults: dict[str, StyleDefaults]

    @cached_property
    def substrate_by_code(self) -> dict[str, Substrate]:
        return {s.code: s for s in self.substrates}

    @cached_property
    def style_by_code(self) -> dict[str, Style]:
        return {s.code: s for s in self.styles}

    @cached_property
    def frame_by_code(self) -> dict[str, Frame]:
        return {f.code: f for f in self.frames}

    @cached_property
    def matte_by_code(self) -> dict[str, Matte]:
        return {m.code: m for m in self.mattes}

    @cached_property
    def size_by_code(self) -> dict[str, Size]:
        return {s.code: s for s in self.sizes}

    # The lookups below sit on the hot path of every configuration resolved (tens of thousands a second),
    # so each is computed once per table; the tuples are shared and immutable.

    @cached_property
    def sizes_by_edge(self) -> tuple[Size, ...]:
        """Sizes, smallest long edge first."""
        return tuple(sorted(self.sizes, key=lambda s: s.long_edge))

    @cached_property
    def _styles_by_substrate(self) -> dict[str, tuple[Style, ...]]:
        substrates = {s.substrate for s in self.styles}
        return {code: tuple(s for s in self.styles if s.substrate == code) for code in substrates}

    @cached_property
    def _frames_by_style(self) -> dict[str, tuple[Frame, ...]]:
        return {s.code: tuple(f for f in self.frames if s.code in f.styles) for s in self.styles}

    @cached_property
    def _mattes_by_style(self) -> dict[str, tuple[Matte, ...]]:
        return {s.code: tuple(m for m in self.mattes if s.code in m.styles) for s in self.styles}

    @cached_property
    def _codes(self) -> dict[tuple[str, str], tuple[str, ...]]:
        codes: dict[tuple[str, str], tuple[str, ...]] = {}
        for substrate, styles in self._styles_by_substrate.items():
            codes["styles", substrate] = tuple(s.code for s in styles)
        for style, frames in self._frames_by_style.items():
            codes["frames", style] = tuple(f.code for f in frames)
        for style, mattes in self._mattes_by_style.items():
            codes["mattes", style] = tuple(m.code for m in mattes)
        return codes

    def style_codes_for(self, substrate: str) -> tuple[str, ...]:
        return self._codes.get(("styles", substrate), ())

    def frame_codes_for(self, style: str) -> tuple[str, ...]:
        return self._codes.get(("frames", style), ())

    def matte_codes_for(self, style: str) -> tuple[str, ...]:
        return self._codes.get(("mattes", style), ())

    def styles_for(self, substrate: str) -> tuple[Style, ...]:
        return self._styles_by_substrate.get(substrate, ())

    def frames_for(self, style: str) -> tuple[Frame, ...]:
        return self._frames_by_style.get(style, ())

    def mattes_for(self, style: str) -> tuple[Matte, ...]:
        return self._mattes_by_style.get(style, ())

    @model_validator(mode="after")
    def _consistent(self) -> OptionTables:
        problems: list[str] = []
        for kind, rows in (("substrate", self.substrates), ("style", self.styles), ("frame", self.frames),
                           ("matte", self.mattes), ("size", self.sizes)):
            codes = [r.code for r in rows]
            if len(codes) != len(set(codes)):
                problems.append(f"duplicate {kind} codes")
        substrates = {s.code for s in self.substrates}
        styles = {s.code for s in self.styles}
        for style in self.styles:
            if style.substrate not in substrates:
                problems.append(f"style {style.code}: unknown substrate {style.substrate}")
            if not any(style.code in f.styles for f in self.frames):
                problems.append(f"style {style.code}: no frame is offered with it")
            if not any(style.code in m.styles for m in self.mattes):
                problems.append(f"style {style.code}: no matte is offered with it")
            default = self.defaults.get(style.code)
            if default is None:
                problems.append(f"style {style.code}: no defaults")
                continue
            frame = next((f for f in self.frames if f.code == default.frame), None)
            if frame is None or style.code not in frame.styles:
                problems.append(f"style {style.code}: default frame {default.frame} is not offered with it")
            matte = next((m for m in self.mattes if m.code == default.matte), None)
            if matte is None or style.code not in matte.styles:
                problems.append(f"style {style.code}: default matte {default.matte} is not offered with it")
            if (default.stretcher_bar is None) != (not style.stretcher_bars) or (
                default.stretcher_bar is not None and default.stretcher_bar not in style.stretcher_bars
            ):
                problems.append(f"style {style.code}: default stretcher bar does not match its bars")
        framing: tuple[Frame | Matte, ...] = (*self.frames, *self.mattes)
        for row in framing:
            for code in row.styles:
                if code not in styles:
                    problems.append(f"{row.code}: unknown style {code}")
        for style in self.styles:
            if not style.framed and any(f.width for f in self.frames_for(style.code)):
                problems.append(f"style {style.code} is unframed but offers a frame with a moulding")
        if not (self.border.min_width <= self.border.default_width <= self.border.max_width):
            problems.append("border default width outside its limits")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def load_option_tables(text: str | None = None) -> OptionTables:
    """Load (and validate) the option tables shipped with easel, or the given JSON text."""
    if text is None:
        text = resources.files("easel.data").joinpath("options.json").read_text("utf-8")
    return OptionTables.model_validate(json.loads(text))
