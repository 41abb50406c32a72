"""Reading an order API request's data: the body (JSON or form) or the query string, size-limited.

Read in two steps, so a request from no one costs little: first only what authentication needs (the
claimed ``username`` and ``signature``, and the strings PHP may have signed, bounded in number and in the
data they cover), then, for a merchant whose signature matched, the data as Python values to validate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import ClientDisconnect, Request

from .errors import ApiError
from .json_as_sent import JsonBody
from .phpjson import PhpArray, RequestDataError, form_readings, json_readings
from .signing import signing_string

_JSON_TYPES = ("application/json", "text/json", "application/x-json")
_FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class ReadingLimits:
    """How much work one request's signature check may cost (EASEL_SIGNATURE_*, EASEL_MAX_JSON_DEPTH)."""

    max_readings: int = 4
    alt_bytes: int = 65_536
    max_depth: int = 64


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


def _form_as_lists(value: Any) -> Any:
    """PHP arrays with keys 0..n-1 are lists (``items[0][sku]`` → a list of items)."""
    if isinstance(value, PhpArray):
        keys = list(value.keys())
        if keys == list(range(len(keys))):
            return [_form_as_lists(v) for v in value.values()]
        return {str(k): _form_as_lists(v) for k, v in value.items()}
    return value


def _data_error(err: RequestDataError) -> ApiError:
    message = str(err)
    return ApiError(102 if "UTF-8" in message else 100, message)


@dataclass(frozen=True)
class RequestData:
    """What a request sent: a JSON body, or form data (a form body or a query string) as PHP reads it."""

    size: int  # bytes of the body or the query string
    body: JsonBody | None = None
    form: tuple[PhpArray, ...] = (PhpArray(),)  # when not JSON: as sent, then with numbers as numbers

    def claim(self, field: str) -> str | None:
        """A top-level string the request claims (``username``, ``signature``); None if absent or not a string."""
        if self.body is not None:
            return self.body.claim(field)
        value = self.form[0].get(field)
        return value if isinstance(value, str) else None

    def keys(self) -> frozenset[str]:
        return self.body.keys() if self.body is not None else frozenset(str(k) for k in self.form[0])

    def signing_messages(self, uri: str, limits: ReadingLimits) -> tuple[bytes, ...]:
        """The strings the claimed username may have signed: the data as sent, then (for data of at most
        ``alt_bytes``) the other readings a PHP client may have signed, ``max_readings`` in all."""
        username = self.claim("username")
        if username is None:
            raise ValueError("signing_messages needs a claimed username")
        messages: dict[bytes, None] = {}
        try:
            if self.body is not None:
                messages[(uri + self.body.signing_json()).encode("utf-8")] = None
                others: tuple[Mapping[Any, object], ...] = ()
                if self.size <= limits.alt_bytes and limits.max_readings > 1:
                    others = json_readings(self.body.text, max_depth=limits.max_depth)[1:]
            else:
                messages[signing_string(uri, self.form[0], username).encode("utf-8")] = None
                others = self.form[1:] if self.size <= limits.alt_bytes else ()
        except RequestDataError as err:
            raise _data_error(err) from None
        except (ValueError, TypeError):
            return tuple(messages)  # data PHP could not print matches no signature
        for reading in others[: max(0, limits.max_readings - 1)]:
            try:
                messages[signing_string(uri, reading, username).encode("utf-8")] = None
            except (ValueError, TypeError):
                continue  # a reading PHP could not print (e.g. a number that overflows to infinity)
        return tuple(messages)

    def values(self) -> dict[str, Any]:
        """The data as Python values (numbers as numbers, form arrays as lists), without username and
        signature: what the handler validates once the signature has matched."""
        try:
            data = self.body.values() if self.body is not None else _form_as_lists(self.form[0])
        except RequestDataError as err:
            raise _data_error(err) from None
        if not isinstance(data, dict):
            return {}
        return {k: v for k, v in data.items() if k not in ("username", "signature")}


async def read_request_data(request: Request, limit: int, max_depth: int = 64) -> RequestData:
    """The request's data from its body (JSON or form) or, without a body, its query string: checked
    (size, UTF-8, syntax, depth) but not yet read as values."""
    return parse_request_data(request, await read_body(request, limit), max_depth)


def content_type_of(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def parse_request_data(request: Request, body: bytes, max_depth: int = 64) -> RequestData:
    """:func:`read_request_data` once the body is read."""
    content_type = content_type_of(request)
    try:
        if body.strip():
            if content_type == _FORM_TYPE:
                return RequestData(len(body), form=form_readings(body, max_depth=max_depth))
            if content_type and content_type not in _JSON_TYPES and not content_type.endswith("+json"):
                raise ApiError(103, f"Content-Type {content_type[:60]} is not JSON or form data.")
            return RequestData(len(body), body=JsonBody(body, max_depth))
        query = request.scope.get("query_string", b"")
        if query:
            return RequestData(len(query), form=form_readings(query, max_depth=max_depth))
        return RequestData(0)
    except RequestDataError as err:
        raise _data_error(err) from None
