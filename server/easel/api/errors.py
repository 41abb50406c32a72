"""The order API's errors: one table of codes, one exception, one response shape.

Every error on the order API is the document's object ``{"error_code": N, "error": {"short_message",
"long_message"}}`` with ``X-Error-Code`` and ``X-Error-Message`` headers (ASCII, one line). The table below
is served in the HTML documentation and ``/openapi.json``; it is the only place codes are defined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.responses import JSONResponse


@dataclass(frozen=True)
class ErrorCode:
    code: int
    status: int
    short_message: str
    meaning: str


ERROR_CODES: tuple[ErrorCode, ...] = (
    ErrorCode(100, 400, "Malformed request.", "The body is not a JSON object (or form data) easel can read: "
              "malformed or truncated JSON, an array or string instead of an object, a key given twice, nesting deeper "
              "than EASEL_MAX_JSON_DEPTH (64)."),
    ErrorCode(101, 413, "Request too large.", "The body is larger than the server accepts (EASEL_MAX_BODY_BYTES)."),
    ErrorCode(102, 400, "Invalid encoding.", "The body or a parameter is not valid UTF-8."),
    ErrorCode(103, 415, "Unsupported media type.",
              "Send JSON (application/json) or form data (application/x-www-form-urlencoded)."),
    ErrorCode(110, 401, "Authentication Failed.",
              "The request has no username, or one no merchant can have (3-64 letters, digits, '.', '_', '-')."),
    ErrorCode(112, 401, "Authentication Failed.", "Signature is not valid"),
    ErrorCode(113, 401, "Authentication Failed.",
              "The merchant requires a signed timestamp within 5 minutes of the server's clock, and it is "
              "missing or too old."),
    ErrorCode(120, 429, "Rate limit exceeded.",
              "Too many requests of this kind in the current window; Retry-After says when to try again."),
    ErrorCode(200, 400, "Invalid order.", "The order has invalid or missing fields; the long message names each."),
    ErrorCode(201, 400, "Invalid order item.",
              "An item cannot be made: unknown sku, a border or hardware its style does not offer, a bad image."),
    ErrorCode(202, 400, "Invalid parameter.",
              "A query parameter (start, rows, an id) is out of range or not a number."),
    ErrorCode(210, 409, "Duplicate order.", "external_order_number or Idempotency-Key was already used for a "
              "different order; a repeat of the same order returns the first one with status 200."),
    ErrorCode(211, 409, "Order cannot be changed.",
              "The order has been sent to production; its shipping address can no longer change."),
    ErrorCode(212, 409, "Quote not usable.", "The quote is unknown, expired, or was made for other items."),
    ErrorCode(403, 403, "Not authorized.", "You are not authorized to access the requested resource."),
    ErrorCode(404, 404, "Not found.", "The requested resource was not found."),
    ErrorCode(405, 405, "Method not allowed.", "The resource does not answer this HTTP method."),
    ErrorCode(500, 500, "Server error.", "Something failed on easel's side; the request id in X-Request-ID helps."),
    ErrorCode(501, 501, "Not implemented.", "This method is currently unavailable."),
)
BY_CODE = {e.code: e for e in ERROR_CODES}
_UNSAFE = re.compile(r"[^\x20-\x7e]+")


class ApiError(Exception):
    """Raise anywhere under the order API; the handler turns it into the documented error object."""

    def __init__(self, code: int, long_message: str | None = None, headers: dict[str, str] | None = None):
        self.entry = BY_CODE[code]
        self.long_message = long_message or self.entry.meaning
        self.headers = headers or {}
        super().__init__(f"{code}: {self.long_message}")


def header_safe(text: str, limit: int = 300) -> str:
    """One ASCII line for an HTTP header: control and non-ASCII characters become spaces."""
    return _UNSAFE.sub(" ", text).strip()[:limit].rstrip()


def error_response(code: int, long_message: str | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    entry = BY_CODE[code]
    message = long_message or entry.meaning
    all_headers = {"X-Error-Code": str(code), "X-Error-Message": header_safe(message), "Cache-Control": "no-cache",
                   **(headers or {})}
    body = {"error_code": code, "error": {"short_message": entry.short_message, "long_message": message}}
    return JSONResponse(body, status_code=entry.status, headers=all_headers)


def api_error_response(err: ApiError) -> JSONResponse:
    return error_response(err.entry.code, err.long_message, err.headers)
