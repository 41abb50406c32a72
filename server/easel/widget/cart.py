"""Add to cart: the signed item the widget hands to the merchant's cart receivable path.

``POST /api/cart/item`` returns the item for the browser to POST to the cart path on the page's own
origin (*direct* mode); ``POST /api/cart/relay`` has easel POST it there server to server and returns
the merchant's answer (*relay* mode). Both take ``{code, choices, quantity, price, url, auth}``, where
``price`` is what the page's ``setPrice`` showed; easel prices the choices itself for ``list_price``.
"""

from __future__ import annotations

import math
import time
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..domain.configuration import CHOICE_FIELDS
from .access import ApiProblem, Caller, customer_of, json_object, widget_endpoint
from .api import no_store, price_choices, pricing_allowed
from .cart_signature import DEFAULT_LIFETIME, sign_cart_item
from .payloads import product_fields, widget_base
from .relay import relay_to_cart

MAX_QUANTITY = 99


def parse_choices(body: dict[str, Any]) -> dict[str, object]:
    raw = body.get("choices") or {}
    if not isinstance(raw, dict):
        raise ApiProblem(400, "Bad choices", "choices must be an object")
    choices: dict[str, object] = {}
    for name, value in raw.items():
        if name not in CHOICE_FIELDS or value is None or value == "":
            continue
        if isinstance(value, (dict, list)) or len(str(value)) > 60:
            raise ApiProblem(400, "Bad choices", f"{name} must be a short text, number or boolean")
        choices[name] = value
    return choices


def _quantity(body: dict[str, Any]) -> int:
    value = body.get("quantity", 1)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_QUANTITY:
        raise ApiProblem(400, "Bad quantity", f"quantity must be a whole number from 1 to {MAX_QUANTITY}")
    return value


def _shown_price(body: dict[str, Any], list_price: int) -> float | int:
    value = body.get("price")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not 0 <= value <= 10_000_000:
        return list_price
    return value if isinstance(value, int) or not value.is_integer() else int(value)


def _page_url(body: dict[str, Any], caller: Caller) -> str:
    value = body.get("url")
    if not isinstance(value, str) or len(value) > 2000:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not caller.merchant.origin_allowed(f"{parts.scheme}://{parts.netloc}"):
        return ""
    return value


async def signed_item(request: Request, caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    """The document's cart fields plus quantity, list_price, expires_at and signature."""
    product = await price_choices(caller, str(body.get("code") or ""), parse_choices(body))
    if not await pricing_allowed(request, caller, str(body.get("auth") or "")):
        raise ApiProblem(401, "Sign in required", "sign in to see prices and buy")
    fields = product_fields(widget_base(request), product)
    list_price = int(fields["price"])
    item: dict[str, Any] = {
        **fields, "url": _page_url(body, caller), "price": _shown_price(body, list_price),
        "quantity": _quantity(body), "list_price": list_price, "expires_at": int(time.time()) + DEFAULT_LIFETIME,
    }
    item["signature"] = sign_cart_item(item, await caller.state.secret(caller.merchant))
    return item


@widget_endpoint("write")
async def cart_item(request: Request, caller: Caller) -> Response:
    """``POST /api/cart/item``: a signed item for the browser to post to the cart path (direct mode)."""
    body = await json_object(request)
    return no_store({"item": await signed_item(request, caller, body), "cart_path": caller.merchant.cart_path})


@widget_endpoint("write")
async def cart_relay(request: Request, caller: Caller) -> Response:
    """``POST /api/cart/relay``: easel posts the signed item to the shop's cart path (relay mode)."""
    if caller.merchant.cart_mode != "relay":
        raise ApiProblem(409, "Relay not enabled", "this shop takes cart items from the browser (direct mode)")
    body = await json_object(request)
    item = await signed_item(request, caller, body)
    customer = await customer_of(request, caller)
    token = request.headers.get("x-customer-token", "").strip() if customer and customer.verified else ""
    result = await relay_to_cart(caller, item, customer.id if customer else None, token)
    return JSONResponse(result, status_code=200 if result["ok"] else 502, headers={"Cache-Control": "no-store"})
