"""The typed state the lifespan hands to every request (Starlette copies it into ``request.state``)."""

from __future__ import annotations

from typing import TypedDict

from starlette.requests import Request

from ..runtime import Runtime


class AppState(TypedDict):
    runtime: Runtime


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.state.runtime
    return runtime
