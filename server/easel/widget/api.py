"""The widget's read API under ``/widget/v1/api``: option tables, search, artworks and prices.

Prices are the merchant's (markups applied) in whole currency units. When the page says pricing needs
a signed-in shopper (``auth=pricing``) and names none, prices are left out of the answer itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..domain.catalog import CODE_PATTERN, ORIENTATIONS, Artwork
from ..domain.configuration import CHOICE_FIELDS, ConfigurationError
from ..domain.merchants import Merchant
from ..services.products import Product, UnknownArtwork
from ..storage import catalog as catalog_store
from ..ttl_cache import MISSING
from .access import ApiProblem, Caller, customer_of, widget_endpoint
from .http_cache import cached_response
from .payloads import artwork_detail, artwork_summary, priced, widget_base
from .state import WidgetState

PER_PAGE = 24
MAX_PER_PAGE = 48


def no_store(data: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers={"Cache-Control": "no-store"})


@widget_endpoint("read")
async def options(request: Request, caller: Caller) -> Response:
    """``GET /api/options``: substrates, styles, frames, mattes, sizes, border rules and defaults, cut down
    to what can be made for this merchant in its mode (kept briefly: a change of mode or routing shows
    within minutes)."""
    body = json.dumps(caller.state.tables_json(caller.merchant), separators=(",", ":")).encode()
    return cached_response(request, caller.state.scripts.get(body), "application/json", "public, max-age=300")


def _int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name, "")
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ApiProblem(400, "Bad parameter", f"{name} must be a whole number from {low} to {high}")
    return int(raw)


def _text(request: Request, name: str, limit: int, allowed: tuple[str, ...] = ()) -> str:
    value = request.query_params.get(name, "").strip()
    if len(value) > limit or (allowed and value and value not in allowed):
        hint = f"one of {', '.join(allowed)}" if allowed else f"at most {limit} characters"
        raise ApiProblem(400, "Bad parameter", f"{name} must be {hint}")
    return value


_FILTERS = ("q", "substrate", "orientation", "artist")
_FIRST_SEARCH = frozenset({"api_key", "facets", "page", "per_page", *_FILTERS})


def first_search(query: Mapping[str, str]) -> bool:
    """Whether a search asks what every widget asks first: no filter, the first page at its default size
    (its answer is kept: :func:`kept_search`)."""
    return set(query.keys()) <= _FIRST_SEARCH and not any(query.get(k, "").strip() for k in _FILTERS) \
        and not query.get("page", "") and not query.get("per_page", "")


def kept_search(state: WidgetState, merchant: Merchant, key: tuple[Any, ...]) -> bytes | None:
    """The first search's answer kept under ``key`` (merchant id, widget base, facets) if it was made for
    this very merchant object (so a changed merchant is never answered from here); also what
    web/fast_routes answers from."""
    kept = state.search_answers.get(key)
    return kept[1] if kept is not MISSING and kept[0] is merchant else None


@widget_endpoint("read")
async def search(request: Request, caller: Caller) -> Response:
    """``GET /api/search?q=&substrate=&orientation=&artist=&page=&per_page=&facets=1``; the first search
    (no filter, first page) answered from what an earlier one kept, for a few seconds (``EASEL_CACHE_TTL``)."""
    query = request.query_params
    key = (caller.merchant.id, widget_base(request), bool(query.get("facets"))) if first_search(query) else None
    if key is not None and (body := kept_search(caller.state, caller.merchant, key)) is not None:
        return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})
    tables = caller.state.runtime.tables
    text = _text(request, "q", 100)
    substrate = _text(request, "substrate", 20, tuple(s.code for s in tables.substrates))
    orientation = _text(request, "orientation", 20, ORIENTATIONS)
    artist = _text(request, "artist", 500)
    page = _int(request, "page", 1, 1, 10_000)
    per_page = _int(request, "per_page", PER_PAGE, 1, MAX_PER_PAGE)
    async with caller.state.runtime.engine.connect() as conn:
        found, total = await catalog_store.search_artworks(conn, text=text, substrate=substrate,
                                                           orientation=orientation, artist=artist,
                                                           offset=(page - 1) * per_page, limit=per_page,
                                                           shop=caller.merchant.id, visibility="shown")
        artists = (await catalog_store.artists(conn, shop=caller.merchant.id)
                   if request.query_params.get("facets") else None)
    base = widget_base(request)
    data: dict[str, Any] = {"items": [artwork_summary(base, a) for a in found], "total": total, "page": page,
                            "per_page": per_page, "pages": max(1, -(-total // per_page))}
    if artists is not None:
        data["facets"] = {"artists": artists, "substrates": [s.model_dump() for s in tables.substrates],
                          "orientations": list(ORIENTATIONS)}
    if key is None:
        return no_store(data)
    body = _RENDER.render(data)
    caller.state.search_answers.put(key, (caller.merchant, body))
    return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})


def _code(raw: str) -> str:
    code = raw.strip().upper()
    if not CODE_PATTERN.match(code):
        raise ApiProblem(404, "Unknown artwork", "there is no artwork with this code")
    return code


@widget_endpoint("read")
async def artwork(request: Request, caller: Caller) -> Response:
    """``GET /api/artworks/{code}``: title, artist, description and the substrates and sizes it can be
    printed at (those with which something can be made for this merchant)."""
    try:
        found = await caller.state.shown_artwork(caller.merchant, _code(request.path_params["code"]))
    except UnknownArtwork:
        raise ApiProblem(404, "Unknown artwork", "there is no artwork with this code") from None
    detail = artwork_detail(widget_base(request), found, caller.state.runtime.tables)
    substrates, sizes = caller.state.runtime.products.offered_sizes(caller.merchant, found)
    detail["substrates"] = substrates
    detail["sizes"] = [s for s in detail["sizes"] if s["code"] in sizes]
    return no_store(detail)


async def price_choices(caller: Caller, code: str, choices: dict[str, object], *, remember: bool = True) -> Product:
    """Price (and, with ``remember``, register) a configuration as offered (choices left out filled with
    ones that can be made), or the 404/422 problem a shopper's widget can show: 422 also when the choices
    made cannot be made for this merchant (``NotOffered``)."""
    try:
        return await caller.state.price(caller.merchant, _code(code), choices, remember=remember)
    except UnknownArtwork:
        raise ApiProblem(404, "Unknown artwork", "there is no artwork with this code") from None
    except ConfigurationError as err:
        raise ApiProblem(422, "Configuration not offered", str(err), errors=err.errors) from None


async def pricing_allowed(request: Request, caller: Caller, auth: str) -> bool:
    """False when the merchant's setting or the page (``auth=pricing``) requires a signed-in shopper for
    prices and the request names none: the price is then left out of the answer, not hidden."""
    if auth != "pricing" and not caller.merchant.pricing_requires_login:
        return True
    return await customer_of(request, caller) is not None


def price_request(query: Mapping[str, str]) -> tuple[str, dict[str, object]]:
    """The artwork code and the choices a price request names; a 400 problem for an over-long choice."""
    choices: dict[str, object] = {k: v for k in CHOICE_FIELDS if (v := query.get(k, "").strip())}
    for name, value in choices.items():
        if len(str(value)) > 60:
            raise ApiProblem(400, "Bad parameter", f"{name} is too long")
    return query.get("code", ""), choices


async def kept_price(caller: Caller, code: str, key: tuple[Any, ...]) -> tuple[Artwork | None, bytes | None]:
    """The artwork as the caches hold it now (read first: an answer made after it is kept with it) and the
    answer kept under ``key`` (merchant id, code, choices, widget base, with price) if it was made from
    these very merchant and artwork objects (so a change to either is never served from here); also
    what web/fast_routes answers from."""
    artwork = await _artwork_or_none(caller, code)
    kept = caller.state.price_answers.get(key)
    if kept is not MISSING and kept[0] is caller.merchant and kept[1] is artwork:
        return artwork, kept[2]
    return artwork, None


@widget_endpoint("read")
async def price(request: Request, caller: Caller) -> Response:
    """``GET /api/price?code=&substrate=&style=&frame=&matte=&size=&border_type=…&auth=pricing``.

    Nothing is stored: anyone may ask, for any colour border, so the configuration is registered only
    when it goes into a cart or a project; its preview URL carries the choices itself."""
    query = request.query_params
    code, choices = price_request(query)
    with_price = await pricing_allowed(request, caller, query.get("auth", ""))
    base = widget_base(request)
    key = (caller.merchant.id, code, tuple(choices.items()), base, with_price)
    artwork, body = await kept_price(caller, code, key)
    if body is None:
        product = await price_choices(caller, code, choices, remember=False)
        body = _RENDER.render(priced(base, product, with_price=with_price))
        if artwork is not None:
            caller.state.price_answers.put(key, (caller.merchant, artwork, body))
    return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})


_RENDER = JSONResponse(None)  # its render(): the bytes a JSONResponse of the same data would send


async def _artwork_or_none(caller: Caller, code: str) -> Artwork | None:
    """The artwork if the caller's shop shows it (None when hidden: the answer is then priced afresh, a 404)."""
    try:
        return await caller.state.shown_artwork(caller.merchant, _code(code))
    except (UnknownArtwork, ApiProblem):
        return None
