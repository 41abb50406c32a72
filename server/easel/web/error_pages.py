"""What unknown routes, wrong methods and unexpected failures answer, by part of the service.

Under the order API (everything but the widget, the demo store and the sandboxes) it is the
Image2ART error object; elsewhere a small JSON problem. Never a traceback.
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match

from ..api.errors import BY_CODE, error_response
from ..redact import redact_path

logger = logging.getLogger("easel.errors")
_OWN_ERRORS = ("/widget/", "/demo/", "/sandbox/")


def _is_order_api(request: Request) -> bool:
    return not request.url.path.startswith(_OWN_ERRORS)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if _is_order_api(request) and exc.status_code in BY_CODE:
        detail = None
        if exc.status_code == 405:
            headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
            detail = f"{request.method} is not allowed here; allowed: {headers['Allow']}"
        return error_response(exc.status_code, detail, headers)
    return JSONResponse({"title": exc.detail, "status": exc.status_code}, status_code=exc.status_code,
                        headers=headers)


def _allowed_methods(request: Request) -> str:
    """Every method some route answers at this path (Starlette reports only the first route's)."""
    methods: set[str] = set()
    for route in request.app.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods.update(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))


async def server_error(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error on %s %s", request.method, redact_path(request.url.path), exc_info=exc)
    if _is_order_api(request):
        return error_response(500)
    return JSONResponse({"title": "Server error", "status": 500}, status_code=500)
