"""The order API's JSON shapes, exactly as the Image2ART document shows them.

Prices are whole currency units. Per item (the document's four prices, which it does not define):
``item_price`` and ``item_sale_price`` are the merchant's price for one unit (the price the widget
shows, markups applied); ``sale_price`` and ``final_price`` are what easel charges the merchant for the
line (its wholesale unit price, or a quote's, times the quantity). ``total_price`` is the sum of
``final_price``; ``total_items`` the sum of quantities.
"""

from __future__ import annotations

from typing import Any

from ..domain.catalog import Artwork
from ..domain.money import whole_units
from ..domain.orders import DEFAULT_SHIPPING_METHOD
from ..services.products import Product
from ..storage.orders import StoredItem, StoredOrder

_ADDRESS = ("name", "company", "address", "address2", "city", "state", "zip", "country")
_CUSTOMER = ("name", "company", "address", "address2", "city", "state", "zip", "country", "phone", "email")


def _pick(data: dict[str, Any] | None, keys: tuple[str, ...]) -> dict[str, Any]:
    data = data or {}
    return {k: data.get(k, "") for k in keys}


def item_json(item: StoredItem) -> dict[str, Any]:
    image: dict[str, Any] = {"name": item.image.get("name", ""), "code": item.image.get("code") or item.artwork_code,
                             "artist": item.image.get("artist", "")}
    if item.image.get("type") == "external":
        image.update(type="external", url=item.image.get("url", ""))
    if item.image.get("edition"):
        image["edition"] = item.image["edition"]
    unit_retail = whole_units(item.unit_retail_cents)
    line = whole_units(item.unit_cents * item.quantity)
    return {
        "id": item.id, "sku": item.sku, "gp_sku": item.gp_sku, "quantity": item.quantity,
        "item_sale_price": unit_retail, "sale_price": line, "item_price": unit_retail, "final_price": line,
        "image": image, "specs": item.specs, "notes": item.notes,
        "external_item_number": item.external_item_number, "sidemark": item.sidemark,
    }


def order_json(order: StoredOrder) -> dict[str, Any]:
    shipping = _pick(order.shipping, _ADDRESS)
    shipping["method"] = order.shipping_method or DEFAULT_SHIPPING_METHOD  # orders stored before it was kept
    shipping["packing_slip"] = order.shipping.get("packing_slip", "")
    shipping["tracking"] = [{"number": t["number"], "method": t["method"], "url": t["url"]} for t in order.tracking]
    body: dict[str, Any] = {
        "id": order.id,
        "status": order.status,
        "purchase_date": order.purchase_date.strftime("%Y-%m-%d %H:%M:%S"),
        "is_test": order.is_test,
        "notes": order.notes,
        "total_price": whole_units(order.total_cents),
        "total_items": sum(i.quantity for i in order.items),
        "items": [item_json(i) for i in order.items],
        "customer": _pick(order.customer, _CUSTOMER),
        "shipping": shipping,
        "billing": _pick(order.billing, _ADDRESS) if order.billing else None,
        "external_order_number": order.external_order_number,
        "currency": order.currency,
    }
    if order.status_reason:
        body["status_reason"] = order.status_reason
    return body


def product_json(product: Product) -> dict[str, Any]:
    """What a sku is: artwork, configuration, sizes, price (``GET /products/:sku``, ``GET /catalog``)."""
    r = product.resolved
    return {
        "sku": r.sku, "gp_sku": r.gp_sku, "image_code": product.artwork.code,
        "configuration": r.configuration.as_choices(), "specs": r.specs(), "route": r.route,
        "price": whole_units(product.price_cents), "wholesale_price": whole_units(product.list_cents),
        "currency": product.currency,
    }


def artwork_json(artwork: Artwork) -> dict[str, Any]:
    return {"code": artwork.code, "title": artwork.title, "artist": artwork.artist,
            "description": artwork.description, "width_px": artwork.width_px, "height_px": artwork.height_px,
            "orientation": artwork.orientation, "substrates": list(artwork.substrates)}
