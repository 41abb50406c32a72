"""Who is calling the widget API, and may they: the api_key's merchant, the page origin, the limits,
and (where a feature needs it) the shopper named by the page.

Every JSON endpoint is wrapped by :func:`widget_endpoint`, which answers CORS preflights, resolves the
key, refuses pages on origins the merchant has not registered, applies the rate limits, turns
:class:`ApiProblem` into its response and adds the CORS headers. Handlers see a :class:`Caller`.
"""

from __future__ import annotations

import logging
import math
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import unquote

from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import Response

from ..domain.configuration import FieldError
from ..domain.merchants import Merchant
from ..settings import SettingsError
from ..web.json_body import JsonBodyError, parse_json_object
from ..web.state import runtime_of
from .cors import allow, allow_any, page_origin, preflight
from .customer_token import verify_customer_token
from .problems import problem
from .state import WidgetState, client_address, widget_state

logger = logging.getLogger("easel.widget")
MAX_CUSTOMER_ID = 200


class ApiProblem(Exception):
    """Raised by handlers to answer with a problem response."""

    def __init__(self, status: int, title: str, detail: str = "", *, headers: dict[str, str] | None = None,
                 errors: Sequence[FieldError] = ()) -> None:
        super().__init__(detail or title)
        self.response = problem(status, title, detail, headers=headers, errors=errors)


@dataclass(frozen=True, slots=True)
class Caller:
    merchant: Merchant
    origin: str | None
    state: WidgetState


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    verified: bool


Handler = Callable[[Request, Caller], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


def widget_endpoint(kind: Literal["read", "write"]) -> Callable[[Handler], Endpoint]:
    def wrap(handler: Handler) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            state = widget_state(request)
            try:
                merchant = await state.merchant(request.query_params.get("api_key", ""))
            except (SQLAlchemyError, OSError) as err:
                logger.error("widget key lookup failed: %s", err)
                return allow_any(problem(503, "Service unavailable", "the gallery service cannot answer right now"))
            if request.method == "OPTIONS":
                return preflight(request, merchant)
            if merchant is None:
                return allow_any(problem(403, "Unknown api_key",
                                         "this api_key is not a widget key of any merchant (or was revoked)"))
            request.scope.setdefault("state", {})["merchant"] = merchant.username
            origin = page_origin(request)
            if origin is not None and not merchant.origin_allowed(origin):
                return problem(403, "Origin not allowed",
                               f"the page origin {origin} is not registered for this api_key")
            wait = widget_limit(state, kind, merchant, client_address(request))
            if wait:
                return too_many(wait, origin)
            try:
                response = await handler(request, Caller(merchant, origin, state))
            except ApiProblem as err:
                response = err.response
            except (SQLAlchemyError, OSError, SettingsError) as err:  # readable by the page, unlike a bare 500
                logger.error("%s %s failed: %s", request.method, request.url.path, err)
                response = problem(503, "Service unavailable", "the gallery service cannot answer right now")
            return allow(response, origin)

        endpoint.__name__ = handler.__name__
        endpoint.__doc__ = handler.__doc__
        return endpoint

    return wrap


def widget_limit(state: WidgetState, kind: str, merchant: Merchant, address: str) -> float:
    """Spend one request of the page (key + client address) and of the key: 0.0, or the seconds to wait."""
    page = f"{merchant.id}|{address}"
    if kind == "read":
        return state.reads.take(page) or state.key_reads.take(str(merchant.id))
    return state.writes.take(page) or state.key_writes.take(str(merchant.id))


def too_many(wait: float, origin: str | None) -> Response:
    """The 429 problem of a page over its limit, readable by the page."""
    return allow(problem(429, "Too many requests", "slow down and retry shortly",
                         headers={"Retry-After": str(math.ceil(wait))}), origin)


async def json_object(request: Request) -> dict[str, Any]:
    """The request's JSON object body (an empty body is ``{}``), or a 400 problem saying what is wrong.

    Its size is bounded before it is read, by :class:`easel.web.body_limit.BodyLimitMiddleware`
    (``EASEL_WIDGET_MAX_BODY_BYTES``); its nesting by ``EASEL_MAX_JSON_DEPTH``.
    """
    try:
        return parse_json_object(await request.body(), runtime_of(request).settings.max_json_depth, empty={})
    except JsonBodyError as err:
        raise ApiProblem(400, "Bad JSON", str(err)) from None


def _clean_id(raw: str) -> str:
    text = unquote(raw).strip()
    if len(text) > MAX_CUSTOMER_ID or any(unicodedata.category(ch).startswith("C") for ch in text):
        raise ApiProblem(400, "Bad customer id", f"CustomerId must be at most {MAX_CUSTOMER_ID} printable characters")
    return text


async def customer_of(request: Request, caller: Caller) -> Customer | None:
    """The shopper the page names in ``X-Customer-Id`` (URI-encoded) and ``X-Customer-Token``.

    A token, when sent, must be valid; a merchant with ``require_customer_token`` gets no customer
    without one. ``None`` when the page names no one.
    """
    customer_id = _clean_id(request.headers.get("x-customer-id", ""))
    token = request.headers.get("x-customer-token", "").strip()
    if not customer_id:
        return None
    if token:
        if not verify_customer_token(customer_id, token, await caller.state.secret(caller.merchant)):
            raise ApiProblem(401, "Bad customer token", "CustomerToken does not match CustomerId")
        return Customer(customer_id, True)
    if caller.merchant.require_customer_token:
        raise ApiProblem(401, "Customer token required",
                         "this shop requires CustomerToken (made by its back end) next to CustomerId")
    return Customer(customer_id, False)
