"""One guard for the size of every request body, with a limit per part of the service.

Handlers that call ``request.body()`` would hold a whole body in memory before they could check its
size, so the check lives here, in front of every route: a declared ``Content-Length`` over the limit is
refused before the app runs, and a chunked (or understated) body is refused as soon as the bytes
received pass the limit, so at most one limit (plus one chunk) is ever buffered. The answer is 413 in
the error shape of the part of the service that was called: the Image2ART error object (code 101) for
the order API, problem details for the widget, a small JSON object elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..api.errors import error_response
from ..settings import Settings
from ..widget.problems import problem

Surface = Literal["order_api", "widget", "plain"]


@dataclass(frozen=True, slots=True)
class Limit:
    bytes: int
    surface: Surface


class _TooLarge(Exception):
    """Raised from the wrapped ``receive`` to stop a handler that is still reading an oversized body."""


class BodyLimitMiddleware:
    """Refuse a request body over the limit of its route prefix before (or while) it is read.

    ``default_limit`` serves an app that is one surface only (a standalone sandbox): every path then
    gets that limit and the plain JSON answer.
    """

    def __init__(self, app: ASGIApp, settings: Settings, *, default_limit: int | None = None) -> None:
        self.app = app
        self.default = Limit(settings.max_body_bytes, "order_api") if default_limit is None \
            else Limit(default_limit, "plain")
        self.by_prefix: tuple[tuple[str, Limit], ...] = () if default_limit is not None else (
            ("/widget/", Limit(settings.widget_max_body_bytes, "widget")),
            ("/demo/", Limit(settings.widget_max_body_bytes, "plain")),
            ("/admin/catalogue/add", Limit(settings.admin_upload_max_bytes, "plain")),
            ("/admin/catalogue/import", Limit(settings.admin_upload_max_bytes, "plain")),
            ("/admin/", Limit(settings.widget_max_body_bytes, "plain")),
            ("/vendor-callbacks/", Limit(settings.callback_max_body_bytes, "plain")),
            ("/sandbox/", Limit(settings.sandbox_max_body_bytes, "plain")),
        )

    def limit_for(self, path: str) -> Limit:
        for prefix, limit in self.by_prefix:
            if path.startswith(prefix) or path == prefix.rstrip("/"):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared, chunked = _framing(scope)
        if declared is not None and declared > limit.bytes:
            await too_large(limit, f"The body is {declared} bytes; the limit is {limit.bytes}.")(scope, receive, send)
            return
        if declared is not None and not chunked:
            # The server's HTTP parser hands over exactly Content-Length bytes as the body (the rest is the
            # next request), so a declared length within the limit needs no counting as it arrives.
            await self.app(scope, receive, send)
            return

        received = 0
        answered = False  # the 413 went out: whatever the app still sends is dropped
        started = False

        async def guarded_receive() -> Message:
            nonlocal received, answered
            if answered:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit.bytes:
                    if not started:
                        answered = True
                        await too_large(limit, f"The body is larger than the limit of {limit.bytes} bytes.")(
                            scope, receive, send)
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if answered:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, guarded_receive, guarded_send)
        except _TooLarge:
            if not answered:  # the app had already started answering: nothing better than to stop
                raise


def _framing(scope: Scope) -> tuple[int | None, bool]:
    """The declared Content-Length (None when absent or not a number) and whether a Transfer-Encoding
    is named (then the body's length is not the declared one)."""
    length: int | None = None
    found = chunked = False
    for name, value in scope["headers"]:
        if name == b"content-length" and not found:
            found = True
            text = value.decode("latin-1").strip()
            length = int(text) if text.isdigit() else None
        elif name == b"transfer-encoding":
            chunked = True
    return length, chunked


def too_large(limit: Limit, detail: str) -> Response:
    """The 413 answer in the error shape of ``limit``'s surface; the connection is not kept alive."""
    headers = {"Connection": "close", "X-Content-Type-Options": "nosniff"}
    if limit.surface == "order_api":
        response: Response = error_response(101, detail, headers)
    elif limit.surface == "widget":
        response = problem(413, "Body too large", f"send at most {limit.bytes} bytes",
                           headers={**headers, "Access-Control-Allow-Origin": "*"})
    else:
        response = JSONResponse({"title": "Payload Too Large", "status": 413, "detail": detail}, status_code=413,
                                headers=headers)
    return response
