"""Responses browsers may cache and revalidate: ETag, ``If-None-Match`` → 304, gzip or brotli.

Bodies are compressed once (gzip 9, brotli 11) and kept; the ETag is weak because the compressed
variants share it (they are the same representation, differently encoded).
"""

from __future__ import annotations

import gzip
import hashlib
from collections import OrderedDict
from dataclasses import dataclass

import brotli  # type: ignore[import-untyped]
from starlette.requests import Request
from starlette.responses import Response


@dataclass(frozen=True, slots=True)
class Encoded:
    identity: bytes
    gzip: bytes
    br: bytes
    etag: str

    @classmethod
    def of(cls, body: bytes) -> Encoded:
        digest = hashlib.sha256(body).hexdigest()[:32]
        return cls(body, gzip.compress(body, 9, mtime=0), brotli.compress(body, quality=11), f'W/"{digest}"')


class EncodedCache:
    """The last ``size`` bodies, encoded, by content (per-merchant scripts differ only in their config)."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._items: OrderedDict[bytes, Encoded] = OrderedDict()

    def get(self, body: bytes) -> Encoded:
        key = hashlib.sha256(body).digest()
        found = self._items.pop(key, None) or Encoded.of(body)
        self._items[key] = found
        while len(self._items) > self._size:
            self._items.popitem(last=False)
        return found


def _accepts(header: str) -> dict[str, float]:
    weights: dict[str, float] = {}
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if name:
            weights[name.strip().lower()] = q
    return weights


def negotiate(accept_encoding: str) -> str | None:
    """``"br"``, ``"gzip"`` or ``None`` (identity) for an ``Accept-Encoding`` header."""
    weights = _accepts(accept_encoding)
    for name in ("br", "gzip"):
        if weights.get(name, weights.get("*", 0.0)) > 0:
            return name
    return None


def _matches(if_none_match: str, etag: str) -> bool:
    wanted = etag.removeprefix("W/")
    return any(tag.strip() == "*" or tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))


def cached_response(request: Request, encoded: Encoded, media_type: str, cache_control: str,
                    headers: dict[str, str] | None = None) -> Response:
    base = {"ETag": encoded.etag, "Cache-Control": cache_control, "Vary": "Accept-Encoding",
            "Timing-Allow-Origin": "*", **(headers or {})}
    if _matches(request.headers.get("if-none-match", ""), encoded.etag):
        return Response(status_code=304, headers=base)
    coding = negotiate(request.headers.get("accept-encoding", ""))
    body = encoded.identity
    if coding == "br":
        body, base["Content-Encoding"] = encoded.br, "br"
    elif coding == "gzip":
        body, base["Content-Encoding"] = encoded.gzip, "gzip"
    return Response(body, media_type=media_type, headers=base)
