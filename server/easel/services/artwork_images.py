"""Artwork master files: their size, read from the header and held to the pixel limit, and the reduced
working copy that thumbnails and previews are rendered from.

A master can have tens of megapixels, and a few kilobytes of PNG can claim hundreds: decoding one costs
seconds and hundreds of megabytes. So the catalogue import reads the size from the header (Pillow's
``Image.open`` decodes nothing) and refuses an image over ``EASEL_MAX_IMAGE_PIXELS`` before any
decoding; then it decodes the master once, reduced as early as the format allows (a JPEG is decoded
at 1/2 to 1/8 scale), into a JPEG of at most :data:`WORK_EDGE` pixels: the only file request-time
rendering needs to open.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import ExifTags, Image, UnidentifiedImageError

WORK_EDGE = 1200  # the largest preview (1200 px) shows the picture at most 84 % of its width
EXTENSIONS = {"JPEG": ".jpg", "PNG": ".png", "TIFF": ".tif", "WEBP": ".webp"}
_ORIENTATION = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
                5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
                8: Image.Transpose.ROTATE_90}


class ImageRejected(ValueError):
    """Why a file cannot be an artwork master, as the end of a sentence ("is not an image …")."""


@dataclass(frozen=True, slots=True)
class ImageInfo:
    width: int
    height: int
    format: str

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]


def _too_many(max_pixels: int) -> str:
    return f"has more pixels than the limit of {max_pixels:,} (EASEL_MAX_IMAGE_PIXELS)"


def inspect(path: Path, max_pixels: int) -> ImageInfo:
    """Size and format from the file's header, without decoding; :class:`ImageRejected` when the file is
    not a JPEG, PNG, TIFF or WebP image, or has more than ``max_pixels`` pixels (Pillow's own
    decompression-bomb refusals count as that too)."""
    try:
        with Image.open(path) as image:
            width, height = image.size
            found = str(image.format)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(_too_many(max_pixels)) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise ImageRejected("is not an image Pillow can read") from None
    if width * height > max_pixels:
        raise ImageRejected(f"is {width}x{height} = {width * height:,} pixels, over the limit of {max_pixels:,} "
                            "(EASEL_MAX_IMAGE_PIXELS)")
    if found not in EXTENSIONS:
        raise ImageRejected(f"is a {found} image; use JPEG, PNG, TIFF or WebP")
    return ImageInfo(width, height, found)


def working_copy_path(master: Path) -> Path:
    """Where the import keeps the working copy of a master: beside it, in ``.work/``."""
    return master.parent / ".work" / f"{master.name}.jpg"


def working_copy_is_current(master: Path, copy: Path) -> bool:
    """Whether ``copy`` was made from the master as it is now (it is not older than the master)."""
    try:
        return copy.stat().st_mtime_ns >= master.stat().st_mtime_ns
    except OSError:
        return False


def reduced(path: Path, edge: int, max_pixels: int) -> Image.Image:
    """The image at ``path`` as RGB, at most ``edge`` px on its long edge, upright (EXIF orientation),
    decoded with as much reduction as the format allows; :class:`ImageRejected` when it cannot be."""
    inspect(path, max_pixels)
    try:
        with Image.open(path) as image:
            orientation = image.getexif().get(ExifTags.Base.Orientation)
            image.draft("RGB", (edge, edge))  # JPEG: the decoder scales down by 2, 4 or 8 as it reads
            work: Image.Image = image
            if work.mode == "P":  # no filtered resampling of palette images: pick pixels, then filter
                work = work.resize(_fit(work.size, 2 * edge), Image.Resampling.NEAREST) \
                    if max(work.size) > 2 * edge else work
                work = work.convert("RGBA" if "transparency" in work.info else "RGB")
            elif work.mode not in ("L", "LA", "RGB", "RGBA", "CMYK", "YCbCr", "I", "F"):
                work = work.convert("L" if work.mode in ("1", "I;16", "I;16B", "I;16L", "I;16N") else "RGB")
            if max(work.size) > edge:
                work = work.resize(_fit(work.size, edge), Image.Resampling.LANCZOS, reducing_gap=3.0)
            elif work is image:
                work = work.copy()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(_too_many(max_pixels)) from None
    except (OSError, ValueError, SyntaxError) as err:
        raise ImageRejected(f"cannot be decoded ({err})") from None
    if work.mode in ("I", "F"):
        work = work.point(lambda v: v / 256).convert("L") if work.mode == "I" else work.convert("L")
    if orientation in _ORIENTATION:
        work = work.transpose(_ORIENTATION[orientation])
    return work.convert("RGB")


def _fit(size: tuple[int, int], edge: int) -> tuple[int, int]:
    w, h = size
    scale = edge / max(w, h)
    return max(1, round(w * scale)), max(1, round(h * scale))


def write_working_copy(master: Path, target: Path, max_pixels: int) -> None:
    """Decode ``master`` once into its working copy at ``target`` (a JPEG of at most WORK_EDGE px)."""
    save_jpeg(reduced(master, WORK_EDGE, max_pixels), target, quality=90)


def save_jpeg(image: Image.Image, target: Path, quality: int) -> int:
    """Write atomically (a temporary file renamed into place), so readers never see half a file; the size."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            image.save(f, "JPEG", quality=quality, progressive=True)
            size = f.tell()
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return size
