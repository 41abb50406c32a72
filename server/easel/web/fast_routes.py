"""The hottest GETs answered from what earlier requests kept, in front of Starlette's stack.

Why it exists: a client polling ``GET /orders/:id``, a shopper clicking options (``GET
/widget/v1/api/price``), the widget's first search (``GET /widget/v1/api/search``, no filter, first page:
every widget asks it) and its grids (``GET /widget/v1/thumb/…``, ~24 a first view) mostly ask again what
was just answered. With the answer kept (the order service's
kept answers, the widget's price answers) what is left is the stack itself: routing, three middlewares
each wrapping ``send``, a ``Request`` and a ``Response`` with their header objects — most of a
request's time (measured: 0.3–0.47× a bare Starlette endpoint; README "Figures"). Here one pure ASGI
function answers such a request with one list of headers, and **only** when it can answer exactly as
the full stack would; in every other case (anything it does not know, any error, any first request)
it passes the request, body included, to the stack untouched, which then does everything as before.

What an answer here keeps from the stack: the signature (a request is answered only if its exact bytes
verified before under the merchant's current secret, compared in constant time: ``api.auth``), the rate
limit counted and its headers (``X-Rate-Limit``; 429 and 120 in their usual shapes), the widget's
per-page and per-key limits and CORS (a registered origin only), the per-address picture limit
(``EASEL_IMAGE_RATE_*``), a thumbnail's file headers (``ETag``, ``Last-Modified``, ``Accept-Ranges``; a
``Range`` request goes to the stack) and its artwork's current version, ``X-Request-ID``, ``X-Content-Type-
Options``, ``Cache-Control``, the access log line (path redacted), the body limit (a body over it, or
chunked, goes to the stack). Nothing is counted before the request is known to be answered here, so a
request passed on is never counted twice. ``tests/test_fast_routes.py`` checks that both answer alike.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..api.auth import count, repeated_read
from ..api.endpoints import MAX_ID
from ..api.errors import ApiError, api_error_response
from ..api.signing import signing_uri
from ..domain.merchants import Merchant
from ..runtime import Runtime
from ..settings import Settings, SettingsError
from ..widget.access import ApiProblem, Caller, too_many, widget_limit
from ..widget.api import first_search, kept_price, kept_search, price_request
from ..widget.images import kept_thumbnail, too_many_pictures
from ..widget.payloads import widget_base
from ..widget.state import WidgetState
from .access_log import log_request, request_id_from

ORDER_PREFIX = "/orders/"
PRICE_PATH = "/widget/v1/api/price"
SEARCH_PATH = "/widget/v1/api/search"
THUMB_PREFIX = "/widget/v1/thumb/"
_THUMB = re.compile(r"/widget/v1/thumb/([^/]+)/([^/]+)/([0-9]+)\.jpg")  # as the route's pattern matches
_NOSNIFF = (b"x-content-type-options", b"nosniff")
_JSON = (b"content-type", b"application/json")
_NO_STORE = (b"cache-control", b"no-store")
_VARY = (b"vary", b"Origin")
_EXPOSE = (b"access-control-expose-headers", b"Retry-After")
Answer = tuple[int, list[tuple[bytes, bytes]], bytes] | Response


class FastRoutes:
    """Answer a repeated signed order read, a kept widget price or first search, a kept thumbnail here;
    pass everything else on."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.max_body = settings.max_body_bytes
        # price requests as read (see _price_request), bounded as every per-process cache is (EASEL_CACHE_MAX_*)
        self._asked: dict[tuple[bytes, bytes, Any, Any], PriceRequest] = {}
        self._asked_bytes = 0
        self._asked_max = max(1, settings.cache_max_entries)
        self._asked_max_bytes = max(1, settings.cache_max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not scope.get("root_path"):
            path: str = scope["path"]
            passed: Receive | None = receive
            if path.startswith(ORDER_PREFIX):
                passed = await self._order(scope, receive, send)
            elif path == PRICE_PATH:
                passed = await self._price(scope, receive, send)
            elif path == SEARCH_PATH:
                passed = await self._search(scope, receive, send)
            elif path.startswith(THUMB_PREFIX):
                passed = await self._thumbnail(scope, receive, send)
            if passed is None:
                return
            receive = passed
        await self.app(scope, receive, send)

    async def _order(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """``GET /orders/:id`` repeated: the same bytes as a request that verified, the order unchanged.
        None once answered, else the ``receive`` to pass on (replaying the body read here)."""
        raw_id = scope["path"][len(ORDER_PREFIX):]
        raw_path = scope.get("raw_path")
        runtime: Runtime | None = scope.get("state", {}).get("runtime")
        if not raw_id.isdigit() or len(raw_id) > 10 or not 0 < int(raw_id) <= MAX_ID or not raw_path \
                or runtime is None:
            return receive
        incoming_id = b""
        declared: bytes | None = None
        content_type: bytes | None = None  # the first of each, as the stack reads them
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming_id = value
            elif name == b"content-length":
                declared = value if declared is None else declared
            elif name == b"transfer-encoding":
                return receive  # a body of unknown length: the stack counts it as it comes
            elif name == b"content-type" and content_type is None:
                content_type = value
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            return receive
        messages: list[Message] = []
        body = b""
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return _replay(messages, receive)
            body += message.get("body", b"")
            if len(body) > self.max_body:
                return _replay(messages, receive)
            if not message.get("more_body", False):
                break
        kind = (content_type or b"").decode("latin-1").split(";", 1)[0].strip().lower()
        known = (signing_uri(raw_path.decode("latin-1")), kind, scope.get("query_string", b""), body)
        try:
            merchant = await repeated_read(runtime, known)
            if merchant is None or merchant.require_timestamp:  # a timestamp is refused by the stack (113)
                return _replay(messages, receive)
            kept = await runtime.orders.kept(merchant, int(raw_id))
        except (SQLAlchemyError, OSError):  # the stack meets the same failure and answers it
            return _replay(messages, receive)
        if kept is None:
            return _replay(messages, receive)
        scope["state"]["merchant"] = merchant.username

        async def answer() -> Answer:
            try:
                rate = await count(runtime, merchant, "GET /orders/:id")
            except ApiError as err:
                return api_error_response(err)
            return 200, [(b"content-length", str(len(kept)).encode()), _JSON,
                         (b"x-rate-limit", str(rate.limit).encode()),
                         (b"x-rate-limit-remaining", str(max(0, rate.remaining)).encode())], kept

        await _send_answer(scope, send, answer, incoming_id)
        return None

    async def _price(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """``GET /widget/v1/api/price``: an answer the price route kept, for a page that may have it."""
        state = _widget_state(scope)
        if state is None:
            return receive
        origin: str | None = None
        host = incoming_id = b""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming_id = value
            elif name == b"host":
                host = host or value
            elif name == b"origin":
                origin = value.decode("latin-1") if origin is None else origin
            elif name == b"transfer-encoding" or (name == b"content-length" and value != b"0"):
                return receive  # a GET with a body: the stack applies the body limit
        asked = self._price_request(scope, host)
        if asked is None:
            return receive  # a choice too long: the stack answers it, after counting
        api_key, auth, code, choices, base = asked
        try:
            merchant = await state.merchant(api_key)
            if merchant is None or merchant.pricing_requires_login or auth == "pricing" \
                    or (origin is not None and not merchant.origin_allowed(origin)):
                return receive
            _, body = await kept_price(Caller(merchant, origin, state), code, (merchant.id, code, choices, base, True))
        except (SQLAlchemyError, OSError, SettingsError):  # the stack answers these (503), after counting
            return receive
        if body is None:
            return receive
        await _send_widget_json(scope, send, state, merchant, origin, body, incoming_id)
        return None

    async def _search(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """``GET /widget/v1/api/search`` as every widget asks first (no filter, first page): the answer
        the search route kept moments ago for this merchant and widget base."""
        state = _widget_state(scope)
        if state is None:
            return receive
        origin: str | None = None
        incoming_id = b""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming_id = value
            elif name == b"origin":
                origin = value.decode("latin-1") if origin is None else origin
            elif name == b"transfer-encoding" or (name == b"content-length" and value != b"0"):
                return receive  # a GET with a body: the stack applies the body limit
        query = QueryParams(scope["query_string"])
        if not first_search(query):
            return receive
        try:
            merchant = await state.merchant(query.get("api_key", ""))
        except (SQLAlchemyError, OSError):  # the stack answers these (503)
            return receive
        if merchant is None or (origin is not None and not merchant.origin_allowed(origin)):
            return receive
        body = kept_search(state, merchant, (merchant.id, widget_base(Request(scope)), bool(query.get("facets"))))
        if body is None:
            return receive
        await _send_widget_json(scope, send, state, merchant, origin, body, incoming_id)
        return None

    async def _thumbnail(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """``GET /widget/v1/thumb/CODE/VERSION/WIDTH.jpg``: a thumbnail the route served moments ago."""
        state = _widget_state(scope)
        matched = _THUMB.fullmatch(scope["path"])
        if state is None or matched is None:
            return receive
        incoming_id = b""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming_id = value
            elif name in (b"range", b"if-range", b"transfer-encoding") \
                    or (name == b"content-length" and value != b"0"):
                return receive  # a part of the file, or a GET with a body: the stack answers those
        code, version, width = matched[1], matched[2], int(matched[3])
        try:
            kept = await kept_thumbnail(state, code, version, width)
        except (SQLAlchemyError, OSError):  # the stack meets the same failure and answers it
            return receive
        if kept is None:
            return receive
        client = scope.get("client")

        async def answer() -> Answer:
            limited = too_many_pictures(state, str(client[0]) if client else "-")
            return limited if limited is not None else (200, list(kept.headers), kept.body)

        await _send_answer(scope, send, answer, incoming_id)
        return None

    def _price_request(self, scope: Scope, host: bytes) -> PriceRequest | None:
        """What a price request asks, read as the price route reads it (its query and the widget base of
        its Host), remembered by those bytes: shoppers send the same few hundred queries over and over."""
        server = scope.get("server")
        key = (scope["query_string"], host, scope.get("scheme"), tuple(server) if server else None)
        found = self._asked.get(key)
        if found is not None:
            return found
        query = QueryParams(scope["query_string"])
        try:
            code, choices = price_request(query)
        except ApiProblem:
            return None
        found = PriceRequest(query.get("api_key", ""), query.get("auth", ""), code, tuple(choices.items()),
                             widget_base(Request(scope)))
        size = len(key[0]) + len(host) + 200
        if size <= self._asked_max_bytes // self._asked_max:
            if len(self._asked) >= self._asked_max or self._asked_bytes + size > self._asked_max_bytes:
                self._asked.clear()
                self._asked_bytes = 0
            self._asked[key] = found
            self._asked_bytes += size
        return found


class PriceRequest(NamedTuple):
    api_key: str
    auth: str
    code: str
    choices: tuple[tuple[str, object], ...]
    base: str


def _widget_state(scope: Scope) -> WidgetState | None:
    """The app's widget state, if it is this runtime's (the first widget request of an app makes it)."""
    runtime: Runtime | None = scope.get("state", {}).get("runtime")
    state: WidgetState | None = getattr(getattr(scope.get("app"), "state", None), "easel_widget", None)
    return state if runtime is not None and state is not None and state.runtime is runtime else None


async def _send_widget_json(scope: Scope, send: Send, state: WidgetState, merchant: Merchant, origin: str | None,
                            body: bytes, incoming_id: bytes) -> None:
    """A kept widget read answered as ``widget_endpoint`` answers it: the page's and the key's read limit
    counted (429 in its shape), CORS for a registered origin, ``no-store``."""
    scope["state"]["merchant"] = merchant.username
    client = scope.get("client")

    async def answer() -> Answer:
        wait = widget_limit(state, "read", merchant, str(client[0]) if client else "-")
        if wait:
            return too_many(wait, origin)
        headers = [_NO_STORE, (b"content-length", str(len(body)).encode()), _JSON]
        if origin:
            headers += [(b"access-control-allow-origin", origin.encode("latin-1")), _EXPOSE]
        headers.append(_VARY)
        return 200, headers, body

    await _send_answer(scope, send, answer, incoming_id)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """``receive`` for the stack: what was read here first, then the rest from the server."""
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


async def _send_answer(scope: Scope, send: Send, answer: Callable[[], Awaitable[Answer]], incoming_id: bytes) -> None:
    """Send ``answer()`` with the headers every answer gets (nosniff, request id), then log the line."""
    rid = request_id_from(incoming_id)
    scope["state"]["request_id"] = rid
    started = time.perf_counter()
    status = 500
    try:
        made = await answer()
        if isinstance(made, Response):
            status = made.status_code
            headers = [*made.raw_headers, _NOSNIFF] if b"x-content-type-options" not in dict(made.raw_headers) \
                else list(made.raw_headers)
            content = made.body
        else:
            status, headers, content = made
            headers.append(_NOSNIFF)
        headers.append((b"x-request-id", rid.encode("latin-1")))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})
    finally:
        log_request(scope, status, started, rid)
