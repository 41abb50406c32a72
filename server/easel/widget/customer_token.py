"""``CustomerToken``: proof, made by the merchant's back end, that a page's ``CustomerId`` is genuine.

Any script on a page can set ``CustomerId``, so a project list keyed only by that id is readable by
anyone who knows or guesses it. A merchant that renders the widget for a signed-in customer can also
render ``CustomerToken`` = HMAC-SHA256 of ``"easel-customer-v1|" + id`` with its API secret (the prefix
keeps it apart from order API signatures), and set ``require_customer_token`` so easel refuses ids
without one. PHP::

    $token = hash_hmac('sha256', 'easel-customer-v1|' . $customerId, $secret);
"""

from __future__ import annotations

import hashlib
import hmac

SCHEME = "easel-customer-v1"


def customer_token(customer_id: str, secret: str) -> str:
    """The token a merchant's back end renders next to ``CustomerId``."""
    return hmac.new(secret.encode(), f"{SCHEME}|{customer_id}".encode(), hashlib.sha256).hexdigest()


def verify_customer_token(customer_id: str, token: str, secret: str) -> bool:
    return hmac.compare_digest(customer_token(customer_id, secret), token.strip().lower())
