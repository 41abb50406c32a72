"""The demo merchant store under ``/demo/``: a shop page that embeds the widget as the document shows."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..storage import catalog as catalog_store
from .state import runtime_of
from .templates import make_templates

_templates = make_templates()


async def store_home(request: Request) -> Response:
    async with runtime_of(request).engine.connect() as conn:
        artworks = await catalog_store.all_artworks(conn)
    return _templates.TemplateResponse(request, "demo/index.html", {"artworks": artworks})
