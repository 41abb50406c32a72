"""Presigned uploads: what RequestPresignUrls hands out, and the storage behind those URLs.

Pixelz's official client sends a local file by asking `RequestPresignUrls` for `{UploadUrl, DownloadUrl}`
per name, PUTting the bytes to `UploadUrl` (S3, `Content-Type: application/octet-stream`) and then
giving `DownloadUrl` to POST Image as `imageURL`. The sandbox plays S3 too: the URLs are its own
(`/presigned/{object}/{name}`), signed (see `signing.py`); an `UploadUrl` expires after
`presign_expiry` sandbox seconds, a `DownloadUrl` does not. Bytes are kept in memory, bounded by
`upload_store_bytes` and `max_uploads` (the oldest go first); each body is bounded by the app's body
guard (`EASEL_SANDBOX_MAX_BODY_BYTES`). An image whose `imageURL` is one of these URLs is "downloaded"
from here: if nothing was uploaded by then, it ends at 12 (download failed).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from starlette.requests import Request
from starlette.responses import Response

from easel.sandboxes.clock import SandboxClock
from easel.sandboxes.pixelz.errors import error_object
from easel.sandboxes.pixelz.settings import Account, PixelzSandboxSettings
from easel.sandboxes.pixelz.signing import EXPIRES, SIGNATURE, UrlSigner

PRESIGNED = "/presigned"
_OUR_PATH = re.compile(r"/presigned/([0-9a-f]{32})/([^/]+)$")


@dataclass
class Upload:
    id: str
    owner: str
    name: str
    created: datetime
    expires: int
    content: bytes | None = None
    content_type: str = "application/octet-stream"

    @property
    def path(self) -> str:
        return f"{PRESIGNED}/{self.id}/{self.name}"


class UploadStore:
    def __init__(self, settings: PixelzSandboxSettings, clock: SandboxClock, signer: UrlSigner) -> None:
        self.settings = settings
        self.clock = clock
        self.signer = signer
        self.objects: OrderedDict[str, Upload] = OrderedDict()

    # -- handing out URLs --------------------------------------------------------------------------

    def presign(self, account: Account, names: list[str], root: str) -> list[dict[str, str]]:
        """One `{UploadUrl, DownloadUrl}` per name, in the order given."""
        now = self.clock.now()
        expires = int(now.timestamp() + self.settings.presign_expiry)
        answers = []
        for name in names:
            upload = Upload(secrets.token_hex(16), account.api_key, name, now, expires)
            self.objects[upload.id] = upload
            answers.append({"UploadUrl": self._url(root, upload, "PUT"), "DownloadUrl": self._url(root, upload, "GET")})
        self._evict()
        return answers

    def _url(self, root: str, upload: Upload, method: str) -> str:
        expires = upload.expires if method == "PUT" else None
        signature = self.signer.sign(method, upload.path, expires)
        query = f"{EXPIRES}={expires}&{SIGNATURE}={signature}" if expires is not None else f"{SIGNATURE}={signature}"
        return f"{root}{PRESIGNED}/{upload.id}/{quote(upload.name, safe='')}?{query}"

    def source(self, url: str) -> Upload | None:
        """The upload a URL downloads, when it is one of this sandbox's DownloadUrls (else None)."""
        parts = urlsplit(url)
        found = _OUR_PATH.search(unquote(parts.path))
        if found is None:
            return None
        upload = self.objects.get(found.group(1))
        signature = parse_qs(parts.query).get(SIGNATURE, [""])[0]
        if upload is None or upload.name != found.group(2) or not self.signer.valid("GET", upload.path, signature):
            return None
        return upload

    @staticmethod
    def looks_presigned(url: str) -> bool:
        return _OUR_PATH.search(unquote(urlsplit(url).path)) is not None

    # -- the S3 side ---------------------------------------------------------------------------------

    def _named(self, request: Request) -> Upload | None:
        upload = self.objects.get(str(request.path_params["object_id"]))
        return upload if upload is not None and upload.name == request.path_params["name"] else None

    async def put(self, request: Request) -> Response:
        upload = self._named(request)
        expires_text = request.query_params.get(EXPIRES, "")
        expires = int(expires_text) if expires_text.isdigit() else None
        if upload is None or expires is None or not self.signer.valid(
                "PUT", upload.path, request.query_params.get(SIGNATURE), expires):
            return error_object("AccessDenied", "The upload URL is not valid.", 403)
        if self.clock.now().timestamp() > expires:
            return error_object("AccessDenied", "The upload URL has expired; request a new one.", 403)
        content = await request.body()  # bounded by the app's body guard
        if not content:
            return error_object("IncompleteBody", "The upload is empty.", 400)
        upload.content = content
        upload.content_type = request.headers.get("content-type", "application/octet-stream").split(";")[0].strip()
        self.objects.move_to_end(upload.id)
        self._evict()
        return Response(status_code=200, headers={"ETag": f'"{hashlib.md5(content).hexdigest()}"'})  # noqa: S324

    async def get(self, request: Request) -> Response:
        upload = self._named(request)
        if upload is None or not self.signer.valid("GET", upload.path, request.query_params.get(SIGNATURE)):
            return error_object("AccessDenied", "The download URL is not valid.", 403)
        if upload.content is None:
            return error_object("NoSuchKey", "Nothing has been uploaded to this URL yet.", 404)
        return Response(upload.content, media_type=upload.content_type)

    # -- bounds --------------------------------------------------------------------------------------

    def stored_bytes(self) -> int:
        return sum(len(u.content or b"") for u in self.objects.values())

    def _evict(self) -> None:
        """Drop the oldest objects until both bounds hold (the newest one always stays)."""
        total = self.stored_bytes()
        while len(self.objects) > 1 and (
                len(self.objects) > self.settings.max_uploads or total > self.settings.upload_store_bytes):
            _, oldest = self.objects.popitem(last=False)
            total -= len(oldest.content or b"")

    def view(self) -> list[dict[str, Any]]:
        """The control surface's listing (no URLs: they are the credentials)."""
        return [{"id": u.id, "name": u.name, "uploaded": u.content is not None, "bytes": len(u.content or b""),
                 "contentType": u.content_type if u.content is not None else None} for u in self.objects.values()]
