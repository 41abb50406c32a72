"""What each vendor calls easel's configurations: one data table per vendor, validated at start-up.

A table (``easel/data/vendors/<vendor>.json``) lists **products** (which vendor sku and sizing makes a
configuration, matched on choices such as style and size), **attributes** (vendor attributes computed
from a choice, e.g. Pwinty's ``frameColour`` from easel's frame code), choices the vendor cannot make
at all (**unsupported**) and how easel's shipping methods translate (**shipping**). A configuration
matches the first product whose ``when`` holds; an attribute (applied when its ``styles`` and ``when``
hold) whose choice has no listed value means the vendor cannot make it. The choice ``border`` is
derived: the border type, or ``color:<css colour>``.

A product sku of ``@catalog`` (:data:`CATALOG_SKU`) means "the vendor's own sku for the item's standard
configuration, asked of the vendor when the order is sent": an upstream Image2ART service hands out its
skus itself, and takes the canvas border and security hardware as item fields (see
``dispatch/drivers/image2art.py``). A table says what its vendor can make, no more: what it lists is
what the merchant's widget, catalogue, quotes and order API offer (``vendors/capability.py``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..domain.configuration import CHOICE_FIELDS
from ..domain.options import OptionTables
from ..settings import SettingsError

MATCHABLE = (*CHOICE_FIELDS, "border")
CATALOG_SKU = "@catalog"
COLOUR_CHOICES = ("border", "border_color")
Scalar = str | int | float | bool | None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProductRow(_Strict):
    when: dict[str, Scalar | list[Scalar]]
    sku: str
    sizing: str = ""
    note: str = ""


class AttributeRow(_Strict):
    name: str
    choice: str
    styles: list[str] = Field(default_factory=list, description="Only for these styles; empty means all.")
    when: dict[str, Scalar | list[Scalar]] = Field(default_factory=dict, description="Only when these hold.")
    values: dict[str, str]


class MappingTable(_Strict):
    vendor: str
    products: list[ProductRow]
    attributes: list[AttributeRow] = Field(default_factory=list)
    unsupported: dict[str, list[Scalar]] = Field(default_factory=dict)
    shipping: dict[str, str] = Field(default_factory=dict)


@dataclass(frozen=True)
class VendorProduct:
    """One item as the vendor needs it."""

    sku: str
    sizing: str
    attributes: Mapping[str, str]


class CannotMake(Exception):
    """This vendor cannot make the configuration; the message says why, in one short clause."""


def matchable(choices: Mapping[str, object]) -> dict[str, object]:
    """The choices with the derived ``border`` key added."""
    derived = dict(choices)
    kind = choices.get("border_type")
    derived["border"] = f"color:{choices.get('border_color')}" if kind == "color" else kind
    return derived


def holds(when: Mapping[str, Scalar | list[Scalar]], choices: Mapping[str, object]) -> bool:
    """Whether every condition of a ``when`` holds for (matchable) choices; a list means "any of"."""
    for name, wanted in when.items():
        value = choices.get(name)
        if isinstance(wanted, list):
            if value not in wanted:
                return False
        elif value != wanted:
            return False
    return True


def colours_in(when: Mapping[str, Scalar | list[Scalar]]) -> set[str]:
    """The border colours a ``when`` names (``border: color:<c>`` or ``border_color: <c>``)."""
    found: set[str] = set()
    for name in COLOUR_CHOICES:
        wanted = when.get(name)
        for value in wanted if isinstance(wanted, list) else [wanted]:
            if isinstance(value, str) and (name == "border_color" or value.startswith("color:")):
                found.add(value.removeprefix("color:") if name == "border" else value)
    return found


class ProductMap:
    """A validated mapping table."""

    def __init__(self, table: MappingTable) -> None:
        self.table = table
        self.vendor = table.vendor

    def product(self, choices: Mapping[str, object]) -> VendorProduct:
        """The vendor's product for these choices, or :class:`CannotMake`."""
        c = matchable(choices)
        for name, refused in self.table.unsupported.items():
            if c.get(name) in refused:
                raise CannotMake(f"{self.vendor} cannot make {name}={c.get(name)}")
        row = next((p for p in self.table.products if holds(p.when, c)), None)
        if row is None:
            shown = ", ".join(f"{k} {c.get(k)}" for k in ("style", "size"))
            raise CannotMake(f"{self.vendor} has no product for {shown}")
        attributes: dict[str, str] = {}
        for attribute in self.table.attributes:
            if (attribute.styles and c.get("style") not in attribute.styles) or not holds(attribute.when, c):
                continue
            value = c.get(attribute.choice)
            key = str(value).lower() if isinstance(value, bool) else str(value)
            if key not in attribute.values:
                raise CannotMake(f"{self.vendor} cannot make {attribute.choice} {value}")
            attributes[attribute.name] = attribute.values[key]
        return VendorProduct(row.sku, row.sizing, attributes)

    def can_make(self, choices: Mapping[str, object]) -> str | None:
        try:
            self.product(choices)
        except CannotMake as err:
            return str(err)
        return None

    def colours(self) -> set[str]:
        """Every border colour the table names: any other colour is made (or not) alike."""
        found: set[str] = set()
        for row in self.table.products:
            found |= colours_in(row.when)
        for attribute in self.table.attributes:
            found |= colours_in(attribute.when)
            if attribute.choice in COLOUR_CHOICES:
                found |= colours_in({attribute.choice: list(attribute.values)})
        for name in COLOUR_CHOICES:
            found |= colours_in({name: self.table.unsupported.get(name, [])})
        return found

    def shipping_method(self, method: str) -> str:
        return self.table.shipping.get(method, self.table.shipping.get("", ""))


def _check(table: MappingTable, tables: OptionTables) -> list[str]:
    """Every name in the table is one easel knows."""
    problems: list[str] = []
    known: dict[str, set[str]] = {
        "style": set(tables.style_by_code), "size": set(tables.size_by_code), "frame": set(tables.frame_by_code),
        "matte": set(tables.matte_by_code), "substrate": set(tables.substrate_by_code),
    }
    for n, product in enumerate(table.products):
        for name, wanted in product.when.items():
            if name not in MATCHABLE:
                problems.append(f"products[{n}].when: {name} is not a choice ({', '.join(MATCHABLE)})")
                continue
            for value in wanted if isinstance(wanted, list) else [wanted]:
                if name in known and value not in known[name]:
                    problems.append(f"products[{n}].when.{name}: {value!r} is not a known {name}")
        if not product.sku:
            problems.append(f"products[{n}].sku is empty")
    for n, attribute in enumerate(table.attributes):
        for name in attribute.when:
            if name not in MATCHABLE:
                problems.append(f"attributes[{n}].when: {name} is not a choice")
        if attribute.choice not in MATCHABLE:
            problems.append(f"attributes[{n}].choice: {attribute.choice} is not a choice")
        for style in attribute.styles:
            if style not in known["style"]:
                problems.append(f"attributes[{n}].styles: {style!r} is not a known style")
        if attribute.choice in known:
            for value in attribute.values:
                if value not in known[attribute.choice]:
                    problems.append(f"attributes[{n}].values: {value!r} is not a known {attribute.choice}")
    for name in table.unsupported:
        if name not in MATCHABLE:
            problems.append(f"unsupported: {name} is not a choice")
    return problems


def load_product_map(vendor: str, tables: OptionTables, text: str | None = None) -> ProductMap:
    """Read and check ``data/vendors/<vendor>.json``; a bad table is one SettingsError naming the problem."""
    if text is None:
        text = resources.files("easel.data").joinpath("vendors", f"{vendor}.json").read_text("utf-8")
    try:
        raw: Any = json.loads(text)
        table = MappingTable.model_validate(raw)
    except (ValueError, ValidationError) as err:
        raise SettingsError(f"the {vendor} mapping table is not valid: {str(err).splitlines()[0]}") from None
    problems = _check(table, tables)
    if table.vendor != vendor:
        problems.append(f"vendor is {table.vendor!r}, expected {vendor!r}")
    if problems:
        raise SettingsError(f"the {vendor} mapping table is not valid: {'; '.join(problems[:5])}")
    return ProductMap(table)
