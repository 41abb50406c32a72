"""The JSON shapes the widget API sends: artworks for the grid and the product page, and products
(a priced configuration) with the document's cart fields.

The product's fields are exactly the document's cart POST example (artist, description, frame,
image_code, image_size, inner_size, outer_size, preview, price, size, sku, style, substrate, title;
``url`` is the page's, added by the widget), plus the choices the example has no field for (matte,
canvas border, stretcher bar, hardware), ``gp_sku``, ``print_size`` and ``currency``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request

from ..domain.catalog import Artwork
from ..domain.configuration import fmt, parse_route
from ..domain.money import whole_units
from ..domain.options import OptionTables
from ..services.products import Product
from .previews import Previews


def widget_base(request: Request) -> str:
    """The absolute URL of ``/widget/v1/`` as this request reached it."""
    return f"{request.base_url}widget/v1/"


def thumb_url(base: str, artwork: Artwork, width: int = 240) -> str:
    return f"{base}thumb/{artwork.code}/{Previews.version(artwork)}/{width}.jpg"


def artwork_summary(base: str, artwork: Artwork) -> dict[str, Any]:
    return {
        "code": artwork.code, "title": artwork.title, "artist": artwork.artist,
        "orientation": artwork.orientation, "width_px": artwork.width_px, "height_px": artwork.height_px,
        "substrates": list(artwork.substrates), "thumb": thumb_url(base, artwork),
        "thumb2x": thumb_url(base, artwork, 480),
        "route": f"/product/edit/{artwork.code}",
    }


def artwork_detail(base: str, artwork: Artwork, tables: OptionTables) -> dict[str, Any]:
    sizes = []
    for code in artwork.sizes(tables):
        w, h = artwork.image_inches(tables.size_by_code[code].long_edge)
        sizes.append({"code": code, "image_size": f"{w}x{h}"})
    return {**artwork_summary(base, artwork), "description": artwork.description, "sizes": sizes}


def preview_url(base: str, product: Product, width: int = 600) -> str:
    """The preview's URL; its query holds the choices (checked against the sku), so a configuration
    only priced, never stored, still has a preview."""
    r = product.resolved
    code, choices = parse_route(r.route)
    query = urlencode({"code": code, **{k: str(v) for k, v in choices.items()}})
    return f"{base}preview/{r.sku}/{Previews.version(product.artwork)}/{width}.jpg?{query}"


def product_fields(base: str, product: Product, *, with_price: bool = True) -> dict[str, Any]:
    r = product.resolved
    c = r.configuration
    a = product.artwork
    return {
        "artist": a.artist, "description": a.description, "frame": c.frame, "image_code": a.code,
        "image_size": fmt(r.image_size), "inner_size": fmt(r.inner_size), "outer_size": fmt(r.outer_size),
        "preview": preview_url(base, product), "price": whole_units(product.price_cents) if with_price else None,
        "size": c.size, "sku": r.sku, "style": c.style, "substrate": c.substrate, "title": a.title,
        "matte": c.matte, "border_type": c.border_type, "border_color": c.border_color,
        "border_width": c.border_width, "stretcher_bar": c.stretcher_bar, "security_hardware": c.security_hardware,
        "gp_sku": r.gp_sku, "print_size": fmt(r.print_size), "currency": product.currency,
    }


def priced(base: str, product: Product, *, with_price: bool) -> dict[str, Any]:
    """The price endpoint's answer: the resolved choices, the route and the product."""
    fields = product_fields(base, product, with_price=with_price)
    return {
        "choices": product.resolved.configuration.as_choices(),
        "route": product.resolved.route,
        "price": fields["price"],
        "currency": product.currency,
        "login_required": None if with_price else "pricing",
        "product": fields,
    }
