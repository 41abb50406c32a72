"""Pictures for the widget: artwork thumbnails and a framed preview of a configuration, made with Pillow.

Each picture is rendered on first request and kept on disk under ``$EASEL_DATA_DIR/cache/widget``,
within ``EASEL_IMAGE_CACHE_BYTES`` (:mod:`render_cache`); names carry the artwork's version (a hash of
its image reference, size and file time, plus the renderer's version), so URLs can be cached forever
and change when the artwork does. Rendering never decodes a full-size master: it reads the working
copy the import made (:mod:`easel.services.artwork_images`), or a JPEG master decoded at reduced
scale; a master without either (imported before working copies existed) gets one, made once, one at
a time, and only within the pixel limit. Concurrent requests for one picture wait for one render
(:mod:`single_flight`), and renders run on at most as many threads as there are cores.

A configuration becomes a :class:`easel.previews.piece.Piece` here (:func:`piece_for`), with its
frame's moulding profile from ``data/frames.json``; :mod:`easel.previews` draws it, alone (the front view,
square) or hung on a wall at true scale (the wall view, 4:3), and :mod:`easel.previews.encoding` writes it
as JPEG, WebP or AVIF.
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import anyio
import anyio.to_thread
from PIL import Image, ImageColor

from ..domain.catalog import Artwork
from ..domain.configuration import Resolved
from ..domain.options import OptionTables
from ..previews.encoding import write
from ..previews.piece import CanvasEdge, EdgeKind, MatteBoard, Piece
from ..previews.profiles import RGB, FrameProfile, load_profiles
from ..previews.views import FILL, front_view
from ..previews.wall import wall_view
from ..services.artwork_images import (
    WORK_EDGE,
    ImageRejected,
    inspect,
    reduced,
    save_jpeg,
    working_copy_is_current,
    working_copy_path,
)
from ..ttl_cache import TtlCache
from .render_cache import RenderCache
from .single_flight import SingleFlight

RENDERER = "3"
THUMB_WIDTHS = (240, 480)
PREVIEW_WIDTHS = (300, 600, 1200)
_SMALL_SOURCE = 640  # enough for thumbnails
_KEEP_SOURCES = 16  # decoded sources kept in memory (a 640 px one is about 1 MB)
_EDGES: dict[str, EdgeKind] = {"mirror": "mirror", "blur": "blur", "color": "color"}


@dataclass(frozen=True, slots=True)
class Served:
    """A picture's bytes and the headers it was served with."""

    body: bytes
    media_type: str
    cache_control: str
    etag: str


@dataclass(frozen=True, slots=True)
class ServedFile:
    """A thumbnail file's bytes, the artwork version it was drawn for and the headers its ``FileResponse``
    sent but ``Cache-Control`` (which depends on the URL's version)."""

    body: bytes
    version: str
    headers: tuple[tuple[bytes, bytes], ...]


def _hex(color: str | None, fallback: RGB) -> RGB:
    if not color:
        return fallback
    try:
        rgb = ImageColor.getrgb(color)
    except ValueError:
        return fallback
    return rgb[0], rgb[1], rgb[2]


class Previews:
    def __init__(self, folder: Path, tables: OptionTables, *, cache_bytes: int = 500_000_000,
                 max_pixels: int = 80_000_000, max_pending: int = 256) -> None:
        self.folder = folder
        self.tables = tables
        self.profiles = load_profiles((f.code, f.width) for f in tables.frames)
        self.max_pixels = max_pixels
        self.cache = RenderCache(folder, cache_bytes)
        self.flights = SingleFlight(max_pending)
        self.rendered = 0  # pictures rendered by this process (what single-flight saves shows here)
        # Pictures just served, by URL, in memory (:mod:`images` makes it from the cache settings on first use).
        self.served: TtlCache[str, Served] | None = None
        self.served_files: TtlCache[tuple[str, int], ServedFile] | None = None  # thumbnails by (code, width)
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

    async def preview(self, artwork: Artwork, resolved: Resolved, width: int, *, view: str = "front",
                      extension: str = "jpg", wall: str = "white", reference: str = "sofa") -> Path:
        """The preview's file (``view`` front or wall, in the format of ``extension``), rendered if needed;
        :class:`single_flight.Busy` when too many renders wait."""
        scene = f"-{wall}-{reference}" if view == "wall" else ""
        name = f"{resolved.sku}-{self.version(artwork)}-{view}{scene}-{width}.{extension}"
        target = self.folder / "previews" / name[:2] / name

        def render() -> None:
            self._render_preview(artwork, resolved, width, target, view, extension, wall, reference)

        await self._ensure(target, render)
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
            path = self._decodable(artwork, key[1])
            if path.suffix == ".jpg" and path != Path(artwork.image):
                source = _working_copy_at(path, _fitted((artwork.width_px, artwork.height_px), edge))
            else:
                source = reduced(path, edge, self.max_pixels)
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

    def _render_preview(self, artwork: Artwork, resolved: Resolved, width: int, target: Path, view: str,
                        extension: str, wall: str, reference: str) -> None:
        source = self._source(artwork, math.ceil(width * FILL))
        piece = piece_for(resolved, self.tables, self.profiles)
        if view == "front":
            image = front_view(piece, source, width)
        else:
            image = wall_view(piece, source, width, wall, reference)
        size = write(image, target, extension)
        with self._lock:
            self.rendered += 1
        self.cache.added(size)

    def _store(self, image: Image.Image, target: Path, quality: int) -> None:
        size = save_jpeg(image, target, quality=quality)
        with self._lock:
            self.rendered += 1
        self.cache.added(size)


def _fitted(size: tuple[int, int], edge: int) -> tuple[int, int]:
    w, h = size
    scale = edge / max(w, h, 1)
    return max(1, round(w * scale)), max(1, round(h * scale))


def _working_copy_at(path: Path, size: tuple[int, int]) -> Image.Image:
    """A working copy (an upright RGB JPEG easel wrote) at ``size``, the JPEG decoder scaling it down by
    2, 4 or 8 as it reads when that still leaves enough pixels (which needs the box's real shape, not a
    square)."""
    with Image.open(path) as image:
        image.draft("RGB", size)
        work = image.convert("RGB") if image.mode != "RGB" else image
        if work.size == size:
            return work.copy()
        return work.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)


def piece_for(resolved: Resolved, tables: OptionTables, profiles: dict[str, FrameProfile]) -> Piece:
    """What a configuration looks like, in inches: its picture, frame profile, matte, paper margin or canvas
    edge (``Piece.outer`` is the configuration's ``outer_size``)."""
    c = resolved.configuration
    style = tables.style_by_code[c.style]
    frame = profiles.get(c.frame) if style.framed else None
    matte = tables.matte_by_code[c.matte]
    board = MatteBoard(matte.width, _hex(matte.color, (250, 250, 246))) if matte.width else None
    canvas = None
    margin = 0.0
    if style.border_types:
        kind = _EDGES.get(c.border_type or "", "mirror")
        canvas = CanvasEdge(float(c.stretcher_bar or 0.75), kind,
                            _hex(c.border_color, (128, 128, 128)) if kind == "color" else None)
    elif board is None:
        margin = float(c.border_width)
    w, h = resolved.image_size
    return Piece((float(w), float(h)), frame, board, margin, canvas)
