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
import re
import time
from collections.abc import Mapping

SCHEME = "easel-cart-v1"
SIGNED_FIELDS = ("sku", "image_code", "substrate", "style", "frame", "matte", "size", "quantity", "list_price",
                 "currency", "expires_at")
_NUMBERS = frozenset({"quantity", "list_price", "expires_at"})
DEFAULT_LIFETIME = 24 * 3600


class CartSignatureError(ValueError):
    """The item is not one easel signed for this merchant, or its signature has expired.

    :func:`verify_cart_item` raises only this, whatever it is given (a non-object, missing or mistyped
    fields, non-ASCII text, a secret of the wrong type), so a merchant catches one error.
    """


_HEX_SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")
_MAX_NUMBER = 10**15  # far beyond any quantity, price or time; keeps ``str()`` of a hostile int cheap


def _field(item: Mapping[str, object], name: str) -> str:
    value = item.get(name)
    if name in _NUMBERS:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < _MAX_NUMBER:
            raise CartSignatureError(f"{name} must be a whole number ≥ 0, got {_short(value)}")
        return str(value)
    if not isinstance(value, str) or not value or "|" in value or len(value) > 100:
        raise CartSignatureError(f"{name} is missing or malformed")
    return value


def _short(value: object) -> str:
    text = repr(value) if isinstance(value, (str, float, type(None))) else type(value).__name__
    return text[:40]


def _key(secret: str | bytes) -> bytes:
    if isinstance(secret, bytes):
        return secret
    if isinstance(secret, str):
        return secret.encode("utf-8", "surrogatepass")
    raise CartSignatureError("the secret must be text or bytes")


def canonical_string(item: Mapping[str, object]) -> str:
    """What is signed: the scheme and the signed fields, joined by ``|``."""
    return "|".join([SCHEME, *(_field(item, name) for name in SIGNED_FIELDS)])


def sign_cart_item(item: Mapping[str, object], secret: str | bytes) -> str:
    message = canonical_string(item).encode("utf-8", "surrogatepass")  # JSON may carry lone surrogates
    return hmac.new(_key(secret), message, hashlib.sha256).hexdigest()


def verify_cart_item(item: object, secret: str | bytes, *, now: float | None = None) -> None:
    """Raise :class:`CartSignatureError` unless ``item`` carries easel's valid, unexpired signature."""
    if not isinstance(item, Mapping):
        raise CartSignatureError("the item is not an object")
    signature = item.get("signature")
    if not isinstance(signature, str) or not _HEX_SIGNATURE.fullmatch(signature):
        raise CartSignatureError("the item has no signature")
    expected = sign_cart_item(item, secret)
    if not hmac.compare_digest(expected.encode("ascii"), signature.lower().encode("ascii")):
        raise CartSignatureError("the signature does not match the item (was it changed in the browser?)")
    if isinstance(now, bool) or not isinstance(now, (int, float, type(None))):
        raise CartSignatureError("now must be a Unix time")
    if int(_field(item, "expires_at")) <= (time.time() if now is None else now):
        raise CartSignatureError("the item's signature has expired; add it to the cart again")
