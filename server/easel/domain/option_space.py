"""Every complete configuration the option tables allow, whatever the artwork: the finite space over
which easel decides what vendors can make (``vendors/capability.py``), and which the tests walk.

Colour borders take any CSS colour, so the space holds the colours it is given (those some vendor table
or routing rule names) and one stand-in, :data:`OTHER_COLOUR`, for all the others: a colour nobody
names is made, or not, like any other such colour. Configurations here have no artwork (``artwork``
is ``""``); the artwork only narrows the substrates and sizes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

from .colors import normalize_css_color
from .configuration import Configuration
from .options import OptionTables

OTHER_COLOUR = "\x1fother colour\x1f"
"""The stand-in for every colour no table or rule names (never a CSS colour)."""


def known_colours(colours: Iterable[str]) -> frozenset[str]:
    """Colours as configurations hold them (normalised); what is not a CSS colour is dropped."""
    return frozenset(c for c in (normalize_css_color(raw) for raw in colours) if c is not None)


def configurations(tables: OptionTables, colours: Iterable[str]) -> Iterator[Configuration]:
    """Every valid configuration (without artwork), each colour border once per colour given and once
    as :data:`OTHER_COLOUR`, in the tables' order."""
    rules = tables.border
    shades: list[str | None] = [*sorted(known_colours(colours)), OTHER_COLOUR]
    for substrate in tables.substrates:
        for style in tables.styles_for(substrate.code):
            hardware = (False, True) if style.hardware else (False,)
            for frame in tables.frames_for(style.code):
                for matte in tables.mattes_for(style.code):
                    for size in tables.sizes:
                        for fitted in hardware:
                            if not style.border_types:
                                yield Configuration("", substrate.code, style.code, frame.code, matte.code, size.code,
                                                    None, None, matte.width or style.print_margin, None, fitted)
                                continue
                            for bar in style.stretcher_bars:
                                low = rules.min_width_for_bar.get(bar, rules.min_width)
                                for width in range(low, rules.max_width + 1):
                                    for kind in style.border_types:
                                        for shade in shades if kind == "color" else [None]:
                                            yield Configuration("", substrate.code, style.code, frame.code,
                                                                matte.code, size.code, kind, shade, width, bar, fitted)


def key_of(config: Configuration, colours: frozenset[str]) -> Configuration:
    """The configuration's place in the space: no artwork, an unnamed colour as :data:`OTHER_COLOUR`."""
    shade = config.border_color
    if shade is not None and shade not in colours:
        shade = OTHER_COLOUR
    if config.artwork == "" and shade == config.border_color:
        return config
    return replace(config, artwork="", border_color=shade)
