"""The retouched files the sandbox delivers: small, real images drawn with Pillow from the ticket.

Pixelz lists final and thumbnail files as paths (`/1000003/2000000/final/myimage.jpg`); the sandbox
serves those paths itself, in the template's output format, so a client can download and check them.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from PIL import Image, ImageDraw

FINAL_SIZE = (96, 72)
THUMBNAIL_SIZE = (32, 24)


@dataclass(frozen=True)
class FileFormat:
    pillow: str
    media_type: str
    extension: str


FORMATS: dict[str, FileFormat] = {
    "JPG": FileFormat("JPEG", "image/jpeg", ".jpg"),
    "JPEG": FileFormat("JPEG", "image/jpeg", ".jpg"),
    "PNG": FileFormat("PNG", "image/png", ".png"),
    "TIF": FileFormat("TIFF", "image/tiff", ".tif"),
    "TIFF": FileFormat("TIFF", "image/tiff", ".tif"),
}

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def file_name(image_url: str, output_format: str) -> str:
    """The delivered file's name: the source file's stem with the template's extension."""
    stem = urlsplit(image_url).path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    stem = _UNSAFE.sub("-", stem).strip("-.") or "image"
    return stem[:80] + FORMATS[output_format].extension


def render(seed: str, output_format: str, *, thumbnail: bool = False) -> bytes:
    """A deterministic picture for `seed` (a ticket): a coloured field with a lighter inner frame."""
    digest = hashlib.sha256(seed.encode()).digest()
    background = (digest[0], digest[1], digest[2])
    frame = tuple(min(255, c + 96) for c in background)
    size = THUMBNAIL_SIZE if thumbnail else FINAL_SIZE
    picture = Image.new("RGB", size, background)
    inset = max(2, size[0] // 8)
    ImageDraw.Draw(picture).rectangle(
        (inset, inset, size[0] - inset - 1, size[1] - inset - 1), outline=(frame[0], frame[1], frame[2]), width=2
    )
    buffer = io.BytesIO()
    fmt = FORMATS[output_format]
    picture.save(buffer, format=fmt.pillow, **({"quality": 85} if fmt.pillow == "JPEG" else {}))
    return buffer.getvalue()
