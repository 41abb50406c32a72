"""CORS for the widget API: a merchant's registered origins may call it, no one else's pages may.

Requests without an ``Origin`` header (servers, curl) are not browsers reading across origins, so they
need no CORS headers. Credentials (cookies) are never allowed: the API is keyed by ``api_key`` and the
shopper is named by ``X-Customer-Id`` / ``X-Customer-Token`` headers, never by easel cookies.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..domain.merchants import Merchant
from .problems import problem

ALLOWED_METHODS = "GET, POST, PATCH, DELETE"
ALLOWED_HEADERS = "Content-Type, X-Customer-Id, X-Customer-Token"
PREFLIGHT_MAX_AGE = "600"


def page_origin(request: Request) -> str | None:
    """The ``Origin`` a browser sent (``None`` for non-browser callers); ``"null"`` counts as sent."""
    return request.headers.get("origin")


def allow(response: Response, origin: str | None) -> Response:
    """Let the page at ``origin`` read this response (the caller has checked the origin)."""
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = "Retry-After"
    response.headers.append("Vary", "Origin")
    return response


def allow_any(response: Response) -> Response:
    """For answers that reveal nothing about a merchant (an unknown key): any page may read them."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def preflight(request: Request, merchant: Merchant | None) -> Response:
    """Answer ``OPTIONS``: 204 with the allowed methods for a registered origin, else 403 without them."""
    origin = page_origin(request)
    if merchant is None or not origin or not merchant.origin_allowed(origin):
        return problem(403, "Origin not allowed",
                       f"the page origin {origin or '(none)'} is not registered for this api_key")
    response = Response(status_code=204)
    response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
    response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
    response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return allow(response, origin)
