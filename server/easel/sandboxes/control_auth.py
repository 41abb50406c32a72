"""The sandboxes' `/_control` endpoints answer only to the holder of the control token.

Those endpoints move the clock, inject faults, change orders and list every account's orders, so each
sandbox app is wrapped in :class:`ControlGuard`: a request under `/_control` must carry
`Authorization: Bearer <token>`, compared in constant time, or it gets 401. An empty token refuses every
control request (a sandbox built without one cannot be driven at all). The vendor API beside it is not
touched: it keeps its own, vendor-shaped authentication.
"""

from __future__ import annotations

import hmac

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from easel.sandboxes.faults import CONTROL_PREFIX


def control_headers(token: str) -> dict[str, str]:
    """The header a control request carries."""
    return {"Authorization": f"Bearer {token}"}


def token_matches(header: str, token: str) -> bool:
    """Whether an `Authorization` header value carries `token` (never true for an empty token)."""
    scheme, _, given = header.partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode("utf-8", "replace"), token.encode("utf-8"))


class ControlGuard:
    """ASGI middleware: 401 for any `/_control` request without the right bearer token."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] == "http" and _route_path(scope).startswith(CONTROL_PREFIX)
                and not token_matches(Headers(scope=scope).get("authorization", ""), self.token)):
            reason = "this sandbox has no control token" if not self.token else "a valid control token is required"
            response = JSONResponse({"error": f"{reason} (Authorization: Bearer <token>)"}, 401,
                                    headers={"WWW-Authenticate": 'Bearer realm="sandbox control"'})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path
