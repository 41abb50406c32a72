"""Pictures for the widget: artwork thumbnails and a framed preview of a configuration, made with Pillow.

Each picture is rendered on first request and kept on disk under ``$EASEL_DATA_DIR/cache/widget``,
within ``EASEL_IMAGE_CACHE_BYTES`` (:mod:`render_cache`); names carry the artwork's version (a hash of
its image reference, size and file time, plus the renderer's version), so URLs can be cached forever
and change when the artwork does. Rendering never decodes a full-size master: it reads the working
copy the import made (:mod:`easel.services.artwork_images`), or a JPEG master decoded at reduced
scale; a master without either (imported before working copies existed) gets one, made once, one at
a time, and only within the pixel limit. Concurrent requests for one picture wait for one render
(:mod:`single_flight`), and renders run on at most as many threads as there are cores.

The preview is a simple composite (wall, shadow, frame with a bevel, matte, print or canvas face with
its wrapped edge); it shows proportions and colours honestly, not photographic texture.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import anyio
import anyio.to_thread
from PIL import Image, ImageColor, ImageDraw, ImageFilter

from ..domain.catalog import Artwork
from ..domain.configuration import Resolved
from ..domain.options import OptionTables
from ..services.artwork_images import (
    WORK_EDGE,
    ImageRejected,
    inspect,
    reduced,
    save_jpeg,
    working_copy_is_current,
    working_copy_path,
)
from .render_cache import RenderCache
from .single_flight import SingleFlight

RENDERER = "2"
THUMB_WIDTHS = (240, 480)
PREVIEW_WIDTHS = (300, 600, 1200)
_SMALL_SOURCE = 640  # enough for thumbnails and 600 px previews (the picture is at most 84 % of it)
_LARGE_SOURCE = WORK_EDGE
_KEEP_SOURCES = 16  # decoded sources kept in memory (a 640 px one is about 1 MB)
_WALL = (236, 234, 230)


def _hex(color: str | None, fallback: tuple[int, int, int]) -> tuple[int, int, int]:
    if not color:
        return fallback
    try:
        rgb = ImageColor.getrgb(color)
    except ValueError:
        return fallback
    return rgb[0], rgb[1], rgb[2]


def _shade(rgb: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    r, g, b = (max(0, min(255, round(v * factor))) for v in rgb)
    return r, g, b


class Previews:
    def __init__(self, folder: Path, tables: OptionTables, *, cache_bytes: int = 500_000_000,
                 max_pixels: int = 80_000_000, max_pending: int = 256) -> None:
        self.folder = folder
        self.tables = tables
        self.max_pixels = max_pixels
        self.cache = RenderCache(folder, cache_bytes)
        self.flights = SingleFlight(max_pending)
        self.rendered = 0  # pictures rendered by this process (what single-flight saves shows here)
        self._threads = anyio.CapacityLimiter(os.cpu_count() or 1)
        self._sources: OrderedDict[tuple[str, str, int], Image.Image] = OrderedDict()
        self._lock = threading.Lock()
        self._full_decodes = threading.Lock()

    @staticmethod
    def version(artwork: Artwork) -> str:
        try:
            stamp = os.stat(artwork.image).st_mtime_ns
        except (OSError, ValueError):
            stamp = 0
        text = f"{RENDERER}|{artwork.image}|{artwork.width_px}x{artwork.height_px}|{stamp}"
        return hashlib.blake2b(text.encode(), digest_size=5).hexdigest()

    async def thumbnail(self, artwork: Artwork, width: int) -> Path:
        """The thumbnail's file, rendered if needed; :class:`single_flight.Busy` when too many renders wait."""
        target = self.folder / "thumbs" / f"{artwork.code}-{self.version(artwork)}-{width}.jpg"
        await self._ensure(target, lambda: self._render_thumbnail(artwork, width, target))
        return target

    async def preview(self, artwork: Artwork, resolved: Resolved, width: int) -> Path:
        """The preview's file, rendered if needed; :class:`single_flight.Busy` when too many renders wait."""
        name = f"{resolved.sku}-{self.version(artwork)}-{width}.jpg"
        target = self.folder / "previews" / name[:2] / name
        await self._ensure(target, lambda: self._render_preview(artwork, resolved, width, target))
        return target

    async def _ensure(self, target: Path, render: Callable[[], None]) -> None:
        if self.cache.hit(target):
            return

        async def work() -> None:
            await anyio.to_thread.run_sync(render, limiter=self._threads)

        await self.flights.run(str(target), target.exists, work)

    # --- rendering (in a worker thread) ----------------------------------------------------------------

    def _source(self, artwork: Artwork, edge: int) -> Image.Image:
        """The artwork at most ``edge`` px on its long edge (kept in memory), or a plain stand-in when
        there is no usable image."""
        key = (artwork.code, self.version(artwork), edge)
        with self._lock:
            found = self._sources.pop(key, None)
            if found is not None:
                self._sources[key] = found
                return found
        try:
            source = reduced(self._decodable(artwork, key[1]), edge, self.max_pixels)
        except (ImageRejected, OSError):
            ratio = artwork.height_px / max(1, artwork.width_px)
            size = (edge, max(1, round(edge * ratio))) if ratio <= 1 else (max(1, round(edge / ratio)), edge)
            return Image.new("RGB", size, (200, 204, 210))
        with self._lock:
            self._sources[key] = source
            while len(self._sources) > _KEEP_SOURCES:
                self._sources.popitem(last=False)
        return source

    def _decodable(self, artwork: Artwork, version: str) -> Path:
        """A file that is cheap to decode at preview size: the working copy, a JPEG master (decoded at
        reduced scale), or a working copy made now, once (masters imported before working copies)."""
        master = Path(artwork.image)
        copy = working_copy_path(master)
        if working_copy_is_current(master, copy):
            return copy
        if inspect(master, self.max_pixels).format == "JPEG":
            return master
        late = self.folder / "work" / f"{artwork.code}-{version}.jpg"
        with self._full_decodes:  # one full-size decode at a time in this process bounds its memory
            if not late.exists():
                self.cache.added(save_jpeg(reduced(master, WORK_EDGE, self.max_pixels), late, quality=90))
        return late

    def _render_thumbnail(self, artwork: Artwork, width: int, target: Path) -> None:
        image = self._source(artwork, _SMALL_SOURCE).copy()
        image.thumbnail((width, width), Image.Resampling.LANCZOS)
        self._store(image, target, quality=82)

    def _render_preview(self, artwork: Artwork, resolved: Resolved, width: int, target: Path) -> None:
        source = self._source(artwork, _SMALL_SOURCE if width <= _SMALL_SOURCE else _LARGE_SOURCE)
        self._store(compose(source, resolved, self.tables, width), target, quality=85)

    def _store(self, image: Image.Image, target: Path, quality: int) -> None:
        size = save_jpeg(image, target, quality=quality)
        with self._lock:
            self.rendered += 1
        self.cache.added(size)


def compose(source: Image.Image, resolved: Resolved, tables: OptionTables, size: int) -> Image.Image:
    """A ``size`` x ``size`` picture of the finished piece on a wall, to scale."""
    c = resolved.configuration
    style = tables.style_by_code[c.style]
    frame = tables.frame_by_code[c.frame]
    matte = tables.matte_by_code[c.matte]
    wrap = bool(style.border_types) and not style.framed
    depth = float(c.stretcher_bar or 0.75) if wrap else 0.0
    ow, oh = resolved.outer_size
    scale = size * 0.84 / max(ow + depth, oh + depth)

    def px(inches: float) -> int:
        return max(1, round(inches * scale))

    wall = Image.new("RGB", (size, size), _WALL)
    left = (size - px(ow + depth)) // 2
    top = (size - px(oh + depth)) // 2
    box = (left, top, left + px(ow), top + px(oh))
    shadow = Image.new("L", (size // 4, size // 4), 0)  # blurred small, then scaled up: cheap and soft
    offset = max(2, size // 100)
    ImageDraw.Draw(shadow).rectangle(tuple(v // 4 for v in (
        box[0] + offset, box[1] + 2 * offset, box[2] + offset + px(depth), box[3] + 2 * offset + px(depth))), fill=110)
    shadow = shadow.filter(ImageFilter.GaussianBlur(max(1, size // 280)))
    shadow = shadow.resize((size, size), Image.Resampling.BILINEAR)
    wall.paste((60, 56, 50), (0, 0, size, size), shadow)
    draw = ImageDraw.Draw(wall)
    if style.framed:
        color = _hex(frame.color, (40, 40, 40))
        fw = px(frame.width) if frame.width else 0
        draw.rectangle(box, fill=color)
        if fw:
            x0, y0, x1, y1 = box
            draw.polygon([(x0, y0), (x1, y0), (x1 - fw, y0 + fw), (x0 + fw, y0 + fw)], fill=_shade(color, 1.25))
            draw.polygon([(x0, y1), (x1, y1), (x1 - fw, y1 - fw), (x0 + fw, y1 - fw)], fill=_shade(color, 0.7))
        inner = (box[0] + fw, box[1] + fw, box[2] - fw, box[3] - fw)
        picture = inner
        if matte.width:
            draw.rectangle(inner, fill=_hex(matte.color, (250, 250, 246)))
            mw = px(matte.width)
            picture = (inner[0] + mw, inner[1] + mw, inner[2] - mw, inner[3] - mw)
            draw.rectangle((picture[0] - 1, picture[1] - 1, picture[2], picture[3]), outline=(200, 198, 192))
    elif wrap:
        picture = box
        _wrap_edges(wall, source, resolved, box, px(depth))
    else:
        draw.rectangle(box, fill=(252, 252, 250))
        edge = px(c.border_width) if c.border_width else 0
        picture = (box[0] + edge, box[1] + edge, box[2] - edge, box[3] - edge)
    w, h = max(1, picture[2] - picture[0]), max(1, picture[3] - picture[1])
    wall.paste(source.resize((w, h), Image.Resampling.LANCZOS, reducing_gap=2.0), (picture[0], picture[1]))
    return wall


def _wrap_edges(wall: Image.Image, source: Image.Image, resolved: Resolved, box: tuple[int, int, int, int],
                depth: int) -> None:
    """The right and bottom sides of a gallery wrap, seen slightly from the side."""
    c = resolved.configuration
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    face = source.resize((max(1, w), max(1, h)))
    if c.border_type == "color":
        color = _shade(_hex(c.border_color, (128, 128, 128)), 0.8)
        right: Image.Image = Image.new("RGB", (depth, h), color)
        bottom: Image.Image = Image.new("RGB", (w, depth), color)
    else:
        right = face.crop((w - depth, 0, w, h)).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        bottom = face.crop((0, h - depth, w, h)).transpose(Image.Transpose.FLIP_TOP_BOTTOM)
        if c.border_type == "blur":
            right = right.filter(ImageFilter.GaussianBlur(max(1, depth // 2)))
            bottom = bottom.filter(ImageFilter.GaussianBlur(max(1, depth // 2)))
        right = Image.eval(right, lambda v: int(v * 0.8))
        bottom = Image.eval(bottom, lambda v: int(v * 0.7))
    wall.paste(right, (x1, y0 + depth // 2))
    wall.paste(bottom, (x0 + depth // 2, y1))
