"""Reading an order API request's data: the body (JSON or form) or the query string, size-limited.

The same data serves two purposes: the signature is checked against every PHP reading of it (see
:mod:`easel.api.phpjson`), and the plain Python value of the first reading is what gets validated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import ClientDisconnect, Request

from .errors import ApiError
from .phpjson import JsonObject, PhpArray, RawNumber, RequestDataError, form_readings, json_readings

_JSON_TYPES = ("application/json", "text/json", "application/x-json")
_FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class RequestData:
    readings: tuple[JsonObject, ...]
    data: dict[str, Any]  # the first reading as plain Python values


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refusing (413) one larger than ``limit`` before reading it where the length is declared."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise ApiError(100, "Content-Length is not a number")
        if int(declared) > limit:
            raise ApiError(101, f"The body is {declared} bytes; the limit is {limit}.")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise ApiError(101, f"The body is larger than the limit of {limit} bytes.")
            chunks.append(chunk)
    except ClientDisconnect:
        raise ApiError(100, "The client closed the connection before the body was complete.") from None
    return b"".join(chunks)


def plain(value: Any) -> Any:
    """RawNumber → int/float and PhpArray → dict, so pydantic sees ordinary JSON values."""
    if isinstance(value, RawNumber):
        text = str(value)
        try:
            return int(text)
        except ValueError:
            return float(text)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def _form_as_lists(value: Any) -> Any:
    """PHP arrays with keys 0..n-1 are lists (``items[0][sku]`` → a list of items)."""
    if isinstance(value, PhpArray):
        keys = list(value.keys())
        if keys == list(range(len(keys))):
            return [_form_as_lists(v) for v in value.values()]
        return {str(k): _form_as_lists(v) for k, v in value.items()}
    return value


async def read_request_data(request: Request, limit: int) -> RequestData:
    """The request's data from its body (JSON or form) or, without a body, its query string."""
    body = await read_body(request, limit)
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    try:
        if body.strip():
            if content_type == _FORM_TYPE:
                readings: tuple[JsonObject, ...] = form_readings(body)
                return RequestData(readings, _form_as_lists(readings[0]))
            if content_type and content_type not in _JSON_TYPES and not content_type.endswith("+json"):
                raise ApiError(103, f"Content-Type {content_type[:60]} is not JSON or form data.")
            readings = json_readings(body)
            return RequestData(readings, plain(readings[0]))
        query = request.scope.get("query_string", b"")
        readings = form_readings(query) if query else (PhpArray(),)
        return RequestData(readings, _form_as_lists(readings[0]))
    except RequestDataError as err:
        message = str(err)
        code = 102 if "UTF-8" in message else 100
        raise ApiError(code, message) from None
