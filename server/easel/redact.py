"""Making URLs safe to log: a log line must never carry a secret, a signature, a key or a URL token.

The one rule, used by every log call that prints a URL or an error that may hold one:

- query values are replaced by ``***`` (the keys stay: they say what was sent); a bare item is replaced;
- the fragment and any ``user:password@`` are replaced;
- path segments that are secrets are replaced: the vendor-callback token
  (``/vendor-callbacks/{vendor}/{account}/{token}``) and the print-master token
  (``/vendor-files/{code}/{token}.{ext}``, the extension kept).

``redact_text`` applies the same to every URL, path with a query and token path inside free text,
such as an error message or a traceback.
"""

from __future__ import annotations

import re

REDACTED = "***"

_TOKEN_PATHS = (
    re.compile(r"(/vendor-callbacks/[^/?#\s]+/[^/?#\s]+/)[^/?#\s'\"<>]+"),
    re.compile(r"(/vendor-files/[^/?#\s]+/)[^/?#\s.'\"<>]+"),
)
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>`]+")
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@")
_QUERY = re.compile(r"\?([^\s'\"<>#]+)(#[^\s'\"<>]*)?")


def redact_path(path: str) -> str:
    """``path`` with its token segments replaced."""
    for pattern in _TOKEN_PATHS:
        path = pattern.sub(lambda m: m.group(1) + REDACTED, path)
    return path


def _redact_query(query: str) -> str:
    items = []
    for item in query.split("&"):
        key, sep, _ = item.partition("=")
        items.append(f"{key}={REDACTED}" if sep else (REDACTED if item else ""))
    return "&".join(items)


def redact_url(url: str) -> str:
    """``url`` (absolute, or a path with its query) as it may appear in a log."""
    head, hash_mark, _ = url.partition("#")
    base, question, query = head.partition("?")
    base = redact_path(_USERINFO.sub(lambda m: m.group(1) + REDACTED + "@", base))
    return base + (question + _redact_query(query) if question else "") + (hash_mark + REDACTED if hash_mark else "")


def redact_text(text: str) -> str:
    """``text`` with every URL in it redacted, and query strings and token paths outside URLs too."""
    text = _URL.sub(lambda m: redact_url(m.group(0)), text)
    text = _QUERY.sub(lambda m: "?" + _redact_query(m.group(1)) + ("#" + REDACTED if m.group(2) else ""), text)
    return redact_path(text)
