"""Merchants as the domain sees them: who they are, where their shop lives, how they price.

Validation of merchant-supplied settings lives here so the CLI, an admin page and tests share it.
Secrets are not part of this object: storage keeps them encrypted and hands them out separately.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .pricing import Markups

USERNAME = re.compile(r"[A-Za-z0-9_.-]{3,64}")
"""A merchant's API username, whole (``fullmatch``): the order API refuses any other name before a lookup."""
CART_MODES = ("direct", "relay")
_ORIGIN = re.compile(r"^(https?)://([a-z0-9.-]+|\[[0-9a-f:]+\])(?::(\d{1,5}|\*))?$")


@dataclass(frozen=True)
class Merchant:
    id: int
    username: str
    email: str = ""
    name: str = ""
    currency: str = "USD"
    test_mode: bool = False
    allowed_origins: tuple[str, ...] = ()
    cart_path: str = ""
    cart_mode: str = "direct"
    login_url: str = ""
    callback_url: str = ""
    markups: Markups = field(default_factory=Markups)
    require_customer_token: bool = False
    require_timestamp: bool = False
    pricing_requires_login: bool = False
    """The widget API withholds prices from shoppers who are not signed in, whatever the page says."""
    api_keys: tuple[str, ...] = ()
    rate_limit: int | None = None
    """Order API requests per endpoint and action in each window; None means ``EASEL_RATE_LIMIT``."""
    routing: dict[str, object] | None = field(default=None, compare=False)
    """Fulfilment routing rules (``vendors/routing.py``); None means the default rules."""
    own_vendor_accounts: frozenset[tuple[str, str]] = field(default=frozenset(), compare=False)
    """(vendor, mode) of each account of the merchant's own (credentials are not here): those take its orders
    in place of the operator's, and count for what it can sell."""

    def origin_allowed(self, origin: str) -> bool:
        return origin_matches(origin, self.allowed_origins)


def normalize_origin_pattern(pattern: str) -> str:
    """``https://Shop.example`` → ``https://shop.example``; ``http://127.0.0.1:*`` keeps its wildcard port.

    Raises ValueError for anything that is not scheme://host[:port|:*] (no paths, no wildcards in hosts).
    """
    text = pattern.strip().lower().rstrip("/")
    if not _ORIGIN.match(text):
        raise ValueError(f"{pattern!r} is not an origin such as https://shop.example.com or http://127.0.0.1:*")
    return text


def origin_matches(origin: str, patterns: tuple[str, ...] | list[str]) -> bool:
    """Whether a browser ``Origin`` is one of the patterns (exact, or any port for ``:*``)."""
    text = origin.strip().lower()
    match = _ORIGIN.match(text)
    if not match or match.group(3) == "*":
        return False
    scheme, host, port = match.groups()
    for pattern in patterns:
        if pattern == text:
            return True
        if pattern.endswith(":*") and pattern[:-2] == f"{scheme}://{host}":
            return True
        if port is None and pattern == f"{scheme}://{host}":
            return True
    return False


def validate_cart_path(value: str) -> str:
    """A path on the merchant's own site (``/cart/add``), never a URL to somewhere else."""
    text = value.strip()
    if not text:
        return ""
    parts = urlsplit(text)
    if parts.scheme or parts.netloc or not text.startswith("/") or text.startswith("//") or "\\" in text:
        raise ValueError(f"cart path {value!r} must be a path on the merchant's site, such as /cart/add")
    return text


def validate_login_url(value: str) -> str:
    """The shop's login page: a path or an http(s) URL, without a query string (the document asks so)."""
    text = value.strip()
    if not text:
        return ""
    parts = urlsplit(text)
    if parts.scheme not in ("", "http", "https") or (parts.scheme and not parts.netloc) or text.startswith("//"):
        raise ValueError(f"login URL {value!r} must be a path or an http(s) URL")
    if parts.query or parts.fragment:
        raise ValueError(f"login URL {value!r} must not have a query string or fragment")
    return text


def validate_callback_url(value: str) -> str:
    text = value.strip()
    if not text:
        return ""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"callback URL {value!r} must be an absolute http(s) URL")
    return text


def validate_currency(value: str) -> str:
    text = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", text):
        raise ValueError(f"currency {value!r} must be a three-letter ISO 4217 code such as USD")
    return text


def is_username(value: object) -> bool:
    """Whether ``value`` has the form of a username (checked before any lookup, so it must stay cheap)."""
    return isinstance(value, str) and len(value) <= 64 and USERNAME.fullmatch(value) is not None


def validate_username(value: str) -> str:
    if not is_username(value):
        raise ValueError(f"username {value[:80]!r} must be 3-64 letters, digits, '.', '_' or '-'")
    return value


def validate_rate_limit(value: str) -> int | None:
    """A merchant's own rate limit: a whole number of requests from 1 up, or ``default`` (EASEL_RATE_LIMIT)."""
    text = value.strip().lower()
    if text == "default":
        return None
    if not text.isdigit() or not 1 <= int(text) <= 10**9:
        raise ValueError(f"rate limit {value!r} must be a whole number of requests from 1 to 10^9, or 'default'")
    return int(text)
