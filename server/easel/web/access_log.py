"""One log line per request (method, path, status, time, merchant) and a request id on every response.

The id comes from a sane incoming ``X-Request-ID`` or is made here; handlers that identify a merchant
put its username in ``scope["state"]["merchant"]`` so the line can name it. The path is logged as
``easel.redact`` shows URLs: query values and the token segments of vendor URLs replaced by ``***``.
"""

from __future__ import annotations

import logging
import re
import secrets
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..redact import redact_url

logger = logging.getLogger("easel.access")
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id(scope: Scope) -> str:
    """The request's id: a sane incoming ``X-Request-ID`` (the last one sent), else a new random one."""
    incoming = b""
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            incoming = value
    return request_id_from(incoming)


def request_id_from(incoming: bytes) -> str:
    """:func:`request_id` for a caller that has read the last ``X-Request-ID`` header itself (or b"")."""
    text = incoming.decode("latin-1")
    return text if text and _SANE_ID.match(text) else secrets.token_hex(8)


def log_request(scope: Scope, status: int, started: float, request_id: str) -> None:
    """The access log line of a finished request (if INFO is logged): its path redacted, as easel.redact shows."""
    if logger.isEnabledFor(logging.INFO):
        merchant = scope["state"].get("merchant", "-")
        logger.info("%s %s %s %.1fms merchant=%s id=%s", scope["method"], _logged_path(scope), status,
                    (time.perf_counter() - started) * 1000, merchant, request_id)


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(scope)
        scope.setdefault("state", {})["request_id"] = rid
        started = time.perf_counter()
        status = 500
        id_header = (b"x-request-id", rid.encode("latin-1"))

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                # as MutableHeaders' ``headers["X-Request-ID"] = …`` does, without building one per answer
                message["headers"] = [h for h in message.get("headers", ()) if h[0].lower() != b"x-request-id"]
                message["headers"].append(id_header)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log_request(scope, status, started, rid)


def _logged_path(scope: Scope) -> str:
    query = scope.get("query_string", b"").decode("latin-1")
    return redact_url(scope["path"] + (f"?{query}" if query else ""))
