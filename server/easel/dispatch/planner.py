"""Splitting a merchant order into vendor orders ("parts"): one per print vendor, retouching first.

Items go to the vendor their routing rules choose (``vendors/routing.py``) and are translated with that
vendor's mapping table; items for the same vendor share one vendor order, in the order they came. An
item whose route asks for retouching also gets a retouch part (one per retouching vendor), submitted
before any print part. An item that has become unroutable since the order was accepted (rules or
tables changed) stops the plan with a reason a person can act on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..domain.merchants import Merchant
from ..storage.orders import StoredItem, StoredOrder
from ..vendors.mapping import CannotMake, ProductMap
from ..vendors.routing import Route, Router, Unroutable
from .parts import NewPart


class CannotPlan(Exception):
    """The order cannot be split into vendor orders as it stands; the message says why."""


def plan(order: StoredOrder, merchant: Merchant, router: Router, maps: Mapping[str, ProductMap],
         image_url: Callable[[StoredItem], str], sandbox: Callable[[str], bool]) -> list[NewPart]:
    """The parts for ``order``: retouch parts first, then one print part per vendor."""
    printing: dict[str, list[dict[str, Any]]] = {}
    retouching: dict[str, list[dict[str, Any]]] = {}
    for item in order.items:
        try:
            route = router.route(merchant.routing, item.choices)
        except (Unroutable, ValueError) as err:
            raise CannotPlan(f"item {item.position + 1} ({item.sku}): {err}") from None
        url = image_url(item)
        line = print_line(item, route, maps, url)
        printing.setdefault(route.vendor, []).append(line)
        if route.retouch:
            retouching.setdefault(route.retouch, []).append(
                {"item_id": item.id, "position": item.position, "image_url": url})
    # One retouch part per image: each is one job at the retouching vendor, with its own ticket.
    parts = [NewPart(vendor, "retouch", sandbox(vendor), [line], {})
             for vendor, lines in retouching.items() for line in lines]
    return parts + print_parts(order, maps, printing, sandbox)


def print_line(item: StoredItem, route: Route, maps: Mapping[str, ProductMap], image_url: str) -> dict[str, Any]:
    """One item as a line of a print part at ``route.vendor`` (its sku, sizing and attributes there)."""
    try:
        product = maps[route.vendor].product(item.choices)
    except (CannotMake, ValueError) as err:
        raise CannotPlan(f"item {item.position + 1} ({item.sku}): {err}") from None
    sku = item.sku if product.sku == "*" else product.sku
    line = {"item_id": item.id, "position": item.position, "sku": sku, "sizing": product.sizing,
            "attributes": dict(product.attributes), "copies": item.quantity, "image_url": image_url,
            "image_type": item.image.get("type", "newera"), "retouch": route.retouch}
    if route.fallback_after is not None:
        line["fallback_after"] = route.fallback_after
    return line


def print_parts(order: StoredOrder, maps: Mapping[str, ProductMap], printing: Mapping[str, list[dict[str, Any]]],
                sandbox: Callable[[str], bool], detail: Mapping[str, Any] | None = None) -> list[NewPart]:
    """One print part per vendor, with the vendor's name for the order's shipping method."""
    return [NewPart(vendor, "print", sandbox(vendor), lines,
                    {**(detail or {}), "shipping_method": maps[vendor].shipping_method(order.shipping_method)})
            for vendor, lines in printing.items()]
