"""The Pwinty sandbox as the dispatch benchmark serves it: its own uvicorn process, as a real vendor is
its own service (in a thread of the benchmark it would share a GIL with the load it is measured under)."""

from __future__ import annotations

from starlette.applications import Starlette

from easel.sandboxes.pwinty import PwintySandboxSettings, create_app

from ..sandbox_access import CONTROL_TOKEN


def create() -> Starlette:
    return create_app(PwintySandboxSettings(tick_seconds=1.0, control_token=CONTROL_TOKEN))
