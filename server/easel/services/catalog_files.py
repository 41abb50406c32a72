"""Catalogue import and export files: CSV or JSON lines with the columns of ``artwork_to_row``.

An import validates every row first and then writes all valid rows in one transaction; a file that
cannot be read at all (bad encoding, unknown columns, not CSV/JSON lines) imports nothing. Each row's
image (a path relative to the file, or an http(s) URL fetched through the outbound guard) is held to
the size limits, copied into the data folder with its reduced working copy, and used from there by
thumbnails, previews and vendors; a row whose image is refused is reported and the others import.

The ``hidden`` column (the operator hides an artwork from every shop) is optional: files written before
it import as before, and a row that leaves it out or empty keeps what the artwork had.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anyio
import anyio.to_thread

from ..domain.catalog import Artwork, ArtworkError, artwork_from_row, artwork_to_row, parse_hidden
from ..domain.configuration import resolve, standard_choices
from ..outbound import Outbound
from ..runtime import Runtime
from ..storage import catalog as catalog_store
from .artwork_images import ImageRejected, inspect, working_copy_path, write_working_copy
from .image_fetch import fetch_image, image_outbound

COLUMNS = ("code", "title", "artist", "description", "image", "width_px", "height_px", "substrates", "hidden")
MAX_ROWS = 100_000
FETCHES_AT_ONCE = 4  # image downloads in flight (each holds up to EASEL_MAX_IMAGE_BYTES in memory)
_ANY_SIZE = 10_000  # stands in for pixel sizes the image will give, to check the rest of a row first


class CatalogFileError(ValueError):
    """The file as a whole cannot be imported; nothing was written."""


@dataclass
class ImportReport:
    inserted: int = 0
    updated: int = 0
    rejected: list[tuple[int, str, str]] = field(default_factory=list)  # (line, code, reason)


def detect_format(path: Path, declared: str | None) -> str:
    if declared:
        return declared
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".txt"):
        return "csv"
    raise CatalogFileError(f"cannot tell the format of {path.name}; name it .csv or .jsonl, or pass --format")


def read_rows(path: Path, fmt: str) -> list[tuple[int, dict[str, Any]]]:
    """(line number, row) pairs; raises CatalogFileError when the file itself is unreadable."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise CatalogFileError(f"{path} does not exist") from None
    except UnicodeDecodeError as err:
        raise CatalogFileError(f"{path.name} is not UTF-8 text (bad byte at offset {err.start})") from None
    rows: list[tuple[int, dict[str, Any]]] = []
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text))
        unknown = [c for c in (reader.fieldnames or []) if c not in COLUMNS]
        if not reader.fieldnames or "code" not in reader.fieldnames:
            raise CatalogFileError(
                f"{path.name} has no header row with a 'code' column (columns: {', '.join(COLUMNS)})")
        if unknown:
            raise CatalogFileError(
                f"{path.name} has unknown columns: {', '.join(unknown)} (known: {', '.join(COLUMNS)})")
        for row in reader:
            rows.append((reader.line_num, {k: v for k, v in row.items() if k is not None}))
    else:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as err:
                raise CatalogFileError(f"{path.name} line {number} is not JSON: {err.msg}") from None
            if not isinstance(data, dict):
                raise CatalogFileError(f"{path.name} line {number} is not a JSON object")
            rows.append((number, data))
    if len(rows) > MAX_ROWS:
        raise CatalogFileError(f"{path.name} has {len(rows)} rows; split it into files of at most {MAX_ROWS}")
    return rows


def _url(image: str) -> bool:
    """Whether the row names its image by http(s) URL; other schemes are refused."""
    scheme = urlsplit(image).scheme.lower()
    if scheme in ("http", "https"):
        return True
    if scheme and len(scheme) > 1:  # one letter is a Windows drive
        raise ArtworkError(f"image: {image!r} must be a file path or an http(s) URL")
    return False


class _Intake:
    """Brings each row's image into ``$EASEL_DATA_DIR/images`` and makes its working copy, all under
    staging names until the database commit (so a failed import leaves the folder as it was)."""

    def __init__(self, runtime: Runtime, base: Path, outbound: Outbound, local_files: bool = True) -> None:
        self.local_files = local_files
        self.tables = runtime.tables
        self.max_pixels = runtime.settings.max_image_pixels
        self.max_bytes = runtime.settings.max_image_bytes
        self.base = base
        self.images_dir = (runtime.settings.data_dir / "images").resolve()
        self.outbound = outbound
        self.staged: list[tuple[Path, Path]] = []  # (staging file, final place)
        self._fetches = anyio.CapacityLimiter(FETCHES_AT_ONCE)
        self._decodes = anyio.CapacityLimiter(1)  # one full-size decode at a time bounds the memory

    def check_fields(self, row: dict[str, Any]) -> None:
        """Every check that needs no image file, so a bad row costs no download or decode."""
        sized = bool(row.get("width_px") or row.get("height_px"))
        artwork = artwork_from_row(row if sized else {**row, "width_px": _ANY_SIZE, "height_px": _ANY_SIZE},
                                   self.tables)
        if sized and artwork.width_px * artwork.height_px > self.max_pixels:
            raise ArtworkError(f"width_px/height_px: {artwork.width_px}x{artwork.height_px} is over the limit of "
                               f"{self.max_pixels:,} pixels (EASEL_MAX_IMAGE_PIXELS)")

    async def prepare(self, row: dict[str, Any]) -> Artwork:
        """The row's artwork, its image staged in the data folder; ArtworkError naming what is wrong."""
        image = str(row.get("image") or "").strip()
        code = str(row.get("code") or "").strip().upper()
        staged: list[tuple[Path, Path]] = []
        try:
            artwork = await self._prepare(row, image, code, staged)
        except ImageRejected as err:
            for staging, _ in staged:
                staging.unlink(missing_ok=True)
            raise ArtworkError(f"image: {image[:200]!r} {err}") from None
        except BaseException:
            for staging, _ in staged:
                staging.unlink(missing_ok=True)
            raise
        self.staged.extend(staged)
        return artwork

    def _staging(self, final: Path) -> Path:
        final.parent.mkdir(parents=True, exist_ok=True)
        return final.with_name(f"{final.name}.{uuid.uuid4().hex[:8]}.importing")

    async def _prepare(self, row: dict[str, Any], image: str, code: str, staged: list[tuple[Path, Path]]) -> Artwork:
        fetched = _url(image)
        if fetched:
            source = self.images_dir / f".{code}.{uuid.uuid4().hex[:8]}.fetching"
            self.images_dir.mkdir(parents=True, exist_ok=True)
            staged.append((source, source))  # deleted if anything below fails; given its final name below
            async with self._fetches:
                await fetch_image(self.outbound, image, source, self.max_bytes)
        elif not self.local_files:
            raise ArtworkError(f"image: {image[:200]!r} must be an http(s) URL (a file sent through the admin "
                               "panel cannot name files on the server; add one artwork with its image instead)")
        else:
            source = (self.base / image).resolve()
            if not source.is_file():
                raise ArtworkError(f"image: file {image!r} not found next to the import file")
        info = inspect(source, self.max_pixels)
        if not row.get("width_px") and not row.get("height_px"):
            row = {**row, "width_px": info.width, "height_px": info.height}
        elif (str(row.get("width_px")), str(row.get("height_px"))) != (str(info.width), str(info.height)):
            raise ArtworkError(f"width_px/height_px: the row says {row.get('width_px')}x{row.get('height_px')} "
                               f"but the image is {info.width}x{info.height}")
        artwork = artwork_from_row(row, self.tables)
        final = self.images_dir / f"{code}{info.extension}"
        if fetched:
            staged[-1] = (source, final)
        elif source != final:
            staging = self._staging(final)
            staged.append((staging, final))
            await anyio.to_thread.run_sync(shutil.copyfile, source, staging)
        work = working_copy_path(final)
        work_staging = self._staging(work)
        staged.append((work_staging, work))
        async with self._decodes:
            await anyio.to_thread.run_sync(write_working_copy, source, work_staging, self.max_pixels)
        return replace(artwork, image=str(final))

    def discard(self) -> None:
        for staging, _ in self.staged:
            staging.unlink(missing_ok=True)

    def commit(self) -> None:
        for staging, final in self.staged:
            staging.replace(final)


async def import_catalog(runtime: Runtime, path: Path, fmt: str | None = None,
                         progress: Callable[[int], None] | None = None,
                         outbound: Outbound | None = None, local_files: bool = True,
                         rows: list[tuple[int, dict[str, Any]]] | None = None) -> ImportReport:
    """Validate every row (fetching and checking its image), then write the valid ones in one transaction
    and only then move their images into place. ``outbound`` defaults to the guard the settings give.
    ``local_files=False`` (a file uploaded to the panel) refuses image paths: only URLs are fetched.
    ``rows``: the file's rows when the caller has read them already (``read_rows``); ``progress`` is told
    of each row done (checked, refused or ready), so it reaches ``len(rows)`` before the write."""
    if rows is None:
        rows = read_rows(path, detect_format(path, fmt))
    report = ImportReport()
    intake = _Intake(runtime, path.parent, outbound or image_outbound(runtime.http, runtime.settings), local_files)
    checked: list[tuple[int, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        code = str(row.get("code") or "").strip().upper()
        try:
            if code in seen:
                raise ArtworkError(f"code: {code} already appears on line {seen[code]}")
            intake.check_fields(row)
            seen[code] = line
            checked.append((line, row))
        except ArtworkError as err:
            report.rejected.append((line, code or "?", str(err)))
            if progress:
                progress(1)
    prepared: dict[int, Artwork] = {}
    room = anyio.Semaphore(2 * FETCHES_AT_ONCE)  # rows in flight, not one task per row of a big file

    async def one(line: int, row: dict[str, Any]) -> None:
        try:
            prepared[line] = await intake.prepare(row)
        except ArtworkError as err:
            report.rejected.append((line, str(row.get("code") or "").strip().upper(), str(err)))
        finally:
            room.release()
        if progress:
            progress(1)

    try:
        async with anyio.create_task_group() as tasks:
            for line, row in checked:
                await room.acquire()
                tasks.start_soon(one, line, row)
        report.rejected.sort()
        final = [prepared[line] for line, _ in checked if line in prepared]
        keep_hidden = {prepared[line].code for line, row in checked
                       if line in prepared and parse_hidden(row.get("hidden")) is None}
        if final:
            async with runtime.engine.begin() as conn:
                report.inserted, report.updated = await catalog_store.upsert_artworks(conn, final, keep_hidden)
                await catalog_store.register_configurations(
                    conn, [resolve(a, c, runtime.tables) for a in final for c in standard_choices(a, runtime.tables)])
    except BaseException:
        intake.discard()
        raise
    intake.commit()
    return report


def bundle_images(artworks: list[Artwork], output: Path) -> list[Artwork]:
    """Copy each artwork's local image into ``images/`` beside ``output`` and name it relative to the
    output file, so the export and its folder can be moved elsewhere and imported there; URLs and
    missing files are left as they are."""
    folder = output.parent.resolve() / "images"
    bundled: list[Artwork] = []
    for artwork in artworks:
        image = artwork.image
        source = Path(image)
        if not _url(image) and source.is_file():
            target = folder / f"{artwork.code}{source.suffix.lower()}"
            folder.mkdir(parents=True, exist_ok=True)
            if not (target.exists() and target.samefile(source)):
                have, want = (target.stat() if target.exists() else None), source.stat()
                if have is None or (have.st_size, have.st_mtime_ns) != (want.st_size, want.st_mtime_ns):
                    shutil.copy2(source, target)
            image = f"images/{target.name}"
        bundled.append(replace(artwork, image=image))
    return bundled


def export_rows(artworks: list[Artwork], fmt: str) -> Iterator[str]:
    """The import format, line by line, so export → import round-trips."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        yield buffer.getvalue()
        for artwork in artworks:
            buffer.seek(0)
            buffer.truncate()
            row = artwork_to_row(artwork)
            writer.writerow({**row, "hidden": "true" if row["hidden"] else "false"})
            yield buffer.getvalue()
    else:
        for artwork in artworks:
            yield json.dumps(artwork_to_row(artwork), ensure_ascii=False) + "\n"
