"""Browser-side protection headers: what an HTML page may load, who may frame it, what it leaks.

Every answer gets ``X-Content-Type-Options: nosniff`` (a JSON error must never be run as a script).
HTML answers (the API documentation at ``GET /``, the demo store, any ``text/html``) also get a
Content-Security-Policy, ``frame-ancestors 'self'`` (no other site can frame them for clickjacking) and
``Referrer-Policy``. Inline ``<script>``/``<style>`` blocks run only with this request's nonce, which
templates read as ``request.state.csp_nonce``; a page that loads from another origin (the demo store
loads the widget from ``127.0.0.1`` when opened as ``localhost``) names it with :func:`allow_sources`.

The widget's script, stylesheet, images and JSON API are not HTML, so they get no frame-ancestors or
Cross-Origin-Resource-Policy: merchants' pages on other origins must keep loading them.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

NONCE_KEY = "csp_nonce"
SOURCES_KEY = "csp_sources"
REFERRER_POLICY = "strict-origin-when-cross-origin"
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")


def content_security_policy(nonce: str, sources: Iterable[str] = ()) -> str:
    """The policy of an easel HTML page: its own origin, ``sources``, and inline code with ``nonce``."""
    extra = "".join(f" {s}" for s in dict.fromkeys(sources))
    return "; ".join((
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'{extra}",
        f"style-src 'self' 'nonce-{nonce}'{extra}",
        f"img-src 'self' data:{extra}",
        f"connect-src 'self'{extra}",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ))


def allow_sources(request: Request, *origins: str) -> None:
    """Let this request's HTML page load scripts, styles, images and data from ``origins`` as well.

    Only plain ``scheme://host[:port]`` origins are taken: an origin built from a ``Host`` header must not
    be able to add directives to the policy.
    """
    sources: list[str] = request.scope.setdefault("state", {}).setdefault(SOURCES_KEY, [])
    sources.extend(o for o in origins if _ORIGIN.fullmatch(o))


_NOSNIFF = (b"x-content-type-options", b"nosniff")


def _is_html(raw: Iterable[tuple[bytes, bytes]]) -> bool:
    for name, value in raw:
        if name.lower() == b"content-type":
            return value.lower().startswith(b"text/html")
    return False


class SecurityHeadersMiddleware:
    """Add the headers above; a header a handler set itself is left as it is."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        nonce = secrets.token_urlsafe(16)
        state[NONCE_KEY] = nonce

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = message.get("headers", ())
                names = {name.lower() for name, _ in raw}
                added = [] if b"x-content-type-options" in names else [_NOSNIFF]
                if b"content-type" in names and _is_html(raw):
                    if b"content-security-policy" not in names:
                        added.append((b"content-security-policy", content_security_policy(
                            nonce, state.get(SOURCES_KEY, ())).encode("latin-1")))
                    if b"referrer-policy" not in names:
                        added.append((b"referrer-policy", REFERRER_POLICY.encode("latin-1")))
                if added:  # what MutableHeaders.setdefault does, without building one per answer
                    message["headers"] = [*raw, *added]
            await send(message)

        await self.app(scope, receive, send_with_headers)
