"""Picture formats the previews are served in, and writing them to disk atomically.

JPEG always; WebP and AVIF when this Pillow was built with them (``PIL.features``). Qualities are chosen
so the three look alike at preview sizes; WebP is about two thirds of the JPEG's bytes, AVIF less again.
JPEGs are baseline, not progressive: the widget shows a preview only once it has fully arrived (the old
one stays until then), and baseline encodes faster.
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, features


@dataclass(frozen=True, slots=True)
class Format:
    extension: str
    pillow: str
    media_type: str
    options: dict[str, Any]


_ALL = (
    Format("jpg", "JPEG", "image/jpeg", {"quality": 85}),
    Format("webp", "WEBP", "image/webp", {"quality": 80, "method": 4}),
    Format("avif", "AVIF", "image/avif", {"quality": 60, "speed": 8}),
)


def _supported(fmt: Format) -> bool:
    return fmt.pillow == "JPEG" or bool(features.check(fmt.pillow.lower()))


FORMATS: dict[str, Format] = {f.extension: f for f in _ALL if _supported(f)}


def encode(image: Image.Image, extension: str) -> bytes:
    fmt = FORMATS[extension]
    out = io.BytesIO()
    image.convert("RGB").save(out, fmt.pillow, **fmt.options)
    return out.getvalue()


def write(image: Image.Image, target: Path, extension: str) -> int:
    """Encode and write atomically (a temporary file renamed into place), so readers never see half a
    file; the bytes written."""
    data = encode(image, extension)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(data)
