"""Prices: the price table as data, a configuration's list price, and a merchant's price.

List price (integer cents) = max(style minimum, print area x style rate)
  + frame and matte per united inch (width + height of what they surround)
  + stretcher bar per united inch + colour border + security hardware.
The merchant's ("wholesale") price then applies the merchant's markup for the style, in basis points,
and a fixed price per sku replaces everything. Prices are shown in whole units (half up).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .configuration import Resolved
from .money import apply_basis_points
from .options import OptionTables


class StyleRate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    cents_per_sq_in: int = Field(gt=0)
    minimum_cents: int = Field(gt=0)


class ShippingRate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    base_cents: int = Field(ge=0)
    per_item_cents: int = Field(ge=0)
    international_cents: int = Field(ge=0, description="Added when the destination is not the home country.")


class PriceTable(BaseModel):
    """Every amount a list price is made of, in the table's currency, in cents."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    styles: dict[str, StyleRate]
    frames_cents_per_united_inch: dict[str, int]
    mattes_cents_per_united_inch: dict[str, int]
    stretcher_bar_cents_per_united_inch: dict[str, int]
    color_border_cents: int = Field(ge=0)
    security_hardware_cents: int = Field(ge=0)
    home_country: str = Field("US", pattern=r"^[A-Z]{2}$")
    shipping: dict[str, ShippingRate] = Field(description="Per shipping method; '' is the default, best way.")

    def shipping_quotes(self, items: int, country: str) -> list[tuple[str, int]]:
        """(method, cents) for every shipping method, for a parcel of ``items`` units to ``country``."""
        extra = 0 if country.upper() == self.home_country else 1
        return [(method or "best way", r.base_cents + r.per_item_cents * max(0, items - 1)
                 + extra * r.international_cents) for method, r in self.shipping.items()]

    @model_validator(mode="after")
    def _non_negative(self) -> PriceTable:
        for name in ("frames_cents_per_united_inch", "mattes_cents_per_united_inch",
                     "stretcher_bar_cents_per_united_inch"):
            for code, cents in getattr(self, name).items():
                if cents < 0:
                    raise ValueError(f"{name}.{code}: negative price")
        return self

    def check_covers(self, tables: OptionTables) -> None:
        """Raise ValueError unless every style, frame, matte and stretcher bar has a price."""
        missing = [f"style {s.code}" for s in tables.styles if s.code not in self.styles]
        missing += [f"frame {f.code}" for f in tables.frames if f.code not in self.frames_cents_per_united_inch]
        missing += [f"matte {m.code}" for m in tables.mattes if m.code not in self.mattes_cents_per_united_inch]
        bars = {b for s in tables.styles for b in s.stretcher_bars}
        missing += [f"stretcher bar {b}" for b in sorted(bars) if b not in self.stretcher_bar_cents_per_united_inch]
        if missing:
            raise ValueError("the price table has no price for " + ", ".join(missing))


def load_price_table(tables: OptionTables, text: str | None = None) -> PriceTable:
    """Load the shipped price table (or the given JSON) and check it prices every option."""
    if text is None:
        text = resources.files("easel.data").joinpath("prices.json").read_text("utf-8")
    table = PriceTable.model_validate(json.loads(text))
    table.check_covers(tables)
    return table


def list_price_cents(item: Resolved, table: PriceTable) -> int:
    """The price before any merchant markup, in cents; always positive."""
    c = item.configuration
    rate = table.styles[c.style]
    pw, ph = item.print_size
    cents = max(rate.minimum_cents, pw * ph * rate.cents_per_sq_in)
    iw, ih = item.inner_size
    cents += (iw + ih) * table.frames_cents_per_united_inch[c.frame]
    imw, imh = item.image_size
    cents += (imw + imh) * table.mattes_cents_per_united_inch[c.matte]
    if c.stretcher_bar:
        cents += (imw + imh) * table.stretcher_bar_cents_per_united_inch[c.stretcher_bar]
    if c.border_type == "color":
        cents += table.color_border_cents
    if c.security_hardware:
        cents += table.security_hardware_cents
    return cents


@dataclass(frozen=True, slots=True)
class Markups:
    """A merchant's pricing: percent per style (basis points) and fixed prices per sku (cents)."""

    style_basis_points: dict[str, int] = field(default_factory=dict)
    sku_cents: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, dict[str, int]]:
        return {"style_basis_points": dict(self.style_basis_points), "sku_cents": dict(self.sku_cents)}

    @classmethod
    def from_json(cls, data: object) -> Markups:
        if not isinstance(data, dict):
            return cls()
        styles = data.get("style_basis_points") or {}
        skus = data.get("sku_cents") or {}
        return cls({str(k): int(v) for k, v in styles.items()}, {str(k): int(v) for k, v in skus.items()})


def merchant_price_cents(item: Resolved, table: PriceTable, markups: Markups) -> int:
    """The merchant's price (what the widget shows by default and orders are charged), in cents."""
    fixed = markups.sku_cents.get(item.sku)
    if fixed is not None:
        return fixed
    cents = list_price_cents(item, table)
    bp = markups.style_basis_points.get(item.configuration.style)
    return max(1, apply_basis_points(cents, bp)) if bp else cents
