"""``/widget/v1/thumb/…`` and ``/widget/v1/preview/…``: the pictures :mod:`previews` renders.

URLs carry the artwork's version, so a current one is cached for a year; a stale version still gets
the current picture, cached briefly. Unknown codes, skus and widths are 404s. A preview URL names its
configuration in the query (``?code=…&substrate=…``), which must hash to the sku in the path, so a
configuration that was only priced (never stored) has a preview too; without a query the sku is looked
up among the registered ones. Both routes are limited per client address (``EASEL_IMAGE_RATE_LIMIT``
per ``EASEL_IMAGE_RATE_WINDOW``): 429 with Retry-After, as problem details.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from ..domain.catalog import CODE_PATTERN, Artwork
from ..domain.configuration import CHOICE_FIELDS, ConfigurationError, Resolved, resolve
from ..services.products import UnknownArtwork
from ..storage import catalog as catalog_store
from .previews import PREVIEW_WIDTHS, THUMB_WIDTHS, Previews
from .problems import problem
from .single_flight import Busy
from .state import WidgetState, client_address, widget_state

_SKU = re.compile(r"^[0-9a-f]{16}$")
_FOREVER = "public, max-age=31536000, immutable"
_MAX_CHOICE = 60


def _not_found() -> Response:
    return Response("not found", status_code=404, media_type="text/plain", headers={"Cache-Control": "max-age=60"})


def _picture(path: object, current: bool) -> Response:
    return FileResponse(str(path), media_type="image/jpeg",
                        headers={"Cache-Control": _FOREVER if current else "public, max-age=60"})


def _too_many(state: WidgetState, request: Request) -> Response | None:
    wait = state.pictures.take(client_address(request))
    if not wait:
        return None
    return problem(429, "Too many requests", "too many pictures from this address; retry later",
                   headers={"Retry-After": str(math.ceil(wait))})


def _busy() -> Response:
    return problem(503, "Busy", "too many pictures are being drawn; retry shortly", headers={"Retry-After": "1"})


async def thumbnail(request: Request) -> Response:
    code, version, width = (request.path_params[k] for k in ("code", "version", "width"))
    state = widget_state(request)
    if limited := _too_many(state, request):
        return limited
    if width not in THUMB_WIDTHS or not CODE_PATTERN.match(code):
        return _not_found()
    try:
        artwork = await state.artwork(code)
    except UnknownArtwork:
        return _not_found()
    try:
        path = await state.previews.thumbnail(artwork, width)
    except Busy:
        return _busy()
    return _picture(path, version == Previews.version(artwork))


async def preview(request: Request) -> Response:
    sku, version, width = (request.path_params[k] for k in ("sku", "version", "width"))
    state = widget_state(request)
    if limited := _too_many(state, request):
        return limited
    if width not in PREVIEW_WIDTHS or not _SKU.match(sku):
        return _not_found()
    found = await _configuration(state, sku, request.query_params)
    if found is None:
        return _not_found()
    artwork, resolved = found
    try:
        path = await state.previews.preview(artwork, resolved, width)
    except Busy:
        return _busy()
    return _picture(path, version == Previews.version(artwork))


async def _configuration(state: WidgetState, sku: str, query: Mapping[str, str]) -> tuple[Artwork, Resolved] | None:
    """The artwork and configuration the sku stands for: from the query's choices when given (they must
    hash to the sku), else from the registry."""
    code = query.get("code", "").upper()
    if code:
        choices: dict[str, object] = {k: v for k in CHOICE_FIELDS if (v := query.get(k, "").strip())}
        if not CODE_PATTERN.match(code) or any(len(str(v)) > _MAX_CHOICE for v in choices.values()):
            return None
        try:
            artwork = await state.artwork(code)
        except UnknownArtwork:
            return None
    else:
        async with state.runtime.engine.connect() as conn:
            registered = await catalog_store.choices_for_sku(conn, sku)
            found = await catalog_store.artwork_by_code(conn, registered[0]) if registered else None
        if registered is None or found is None:
            return None
        artwork, choices = found, registered[1]
    try:
        resolved = resolve(artwork, choices, state.runtime.tables)
    except ConfigurationError:
        return None
    return (artwork, resolved) if resolved.sku == sku else None
