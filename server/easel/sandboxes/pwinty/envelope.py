"""The answer envelope and the errors that produce it, as the live sandbox writes them (see the package
docstring): `{"data", "statusTxt", "statusCode"}` for answers and API errors, a bare 401 for a bad key."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

UNAUTHORIZED = "Authorization has been denied for this request."


class PwintyApiError(Exception):
    """An error answer in the live API's envelope."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


class Unauthorized(Exception):
    pass


def envelope(data: Any, status: int = 200, text: str = "OK") -> JSONResponse:
    return JSONResponse({"data": data, "statusTxt": text, "statusCode": status}, status)


def error_envelope(status: int, text: str) -> Response:
    return envelope(None, status, text)


async def api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PwintyApiError)
    return error_envelope(exc.status, exc.text)


async def unauthorized(request: Request, exc: Exception) -> Response:
    return JSONResponse({"message": UNAUTHORIZED}, 401)
