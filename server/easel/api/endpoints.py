"""The order API's handlers. Each one is thin: authenticate, validate, call a service, present.

The document's curl examples for ``GET /orders`` and ``GET /orders/:id`` send the signed JSON with
``-d``, which makes curl send a POST; so a POST to those paths whose data holds nothing but the
signature (and paging) is answered, and counted against the rate limit, as the GET it was meant to be.
Every answer to a merchant whose signature matched, errors included, carries the rate-limit headers.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..domain.money import whole_units
from ..domain.orders import (
    OrderRequest,
    OrderUpdateRequest,
    QuoteRequest,
    describe_validation_error,
)
from ..runtime import Runtime
from ..services.orders import DuplicateOrder, NotEditable, OrderProblem, QuoteProblem
from ..services.products import NotOffered, UnknownSku
from ..storage import catalog as catalog_store
from ..storage.orders import StoredOrder
from ..web.state import runtime_of
from .auth import ReadTest, SignedCall, authenticate, read_data
from .errors import ApiError, api_error_response
from .presenters import artwork_json, order_json, product_json

Handler = Callable[[Request, Runtime, SignedCall], Awaitable[Response]]
M = TypeVar("M", bound=BaseModel)
MAX_ID = 2**31 - 1
_ORDER_FIELDS = {"customer", "shipping", "billing", "items", "external_order_number", "notes", "quote_id", "is_test"}
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def _signed(handler: Handler, read_if: ReadTest | None) -> Callable[[Request], Awaitable[Response]]:
    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        runtime = runtime_of(request)
        try:
            call = await authenticate(request, runtime, read_if=read_if)
        except ApiError as err:
            return api_error_response(err)
        try:
            response = await handler(request, runtime, call)
        except ApiError as err:
            response = api_error_response(err)
        response.headers.update(call.rate.headers())
        return response

    return endpoint


def signed(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Authenticate, run the handler, and put the rate-limit headers on whatever it answers."""
    return _signed(handler, None)


def signed_reading_if(read_if: ReadTest) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """As :func:`signed`, for a POST that is answered as a GET when ``read_if(data)``; it counts as that GET."""
    return lambda handler: _signed(handler, read_if)


def _only_reads(data: dict[str, Any]) -> bool:
    return not _ORDER_FIELDS & data.keys()


def validate(model: type[M], data: dict[str, Any], code: int = 200) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as err:
        problems = describe_validation_error(err)
        item_code = 201 if problems and all(p.startswith("items[") for p, _ in problems) else code
        raise ApiError(item_code, "; ".join(f"{p}: {m}" for p, m in problems)) from None


def _int_param(data: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = data.get(name, default)
    if isinstance(value, bool) or value in ("", None):
        raise ApiError(202, f"{name}: must be a whole number between {low} and {high}")
    try:
        number = int(str(value).strip())
    except ValueError:
        shown = str(value)[:40]
        raise ApiError(202, f"{name}: must be a whole number between {low} and {high}, got {shown!r}") from None
    if not low <= number <= high:
        raise ApiError(202, f"{name}: must be between {low} and {high}, got {number}")
    return number


def order_id_of(request: Request) -> int:
    raw = request.path_params["order_id"]
    if not raw.isdigit() or len(raw) > 10 or not 0 < int(raw) <= MAX_ID:
        raise ApiError(202, f"id: {raw[:40]!r} is not an order id (a positive whole number)")
    return int(raw)


_JSON_RENDERER = JSONResponse(None)  # its render(): the bytes JSONResponse would send, kept for a cache


def _json(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status)


async def _list(runtime: Runtime, call: SignedCall) -> Response:
    start = _int_param(call.data, "start", 0, 0, 10**9)
    rows = _int_param(call.data, "rows", 20, 1, 100)
    found, total = await runtime.orders.page(call.merchant, start, rows)
    return _json({"orders": [order_json(o) for o in found], "start": start, "rows": rows, "total": total})


@signed
async def list_orders(request: Request, runtime: Runtime, call: SignedCall) -> Response:
    return await _list(runtime, call)


@signed_reading_if(_only_reads)
async def create_order(request: Request, runtime: Runtime, call: SignedCall) -> Response:
    if request.method == "POST" and _only_reads(call.data):
        return await _list(runtime, call)  # the document's curl -d example for GET /orders
    try:
        order = OrderRequest.model_validate(call.data)
    except ValidationError as err:
        problems = describe_validation_error(err)
        problems += [p for p in await runtime.orders.unknown_skus(call.merchant, call.data.get("items"))
                     if p[0] not in dict(problems)]
        problems.sort(key=lambda p: p[0])
        code = 201 if all(p.startswith("items[") for p, _ in problems) else 200
        raise ApiError(code, "; ".join(f"{p}: {m}" for p, m in problems)) from None
    key = request.headers.get("idempotency-key")
    if key is not None and not _IDEMPOTENCY_KEY.match(key):
        raise ApiError(200, "Idempotency-Key: must be 1-255 printable ASCII characters")
    try:
        order_id, created = await runtime.orders.create(call.merchant, order, key)
    except OrderProblem as err:
        codes = 201 if all(p.startswith("items[") for p, _ in err.problems) else 200
        raise ApiError(codes, str(err)) from None
    except DuplicateOrder as err:
        raise ApiError(210, f"{err.field}: already used for order {err.order_id} with different content") from None
    except QuoteProblem as err:
        raise ApiError(212, str(err)) from None
    return _json({"order": {"id": order_id}}, 201 if created else 200)


def _order_body(order: StoredOrder) -> bytes:
    return _JSON_RENDERER.render(order_json(order))


async def _get(request: Request, runtime: Runtime, call: SignedCall) -> Response:
    body = await runtime.orders.get_rendered(call.merchant, order_id_of(request), _order_body)
    if body is None:
        raise ApiError(404)
    return Response(body, media_type="application/json")


@signed
async def get_order(request: Request, runtime: Runtime, call: SignedCall) -> Response:
    return await _get(request, runtime, call)


@signed_reading_if(_only_reads)
async def post_order(request: Request, runtime: Runtime, call: SignedCall) -> Response:
    """POST /orders/:id with only the signature is the document's curl example for GET /orders/:id."""
    if not _only_reads(call.data):
        raise ApiError(405, "POST /orders/:id only reads an order; use PUT to change its shipping address.")
    return await _get(request, runtime, call)


@signed
async def update_order(request: Request, runtime: Runtime, call: SignedCall) -> Response:
    order_id = order_id_of(request)
    update = validate(OrderUpdateRequest, call.data)
    try:
        found = await runtime.orders.update_shipping(call.merchant, order_id, update)
    except NotEditable as err:
        raise ApiError(211, f"Order {order_id} is {err}; the shipping address can change only before it is "
                            "sent to production.") from None
    if not found:
        raise ApiError(404)
    return _json({"order": {"id": order_id}, "affectedRows": 1})


@signed
async def delete_order(request: Request, runtime: Runtime, call: SignedCall) -> Response:
    if await runtime.orders.get(call.merchant, order_id_of(request)) is None:
        raise ApiError(404)
    raise ApiError(501, "Deleting orders is currently unavailable.")


@signed
async def order_events(request: Request, runtime: Runtime, call: SignedCall) -> Response:
    events = await runtime.orders.events(call.merchant, order_id_of(request))
    if events is None:
        raise ApiError(404)
    return _json({"events": [{**e, "created_at": e["created_at"].strftime("%Y-%m-%dT%H:%M:%SZ")} for e in events]})


@signed
async def catalog(request: Request, runtime: Runtime, call: SignedCall) -> Response:
    start = _int_param(call.data, "start", 0, 0, 10**9)
    rows = _int_param(call.data, "rows", 10, 1, 50)
    code = str(call.data.get("code") or "").strip().upper()[:32]
    async with runtime.engine.connect() as conn:
        if code:  # one artwork (how an easel downstream finds the skus of what it sends here)
            found = await catalog_store.artwork_by_code(conn, code)
            if found and await catalog_store.hidden_from(conn, call.merchant.id, code):
                found = None  # hidden from this shop: as if there were none
            artworks, total = ([found] if found and start == 0 else []), (1 if found else 0)
        else:
            artworks, total = await catalog_store.search_artworks(conn, offset=start, limit=rows,
                                                                  shop=call.merchant.id, visibility="shown")
    products = runtime.products
    body = {
        "artworks": [{**artwork_json(a),
                      "configurations": [product_json(p) for p in products.catalog(call.merchant, a)]}
                     for a in artworks],
        "options": runtime.tables.model_dump(mode="json"),
        "start": start, "rows": rows, "total": total,
    }
    return _json(body)


@signed
async def product(request: Request, runtime: Runtime, call: SignedCall) -> Response:
    sku = str(request.path_params["sku"]).lower()
    if not re.fullmatch(r"[0-9a-f]{16}", sku):
        raise ApiError(202, f"sku: {sku[:40]!r} is not a sku (16 hexadecimal characters)")
    try:
        found = await runtime.products.by_sku(call.merchant, sku, offered=True)
    except UnknownSku:
        raise ApiError(404, f"unknown sku {sku}") from None
    except NotOffered as err:
        raise ApiError(404, f"sku {sku} is not offered: {err.reason}") from None
    return _json({"product": {**product_json(found), "artwork": artwork_json(found.artwork)}})


@signed
async def create_quote(request: Request, runtime: Runtime, call: SignedCall) -> Response:
    quote_request = validate(QuoteRequest, call.data)
    try:
        quote = await runtime.orders.quote(call.merchant, quote_request)
    except OrderProblem as err:
        raise ApiError(201, str(err)) from None
    shipping = runtime.prices.shipping_quotes(sum(q for _, _, q in quote["lines"]), quote_request.country)
    body = {"quote": {
        "id": quote["id"],
        "expires_at": quote["expires_at"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        "currency": call.merchant.currency,
        "items": [{"sku": i["sku"], "quantity": i["quantity"], "item_price": whole_units(i["retail_cents"]),
                   "final_price": whole_units(i["unit_cents"] * i["quantity"])} for i in quote["items"]],
        "shipping": [{"method": m, "price": whole_units(c)} for m, c in shipping],
        "total_price": whole_units(quote["total_cents"]),
    }}
    return _json(body, 201)


async def ping(request: Request) -> Response:
    """``GET /ping``: pong, plus the merchant when the request is signed (as the document shows)."""
    runtime = runtime_of(request)
    try:
        data = await read_data(request, runtime)
        if not {"signature", "username"} & data.keys():
            return _json({"pong": "ping"})
        call = await authenticate(request, runtime, data, read_if=lambda _: True)
    except ApiError as err:
        return api_error_response(err)
    response = _json({"pong": "ping", "user": {"username": call.merchant.username, "email": call.merchant.email}})
    response.headers.update(call.rate.headers())
    return response
