"""The option tables as one merchant's widget offers them: only choices with which something can be made.

The widget offers what the tables it is given combine (frames and mattes per style, each style's
border types, stretcher bars and hardware), so cutting the tables down to a merchant's
:class:`~easel.vendors.capability.Offer` is what keeps it from offering what no vendor can make. A
style's defaults move to an offered value when theirs is not. Each style lists its offered ``sizes`` (a
vendor may make a size in one style and not in another), and ``preview_formats`` the picture formats.
"""

from __future__ import annotations

from typing import Any

from ..domain.options import OptionTables
from ..previews.encoding import FORMATS
from ..vendors.capability import Offer


def offered_tables(tables: OptionTables, offer: Offer | None) -> dict[str, Any]:
    """``GET /api/options`` for a merchant (all of the tables when everything can be made)."""
    data: dict[str, Any] = tables.model_dump(mode="json", exclude={"min_dpi"})
    data["preview_formats"] = list(FORMATS)  # the widget's <picture> offers these (jpg always)
    if offer is None:
        for style in data["styles"]:
            style["sizes"] = [s["code"] for s in data["sizes"]]
        return data
    styles = offer.styles
    data["substrates"] = [s for s in data["substrates"] if s["code"] in offer.substrates]
    data["sizes"] = [s for s in data["sizes"] if s["code"] in offer.sizes]
    kept = []
    for style in data["styles"]:
        found = styles.get(style["code"])
        if found is None:
            continue
        style["border_types"] = [b for b in style["border_types"] if b in found.border_types]
        style["stretcher_bars"] = [b for b in style["stretcher_bars"] if b in found.stretcher_bars]
        style["hardware"] = bool(style["hardware"] and found.hardware)
        style["sizes"] = [s["code"] for s in data["sizes"] if s["code"] in found.sizes]
        kept.append(style)
    data["styles"] = kept
    for name, attribute in (("frames", "frames"), ("mattes", "mattes")):
        rows = []
        for row in data[name]:
            row["styles"] = [s for s in row["styles"] if s in styles and row["code"] in getattr(styles[s], attribute)]
            if row["styles"]:
                rows.append(row)
        data[name] = rows
    defaults = {}
    for code, found in styles.items():
        default = dict(data["defaults"][code])
        if default["frame"] not in found.frames:
            default["frame"] = found.frames[0]
        if default["matte"] not in found.mattes:
            default["matte"] = found.mattes[0]
        if default.get("stretcher_bar") is not None and default["stretcher_bar"] not in found.stretcher_bars:
            default["stretcher_bar"] = found.stretcher_bars[0]
        defaults[code] = default
    data["defaults"] = defaults
    return data
