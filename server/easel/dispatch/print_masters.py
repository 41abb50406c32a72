"""easel's own print masters, read from disk for vendors that take an upload instead of a URL.

A vendor normally fetches a master from ``/vendor-files/{code}/{token}.{ext}`` (see ``vendor_files.py``).
When easel is not reachable from the internet, a vendor that accepts uploads (Pixelz, through presigned
URLs) gets the file itself: :meth:`LocalMasters.read` turns such a URL back into the artwork's file,
only when the URL is easel's own (its public URL, a known artwork, the right token), never for a URL
a merchant named.
"""

from __future__ import annotations

import hmac
import mimetypes
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import anyio
from sqlalchemy.ext.asyncio import AsyncEngine

from ..storage import catalog as catalog_store


@dataclass(frozen=True)
class MasterFile:
    name: str
    path: Path
    content_type: str


class LocalMasters:
    def __init__(self, engine: AsyncEngine, public_url: str, token_of: Callable[[str], str]) -> None:
        self.engine = engine
        self.prefix = public_url.rstrip("/") + "/vendor-files/"
        self.token_of = token_of

    def is_ours(self, url: str) -> bool:
        return url.startswith(self.prefix)

    async def read(self, url: str) -> MasterFile | None:
        """The local file behind one of easel's own print-master URLs, or None."""
        if not self.is_ours(url):
            return None
        code, _, name = url[len(self.prefix):].partition("/")
        token, dot, extension = name.partition(".")
        if not code or not token or "/" in name or "?" in name or not hmac.compare_digest(
                token.encode(), self.token_of(code.upper()).encode()):
            return None
        async with self.engine.connect() as conn:
            artwork = await catalog_store.artwork_by_code(conn, code.upper())
        if artwork is None or artwork.image.startswith(("http://", "https://")):
            return None
        path = Path(artwork.image)
        if not await anyio.Path(path).is_file():
            return None
        media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return MasterFile(f"{artwork.code}{dot}{extension}", path, media)
