"""Standard Webhooks signatures on the events easel posts to merchants.

Headers: ``webhook-id`` (the event id: the same on every retry, so a receiver can drop repeats),
``webhook-timestamp`` (Unix seconds of this attempt) and ``webhook-signature: v1,<base64 HMAC-SHA256
of "<id>.<timestamp>.<body>">``. The HMAC key is the UTF-8 bytes of the merchant's API secret (the
one that signs its order API requests). Libraries that expect a ``whsec_`` secret take
``"whsec_" + base64(secret)``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping


class WebhookVerificationError(ValueError):
    """The signature, timestamp or headers of a webhook do not check out."""


def _key(secret: str | bytes) -> bytes:
    if isinstance(secret, bytes):
        return secret
    if secret.startswith("whsec_"):
        return base64.b64decode(secret.removeprefix("whsec_"))
    return secret.encode()


def sign(secret: str | bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value for one attempt."""
    mac = hmac.new(_key(secret), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def signed_headers(secret: str | bytes, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret, msg_id, timestamp, body)}


def verify(secret: str | bytes, headers: Mapping[str, str], body: bytes, *, tolerance: float = 300,
           now: float | None = None) -> None:
    """Raise :class:`WebhookVerificationError` unless a signature in the headers is right and fresh."""
    lowered = {k.lower(): v for k, v in headers.items()}
    msg_id = lowered.get("webhook-id", "")
    stamp = lowered.get("webhook-timestamp", "")
    signatures = lowered.get("webhook-signature", "")
    if not msg_id or not stamp or not signatures:
        raise WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        timestamp = int(stamp)
    except ValueError:
        raise WebhookVerificationError("webhook-timestamp is not a whole number") from None
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise WebhookVerificationError("webhook-timestamp is too far from now")
    expected = sign(secret, msg_id, timestamp, body)
    for candidate in signatures.split():
        if hmac.compare_digest(candidate, expected):
            return
    raise WebhookVerificationError("no valid signature")
