"""Rendering a panel page: the template, the visitor, the CSRF token, the session cookie when new,
and error pages (400, 403, 404, 405, 409, 500) in the panel's own look instead of the order API's error object."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ..redact import redact_path
from ..web.templates import make_templates
from .auth import Visitor, visitor_of
from .context import panel_of
from .sessions import Session

logger = logging.getLogger("easel.admin")
templates = make_templates()
_TITLES = {400: "Not accepted", 403: "Not allowed", 404: "Not found", 405: "Not allowed here", 409: "Changed meanwhile",
           500: "Something broke"}


def keep_session(request: Request, response: Response, session: Session) -> Response:
    if session.fresh:
        panel_of(request).sessions.write(request, response, session)
    return response


def render(request: Request, visitor: Visitor, name: str, status: int = 200, **context: Any) -> Response:
    panel = panel_of(request)
    response = templates.TemplateResponse(request, f"admin/{name}", {
        "visitor": visitor, "user": visitor.user, "merchant": visitor.merchant,
        "csrf": panel.sessions.csrf_token(visitor.session), "path": request.url.path, **context},
        status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return keep_session(request, response, visitor.session)


async def error_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    try:
        visitor = await visitor_of(request)
    except Exception:  # noqa: BLE001 (the error page must render even when the database is down)
        visitor = Visitor(Session.anonymous())
    status = exc.status_code
    message = str(exc.detail)
    if message == HTTPStatus(status).phrase:  # Starlette's own detail: say it in the panel's words
        message = {404: "There is no such page here, or it belongs to another shop.",
                   405: f"This address does not answer {request.method} requests."}.get(status, message)
    response = render(request, visitor, "error.html", status=status, title=_TITLES.get(status, "Error"),
                      message=message)
    response.headers.update(exc.headers or {})
    return response


async def server_error(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error on %s %s", request.method, redact_path(request.url.path), exc_info=exc)
    response = templates.TemplateResponse(request, "admin/error.html", {
        "visitor": Visitor(Session.anonymous()), "user": None, "merchant": None, "csrf": "", "path": "",
        "title": _TITLES[500], "message": "The panel could not answer; the error was logged."}, status_code=500)
    return response
