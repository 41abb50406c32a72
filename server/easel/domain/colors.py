"""CSS colours, as the canvas border colour accepts them ("any valid CSS color", says the document).

Accepted: the 148 CSS named colours (`transparent` excluded: a border must be visible), hex forms
(#rgb, #rgba, #rrggbb, #rrggbbaa) and the functional forms rgb()/rgba()/hsl()/hsla() with numbers or
percentages. The value is normalised to lower case without spaces, so equal colours give equal skus.
"""

from __future__ import annotations

import re

NAMED_COLORS = frozenset(
    {
    "aliceblue", "antiquewhite", "aqua", "aquamarine", "azure", "beige", "bisque", "black",
    "blanchedalmond", "blue", "blueviolet", "brown", "burlywood", "cadetblue", "chartreuse",
    "chocolate", "coral", "cornflowerblue", "cornsilk", "crimson", "cyan", "darkblue", "darkcyan",
    "darkgoldenrod", "darkgray", "darkgreen", "darkgrey", "darkkhaki", "darkmagenta", "darkolivegreen",
    "darkorange", "darkorchid", "darkred", "darksalmon", "darkseagreen", "darkslateblue",
    "darkslategray", "darkslategrey", "darkturquoise", "darkviolet", "deeppink", "deepskyblue",
    "dimgray", "dimgrey", "dodgerblue", "firebrick", "floralwhite", "forestgreen", "fuchsia",
    "gainsboro", "ghostwhite", "gold", "goldenrod", "gray", "green", "greenyellow", "grey", "honeydew",
    "hotpink", "indianred", "indigo", "ivory", "khaki", "lavender", "lavenderblush", "lawngreen",
    "lemonchiffon", "lightblue", "lightcoral", "lightcyan", "lightgoldenrodyellow", "lightgray",
    "lightgreen", "lightgrey", "lightpink", "lightsalmon", "lightseagreen", "lightskyblue",
    "lightslategray", "lightslategrey", "lightsteelblue", "lightyellow", "lime", "limegreen", "linen",
    "magenta", "maroon", "mediumaquamarine", "mediumblue", "mediumorchid", "mediumpurple",
    "mediumseagreen", "mediumslateblue", "mediumspringgreen", "mediumturquoise", "mediumvioletred",
    "midnightblue", "mintcream", "mistyrose", "moccasin", "navajowhite", "navy", "oldlace", "olive",
    "olivedrab", "orange", "orangered", "orchid", "palegoldenrod", "palegreen", "paleturquoise",
    "palevioletred", "papayawhip", "peachpuff", "peru", "pink", "plum", "powderblue", "purple",
    "rebeccapurple", "red", "rosybrown", "royalblue", "saddlebrown", "salmon", "sandybrown", "seagreen",
    "seashell", "sienna", "silver", "skyblue", "slateblue", "slategray", "slategrey", "snow",
    "springgreen", "steelblue", "tan", "teal", "thistle", "tomato", "turquoise", "violet", "wheat",
    "white", "whitesmoke", "yellow", "yellowgreen"
    }
)

_HEX = re.compile(r"^#(?:[0-9a-f]{3}|[0-9a-f]{4}|[0-9a-f]{6}|[0-9a-f]{8})$")
_NUM = r"(?:\d{1,3}(?:\.\d+)?%?)"
_FUNC = re.compile(
    r"^(?:rgba?|hsla?)\((" + _NUM + r"(?:deg)?),(" + _NUM + r"),(" + _NUM + r")(?:,((?:0|1|0?\.\d+|\d{1,3}%)))?\)$"
)


def normalize_css_color(value: str) -> str | None:
    """The canonical form of a CSS colour, or None when it is not one."""
    text = re.sub(r"\s+", "", value.strip().lower())
    if len(text) > 40:
        return None
    if text in NAMED_COLORS or _HEX.match(text) or _FUNC.match(text):
        return text
    return None
