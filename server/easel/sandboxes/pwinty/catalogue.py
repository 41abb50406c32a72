"""The reference data the sandbox answers from: products, countries, shipping methods, carriers, prices.

The products are a realistic slice of Pwinty's real catalogue (`catalogue.json`, data not code): photo
prints (`GLOBAL-PHO-4X6`, `GLOBAL-PHO-4X6-PRO`, optional `finish`), fine art prints (`GLOBAL-FAP-*`,
`GLOBAL-HPR-*`, `GLOBAL-HGE-*`, no attributes), canvases (`GLOBAL-CAN-*` with `wrap` required and `edge`
optional, `GLOBAL-SLIMCAN-*`) and framed prints (`GLOBAL-CFP-*`, `GLOBAL-CFPM-*` with an optional
`mountColour`, `GLOBAL-BOX-*`, `GLOBAL-FRA-CAN-*`, `frameColour` required), each in the sizes the real
line comes in, priced in GBP pence and converted per destination currency. SKUs match case-insensitively
and answer in the catalogue's spelling; an unknown one is refused. A missing or wrong attribute gives the
image warning `AttributeNotValid`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from easel.sandboxes.pwinty.envelope import PwintyApiError

CATALOGUE_NAME = "prodigi direct"


@dataclass(frozen=True)
class Product:
    sku: str
    family: str
    """Products of one family ship together; an order with several families splits into shipments."""
    price_gbp: int
    required: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    optional: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    name: str = ""


def load_catalogue(data: Mapping[str, Any] | None = None) -> dict[str, Product]:
    """Every product of `catalogue.json` (or `data` in its shape), keyed by its upper-case sku."""
    if data is None:
        data = json.loads(resources.files(__package__).joinpath("catalogue.json").read_text("utf-8"))
    values: Mapping[str, list[str]] = data["values"]

    def attributes(names: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
        return {name: tuple(values[listed]) for name, listed in names.items()}

    products: dict[str, Product] = {}
    for line in data["lines"]:
        for size, price in line["prices"].items():
            sku = line["sku"].format(size=size)
            products[sku.upper()] = Product(sku, line["family"], int(price), attributes(line.get("required", {})),
                                            attributes(line.get("optional", {})), line["name"])
    return products


CATALOGUE: dict[str, Product] = load_catalogue()

# iso code -> (name as the API spells it, currency, GBP -> currency rate)
COUNTRIES: dict[str, tuple[str, str, float]] = {
    "GB": ("UNITED KINGDOM", "GBP", 1.0),
    "US": ("UNITED STATES", "USD", 1.27),
    "CA": ("CANADA", "CAD", 1.72),
    "AU": ("AUSTRALIA", "AUD", 1.93),
    "NZ": ("NEW ZEALAND", "NZD", 2.1),
    "IE": ("IRELAND", "EUR", 1.17),
    "FR": ("FRANCE", "EUR", 1.17),
    "DE": ("GERMANY", "EUR", 1.17),
    "NL": ("NETHERLANDS", "EUR", 1.17),
    "ES": ("SPAIN", "EUR", 1.17),
    "IT": ("ITALY", "EUR", 1.17),
    "SE": ("SWEDEN", "SEK", 13.3),
    "CH": ("SWITZERLAND", "CHF", 1.12),
}

# method -> (shipping price per shipment in GBP pence, earliest days, latest days, tracked)
SHIPPING: dict[str, tuple[int, int, int, bool]] = {
    "Budget": (299, 5, 10, False),
    "Standard": (499, 3, 6, True),
    "Express": (1299, 1, 3, True),
    "Overnight": (1999, 1, 1, True),
}

TRACKING_URLS = {
    "RoyalMail": "https://www.royalmail.com/track-your-item#/tracking-results/{}",
    "DpdNextDay": "https://track.dpd.co.uk/parcels/{}",
    "UPS": "https://www.ups.com/track?tracknum={}",
    "FedEx": "https://www.fedex.com/fedextrack/?trknbr={}",
    "DHL": "https://www.dhl.com/en/express/tracking.html?AWB={}",
}


def carrier(country: str, method: str) -> str:
    fast = method in ("Express", "Overnight")
    if not SHIPPING[method][3]:
        return "AirMail" if country != "GB" else "RoyalMailSecondClass"
    if country == "GB":
        return "DpdNextDay" if fast else "RoyalMail"
    if country in ("US", "CA"):
        return "FedEx" if fast else "UPS"
    return "DHL"


def local_price(pence_gbp: int, country: str) -> int:
    return round(pence_gbp * COUNTRIES[country][2])


def find_product(sku: str) -> Product:
    """The product, however the sku is cased; an unknown sku is a 400, as the live API answers it."""
    product = CATALOGUE.get(sku.upper())
    if product is None:
        raise PwintyApiError(400, f"Product with sku {sku} not found")
    return product


def attributes_valid(product: Product, attributes: dict[str, str]) -> bool:
    allowed = {**product.required, **product.optional}
    if any(name not in attributes for name in product.required):
        return False
    return all(name in allowed and value in allowed[name] for name, value in attributes.items())
