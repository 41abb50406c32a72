"""Standard Webhooks signatures on the events easel posts to merchants, made and checked by the
standard's own library (``standardwebhooks``).

Headers: ``webhook-id`` (the event id: the same on every retry, so a receiver can drop repeats),
``webhook-timestamp`` (Unix seconds of this attempt) and ``webhook-signature: v1,<base64 HMAC-SHA256
of "<id>.<timestamp>.<body>">``. The HMAC key is the UTF-8 bytes of the merchant's API secret (the
one that signs its order API requests). Libraries that expect a ``whsec_`` secret take
``"whsec_" + base64(secret)``, and so does this module.

What is added here to the library: that key convention (the library reads a plain string as base64),
a tolerance and clock the caller chooses (the library's window is a fixed 5 minutes of real time),
a timestamp that must be a whole number, and one error, :class:`WebhookVerificationError` (a
``ValueError``), for every input that does not check out, whatever its type or characters.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import standardwebhooks
from standardwebhooks.webhooks import EmptyWebhookSecretError

_PREFIX = "whsec_"
_REQUIRED = ("webhook-id", "webhook-timestamp", "webhook-signature")
_MAX_HEADER = 8192


class WebhookVerificationError(ValueError):
    """The signature, timestamp, headers or secret of a webhook do not check out."""


class _Webhook(standardwebhooks.Webhook):
    """The library's ``Webhook`` with its fixed timestamp window replaced by the check in :func:`verify`
    (which runs first, with the caller's tolerance); the library still parses the timestamp for signing."""

    def _Webhook__verify_timestamp(self, timestamp_header: str) -> datetime:
        return datetime.fromtimestamp(int(timestamp_header), tz=UTC)


def _webhook(secret: str | bytes) -> _Webhook:
    """The library's signer for a merchant secret (UTF-8 bytes) or a ``whsec_`` secret (base64)."""
    try:
        if isinstance(secret, str):
            return _Webhook(secret if secret.startswith(_PREFIX) else secret.encode())
        if isinstance(secret, bytes | bytearray):
            return _Webhook(bytes(secret))
    except (EmptyWebhookSecretError, ValueError):  # empty, bad base64, lone surrogates
        raise WebhookVerificationError("the secret is empty or not a valid secret") from None
    raise WebhookVerificationError("the secret must be a string or bytes")


def sign(secret: str | bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value for one attempt."""
    return _webhook(secret).sign(msg_id, datetime.fromtimestamp(timestamp, tz=UTC), body)


def signed_headers(secret: str | bytes, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret, msg_id, timestamp, body)}


def _lowered(headers: Any) -> dict[str, str]:
    """The three Standard Webhooks headers, by lower-case name, from any mapping of headers."""
    try:
        items = list(headers.items())
    except (AttributeError, TypeError):
        raise WebhookVerificationError("headers must be a mapping of names to values") from None
    found: dict[str, str] = {}
    for name, value in items:
        if not isinstance(name, str):
            continue
        name = name.lower()
        if name in _REQUIRED:
            if not isinstance(value, str) or not value or len(value) > _MAX_HEADER:
                raise WebhookVerificationError(f"{name} is empty, too long or not text")
            found[name] = value
    missing = [name for name in _REQUIRED if name not in found]
    if missing:
        raise WebhookVerificationError(f"missing {', '.join(missing)}")
    return found


def verify(secret: str | bytes, headers: Mapping[str, str], body: bytes, *, tolerance: float = 300,
           now: float | None = None) -> None:
    """Raise :class:`WebhookVerificationError` unless a signature in the headers is right and fresh."""
    if not isinstance(body, bytes | bytearray | memoryview):
        raise WebhookVerificationError("the body must be the raw bytes received")
    found = _lowered(headers)
    stamp = found["webhook-timestamp"]
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
        raise WebhookVerificationError("webhook-timestamp is not a whole number of seconds")
    if abs((time.time() if now is None else now) - int(stamp)) > tolerance:
        raise WebhookVerificationError("webhook-timestamp is too far from now")
    webhook = _webhook(secret)
    try:
        webhook.verify(bytes(body), found, json_parse=False)
    except (standardwebhooks.WebhookVerificationError, ValueError, OverflowError, OSError):  # surrogates, year 10000
        raise WebhookVerificationError("no valid signature") from None
