"""The signature on a cart item, so a merchant's back end can trust what a shopper's browser posted.

The widget posts the item to the merchant's cart path from the shopper's browser, where any field can be
edited. easel signs the fields that decide what is made and what it costs with the merchant's API secret:

    HMAC-SHA256(secret, "easel-cart-v1|" + sku|image_code|substrate|style|frame|matte|size|quantity|
                        list_price|currency|expires_at)

as lowercase hex in ``signature``. ``list_price`` is easel's price in whole currency units before the
page's ``setPrice``; ``price`` (what the page showed) is the merchant's own business and is not signed.
The ``sku`` stands for every choice (border, stretcher bar, hardware included). ``expires_at`` is a Unix
time; a merchant should refuse an expired item. The prefix keeps these signatures apart from the order
API's (which sign ``uri . json``), so a cart signature can never pass as a request signature.

PHP, for a merchant's back end::

    $f = ['sku','image_code','substrate','style','frame','matte','size','quantity','list_price','currency',
          'expires_at'];
    $s = 'easel-cart-v1';
    foreach ($f as $k) { $s .= '|' . $item[$k]; }
    $ok = hash_equals(hash_hmac('sha256', $s, $secret), $item['signature']) && $item['expires_at'] > time();
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

SCHEME = "easel-cart-v1"
SIGNED_FIELDS = ("sku", "image_code", "substrate", "style", "frame", "matte", "size", "quantity", "list_price",
                 "currency", "expires_at")
_NUMBERS = frozenset({"quantity", "list_price", "expires_at"})
DEFAULT_LIFETIME = 24 * 3600


class CartSignatureError(ValueError):
    """The item is not one easel signed for this merchant, or its signature has expired."""


def _field(item: Mapping[str, object], name: str) -> str:
    value = item.get(name)
    if name in _NUMBERS:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise CartSignatureError(f"{name} must be a whole number ≥ 0, got {value!r}")
        return str(value)
    if not isinstance(value, str) or not value or "|" in value or len(value) > 100:
        raise CartSignatureError(f"{name} is missing or malformed")
    return value


def canonical_string(item: Mapping[str, object]) -> str:
    """What is signed: the scheme and the signed fields, joined by ``|``."""
    return "|".join([SCHEME, *(_field(item, name) for name in SIGNED_FIELDS)])


def sign_cart_item(item: Mapping[str, object], secret: str) -> str:
    return hmac.new(secret.encode(), canonical_string(item).encode(), hashlib.sha256).hexdigest()


def verify_cart_item(item: Mapping[str, object], secret: str, *, now: float | None = None) -> None:
    """Raise :class:`CartSignatureError` unless ``item`` carries easel's valid, unexpired signature."""
    signature = item.get("signature")
    if not isinstance(signature, str) or len(signature) != 64:
        raise CartSignatureError("the item has no signature")
    expected = sign_cart_item(item, secret)
    if not hmac.compare_digest(expected, signature.lower()):
        raise CartSignatureError("the signature does not match the item (was it changed in the browser?)")
    if int(_field(item, "expires_at")) <= (time.time() if now is None else now):
        raise CartSignatureError("the item's signature has expired; add it to the cart again")
