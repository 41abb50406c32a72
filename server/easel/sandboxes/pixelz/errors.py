"""Pixelz's error object, the one shape every sandbox refusal takes: `{"ErrorCode": <name>, "Message": ...}`.

Application errors answer HTTP 200 with the object (as the document's examples carry `ErrorCode` beside
the data); a body that cannot be read is 400; an unknown path is 404 `EndpointNotFound` and a known path
with the wrong method 405 `MethodNotAllowed`, in the same shape, never a plain-text page. The codes are
the sandbox's (the document shows only "NoError"); `easel.vendors.pixelz.ERROR_STATUS` lists them.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response


class PixelzError(Exception):
    def __init__(self, code: str, message: str, status: int = 200) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def error_object(code: str, message: str, status: int = 200,
                 headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"ErrorCode": code, "Message": message}, status, headers=headers)


async def error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PixelzError)
    return error_object(exc.code, exc.message, exc.status)


async def http_error_handler(request: Request, exc: Exception) -> Response:
    """Routing's own refusals (no such path, wrong method) in Pixelz's shape."""
    assert isinstance(exc, HTTPException)
    path = request.url.path
    if exc.status_code == 404:
        return error_object("EndpointNotFound", f"There is no endpoint at {path}.", 404)
    if exc.status_code == 405:
        return error_object("MethodNotAllowed", f"{request.method} is not allowed on {path}.", 405, exc.headers)
    return error_object("InvalidRequest", str(exc.detail), exc.status_code, exc.headers)


def fault_response(status: int, reason: str) -> Response:
    """Injected faults, in the same shape."""
    return error_object("ServerError" if status >= 500 else "TooManyRequests", reason, status)
