"""The reference data the sandbox answers from: products, countries, shipping methods, carriers, prices.

Catalogue (prices in GBP pence, converted per destination currency):
`GLOBAL-FAP-*` fine-art paper prints, no attributes; `GLOBAL-CFPM-*` classic frames with mount,
`frameColour` required (black, white, natural, brown, gold, silver); `GLOBAL-CAN-*` canvas, `wrap`
required (Black, White, ImageWrap, MirrorWrap) and `edge` optional (19mm, 38mm). A missing or wrong
attribute gives the image warning `AttributeNotValid`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

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


_FRAME = {"frameColour": ("black", "white", "natural", "brown", "gold", "silver")}
_WRAP = {"wrap": ("Black", "White", "ImageWrap", "MirrorWrap")}
_EDGE = {"edge": ("19mm", "38mm")}

CATALOGUE: dict[str, Product] = {
    p.sku: p
    for p in (
        Product("GLOBAL-FAP-8x10", "FAP", 900),
        Product("GLOBAL-FAP-12x16", "FAP", 1500),
        Product("GLOBAL-FAP-16x24", "FAP", 2400),
        Product("GLOBAL-FAP-20x30", "FAP", 3300),
        Product("GLOBAL-CFPM-8x10", "CFPM", 3200, _FRAME),
        Product("GLOBAL-CFPM-12x16", "CFPM", 4600, _FRAME),
        Product("GLOBAL-CFPM-16x20", "CFPM", 5900, _FRAME),
        Product("GLOBAL-CAN-10x12", "CAN", 2900, _WRAP, _EDGE),
        Product("GLOBAL-CAN-16x20", "CAN", 4400, _WRAP, _EDGE),
        Product("GLOBAL-CAN-20x30", "CAN", 6200, _WRAP, _EDGE),
    )
}

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
    for product in CATALOGUE.values():
        if product.sku.lower() == sku.lower():
            return product
    raise PwintyApiError(400, f"Product with sku {sku} not found")


def attributes_valid(product: Product, attributes: dict[str, str]) -> bool:
    allowed = {**product.required, **product.optional}
    if any(name not in attributes for name in product.required):
        return False
    return all(name in allowed and value in allowed[name] for name, value in attributes.items())
