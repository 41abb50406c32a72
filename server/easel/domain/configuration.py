"""A shopper's configuration of an artwork, validated, and everything that follows from it.

``resolve`` is the one function that turns choices (substrate, style, frame, matte, size, canvas border,
stretcher bar, security hardware) into a :class:`Resolved` configuration: its sizes, its stable ``sku``,
the document's ``gp_sku`` and the widget's hash route. Choices left out get the style's defaults. Every
problem is reported at once, each naming the field and the allowed values.

Sizes, as the Image2ART examples use them (all in inches, width x height):

- ``image_size``: the printed image; its long edge is the size's ``long_edge``, aspect ratio kept.
- ``print_size``: the sheet or canvas printed: paper adds the matte width (or the style's white margin)
  on each side; canvas adds the wrap border on each side.
- ``inner_size``: what shows inside the frame: the image plus the matte on each side.
- ``outer_size``: what hangs on the wall: framed pieces add the moulding on each side of ``inner_size``;
  an unframed paper print is its sheet (``print_size``); a gallery wrap is its face (``inner_size``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, quote, quote_plus

from .catalog import Artwork
from .colors import normalize_css_color
from .options import OptionTables

SKU_SCHEME = b"easel.sku.v1"
CHOICE_FIELDS = (
    "substrate", "style", "frame", "matte", "size",
    "border_type", "border_color", "border_width", "stretcher_bar", "security_hardware",
)
_ROUTE_EXTRAS = ("matte", "border_type", "border_width", "border_color", "stretcher_bar", "security_hardware")
_BARS = {"0.75": "0.75", "1.5": "1.5", "0.75 sb": "0.75", "1.5 sb": "1.5"}


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ConfigurationError(ValueError):
    """The choices do not make a product; ``errors`` names every field that is wrong."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


@dataclass(frozen=True, slots=True)
class Configuration:
    """A complete, valid set of choices for one artwork."""

    artwork: str
    substrate: str
    style: str
    frame: str
    matte: str
    size: str
    border_type: str | None
    border_color: str | None
    border_width: int
    stretcher_bar: str | None
    security_hardware: bool

    def as_choices(self) -> dict[str, object]:
        """The choices that resolve back to exactly this configuration (a paper margin is derived)."""
        choices = {name: getattr(self, name) for name in CHOICE_FIELDS}
        if self.border_type is None:
            del choices["border_width"]
        return choices


Dimensions = tuple[int, int]


def fmt(size: Dimensions) -> str:
    return f"{size[0]}x{size[1]}"


@dataclass(frozen=True, slots=True)
class Resolved:
    """A configuration with its derived values (sizes in inches, skus, route)."""

    configuration: Configuration
    image_size: Dimensions
    print_size: Dimensions
    inner_size: Dimensions
    outer_size: Dimensions
    sku: str
    gp_sku: str
    route: str

    def specs(self) -> dict[str, object]:
        """The ``specs`` object of an order item, as the document shows it."""
        c = self.configuration
        return {
            "image_size": fmt(self.image_size),
            "print_size": fmt(self.print_size),
            "inner_size": fmt(self.inner_size),
            "outer_size": fmt(self.outer_size),
            "frame_code": c.frame,
            "matte_code": c.matte,
            "border_width": c.border_width,
            "border_color": _border_label(c),
            "stretcher_bar": f"{c.stretcher_bar} SB" if c.stretcher_bar else "",
            "security_hardware": c.security_hardware,
        }


def _border_label(c: Configuration) -> str:
    """The document's ``border_color`` spec: BLUR/MIRROR, the CSS colour, or BRD for a paper margin."""
    if c.border_type is None:
        return "BRD" if c.border_width else ""
    return c.border_color if c.border_type == "color" and c.border_color else c.border_type.upper()


def compute_sku(config: Configuration, image_size: Dimensions) -> str:
    """16 lowercase hex characters, the same for the same configuration in any process or version.

    The input is a versioned, separator-delimited canonical string of every choice (with the image size,
    so a re-imported master of another shape is a new product); BLAKE2b is in every Python's hashlib.
    """
    c = config
    canonical = "\x1f".join((
        c.artwork, c.substrate, c.style, c.frame, c.matte, f"{image_size[0]}x{image_size[1]}",
        c.border_type or "", c.border_color or "", str(c.border_width), c.stretcher_bar or "",
        "1" if c.security_hardware else "0",
    ))
    return hashlib.blake2b(canonical.encode(), digest_size=8, person=SKU_SCHEME).hexdigest()


def _text(choices: Mapping[str, object], name: str) -> str | None:
    value = choices.get(name)
    if value.__class__ is str:  # the common case first: this runs for every field of every configuration
        return value.strip() if value else None  # type: ignore[attr-defined]
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise TypeError(name)
    return str(value).strip()


def configure(artwork: Artwork, choices: Mapping[str, object], tables: OptionTables) -> Configuration:
    """Validate choices for an artwork, filling in the style's defaults; raise ConfigurationError."""
    errors: list[FieldError] = []

    def text(name: str) -> str | None:
        try:
            return _text(choices, name)
        except TypeError:
            errors.append(FieldError(name, f"must be text, got {type(choices[name]).__name__}"))
            return None

    def pick(name: str, value: str | None, allowed: Sequence[str], default: str | None, what: str,
             *about: str) -> str | None:
        """The value if allowed (the default if absent); else None and an error. ``what`` is formatted
        with ``about`` only then: this runs tens of thousands of times a second."""
        if value is None:
            return default
        if value in allowed:
            return value
        errors.append(FieldError(name, f"{value!r} is not {what.format(*about)} "
                                       f"(allowed: {', '.join(allowed) or 'none'})"))
        return None

    substrate = pick("substrate", (text("substrate") or "").lower() or None, artwork.substrates,
                     artwork.substrates[0], "offered for {}", artwork.code)
    if substrate is None:
        raise ConfigurationError(errors)
    styles = tables.style_codes_for(substrate)
    style_code = pick("style", (text("style") or "").upper() or None, styles, styles[0],
                      "a style of {}", substrate)
    if style_code is None:
        raise ConfigurationError(errors)
    style = tables.style_by_code[style_code]
    defaults = tables.defaults[style_code]
    frame = pick("frame", (text("frame") or "").upper() or None, tables.frame_codes_for(style_code),
                 defaults.frame, "a frame offered with style {}", style_code)
    matte = pick("matte", (text("matte") or "").upper() or None, tables.matte_codes_for(style_code),
                 defaults.matte, "a matte offered with style {}", style_code)
    sizes = artwork.sizes(tables)
    size_value = (text("size") or "").upper() or None
    if size_value is not None and size_value in tables.size_by_code and size_value not in sizes:
        needed = tables.size_by_code[size_value].long_edge * tables.min_dpi
        errors.append(FieldError("size", (
            f"{size_value} needs {needed} px on the long edge at {tables.min_dpi} dpi and {artwork.code} has "
            f"{artwork.long_edge_px} (allowed: {', '.join(sizes)})")))
        size = None
    else:
        size = pick("size", size_value, sizes, sizes[0] if sizes else None, "a size of {}", artwork.code)

    border_type = border_color = stretcher_bar = None
    border_width = 0
    raw_type = (text("border_type") or "").lower() or None
    raw_color = text("border_color")
    raw_width = choices.get("border_width")
    raw_bar = text("stretcher_bar")
    if not style.border_types:
        for name, given in (("border_type", raw_type), ("border_color", raw_color),
                            ("stretcher_bar", raw_bar)):
            if given is not None:
                errors.append(FieldError(name, f"not offered with style {style_code} (canvas styles only)"))
        if raw_width not in (None, "", 0, "0"):
            errors.append(FieldError("border_width", f"not offered with style {style_code} (canvas styles only)"))
        if matte is not None:
            margin = tables.matte_by_code[matte].width or style.print_margin
            border_width = margin
    else:
        rules = tables.border
        border_type = pick("border_type", raw_type, style.border_types, rules.default_type,
                           "a border of style {}", style_code)
        stretcher_bar = pick("stretcher_bar", _BARS.get((raw_bar or "").lower(), raw_bar),
                             style.stretcher_bars, defaults.stretcher_bar, "a stretcher bar of style {}", style_code)
        minimum = rules.min_width_for_bar.get(stretcher_bar, rules.min_width) if stretcher_bar else rules.min_width
        if raw_width is None or raw_width == "":
            border_width = max(rules.default_width, minimum)
        else:
            try:
                if isinstance(raw_width, bool) or not isinstance(raw_width, (int, str, float)):
                    raise TypeError(raw_width)
                number = float(raw_width)
                if not number.is_integer():
                    raise ValueError(raw_width)
                border_width = int(number)
            except (TypeError, ValueError):
                errors.append(FieldError("border_width", f"must be a whole number of inches, got {raw_width!r}"))
            else:
                if not minimum <= border_width <= rules.max_width:
                    errors.append(FieldError("border_width", (
                        f"must be between {minimum} and {rules.max_width} inches"
                        f"{' for a ' + stretcher_bar + ' in stretcher bar' if stretcher_bar else ''}, "
                        f"got {border_width}")))
        if border_type == "color":
            if raw_color is None:
                errors.append(FieldError("border_color", "is required when border_type is color (any CSS colour)"))
            else:
                border_color = normalize_css_color(raw_color)
                if border_color is None:
                    errors.append(FieldError("border_color", f"{raw_color[:40]!r} is not a CSS colour"))
        elif raw_color is not None:
            errors.append(FieldError("border_color", f"only used when border_type is color, not {border_type}"))

    hardware_raw = choices.get("security_hardware", False)
    hardware = False
    if hardware_raw in (True, 1, "1", "true", "yes", "on"):
        hardware = True
        if not style.hardware:
            errors.append(FieldError("security_hardware", f"not available for style {style_code}"))
    elif hardware_raw not in (None, False, 0, "", "0", "false", "no", "off"):
        errors.append(FieldError("security_hardware", f"must be true or false, got {hardware_raw!r}"))

    if errors:
        raise ConfigurationError(errors)
    assert frame and matte and size
    return Configuration(artwork.code, substrate, style_code, frame, matte, size, border_type, border_color,
                         border_width, stretcher_bar, hardware)


def derive(artwork: Artwork, config: Configuration, tables: OptionTables) -> Resolved:
    """Sizes, skus of a valid configuration (see the module docstring for what each size means)."""
    style = tables.style_by_code[config.style]
    matte_w = tables.matte_by_code[config.matte].width
    frame_w = tables.frame_by_code[config.frame].width if style.framed else 0
    iw, ih = artwork.image_inches(tables.size_by_code[config.size].long_edge)
    edge = config.border_width
    printed = (iw + 2 * edge, ih + 2 * edge)
    inner = (iw + 2 * matte_w, ih + 2 * matte_w)
    if style.framed:
        outer = (inner[0] + 2 * frame_w, inner[1] + 2 * frame_w)
    elif style.border_types:
        outer = inner
    else:
        outer = printed
    image = (iw, ih)
    gp_sku = f"{artwork.code}-{iw}x{ih}-{config.style}-{config.frame}-{config.matte}"
    return Resolved(config, image, printed, inner, outer, compute_sku(config, image), gp_sku,
                    route_for(config, tables))


def resolve(artwork: Artwork, choices: Mapping[str, object], tables: OptionTables) -> Resolved:
    """Validate choices and derive everything from them: the one entry point callers need."""
    return derive(artwork, configure(artwork, choices, tables), tables)


def route_for(config: Configuration, tables: OptionTables) -> str:
    """The widget's hash route: the document's ``/product/edit/CODE/substrate/STYLE/FRAME/SIZE``.

    Choices the document's route has no place for (matte, canvas border, stretcher bar, hardware) follow
    as a query string, in a fixed order, only when they differ from the style's defaults, so a default
    configuration has exactly the document's route.
    """
    base = f"/product/edit/{_quoted(config.artwork)}/{config.substrate}/{config.style}/{config.frame}/{config.size}"
    style_defaults = tables.defaults[config.style]
    rules = tables.border
    bar = config.stretcher_bar
    defaults: dict[str, object] = {
        "matte": style_defaults.matte,
        "border_type": rules.default_type if config.border_type else None,
        "border_width": max(rules.default_width, rules.min_width_for_bar.get(bar, rules.min_width))
        if bar else config.border_width,
        "border_color": None,
        "stretcher_bar": style_defaults.stretcher_bar,
        "security_hardware": False,
    }
    if config.border_type is None:
        defaults["border_width"] = config.border_width
    extras = [
        f"{name}={_form_quoted('1' if value is True else str(value))}"
        for name in _ROUTE_EXTRAS
        if (value := getattr(config, name)) != defaults[name]
    ]
    return base + ("?" + "&".join(extras) if extras else "")


# The route is made for every configuration priced: the same few codes are quoted over and over.
_quoted = lru_cache(maxsize=4096)(quote)
_form_quoted = lru_cache(maxsize=4096)(quote_plus)  # as urlencode quotes a value


class RouteError(ValueError):
    """A hash route that is not a product route of this widget."""


def parse_route(route: str) -> tuple[str, dict[str, object]]:
    """Split a product hash route into (artwork code, choices); the inverse of :func:`route_for`."""
    path, _, query = route.lstrip("#").partition("?")
    parts = path.strip("/").split("/")
    if len(parts) < 3 or parts[:2] != ["product", "edit"] or len(parts) > 7:
        raise RouteError(f"not a product route: {route[:80]!r}")
    code = parts[2]
    choices: dict[str, object] = dict(zip(("substrate", "style", "frame", "size"), parts[3:], strict=False))
    for key, value in parse_qsl(query, keep_blank_values=False):
        if key in _ROUTE_EXTRAS:
            choices[key] = value
    return code, choices


def standard_choices(artwork: Artwork, tables: OptionTables) -> list[dict[str, object]]:
    """Every configuration the widget offers from fixed lists (all but free-form colour borders and
    non-default border widths): what ``GET /catalog`` lists and what the option-space test prices."""
    out: list[dict[str, object]] = []
    sizes = artwork.sizes(tables)
    for substrate in artwork.substrates:
        for style in tables.styles_for(substrate):
            for frame in tables.frames_for(style.code):
                for matte in tables.mattes_for(style.code):
                    for size in sizes:
                        base: dict[str, object] = {"substrate": substrate, "style": style.code,
                                                   "frame": frame.code, "matte": matte.code, "size": size}
                        borders: list[str | None] = [b for b in style.border_types if b != "color"] or [None]
                        bars: list[str | None] = list(style.stretcher_bars) or [None]
                        for border in borders:
                            for bar in bars:
                                choice = dict(base)
                                if border:
                                    choice["border_type"] = border
                                if bar:
                                    choice["stretcher_bar"] = bar
                                out.append(choice)
    return out
