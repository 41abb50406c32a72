"""Error responses of the widget API: RFC 9457 problem details, one shape for every error.

``{"type": "about:blank", "title": ..., "status": ..., "detail": ..., "errors": [{"field", "message"}]}``;
the widget shows ``detail`` (one sentence meant for a shopper or a developer) and never parses ``title``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from starlette.responses import JSONResponse

from ..domain.configuration import FieldError

PROBLEM_JSON = "application/problem+json"


def problem(status: int, title: str, detail: str = "", *, errors: Sequence[FieldError] = (),
            headers: Mapping[str, str] | None = None) -> JSONResponse:
    body: dict[str, object] = {"type": "about:blank", "title": title, "status": status, "detail": detail or title}
    if errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in errors]
    response = JSONResponse(body, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_JSON)
    response.headers["Cache-Control"] = "no-store"
    return response
