"""``/widget/v1/thumb/…`` and ``/widget/v1/preview/…``: the pictures :mod:`previews` renders.

URLs carry the artwork's version, so a current one is cached for a year; a stale version still gets
the current picture, cached briefly. Unknown codes, skus and widths are 404s.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from ..domain.catalog import CODE_PATTERN
from ..domain.configuration import ConfigurationError, resolve
from ..services.products import UnknownArtwork
from ..storage import catalog as catalog_store
from .previews import PREVIEW_WIDTHS, THUMB_WIDTHS, Previews
from .state import widget_state

_SKU = re.compile(r"^[0-9a-f]{16}$")
_FOREVER = "public, max-age=31536000, immutable"


def _not_found() -> Response:
    return Response("not found", status_code=404, media_type="text/plain", headers={"Cache-Control": "max-age=60"})


def _picture(path: object, current: bool) -> Response:
    return FileResponse(str(path), media_type="image/jpeg",
                        headers={"Cache-Control": _FOREVER if current else "public, max-age=60"})


async def thumbnail(request: Request) -> Response:
    code, version, width = (request.path_params[k] for k in ("code", "version", "width"))
    if width not in THUMB_WIDTHS or not CODE_PATTERN.match(code):
        return _not_found()
    state = widget_state(request)
    try:
        artwork = await state.artwork(code)
    except UnknownArtwork:
        return _not_found()
    return _picture(await state.previews.thumbnail(artwork, width), version == Previews.version(artwork))


async def preview(request: Request) -> Response:
    sku, version, width = (request.path_params[k] for k in ("sku", "version", "width"))
    if width not in PREVIEW_WIDTHS or not _SKU.match(sku):
        return _not_found()
    state = widget_state(request)
    async with state.runtime.engine.connect() as conn:
        found = await catalog_store.choices_for_sku(conn, sku)
        artwork = await catalog_store.artwork_by_code(conn, found[0]) if found else None
    if found is None or artwork is None:
        return _not_found()
    try:
        resolved = resolve(artwork, found[1], state.runtime.tables)
    except ConfigurationError:
        return _not_found()
    if resolved.sku != sku:
        return _not_found()
    path = await state.previews.preview(artwork, resolved, width)
    return _picture(path, version == Previews.version(artwork))
