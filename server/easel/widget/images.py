"""``/widget/v1/thumb/…``, ``/widget/v1/preview/…`` and ``/widget/v1/wall/…``: the pictures :mod:`previews` renders.

``preview/SKU/VERSION/WIDTH.EXT`` is the piece alone (square); ``wall/SKU/VERSION/WIDTH.EXT`` hangs it at
true scale on a wall (4:3; ``wall=white|greige|sage|charcoal`` and ``ref=sofa|person`` in the query).
WIDTH is 300, 600 or 1200 (a ``srcset``); the format is the URL's extension, ``jpg``, ``webp`` or ``avif``
(when this Pillow encodes it), not the ``Accept`` header: each URL is one representation, so caches need
no ``Vary`` and a ``<picture>`` element picks with its ``type`` attributes (WebP with the JPEG as fallback).
The old form, ``preview/SKU/VERSION/WIDTH.jpg``, is the same route.

A picture just served is kept in memory by URL (``EASEL_CACHE_TTL`` seconds, within
``EASEL_CACHE_MAX_ENTRIES`` and ``EASEL_CACHE_MAX_BYTES``), so serving it again costs no lookup, no sku
check and no file read: as cheap as a static file. A thumbnail's bytes are kept by artwork and width with
the headers its file response had (within ``EASEL_CACHE_MAX_ENTRIES`` and ``EASEL_CACHE_MAX_BYTES``, the
least recently used going first), and :mod:`easel.web.fast_routes` answers it again from there (a first
view asks for ~24 of them) while it is the picture of the artwork's current version, which every answer
checks as this route does; so they need no time limit. URLs carry the artwork's version, so a current
one is cached for a year; a stale version still gets the current picture, cached briefly. Unknown codes,
skus and widths are 404s. A preview URL names its configuration in the query (``?code=…&substrate=…``),
which must hash to the sku in the path, so a configuration that was only priced (never stored) has a
preview too; without a query the sku is looked up among the registered ones. All these routes are
limited per client address (``EASEL_IMAGE_RATE_LIMIT`` per ``EASEL_IMAGE_RATE_WINDOW``): 429 with
Retry-After, as problem details.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path

import anyio
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from ..domain.catalog import CODE_PATTERN, Artwork
from ..domain.configuration import CHOICE_FIELDS, ConfigurationError, Resolved, resolve
from ..previews.encoding import FORMATS
from ..previews.wall import REFERENCES, WALLS
from ..services.products import UnknownArtwork
from ..storage import catalog as catalog_store
from ..ttl_cache import MISSING, TtlCache
from .previews import PREVIEW_WIDTHS, THUMB_WIDTHS, Previews, Served, ServedFile
from .problems import problem
from .single_flight import Busy
from .state import WidgetState, client_address, widget_state

_SKU = re.compile(r"^[0-9a-f]{16}$")
_FOREVER = "public, max-age=31536000, immutable"
_MAX_CHOICE = 60


def _not_found(why: str = "not found") -> Response:
    return Response(why, status_code=404, media_type="text/plain", headers={"Cache-Control": "max-age=60"})


def _cache_control(current: bool) -> str:
    return _FOREVER if current else "public, max-age=60"


def too_many_pictures(state: WidgetState, address: str) -> Response | None:
    """429 once the client at ``address`` asked for too many pictures (each call counts one)."""
    wait = state.pictures.take(address)
    if not wait:
        return None
    return problem(429, "Too many requests", "too many pictures from this address; retry later",
                   headers={"Retry-After": str(math.ceil(wait))})


def _busy() -> Response:
    return problem(503, "Busy", "too many pictures are being drawn; retry shortly", headers={"Retry-After": "1"})


async def thumbnail(request: Request) -> Response:
    code, version, width = (request.path_params[k] for k in ("code", "version", "width"))
    state = widget_state(request)
    if limited := too_many_pictures(state, client_address(request)):
        return limited
    if width not in THUMB_WIDTHS or not CODE_PATTERN.match(code):
        return _not_found()
    try:
        artwork = await state.artwork(code)
    except UnknownArtwork:
        return _not_found()
    current = Previews.version(artwork)  # before drawing: a picture is never kept under a newer version
    try:
        path = await state.previews.thumbnail(artwork, width)
    except Busy:
        return _busy()
    try:
        found, body = await anyio.to_thread.run_sync(_stat_and_read, path)
    except OSError:  # evicted meanwhile (the disk cache is bounded): as the file response would have found
        return _not_found()
    response = FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": _cache_control(
        version == current)}, stat_result=found)
    headers = tuple((k, v) for k, v in response.raw_headers if k != b"cache-control")
    _served_files(state).put((code, width), ServedFile(body, current, headers))
    return response


def _stat_and_read(path: Path) -> tuple[os.stat_result, bytes]:
    with path.open("rb") as file:
        return os.fstat(file.fileno()), file.read()


async def kept_thumbnail(state: WidgetState, code: str, version: str, width: int) -> ServedFile | None:
    """What :func:`thumbnail` answered for this artwork and width, with its headers (``Cache-Control`` first,
    for ``version``), if it is still the artwork's current picture (as :func:`thumbnail` finds it); else None."""
    files = state.previews.served_files
    if files is None or width not in THUMB_WIDTHS or not CODE_PATTERN.match(code):
        return None
    kept = files.get((code, width))
    if kept is MISSING:
        return None
    try:
        artwork = await state.artwork(code)
    except UnknownArtwork:
        return None
    current = Previews.version(artwork)
    if kept.version != current:
        return None
    cache = (b"cache-control", _cache_control(version == current).encode("latin-1"))
    return ServedFile(kept.body, current, (cache, *kept.headers))


async def preview(request: Request) -> Response:
    """The piece alone, square."""
    return await _preview(request, "front")


async def wall(request: Request) -> Response:
    """The piece on a wall at true scale, 4:3."""
    return await _preview(request, "wall")


async def _preview(request: Request, view: str) -> Response:
    sku, version, width, extension = (request.path_params[k] for k in ("sku", "version", "width", "ext"))
    state = widget_state(request)
    if limited := too_many_pictures(state, client_address(request)):
        return limited
    if width not in PREVIEW_WIDTHS or not _SKU.match(sku):
        return _not_found()
    if extension not in FORMATS:
        return _not_found(f"no picture format {extension[:10]!r} (allowed: {', '.join(FORMATS)})")
    wall_color = request.query_params.get("wall", "white")
    reference = request.query_params.get("ref", "sofa")
    if view == "wall" and wall_color not in WALLS:
        return _not_found(f"no wall colour {wall_color[:20]!r} (allowed: {', '.join(WALLS)})")
    if view == "wall" and reference not in REFERENCES:
        return _not_found(f"no scale reference {reference[:20]!r} (allowed: {', '.join(REFERENCES)})")
    served = _served(state)
    key = f"{request.url.path}?{request.url.query}"
    hit = served.get(key)
    if hit is MISSING:
        found = await _configuration(state, sku, request.query_params)
        if found is None:
            return _not_found()
        artwork, resolved = found
        try:
            path = await state.previews.preview(artwork, resolved, width, view=view, extension=extension,
                                                wall=wall_color, reference=reference)
        except Busy:
            return _busy()
        body = await anyio.Path(path).read_bytes()
        hit = Served(body, FORMATS[extension].media_type, _cache_control(version == Previews.version(artwork)),
                     '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"')
        served.put(key, hit)
    headers = {"Cache-Control": hit.cache_control, "ETag": hit.etag}
    if request.headers.get("if-none-match") == hit.etag:
        return Response(status_code=304, headers=headers)
    return Response(hit.body, media_type=hit.media_type, headers=headers)


def _served(state: WidgetState) -> TtlCache[str, Served]:
    """The in-memory pictures of this process, made from the cache settings on first use."""
    if state.previews.served is None:
        s = state.runtime.settings
        state.previews.served = TtlCache(s.cache_ttl, s.cache_max_entries, s.cache_max_bytes)
    return state.previews.served


def _served_files(state: WidgetState) -> TtlCache[tuple[str, int], ServedFile]:
    """The in-memory thumbnails of this process, made from the cache settings on first use: no time limit,
    since a thumbnail's bytes never change and each answer checks its artwork's current version."""
    if state.previews.served_files is None:
        s = state.runtime.settings
        state.previews.served_files = TtlCache(math.inf, s.cache_max_entries, s.cache_max_bytes)
    return state.previews.served_files


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
    if artwork.hidden:  # hidden from every shop by the operator (a preview URL names no shop to ask about)
        return None
    try:
        resolved = resolve(artwork, choices, state.runtime.tables)
    except ConfigurationError:
        return None
    return (artwork, resolved) if resolved.sku == sku else None
