"""What the admin panel does with the art catalogue: find, edit, add with an uploaded image, import, export.

The catalogue is this easel's, shared by every merchant it serves (the widget shows every artwork to every
shop), so the panel lets merchants' owners and staff look and export, and only the operator change it
(see ``admin/views/catalogue.py``). What each shop may choose is which artworks it shows: owners and staff
hide one from their own shop (``hide_in_shop``); the operator hides one from every shop (``hidden`` in an
edit or an import row). Adding and importing go through ``catalog_files.import_catalog``, the
function behind ``easel catalog import``: the same row checks, pixel and byte limits, staging and working
copy; an edit goes through ``artwork_from_row``, the import's own row check.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

import anyio.to_thread

from ..domain.catalog import Artwork, ArtworkError, artwork_from_row, artwork_to_row
from ..domain.configuration import resolve, standard_choices
from ..runtime import Runtime
from ..storage import catalog as catalog_store
from .catalog_files import ImportReport, export_rows, import_catalog, read_rows

EDITABLE = ("title", "artist", "description", "substrates")
UPLOAD_NAME = "upload"  # the uploaded image's name in its own temporary folder: never the sender's name


class UploadTooLarge(ValueError):
    """An uploaded file is over ``EASEL_ADMIN_UPLOAD_MAX_BYTES``."""


@dataclass
class StagedImport:
    """An uploaded catalogue file saved in its own temporary folder and read into rows, not yet imported."""

    folder: tempfile.TemporaryDirectory[str]
    path: Path
    rows: list[tuple[int, dict[str, Any]]]

    @property
    def total(self) -> int:
        return len(self.rows)


class CatalogueDesk:
    def __init__(self, runtime: Runtime, on_change: Callable[[], None] | None = None) -> None:
        self.runtime = runtime
        self.engine = runtime.engine
        self.on_change = on_change

    async def search(self, text: str, page: int, size: int, *, shop: int | None = None,
                     visibility: str = "all") -> tuple[list[Artwork], int]:
        """A page of artworks; ``visibility`` (shown, hidden, all) as the shop sees them (the operator: None)."""
        async with self.engine.connect() as conn:
            return await catalog_store.search_artworks(conn, text=text, offset=(page - 1) * size, limit=size,
                                                       shop=shop, visibility=visibility)

    async def hidden_by_shop(self, shop: int) -> frozenset[str]:
        async with self.engine.connect() as conn:
            return await catalog_store.hidden_by_shop(conn, shop)

    async def hide_in_shop(self, shop: int, code: str, hidden: bool) -> bool:
        """Hide an artwork from one shop's widget and order API, or show it again; False if no such artwork.
        This process's widget forgets at once; other processes see it within ``EASEL_CACHE_TTL``."""
        async with self.engine.begin() as conn:
            if await catalog_store.artwork_by_code(conn, code.upper()) is None:
                return False
            await catalog_store.set_hidden_by_shop(conn, shop, code.upper(), hidden)
        self._changed()
        return True

    async def get(self, code: str) -> Artwork | None:
        async with self.engine.connect() as conn:
            return await catalog_store.artwork_by_code(conn, code.upper())

    async def edit(self, code: str, fields: dict[str, str]) -> Artwork | None:
        """Change an artwork's words and substrates (and ``hidden`` from every shop, when given) by the
        import's rules (ArtworkError naming what is wrong); None when there is no such artwork. Its image
        and size stay."""
        current = await self.get(code)
        if current is None:
            return None
        row = {**artwork_to_row(current), **{k: fields.get(k, "") for k in EDITABLE},
               **({"hidden": fields["hidden"]} if "hidden" in fields else {})}
        tables = self.runtime.tables
        changed = artwork_from_row(row, tables)
        async with self.engine.begin() as conn:
            await catalog_store.upsert_artworks(conn, [changed])
            await catalog_store.register_configurations(  # a substrate added brings its configurations
                conn, [resolve(changed, c, tables) for c in standard_choices(changed, tables)])
        self._changed()
        return changed

    async def add(self, fields: dict[str, str], image: BinaryIO) -> ImportReport:
        """One new artwork from an uploaded image, through ``import_catalog`` (its limits, its working copy)."""
        code = fields.get("code", "").strip().upper()
        if code and await self.get(code) is not None:
            raise ArtworkError(f"code: {code} already exists; open it to edit it")
        with tempfile.TemporaryDirectory(prefix="easel-add-") as folder:
            await anyio.to_thread.run_sync(self._save, image, Path(folder) / UPLOAD_NAME)
            row = {**{k: fields.get(k, "") for k in ("code", *EDITABLE)}, "image": UPLOAD_NAME}
            listing = Path(folder) / "add.jsonl"
            listing.write_text(json.dumps(row) + "\n", encoding="utf-8")
            report = await import_catalog(self.runtime, listing, "jsonl")
        self._changed()
        return report

    async def import_file(self, upload: BinaryIO, fmt: str) -> ImportReport:
        """A CSV or JSON-lines file as ``easel catalog import`` reads it, but images only by URL (raises
        ``CatalogFileError`` when the file as a whole is unreadable)."""
        staged = await self.stage_import(upload, fmt)
        return await self.run_import(staged)

    async def stage_import(self, upload: BinaryIO, fmt: str) -> StagedImport:
        """The uploaded file saved (``UploadTooLarge`` over ``EASEL_ADMIN_UPLOAD_MAX_BYTES``) and read into
        rows (``CatalogFileError`` when unreadable: nothing is imported), before any row's work starts, so
        the panel can refuse a bad file at once and then show the import's progress row by row."""
        folder = tempfile.TemporaryDirectory(prefix="easel-import-")
        try:
            path = Path(folder.name) / f"catalogue.{fmt}"
            await anyio.to_thread.run_sync(self._save, upload, path)
            rows = await anyio.to_thread.run_sync(read_rows, path, fmt)
        except BaseException:
            folder.cleanup()
            raise
        return StagedImport(folder, path, rows)

    async def run_import(self, staged: StagedImport, progress: Callable[[int], None] | None = None) -> ImportReport:
        """Import staged rows (each image only by URL) in one transaction, telling ``progress`` of each row
        done; the staged file is deleted whatever happens."""
        try:
            report = await import_catalog(self.runtime, staged.path, progress=progress, local_files=False,
                                          rows=staged.rows)
        finally:
            staged.folder.cleanup()
        self._changed()
        return report

    async def export(self, fmt: str) -> Iterator[str]:
        """The import format; each image named ``images/CODE.ext`` as ``easel catalog export -o`` lays them
        out (the panel sends one file, not the images: that command copies them)."""
        async with self.engine.connect() as conn:
            found = await catalog_store.all_artworks(conn)
        named = [replace(a, image=f"images/{a.code}{Path(a.image).suffix.lower()}") for a in found]
        return export_rows(named, fmt)

    def _save(self, source: BinaryIO, target: Path) -> None:
        limit = self.runtime.settings.admin_upload_max_bytes
        with target.open("wb") as out:
            shutil.copyfileobj(source, out)
        if target.stat().st_size > limit:
            raise UploadTooLarge(f"the file is over {limit} bytes (EASEL_ADMIN_UPLOAD_MAX_BYTES)")

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()
