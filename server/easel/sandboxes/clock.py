"""A clock a sandbox runs on, so tests and demos can make days pass in milliseconds.

Sandbox time = start + (real time elapsed × `speed`) + `offset`. Orders in a sandbox progress against
this clock, never against the wall clock, so a test can `advance()` it past "ships in one day" and a
demo can run at `speed=600` (ten minutes per second). It only moves forward.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import anyio
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

log = logging.getLogger("easel.sandboxes")


class ClockChange(BaseModel):
    """Body of `POST /_control/clock`: both fields optional, applied speed first."""

    model_config = ConfigDict(extra="forbid")

    speed: float | None = Field(default=None, ge=0, description="Sandbox seconds per real second.")
    advance: float | None = Field(default=None, ge=0, description="Jump forward by this many seconds.")


class SandboxClock:
    """Real time × speed factor + manual offset; monotonic."""

    def __init__(
        self,
        *,
        speed: float = 1.0,
        start: datetime | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self._monotonic = monotonic
        self._origin = (start or datetime.now(UTC)).astimezone(UTC)
        self._anchor_real = monotonic()
        self._anchor_elapsed = 0.0
        self._speed = speed
        self._offset = 0.0

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def offset(self) -> float:
        """Seconds added by `advance()` so far."""
        return self._offset

    def elapsed(self) -> float:
        """Sandbox seconds since the clock was created."""
        scaled = self._anchor_elapsed + (self._monotonic() - self._anchor_real) * self._speed
        return scaled + self._offset

    def now(self) -> datetime:
        """The sandbox's current time, timezone-aware UTC."""
        return self._origin + timedelta(seconds=self.elapsed())

    def advance(self, seconds: float) -> datetime:
        """Jump forward; returns the new now."""
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        self._offset += seconds
        return self.now()

    def set_speed(self, speed: float) -> None:
        """Change the rate without a jump: time so far is kept, the new rate applies from now."""
        if speed < 0:
            raise ValueError("speed must be >= 0")
        real = self._monotonic()
        self._anchor_elapsed += (real - self._anchor_real) * self._speed
        self._anchor_real = real
        self._speed = speed

    def snapshot(self) -> dict[str, object]:
        return {"now": self.now().isoformat(), "speed": self._speed, "offset": self._offset}

    async def endpoint(self, request: Request) -> Response:
        """`GET` shows the clock; `POST {"speed": 60, "advance": 3600}` changes it."""
        if request.method == "POST":
            try:
                change = ClockChange.model_validate_json(await request.body() or b"{}")
            except ValidationError as err:
                return JSONResponse({"error": err.errors(include_url=False, include_context=False)}, 400)
            if change.speed is not None:
                self.set_speed(change.speed)
            if change.advance is not None:
                self.advance(change.advance)
        return JSONResponse(self.snapshot())


@asynccontextmanager
async def ticking(tick: Callable[[], Awaitable[None]], every: float, name: str) -> AsyncIterator[None]:
    """Run ``tick`` every ``every`` real seconds in the background while inside: how a sandbox moves its
    orders on and sends what is due. A failing tick (a bad callback receiver, a locked database) is
    logged and the next one runs as planned: it must not stop the sandbox."""

    async def forever() -> None:
        while True:
            try:
                await tick()
            except Exception:
                log.exception("%s tick failed", name)
            await anyio.sleep(every)

    async with anyio.create_task_group() as tg:
        tg.start_soon(forever)
        try:
            yield
        finally:
            tg.cancel_scope.cancel()
