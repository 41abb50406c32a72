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
    message = f"{SCHEME}|{customer_id}".encode("utf-8", "surrogatepass")
    return hmac.new(secret.encode("utf-8", "surrogatepass"), message, hashlib.sha256).hexdigest()


def verify_customer_token(customer_id: str, token: str, secret: str) -> bool:
    """Whether ``token`` is ``customer_id``'s; any text (non-ASCII included) is simply not a match.

    The comparison is of bytes: ``hmac.compare_digest`` raises ``TypeError`` on non-ASCII ``str``.
    """
    sent = token.strip().lower().encode("utf-8", "surrogatepass")
    return hmac.compare_digest(customer_token(customer_id, secret).encode("ascii"), sent)
