"""A Python client for the Image2ART order API that signs exactly as the PHP sample does.

Merchants, easel's own tests and easel's upstream vendor adapter use it. ``sign_request`` is the
API document's ``signRequest`` in Python: for the same data it produces the same string and signature
as PHP (strings, ``\\/``, ``\\uXXXX`` escapes and float formatting included). Requests with a body
(POST, PUT) send the signed data as a JSON object printed by the same encoder, so the bytes sent are
the bytes signed. GET requests send the signed data as PHP-style query parameters (``start=0&rows=20
&username=..&signature=..``), which easel accepts; the document's curl examples send a JSON body
instead, which with ``curl -d`` is really a POST.

API errors raise :class:`Image2ArtError`; transport failures are httpx's own exceptions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlencode

import httpx

from easel.api.phpjson import form_readings, php_float_repr, php_json_encode
from easel.api.signing import SIGNATURE, compute_signature, signing_data, signing_string
from easel.widget.cart_signature import CartSignatureError, verify_cart_item
from easel.widget.customer_token import customer_token

# Everything a merchant's Python back end needs: sign order API calls, check the widget's cart items,
# make CustomerTokens for the widget, and verify easel's status callbacks.
__all__ = [
    "AsyncImage2ArtClient",
    "CartSignatureError",
    "Image2ArtClient",
    "Image2ArtError",
    "customer_token",
    "sign_request",
    "verify_cart_item",
    "verify_webhook",
]


def sign_request(uri: str, data: Mapping[Any, Any], username: str, secret: str | bytes) -> dict[Any, Any]:
    """``data`` with ``username`` last and ``signature`` added, as the PHP ``signRequest`` sample signs it.

    ``uri`` is the API path without its leading slash (``orders``, ``orders/1000001``).
    """
    if uri.startswith("/"):
        raise ValueError(f"uri is the path without its leading slash: {uri[1:]!r}, not {uri!r}")
    signed = signing_data(data, username)
    signed[SIGNATURE] = compute_signature(secret, uri, signed, username)
    return signed


class Image2ArtError(Exception):
    """An error response from an Image2ART server, read from its ``{"error_code", "error": {..}}`` object."""

    def __init__(self, status: int, error_code: int, short_message: str, long_message: str) -> None:
        super().__init__(f"HTTP {status}, error {error_code}: {short_message} {long_message}".rstrip())
        self.status = status
        self.error_code = error_code
        self.short_message = short_message
        self.long_message = long_message


def _query_value(value: object) -> str:
    """A scalar as PHP's ``http_build_query`` prints it."""
    if value is True or value is False:
        return "1" if value else "0"
    if isinstance(value, float):
        return php_float_repr(value)
    return str(value)


def _query_pairs(prefix: str, value: object, pairs: list[tuple[str, str]]) -> None:
    if isinstance(value, Mapping):
        items: Any = value.items()
    elif isinstance(value, (list, tuple)):
        items = enumerate(value)
    else:
        if value is not None:  # http_build_query leaves nulls out
            pairs.append((prefix, _query_value(value)))
        return
    for key, item in items:
        _query_pairs(f"{prefix}[{key}]" if prefix else str(key), item, pairs)


def _query(uri: str, signed: Mapping[Any, Any], username: str) -> list[tuple[str, str]]:
    """The signed data as query parameters, refusing data the server could not read back as signed."""
    pairs: list[tuple[str, str]] = []
    _query_pairs("", signed, pairs)
    expected = signing_string(uri, signed, username)
    if not any(signing_string(uri, r, username) == expected for r in form_readings(urlencode(pairs))):
        raise ValueError(
            "this data cannot travel in a query string and keep its signature "
            "(booleans, nulls, empty arrays, or numeric strings mixed with numbers)"
        )
    return pairs


@dataclass(frozen=True, slots=True)
class _Call:
    method: str
    uri: str
    data: Mapping[str, Any]


def _request_args(call: _Call, base_url: str, username: str, secret: str | bytes) -> dict[str, Any]:
    signed = sign_request(call.uri, call.data, username, secret)
    args: dict[str, Any] = {
        "method": call.method,
        "url": f"{base_url}/{call.uri}",
        "headers": {"Accept": "application/json"},
    }
    if call.method == "GET":
        args["params"] = _query(call.uri, signed, username)
    else:
        args["content"] = php_json_encode(signed).encode("ascii")
        args["headers"]["Content-Type"] = "application/json"
    return args


def _error_code(response: httpx.Response, payload: object) -> int:
    code = payload.get("error_code") if isinstance(payload, dict) else None
    if isinstance(code, int) and not isinstance(code, bool):
        return code
    header = response.headers.get("X-Error-Code", "")
    return int(header) if header.isdigit() else response.status_code


def _result(response: httpx.Response) -> dict[str, Any]:
    """The JSON object of a success, or :class:`Image2ArtError` built from the documented error object."""
    try:
        payload: object = json.loads(response.content)
    except ValueError:
        payload = None
    if response.is_success:
        if isinstance(payload, dict):
            return payload
        raise Image2ArtError(
            response.status_code,
            response.status_code,
            "Invalid response.",
            "The server did not answer with a JSON object.",
        )
    error = payload.get("error") if isinstance(payload, dict) else None
    error = error if isinstance(error, dict) else {}
    short = error.get("short_message")
    long = error.get("long_message")
    raise Image2ArtError(
        response.status_code,
        _error_code(response, payload),
        short if isinstance(short, str) else response.reason_phrase,
        long if isinstance(long, str) else response.headers.get("X-Error-Message", ""),
    )


def _list_orders(start: int, rows: int) -> _Call:
    return _Call("GET", "orders", {"start": start, "rows": rows})


def _get_order(order_id: int) -> _Call:
    return _Call("GET", f"orders/{int(order_id)}", {})


def _create_order(order: Mapping[str, Any]) -> _Call:
    return _Call("POST", "orders", order)


def _update_order(order_id: int, shipping: Mapping[str, Any]) -> _Call:
    return _Call("PUT", f"orders/{int(order_id)}", {"shipping": shipping})


def _ping() -> _Call:
    return _Call("GET", "ping", {})


def _order_events(order_id: int) -> _Call:
    return _Call("GET", f"orders/{int(order_id)}/events", {})


def _catalog(start: int, rows: int) -> _Call:
    return _Call("GET", "catalog", {"start": start, "rows": rows})


def _product(sku: str) -> _Call:
    if not re.fullmatch(r"[0-9a-f]{16}", sku):
        raise ValueError(f"a sku is 16 lowercase hex characters, not {sku[:40]!r}")
    return _Call("GET", f"products/{sku}", {})


def _create_quote(quote: Mapping[str, Any]) -> _Call:
    return _Call("POST", "quotes", quote)


class Image2ArtClient:
    """A blocking client; pass ``http`` to share an ``httpx.Client`` (it is then not closed here)."""

    def __init__(
        self,
        base_url: str,
        username: str,
        secret: str | bytes,
        *,
        http: httpx.Client | None = None,
        timeout: float = 30.0,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._username = username
        self._secret = secret
        self._owns_http = http is None
        self._http = http if http is not None else httpx.Client(timeout=timeout)

    def _send(self, call: _Call) -> dict[str, Any]:
        return _result(self._http.request(**_request_args(call, self._base_url, self._username, self._secret)))

    def list_orders(self, start: int = 0, rows: int = 20) -> dict[str, Any]:
        """``GET /orders``: ``{"orders": [...]}``."""
        return self._send(_list_orders(start, rows))

    def get_order(self, order_id: int) -> dict[str, Any]:
        """``GET /orders/:id``: the order object."""
        return self._send(_get_order(order_id))

    def create_order(self, order: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /orders`` with the order's fields (customer, shipping, items, ...): ``{"order": {"id": ..}}``."""
        return self._send(_create_order(order))

    def update_order(self, order_id: int, shipping: Mapping[str, Any]) -> dict[str, Any]:
        """``PUT /orders/:id`` with new shipping fields: ``{"order": {"id": ..}, "affectedRows": n}``."""
        return self._send(_update_order(order_id, shipping))

    def ping(self) -> dict[str, Any]:
        """``GET /ping``: ``{"pong": "ping", "user": {..}}`` when the credentials are good."""
        return self._send(_ping())

    # easel's additions to the document's API (an Image2ART server may not have them)

    def order_events(self, order_id: int) -> dict[str, Any]:
        """``GET /orders/:id/events``: every status event of the order, oldest first."""
        return self._send(_order_events(order_id))

    def catalog(self, start: int = 0, rows: int = 10) -> dict[str, Any]:
        """``GET /catalog``: artworks with their standard configurations (sku, gp_sku, price)."""
        return self._send(_catalog(start, rows))

    def product(self, sku: str) -> dict[str, Any]:
        """``GET /products/:sku``: the artwork, configuration, sizes and price a sku stands for."""
        return self._send(_product(sku))

    def create_quote(self, quote: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /quotes`` (items, destination): prices, shipping and a ``quote_id`` that
        ``create_order`` may cite to lock them."""
        return self._send(_create_quote(quote))

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


class AsyncImage2ArtClient:
    """The same calls over an ``httpx.AsyncClient`` (e.g. the one an app creates in its lifespan)."""

    def __init__(
        self,
        base_url: str,
        username: str,
        secret: str | bytes,
        *,
        http: httpx.AsyncClient | None = None,
        timeout: float = 30.0,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._username = username
        self._secret = secret
        self._owns_http = http is None
        self._http = http if http is not None else httpx.AsyncClient(timeout=timeout)

    async def _send(self, call: _Call) -> dict[str, Any]:
        args = _request_args(call, self._base_url, self._username, self._secret)
        return _result(await self._http.request(**args))

    async def list_orders(self, start: int = 0, rows: int = 20) -> dict[str, Any]:
        """``GET /orders``: ``{"orders": [...]}``."""
        return await self._send(_list_orders(start, rows))

    async def get_order(self, order_id: int) -> dict[str, Any]:
        """``GET /orders/:id``: the order object."""
        return await self._send(_get_order(order_id))

    async def create_order(self, order: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /orders``: ``{"order": {"id": ..}}``."""
        return await self._send(_create_order(order))

    async def update_order(self, order_id: int, shipping: Mapping[str, Any]) -> dict[str, Any]:
        """``PUT /orders/:id`` with new shipping fields."""
        return await self._send(_update_order(order_id, shipping))

    async def ping(self) -> dict[str, Any]:
        """``GET /ping``."""
        return await self._send(_ping())

    # easel's additions to the document's API (an Image2ART server may not have them)

    async def order_events(self, order_id: int) -> dict[str, Any]:
        """``GET /orders/:id/events``: every status event of the order, oldest first."""
        return await self._send(_order_events(order_id))

    async def catalog(self, start: int = 0, rows: int = 10) -> dict[str, Any]:
        """``GET /catalog``: artworks with their standard configurations (sku, gp_sku, price)."""
        return await self._send(_catalog(start, rows))

    async def product(self, sku: str) -> dict[str, Any]:
        """``GET /products/:sku``: the artwork, configuration, sizes and price a sku stands for."""
        return await self._send(_product(sku))

    async def create_quote(self, quote: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /quotes`` (items, destination): prices, shipping and a ``quote_id`` that
        ``create_order`` may cite to lock them."""
        return await self._send(_create_quote(quote))

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.aclose()


def verify_webhook(secret: str | bytes, headers: Mapping[str, str], body: bytes, *, tolerance: float = 300) -> Any:
    """Check a status callback from easel (Standard Webhooks) and return its JSON event.

    ``secret`` is your API secret; ``headers`` the request's headers (any case); ``body`` the raw bytes.
    Raises ``ValueError`` (``WebhookVerificationError``) when the signature is wrong, the timestamp is
    more than ``tolerance`` seconds away, or anything given is not what a callback carries, whatever it
    is. Keep the ``webhook-id`` of events you processed: a retry repeats it. Signed and checked with the
    ``standardwebhooks`` library.
    """
    from easel.dispatch.webhook_signature import WebhookVerificationError, verify

    verify(secret, headers, body, tolerance=tolerance)
    try:
        return json.loads(bytes(body))
    except (ValueError, RecursionError):
        raise WebhookVerificationError("the body is not a JSON event") from None
