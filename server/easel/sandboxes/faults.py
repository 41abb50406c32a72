"""Fault injection for sandboxes: the failures a real vendor has, on demand and reproducibly.

One `FaultInjector` per sandbox. Inbound, `FaultMiddleware` sits in front of the sandbox's routes and,
per request, may answer 5xx, answer 429 with `Retry-After`, answer slowly, hang until the client times
out, or process the request and then lose the answer (the case that tests exactly-once recovery).
Outbound, `outbound(items)` decides the fate of each callback a sandbox is about to send: dropped,
duplicated, or held back so that the next one overtakes it.

Settings are data (`FaultSettings`): given at start-up, read and changed through the control endpoint
(`GET`/`POST`/`DELETE /_control/faults`, routed by each sandbox to `FaultInjector.endpoint`). Draws come
from one `random.Random(seed)`, so a run with the same seed and the same traffic fails the same way;
`script` forces the next requests' fates exactly, before any random draw. Paths under `/_control` are
never faulted.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypeVar

import anyio
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

Fault = Literal["ok", "error", "rate_limit", "slow", "timeout", "lost"]
Fate = Literal["deliver", "drop", "duplicate", "reorder"]

T = TypeVar("T")

CONTROL_PREFIX = "/_control"


class FaultSettings(BaseModel):
    """Every knob, with its default: no faults at all."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    seed: int = Field(default=0, description="Seed of the random draws; same seed, same faults.")
    error_rate: float = Field(default=0.0, ge=0, le=1, description="Share of requests answered 5xx.")
    error_status: int = Field(default=503, ge=500, le=599, description="Status of an injected 5xx.")
    rate_limit_rate: float = Field(default=0.0, ge=0, le=1, description="Share of requests answered 429.")
    retry_after: float = Field(default=1.0, ge=0, description="Seconds sent in Retry-After with a 429.")
    slow_rate: float = Field(default=0.0, ge=0, le=1, description="Share of requests answered late.")
    slow_seconds: float = Field(default=2.0, ge=0, description="Delay of a slow answer (real seconds).")
    timeout_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share of requests held unanswered until the client gives up."
    )
    lost_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share of requests processed whose answer is then withheld."
    )
    hang_seconds: float = Field(default=30.0, ge=0, description="Longest a timeout/lost request is held before a 504.")
    script: list[Fault] = Field(
        default_factory=list, description="Fates of the next requests, in order, before random draws."
    )
    callback_drop_rate: float = Field(default=0.0, ge=0, le=1, description="Share of callbacks never sent.")
    callback_duplicate_rate: float = Field(default=0.0, ge=0, le=1, description="Share of callbacks sent twice.")
    callback_reorder_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share of callbacks held back until the next one has gone."
    )


ErrorResponder = Callable[[int, str], Response]
"""Builds the body of an injected error in the vendor's own error shape: (status, reason) -> Response."""


def plain_error(status: int, reason: str) -> Response:
    return JSONResponse({"message": reason}, status)


class FaultInjector:
    """Draws the fate of each inbound request and outbound callback from `FaultSettings`."""

    def __init__(self, settings: FaultSettings | None = None, *, error_response: ErrorResponder = plain_error) -> None:
        self._initial = (settings or FaultSettings()).model_copy(deep=True)
        self.error_response = error_response
        self._held: list[Any] = []
        self.settings = self._initial.model_copy(deep=True)
        self._random = random.Random(self.settings.seed)

    # -- settings ---------------------------------------------------------------------------------

    def update(self, changes: Mapping[str, Any]) -> FaultSettings:
        """Merge `changes` into the settings (validated) and restart the random draws from the seed."""
        merged = FaultSettings.model_validate({**self.settings.model_dump(), **changes})
        self.settings = merged
        self._random = random.Random(merged.seed)
        return merged

    def reset(self) -> FaultSettings:
        """Back to the settings given at start-up."""
        self.settings = self._initial.model_copy(deep=True)
        self._random = random.Random(self.settings.seed)
        return self.settings

    async def endpoint(self, request: Request) -> Response:
        """`GET` the settings, `POST` a partial update, `DELETE` to reset."""
        if request.method == "POST":
            try:
                changes = json.loads(await request.body() or b"{}")
            except ValueError:
                changes = None
            if not isinstance(changes, dict):
                return JSONResponse({"error": "expected a JSON object"}, 400)
            try:
                self.update(changes)
            except ValidationError as err:
                return JSONResponse({"error": err.errors(include_url=False, include_context=False)}, 400)
        elif request.method == "DELETE":
            self.reset()
        return JSONResponse(self.settings.model_dump())

    # -- inbound ----------------------------------------------------------------------------------

    def next_fault(self) -> Fault:
        """The fate of the next request: the script first, then one draw against the rates."""
        s = self.settings
        if s.script:
            fault = s.script[0]
            self.settings.script = s.script[1:]
            return fault
        rates: tuple[tuple[Fault, float], ...] = (
            ("error", s.error_rate),
            ("rate_limit", s.rate_limit_rate),
            ("timeout", s.timeout_rate),
            ("lost", s.lost_rate),
            ("slow", s.slow_rate),
        )
        return _draw(self._random, rates, "ok")

    # -- outbound ---------------------------------------------------------------------------------

    def callback_fate(self) -> Fate:
        s = self.settings
        rates: tuple[tuple[Fate, float], ...] = (
            ("drop", s.callback_drop_rate),
            ("duplicate", s.callback_duplicate_rate),
            ("reorder", s.callback_reorder_rate),
        )
        return _draw(self._random, rates, "deliver")

    def outbound(self, items: Sequence[Any]) -> list[Any]:
        """The callbacks to send now, given the ones just produced, in the order to send them.

        A callback held back (`reorder`) goes out right after the next batch that has something in it,
        so it arrives after a later event; only one is held at a time. Call with an empty batch to
        release nothing, or use `release()` on shutdown.
        """
        out: list[Any] = []
        for item in items:
            fate = self.callback_fate()
            if fate == "drop":
                continue
            if fate == "reorder" and not self._held:
                self._held.append(item)
                continue
            out.append(item)
            if fate == "duplicate":
                out.append(item)
        if out and self._held:
            out.extend(self._held)
            self._held.clear()
        return out

    def release(self) -> list[Any]:
        """Callbacks still held back, handed over (and forgotten here)."""
        held, self._held = self._held, []
        return held


class FaultMiddleware:
    """ASGI middleware that makes a sandbox's HTTP requests meet its injector's faults.

    Use it as `Middleware(FaultMiddleware, injector=faults)` in the sandbox's Starlette app, so injected
    failures happen before authentication and routing, like a failing load balancer in front of the API.
    """

    def __init__(self, app: ASGIApp, injector: FaultInjector) -> None:
        self.app = app
        self.injector = injector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _route_path(scope).startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        injector = self.injector
        fault = injector.next_fault()
        s = injector.settings
        if fault == "error":
            await injector.error_response(s.error_status, "Injected fault")(scope, receive, send)
        elif fault == "rate_limit":
            response = injector.error_response(429, "Too Many Requests")
            response.headers["Retry-After"] = str(math.ceil(s.retry_after))
            await response(scope, receive, send)
        elif fault == "timeout":
            await _hold(receive, s.hang_seconds)
            await injector.error_response(504, "Gateway Timeout")(scope, receive, send)
        elif fault == "lost":
            await self.app(scope, receive, _discard)
            await _hold(receive, s.hang_seconds)
            await injector.error_response(504, "Gateway Timeout")(scope, receive, send)
        else:
            if fault == "slow":
                await anyio.sleep(s.slow_seconds)
            await self.app(scope, receive, send)


def _draw(rng: random.Random, rates: Sequence[tuple[T, float]], otherwise: T) -> T:
    """One uniform draw against consecutive slices of [0, 1): rates add up, the rest is `otherwise`."""
    draw = rng.random()
    for outcome, rate in rates:
        if draw < rate:
            return outcome
        draw -= rate
    return otherwise


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


async def _discard(message: Message) -> None:
    """A `send` that loses the answer."""


async def _hold(receive: Receive, seconds: float) -> None:
    """Wait until the client disconnects or `seconds` pass, whichever comes first."""
    with anyio.move_on_after(seconds):
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
