"""Image2ART request signatures: the string PHP signs, the signature, and checking it in constant time.

The API document's ``signRequest`` drops ``signature``, moves ``username`` last and returns
``hash_hmac('sha256', $uri . json_encode($data), $secret)``. A request can stand for more than one
PHP value (see :mod:`easel.api.phpjson`), so a signature is accepted when it matches any reading.

Usage from the HTTP layer::

    request = read_signed_request(signing_uri(path), json_readings(body))
    merchant = lookup(request.username)          # before any HMAC work
    if merchant is None or not request.verify(merchant.secret): ...

Signatures are compared as hex digits in either case (PHP prints lowercase; the 256 bits are the
same); anything that is not exactly 64 hex digits never matches.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from easel.api.phpjson import PhpArray, RawNumber, php_json_encode

__all__ = [
    "SIGNATURE",
    "USERNAME",
    "SignedRequest",
    "compute_signature",
    "read_signed_request",
    "signing_data",
    "signing_string",
    "signing_uri",
    "verify",
]

USERNAME = "username"
SIGNATURE = "signature"

_HEX_SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")


def signing_uri(path: str) -> str:
    """The ``$uri`` a client signs for a request path: the path without its leading slash (``orders/1000001``)."""
    return path[1:] if path.startswith("/") else path


def signing_data(data: Mapping[Any, object], username: str | None) -> dict[Any, object]:
    """``signRequest``'s ``$data``: ``signature`` dropped, ``username`` set last.

    Follows PHP's ``isset`` exactly: a ``username`` or ``signature`` whose value is ``None`` is not
    dropped (so a null ``username`` is replaced where it stands). With ``username=None`` nothing is
    added, so data without a username is signed without one. A :class:`PhpArray` stays one.
    """
    prepared: dict[Any, Any] = {}
    if isinstance(data, PhpArray):
        prepared = PhpArray()
    for key, value in data.items():
        if key in (USERNAME, SIGNATURE) and value is not None:
            continue
        prepared[key] = value
    if username is not None:
        prepared[USERNAME] = username
    return prepared


def signing_string(uri: str, data: Mapping[Any, object], username: str | None) -> str:
    """``$uri . json_encode($data)`` as ``signRequest`` builds it.

    For example ``orders{"start":0,"rows":20,"username":"testing"}``.
    """
    return uri + php_json_encode(signing_data(data, username))


def _key(secret: str | bytes) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else secret


def compute_signature(secret: str | bytes, uri: str, data: Mapping[Any, object], username: str | None) -> str:
    """The lowercase hex HMAC-SHA256 PHP's ``signRequest`` returns for this data."""
    message = signing_string(uri, data, username).encode("utf-8")
    return hmac.new(_key(secret), message, hashlib.sha256).hexdigest()


def _claimed(data: Mapping[Any, object], field: str) -> str | None:
    value = data.get(field)
    return value if isinstance(value, str) and not isinstance(value, RawNumber) else None


def _messages(uri: str, readings: Iterable[Mapping[Any, object]], username: str | None) -> tuple[bytes, ...]:
    messages: dict[bytes, None] = {}
    for reading in readings:
        try:
            messages[signing_string(uri, reading, username).encode("utf-8")] = None
        except (ValueError, TypeError):
            continue  # a reading PHP could not print (e.g. a number that overflows to infinity)
    return tuple(messages)


def _matches(secret: str | bytes, messages: Iterable[bytes], signature: object) -> bool:
    if not isinstance(signature, str) or not _HEX_SIGNATURE.fullmatch(signature):
        return False
    expected = bytes.fromhex(signature)
    key = _key(secret)
    matched = False
    for message in messages:  # no early exit: every candidate costs the same
        matched |= hmac.compare_digest(hmac.digest(key, message, "sha256"), expected)
    return matched


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """What a request claims (``username``, ``signature``) and the strings it may have been signed as.

    Built before the merchant is known, so the HTTP layer can look the username up and then call
    :meth:`verify` with that merchant's secret.
    """

    uri: str
    username: str | None
    signature: str | None
    messages: tuple[bytes, ...]

    def verify(self, secret: str | bytes) -> bool:
        """True when the signature matches one of the readings under ``secret``."""
        return _matches(secret, self.messages, self.signature)


def read_signed_request(uri: str, readings: Sequence[Mapping[Any, object]]) -> SignedRequest:
    """Collect the claimed username and signature (strings only) and every distinct signing string.

    ``readings`` come from :func:`~easel.api.phpjson.json_readings` or
    :func:`~easel.api.phpjson.form_readings`; the first is the data as sent.
    """
    first = readings[0] if readings else {}
    username = _claimed(first, USERNAME)
    return SignedRequest(uri, username, _claimed(first, SIGNATURE), _messages(uri, readings, username))


def verify(secret: str | bytes, uri: str, data_candidates: Iterable[Mapping[Any, object]], signature: str) -> bool:
    """True when ``signature`` is ``signRequest``'s output for any candidate reading of the request data.

    Each candidate is signed with the ``username`` it holds (if a string); each comparison is
    constant time and all candidates are compared.
    """
    messages: list[bytes] = []
    for data in data_candidates:
        messages.extend(_messages(uri, (data,), _claimed(data, USERNAME)))
    return _matches(secret, dict.fromkeys(messages), signature)
