"""Catalogue import and export files: CSV or JSON lines with the columns of ``artwork_to_row``.

An import validates every row first and then writes all valid rows in one transaction; a file that
cannot be read at all (bad encoding, unknown columns, not CSV/JSON lines) imports nothing. Local image
paths are read relative to the file and copied into the data folder; http(s) URLs are only recorded.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from PIL import Image, UnidentifiedImageError

from ..domain.catalog import Artwork, ArtworkError, artwork_from_row, artwork_to_row
from ..domain.configuration import resolve, standard_choices
from ..runtime import Runtime
from ..storage import catalog as catalog_store

COLUMNS = ("code", "title", "artist", "description", "image", "width_px", "height_px", "substrates")
MAX_ROWS = 100_000


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


def _local_image(base: Path, image: str) -> Path | None:
    parts = urlsplit(image)
    if parts.scheme in ("http", "https"):
        return None
    if parts.scheme and len(parts.scheme) > 1:
        raise ArtworkError(f"image: {image!r} must be a file path or an http(s) URL")
    return (base / image).resolve()


def _prepare(row: dict[str, Any], base: Path, runtime: Runtime) -> tuple[Artwork, Path | None]:
    image = str(row.get("image") or "").strip()
    local = _local_image(base, image) if image else None
    if local is not None:
        if not local.is_file():
            raise ArtworkError(f"image: file {image!r} not found next to the import file")
        try:
            with Image.open(local) as im:
                size = im.size
        except (UnidentifiedImageError, OSError):
            raise ArtworkError(f"image: {image!r} is not an image Pillow can read") from None
        if not row.get("width_px") and not row.get("height_px"):
            row = {**row, "width_px": size[0], "height_px": size[1]}
        elif (str(row.get("width_px")), str(row.get("height_px"))) != (str(size[0]), str(size[1])):
            raise ArtworkError(f"width_px/height_px: the row says {row.get('width_px')}x{row.get('height_px')} "
                               f"but {image} is {size[0]}x{size[1]}")
    artwork = artwork_from_row(row, runtime.tables)
    return artwork, local


async def import_catalog(runtime: Runtime, path: Path, fmt: str | None = None,
                         progress: Callable[[int], None] | None = None) -> ImportReport:
    """Validate every row, then write the valid ones (and copy their images) in one transaction."""
    rows = read_rows(path, detect_format(path, fmt))
    report = ImportReport()
    valid: list[tuple[Artwork, Path | None]] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        code = str(row.get("code") or "").strip().upper()
        try:
            if code in seen:
                raise ArtworkError(f"code: {code} already appears on line {seen[code]}")
            artwork, local = _prepare(row, path.parent, runtime)
            seen[artwork.code] = line
            valid.append((artwork, local))
        except ArtworkError as err:
            report.rejected.append((line, code or "?", str(err)))
        if progress:
            progress(1)
    if not valid:
        return report
    images_dir = (runtime.settings.data_dir / "images").resolve()
    staged: list[tuple[Path, Path]] = []  # (staging copy, final place): moved only after the commit
    final: list[Artwork] = []
    try:
        for artwork, local in valid:
            if local is not None:
                target = images_dir / f"{artwork.code}{local.suffix.lower()}"
                if local != target:
                    images_dir.mkdir(parents=True, exist_ok=True)
                    staging = target.with_name(target.name + ".importing")
                    shutil.copyfile(local, staging)
                    staged.append((staging, target))
                artwork = Artwork(artwork.code, artwork.title, artwork.artist, artwork.description,
                                  artwork.width_px, artwork.height_px, str(target), artwork.substrates)
            final.append(artwork)
        async with runtime.engine.begin() as conn:
            report.inserted, report.updated = await catalog_store.upsert_artworks(conn, final)
            await catalog_store.register_configurations(
                conn, [resolve(a, c, runtime.tables) for a in final for c in standard_choices(a, runtime.tables)])
    except BaseException:
        for staging, _ in staged:
            staging.unlink(missing_ok=True)
        raise
    for staging, target in staged:
        staging.replace(target)
    return report


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
            writer.writerow(artwork_to_row(artwork))
            yield buffer.getvalue()
    else:
        for artwork in artworks:
            yield json.dumps(artwork_to_row(artwork), ensure_ascii=False) + "\n"
