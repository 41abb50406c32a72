"""Signed URLs: what makes the sandbox's presigned uploads and delivered files unguessable.

Real Pixelz hands out S3 presigned URLs (RequestPresignUrls) and links to finished files that anyone
holding them can use and nobody can guess. The sandbox's image ids are sequential (as the document's
paths show), so its URLs carry a signature instead: HMAC-SHA256 under a key drawn when the sandbox
starts, over the method, the path and, for uploads, the expiry, in the query string (as S3's
`X-Amz-Signature` is, so easel's log redaction hides it). A client simply fetches the URL it was given.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SIGNATURE = "signature"
EXPIRES = "expires"


class UrlSigner:
    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)

    def sign(self, method: str, path: str, expires: int | None = None) -> str:
        message = f"{method.upper()}\n{path}\n{'' if expires is None else expires}".encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()[:24]
        return base64.urlsafe_b64encode(digest).decode("ascii")

    def valid(self, method: str, path: str, signature: str | None, expires: int | None = None) -> bool:
        """Whether `signature` signs this method and path (and expiry), in constant time."""
        if not signature:
            return False
        expected = self.sign(method, path, expires).encode("ascii")
        return hmac.compare_digest(signature.encode("utf-8", "replace"), expected)
