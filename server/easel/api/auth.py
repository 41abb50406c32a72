"""Authenticating an order API request: who claims to send it, is the signature theirs, is it fresh,
and is it within the merchant's rate limit.

Order of checks, cheapest first, so a request from no one costs little: read the data (size, syntax,
depth), check the claimed username's form and the signature's (64 hex digits), look the username up
(a bounded cache), build the strings PHP may have signed (at most EASEL_SIGNATURE_READINGS, the other
readings only for data up to EASEL_SIGNATURE_ALT_BYTES) and verify the HMAC against each in constant
time. An unknown username is verified against a dummy secret, so it answers the same error (112) after
the same work as a wrong signature: neither the answer nor its time tells which usernames exist. Only
then is the data read as values, the request counted against the merchant's limit for its endpoint and
action, and the optional signed timestamp checked; from there on every answer carries the rate-limit
headers.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from ..domain.merchants import Merchant, is_username
from ..runtime import Runtime
from .errors import ApiError
from .rate_limit import RateState
from .request_data import ReadingLimits, RequestData, content_type_of, parse_request_data, read_body, read_request_data
from .signing import SignedRequest, signing_uri

TIMESTAMP_TOLERANCE = 300  # seconds either side of the server's clock
_DUMMY_SECRET = secrets.token_urlsafe(32)  # as long as a real one: the same HMAC work for unknown usernames
ReadTest = Callable[[dict[str, Any]], bool]
"""Whether a POST's data asks only to read (the document's curl -d examples), so it counts as the GET."""


@dataclass(frozen=True)
class SignedCall:
    merchant: Merchant
    data: dict[str, Any]  # the request data without username and signature
    rate: RateState


def _check_timestamp(merchant: Merchant, data: dict[str, Any]) -> None:
    if not merchant.require_timestamp:
        return
    stamp = data.get("timestamp")
    try:
        value = int(str(stamp))
    except ValueError:
        raise ApiError(113, "This merchant requires a signed timestamp (Unix seconds) in the request data.") from None
    if abs(time.time() - value) > TIMESTAMP_TOLERANCE:
        raise ApiError(113, "The signed timestamp is more than 5 minutes away from the server's clock.")


def limits_of(runtime: Runtime) -> ReadingLimits:
    settings = runtime.settings
    return ReadingLimits(settings.signature_readings, settings.signature_alt_bytes, settings.max_json_depth)


async def read_data(request: Request, runtime: Runtime) -> RequestData:
    return await read_request_data(request, runtime.settings.max_body_bytes, runtime.settings.max_json_depth)


def rate_action(request: Request, reads: bool = False) -> str:
    """The rate-limit action: the method (GET when a POST only reads) and the route's document path."""
    route = request.scope.get("route")
    name = getattr(route, "name", None) or f"{request.method} {request.url.path}"
    path = name.split(" ", 1)[-1]
    return f"{'GET' if reads else request.method} {path}"


async def authenticate(request: Request, runtime: Runtime, data: RequestData | None = None,
                       read_if: ReadTest | None = None) -> SignedCall:
    """The signed caller of this request, or an ApiError with the documented error object (carrying the
    rate-limit headers once the merchant is known)."""
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    uri = signing_uri(raw_path.decode("latin-1"))
    known: tuple[str, str, bytes, bytes] | None = None
    if data is None:
        body = await read_body(request, runtime.settings.max_body_bytes)
        known = (uri, content_type_of(request), request.scope.get("query_string", b""), body)
        repeated = await repeated_read(runtime, known)
        if repeated is not None:
            request.scope.setdefault("state", {})["merchant"] = repeated.username
            return await _admit(request, runtime, repeated, {}, read_if)
        data = parse_request_data(request, body, runtime.settings.max_json_depth)
    username, signature = data.claim("username"), data.claim("signature")
    if username is None:
        raise ApiError(110, "The request data has no username (send it, as a string, with the signature).")
    if not is_username(username):
        raise ApiError(110, "The username is not one any merchant can have (3-64 letters, digits, '.', '_', '-').")
    if signature is None or len(signature) != 64:
        raise ApiError(112)
    found = await runtime.merchants.by_username(username)
    # The client signs the path as it wrote it in the URL (raw_path above), so it is used undecoded.
    signed = SignedRequest(uri, username, signature, data.signing_messages(uri, limits_of(runtime)))
    if not signed.verify(found.secret if found else _DUMMY_SECRET) or found is None:
        raise ApiError(112)
    merchant = found.merchant
    request.scope.setdefault("state", {})["merchant"] = merchant.username
    try:
        payload = data.values()
    except ApiError as err:
        rate = await runtime.rate_limiter.hit(f"{merchant.id}:{rate_action(request)}", merchant.rate_limit)
        err.headers.update(rate.headers())
        raise
    directory = runtime.merchants
    if known is not None and not payload and sum(map(len, known)) <= directory.verified_read_max_bytes:
        directory.verified_reads[known] = (username, found.secret)
    return await _admit(request, runtime, merchant, payload, read_if)


async def repeated_read(runtime: Runtime, known: tuple[str, str, bytes, bytes]) -> Merchant | None:
    """The merchant of a request whose exact bytes (path, type, query, body) verified before, under the
    merchant's current secret, and carried nothing but the signature: a client polling ``GET /orders/:id``
    sends the same bytes each time, and an HMAC's answer for the same bytes and secret does not change.
    Only verified requests are kept, so a wrong signature still costs the full check every time."""
    directory = runtime.merchants
    remembered = directory.verified_reads.get(known)
    if remembered is None:
        return None
    found = await directory.by_username(remembered[0])
    if found is None or not hmac.compare_digest(found.secret, remembered[1]):
        return None  # the secret was rotated (or the merchant removed): check it all again
    return found.merchant


async def count(runtime: Runtime, merchant: Merchant, action: str) -> RateState:
    """Count one request of ``action`` against the merchant's limit; ApiError 120 (with Retry-After) over it."""
    rate = await runtime.rate_limiter.hit(f"{merchant.id}:{action}", merchant.rate_limit)
    if not rate.allowed:
        raise ApiError(120, f"More than {rate.limit} {action} requests in this window; "
                            f"try again in {rate.reset_in} seconds.",
                       headers={**rate.headers(), "Retry-After": str(rate.reset_in)})
    return rate


async def _admit(request: Request, runtime: Runtime, merchant: Merchant, payload: dict[str, Any],
                 read_if: ReadTest | None) -> SignedCall:
    """Count a verified request against the merchant's limit and check its timestamp."""
    action = rate_action(request, reads=request.method == "POST" and read_if is not None and read_if(payload))
    rate = await count(runtime, merchant, action)
    try:
        _check_timestamp(merchant, payload)
    except ApiError as err:
        err.headers.update(rate.headers())
        raise
    return SignedCall(merchant, payload, rate)
