"""``GET /`` (HTML documentation or the JSON endpoint list, by ``Accept``) and ``GET /openapi.json``."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..domain.orders import SHIPPING_METHODS, STATUS_MEANINGS
from ..web.templates import make_templates
from .errors import ERROR_CODES

VERSION = "1.0-beta"
_templates = make_templates()


def _endpoints() -> list[Any]:
    from .routes import ENDPOINTS

    return list(ENDPOINTS)


async def home(request: Request) -> Response:
    accept = request.headers.get("accept", "")
    wants_json = "json" in accept and "html" not in accept.split(",")[0]
    if wants_json:
        listed = [f"{e.method:<6} {e.path}" for e in _endpoints() if e.in_document]
        return JSONResponse({"endpoints": listed, "version": VERSION})
    return _templates.TemplateResponse(request, "api/docs.html", {
        "version": VERSION, "endpoints": _endpoints(), "errors": ERROR_CODES, "statuses": STATUS_MEANINGS,
        "shipping_methods": SHIPPING_METHODS, "base_url": str(request.base_url).rstrip("/"),
    })


async def openapi(request: Request) -> Response:
    from .openapi import build_openapi

    return JSONResponse(build_openapi(_endpoints(), str(request.base_url).rstrip("/")))
