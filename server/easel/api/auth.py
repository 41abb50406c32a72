"""Authenticating an order API request: who claims to send it, is the signature theirs, is it fresh,
and is it within the merchant's rate limit.

Order of checks: read the data (size and shape), look the username up (cached), verify the HMAC
against every PHP reading of the data in constant time, check the optional signed timestamp, then
count the request against the merchant's limit for its action.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from ..domain.merchants import Merchant
from ..runtime import Runtime
from .errors import ApiError
from .rate_limit import RateState
from .request_data import RequestData, read_request_data
from .signing import read_signed_request, signing_uri

TIMESTAMP_TOLERANCE = 300  # seconds either side of the server's clock


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


async def authenticate(request: Request, runtime: Runtime, data: RequestData | None = None) -> SignedCall:
    """The signed caller of this request, or an ApiError with the documented error object."""
    data = data or await read_request_data(request, runtime.settings.max_body_bytes)
    # The client signs the path as it wrote it in the URL, so use it undecoded.
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    signed = read_signed_request(signing_uri(raw_path.decode("latin-1")), data.readings)
    if not signed.username:
        raise ApiError(110, "The request data has no username (send it with the signature).")
    found = await runtime.merchants.by_username(signed.username)
    if found is None:
        raise ApiError(111, f"No merchant is called {signed.username[:64]!r}.")
    if not signed.verify(found.secret):
        raise ApiError(112)
    merchant = found.merchant
    request.scope.setdefault("state", {})["merchant"] = merchant.username
    payload = {k: v for k, v in data.data.items() if k not in ("username", "signature")}
    _check_timestamp(merchant, payload)
    rate = await runtime.rate_limiter.hit(f"{merchant.id}:{request.method}")
    if not rate.allowed:
        raise ApiError(120, f"More than {rate.limit} {request.method} requests in this window; "
                            f"try again in {rate.reset_in} seconds.",
                       headers={**rate.headers(), "Retry-After": str(rate.reset_in)})
    return SignedCall(merchant, payload, rate)
