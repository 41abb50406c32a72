"""A catalogue import's page, sent while the import runs: "n of N rows" as rows are done, then the report.

Why a streamed answer and not a background job polled by id: ``easel serve --workers N`` runs several
processes, and a page asking about an import would reach any of them, so the import's state would have
to live in the database. The import's own answer needs none: the browser shows the page as it arrives
(no script needed), the import's rows still land in one transaction, and an import whose page is closed
before the end is cancelled and imports nothing (as a file that cannot be read). A progress line is sent
at each new percent of the rows, and at most every ``TICK`` seconds otherwise, so a large file sends about
a hundred lines; only the latest is shown. Imports at once per process are ``EASEL_ADMIN_IMPORTS_AT_ONCE``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ...services.catalog_files import ImportReport
from ...services.catalogue_desk import CatalogueDesk, StagedImport
from ..auth import Visitor
from ..context import panel_of
from ..pages import keep_session, templates

logger = logging.getLogger("easel.admin")
TICK = 1.0  # seconds between progress lines while rows are slow (image downloads)
_SLOT = "<!--easel:progress-->"


@dataclass
class RunningImports:
    """Imports running in this process, against ``EASEL_ADMIN_IMPORTS_AT_ONCE``."""

    limit: int
    count: int = 0

    @property
    def full(self) -> bool:
        return self.count >= self.limit


def running_imports(request: Request) -> RunningImports:
    state = request.app.state
    found: RunningImports | None = getattr(state, "easel_imports", None)
    if found is None:
        found = state.easel_imports = RunningImports(panel_of(request).runtime.settings.admin_imports_at_once)
    return found


class _Progress:
    """Rows done so far; wakes the page's writer at each new percent."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.step = max(1, total // 100)
        self.moved = anyio.Event()

    def __call__(self, rows: int) -> None:
        before = self.done // self.step
        self.done += rows
        if self.done // self.step != before:
            self.moved.set()


def _line(done: int, total: int) -> str:
    return (f'<p class="progress-line"><progress max="{total}" value="{done}"></progress> '
            f"{done} of {total} rows checked</p>\n")


def import_page(request: Request, visitor: Visitor, desk: CatalogueDesk, staged: StagedImport,
                imports: RunningImports, filename: str) -> Response:
    """The page, sent as the import goes; the import starts when the page starts to be sent."""
    context: dict[str, Any] = {
        "request": request, "visitor": visitor, "user": visitor.user, "merchant": visitor.merchant,
        "csrf": panel_of(request).sessions.csrf_token(visitor.session), "path": "/admin/catalogue",
        "filename": filename[:200], "total": staged.total, "slot": _SLOT}
    head, tail = templates.get_template("admin/catalogue_import.html").render(context).split(_SLOT, 1)
    imports.count += 1
    response = _ImportResponse(desk, staged, imports, head, tail)
    return keep_session(request, response, visitor.session)


class _ImportResponse(Response):
    """Sends the page's head, runs the import while sending progress lines, then the report and the tail.
    It sends by itself rather than through a generator, so the import's task group never spans a ``yield``;
    a disconnected browser cancels the import (its transaction is rolled back)."""

    def __init__(self, desk: CatalogueDesk, staged: StagedImport, imports: RunningImports, head: str,
                 tail: str) -> None:
        super().__init__(None, media_type="text/html; charset=utf-8",
                         headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
        self.desk, self.staged, self.imports, self.head, self.tail = desk, staged, imports, head, tail
        self.raw_headers = [(k, v) for k, v in self.raw_headers if k != b"content-length"]  # sent as it goes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            async with anyio.create_task_group() as tasks:

                async def until_disconnect() -> None:
                    while (await receive())["type"] != "http.disconnect":
                        pass
                    tasks.cancel_scope.cancel()

                async def write(text: str) -> None:
                    await send({"type": "http.response.body", "body": text.encode(), "more_body": True})

                tasks.start_soon(until_disconnect)
                await write(self.head)
                await self._run(write)
                await write(self.tail)
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                tasks.cancel_scope.cancel()
        finally:
            self.imports.count -= 1
            self.staged.folder.cleanup()

    async def _run(self, write: Callable[[str], Awaitable[None]]) -> None:
        total = self.staged.total
        progress = _Progress(total)
        outcome: list[ImportReport | Exception] = []

        async def run() -> None:
            try:
                outcome.append(await self.desk.run_import(self.staged, progress))
            except Exception as err:  # noqa: BLE001 (told on the page, logged below)
                outcome.append(err)
            progress.moved.set()

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(run)
            shown, last = -1, time.monotonic()
            while not outcome:
                with anyio.move_on_after(TICK):
                    await progress.moved.wait()
                progress.moved = anyio.Event()
                if progress.done != shown and progress.done < total:
                    shown, last = progress.done, time.monotonic()
                    await write(_line(shown, total))
                elif time.monotonic() - last > 15:  # a quiet connection is not closed by a proxy
                    last = time.monotonic()
                    await write("\n")
        report = templates.get_template("admin/_import_report.html")
        result = outcome[0]
        if isinstance(result, Exception):
            logger.error("catalogue import failed: %s", type(result).__name__, exc_info=result)
            await write(report.render(report=None, failed=True))
        else:
            await write(_line(total, total) + report.render(report=result, failed=False))
