"""The sequence every vendor call follows: build the request, send it, parse the answer, map errors.

A vendor module subclasses `VendorAdapter` and fills in only what differs between vendors: the
authentication headers (`auth_headers`), how a successful body is unwrapped (`unwrap`) and how an error
body is read (`error_message`). Retries and error mapping live here, once:

* retryable: connection failures, timeouts, 5xx and 429 (waiting `Retry-After` when it is short);
* not retryable: other 4xx, answers that do not parse, and our own validation errors.

Each attempt of a call is also counted, for the merchant the call is made for, when the task making it
has a tally (:func:`count_calls_for`, set where dispatch picks the merchant's account): the panel's error
rates per vendor. A 404 is an answer (look-ups expect it), not a failure.

Each call is logged at DEBUG (vendor, call, method, URL, status, time) and each retry at INFO, with
URLs redacted (``easel.redact``): Pixelz puts its API key in the query, an Image2ART upstream its
signatures.

A retry is made inside the call only when repeating it cannot do the work twice: the request never
reached the vendor (connection refused, 429), or the request is marked idempotent. Otherwise the
`VendorError` goes up with `retryable=True` and the caller (a durable job) decides, after looking at
what the vendor already has.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar, TypeVar

import anyio
import httpx
import pydantic

from easel.outbound import Outbound, OutboundFailed, OutboundRefused
from easel.redact import redact_text, redact_url
from easel.vendors.errors import (
    VendorAuthError,
    VendorError,
    VendorNotFound,
    VendorProtocolError,
    VendorRateLimited,
    VendorRejected,
    VendorTimeout,
    VendorUnavailable,
    VendorUnreachable,
)

T = TypeVar("T")

log = logging.getLogger("easel.vendors")

DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=5.0)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one call tries before handing a retryable error to its caller."""

    attempts: int = 3
    """Total tries, the first included."""
    backoff: float = 0.5
    """Wait before the second try; doubles each time."""
    max_backoff: float = 8.0
    max_wait: float = 10.0
    """A longer `Retry-After` is not waited for here: the error goes up with `retry_after` set."""


DEFAULT_RETRY = RetryPolicy()
NO_RETRY = RetryPolicy(attempts=1)

Tally = Callable[[str, VendorError | None], None]
"""Counts one attempt of a vendor call: the vendor, and the error (None when it answered)."""
_TALLY: ContextVar[Tally | None] = ContextVar("easel_vendor_tally", default=None)


def count_calls_for(tally: Tally | None) -> None:
    """Count the vendor calls this task makes from now on with ``tally`` (None: stop counting). A task starts
    with a copy of its parent's setting, so setting it in one job or request does not reach another."""
    _TALLY.set(tally)


@dataclass(frozen=True)
class VendorRequest:
    """One HTTP call to a vendor, in plain data, as a vendor module describes it."""

    call: str
    """The name errors and logs use, e.g. "create_order"."""
    method: str
    path: str
    """Appended to the adapter's `base_url`; already percent-encoded."""
    json: Any = None
    content: bytes | None = None
    """A body sent exactly as these bytes (with `json` unset), for vendors that sign the bytes."""
    params: Mapping[str, str | int] = field(default_factory=dict)
    idempotent: bool = False
    """True when sending it twice has the effect of sending it once (GET, PUT, set-status...)."""


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delay-seconds or HTTP-date); None if absent/garbled."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(0.0, seconds)


class VendorAdapter:
    """Base of every vendor client: one shared `httpx.AsyncClient`, one `base_url`, one call sequence.

    `sandbox` says whether this adapter is meant to talk to a test environment; the constructor refuses
    a sandbox adapter whose `base_url` is one of the vendor's `live_hosts`, and `targets_live` lets the
    dispatch layer refuse to send a test order anywhere but a sandbox.
    """

    vendor: ClassVar[str] = "vendor"
    live_hosts: ClassVar[frozenset[str]] = frozenset()
    credential_fields: ClassVar[tuple[str, ...]] = ()
    """The credentials an account must give (keys beside ``url`` in ``EASEL_VENDOR_ACCOUNTS``)."""
    optional_credential_fields: ClassVar[tuple[str, ...]] = ()
    guard: Outbound | None = None
    """Set (by :func:`pinned`) for an account a merchant gave: its base URL is theirs, so each call is
    resolved and checked as ``easel.outbound`` checks merchants' URLs and connects to the address checked,
    so a name cannot be moved onto easel's own network after the account was saved."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        base_url: str,
        sandbox: bool,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        url = httpx.URL(base_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError(f"{self.vendor}: base_url must be an absolute http(s) URL, got {base_url!r}")
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.sandbox = sandbox
        self.timeout = timeout
        self.retry = retry
        self._sleep = sleep
        if sandbox and self.targets_live:
            raise ValueError(f"{self.vendor}: a sandbox adapter cannot point at the live API {base_url}")

    @property
    def targets_live(self) -> bool:
        """True when `base_url` is the vendor's production host."""
        return httpx.URL(self.base_url).host.lower() in self.live_hosts

    # -- what a vendor module fills in ------------------------------------------------------------

    def auth_headers(self) -> Mapping[str, str]:
        """Headers that authenticate every request."""
        return {}

    def unwrap(self, call: str, status: int, body: Any) -> Any:
        """The useful part of a successful JSON answer (strip the vendor's envelope)."""
        return body

    def error_message(self, response: httpx.Response) -> str:
        """A one-line reason read from an error answer."""
        text = response.text.strip()
        return text[:300] if text else response.reason_phrase

    # -- the sequence -----------------------------------------------------------------------------

    async def call(self, request: VendorRequest, parse: Callable[[Any], T]) -> T:
        """Run `request` with retries and return `parse(unwrapped body)`, or raise a `VendorError`."""
        attempt = 1
        tally = _TALLY.get()
        while True:
            try:
                result = await self._attempt(request, parse)
            except VendorError as err:
                if tally is not None:
                    tally(self.vendor, None if isinstance(err, VendorNotFound) else err)
                delay = self._retry_delay(request, err, attempt)
                if delay is None:
                    raise
                log.info("%s.%s: %s; retrying in %.2fs", self.vendor, request.call, redact_text(err.message), delay)
                await self._sleep(delay)
                attempt += 1
            else:
                if tally is not None:
                    tally(self.vendor, None)
                return result

    async def _attempt(self, request: VendorRequest, parse: Callable[[Any], T]) -> T:
        response = await self._send(request)
        self._raise_for_status(request.call, response)
        try:
            body = response.json() if response.content else None
        except ValueError as err:
            raise VendorProtocolError(
                self.vendor, request.call, f"answer is not JSON: {response.text[:200]!r}", status=response.status_code
            ) from err
        data = self.unwrap(request.call, response.status_code, body)
        try:
            return parse(data)
        except pydantic.ValidationError as err:
            raise VendorProtocolError(
                self.vendor, request.call, f"unexpected answer shape: {_summarise(err)}", status=response.status_code
            ) from err

    async def _send(self, request: VendorRequest) -> httpx.Response:
        headers = {"Accept": "application/json", **self.auth_headers()}
        if request.content is not None:
            headers["Content-Type"] = "application/json"
        http_request = self.client.build_request(
            request.method,
            self.base_url + request.path,
            json=request.json,
            content=request.content,
            params=dict(request.params) or None,
            headers=headers,
            timeout=self.timeout,
        )
        if self.guard is not None:
            await self._pin(request.call, http_request, self.guard)
        started = time.perf_counter()
        response = await self.exchange(request.call, self.client.send(http_request))
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s.%s %s %s %s %.1fms", self.vendor, request.call, request.method,
                      redact_url(str(http_request.url)), response.status_code, (time.perf_counter() - started) * 1000)
        return response

    async def _pin(self, call: str, http_request: httpx.Request, guard: Outbound) -> None:
        """Point ``http_request`` at the address the guard allows for its host (Host and TLS SNI keep the name,
        so the certificate is still checked against it), or refuse it before anything is sent."""
        try:
            target = await guard.check(str(http_request.url), None)
        except OutboundRefused as err:
            raise VendorProtocolError(self.vendor, call, f"refused: {err}") from None
        except OutboundFailed as err:
            raise VendorUnreachable(self.vendor, call, str(err)) from None
        http_request.url = http_request.url.copy_with(host=target.address)
        http_request.headers["Host"] = target.host_header
        if target.scheme == "https":
            http_request.extensions["sni_hostname"] = target.host

    async def exchange(self, call: str, sending: Awaitable[httpx.Response]) -> httpx.Response:
        """Await one HTTP exchange with the vendor (an API call, or a file moved to or from its storage),
        turning httpx's failures into ``VendorError``: the one mapping of transport errors."""
        try:
            return await sending
        except httpx.ConnectTimeout as err:
            raise VendorUnreachable(self.vendor, call, f"connect timeout: {err!r}") from err
        except httpx.TimeoutException as err:
            raise VendorTimeout(self.vendor, call, f"timed out: {type(err).__name__}") from err
        except httpx.ConnectError as err:
            raise VendorUnreachable(self.vendor, call, f"cannot connect: {err}") from err
        except httpx.TransportError as err:
            raise VendorUnavailable(self.vendor, call, f"transport error: {err!r}") from err
        except httpx.HTTPError as err:  # undecodable body, redirect loop: not something waiting fixes
            raise VendorProtocolError(self.vendor, call, f"unreadable answer: {err!r}") from err

    def _raise_for_status(self, call: str, response: httpx.Response) -> None:
        if response.status_code >= 400:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise self.error_for(call, response.status_code, self.error_message(response), retry_after)

    def error_for(self, call: str, status: int, message: str, retry_after: float | None = None) -> VendorError:
        """The error a failed status means; also for vendors that put a status inside a 200 answer."""
        if status == 429:
            return VendorRateLimited(self.vendor, call, message, retry_after=retry_after)
        if status >= 500:
            return VendorUnavailable(self.vendor, call, message, status=status, retry_after=retry_after)
        if status == 401:
            return VendorAuthError(self.vendor, call, message, status=status)
        if status == 404:
            return VendorNotFound(self.vendor, call, message, status=status)
        return VendorRejected(self.vendor, call, message, status=status)

    def _retry_delay(self, request: VendorRequest, err: VendorError, attempt: int) -> float | None:
        """Seconds to wait before trying again here, or None to let the error go up."""
        if not err.retryable or attempt >= self.retry.attempts:
            return None
        safe = request.idempotent or isinstance(err, (VendorUnreachable, VendorRateLimited))
        if not safe:
            return None
        backoff = min(self.retry.backoff * 2 ** (attempt - 1), self.retry.max_backoff)
        delay = err.retry_after if err.retry_after is not None else backoff
        return delay if delay <= self.retry.max_wait else None


def _summarise(err: pydantic.ValidationError) -> str:
    parts = [f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}" for e in err.errors()[:5]]
    return "; ".join(parts)


Adapter = TypeVar("Adapter", bound=VendorAdapter)


def pinned(adapter: Adapter, owner: int | None, guard: Outbound | None) -> Adapter:
    """``adapter``, guarded by ``guard`` when its account is a merchant's own (``owner`` set); the operator's
    accounts (``EASEL_VENDOR_ACCOUNTS`` and the built-in sandboxes) are trusted as configured."""
    if owner is not None and guard is not None:
        adapter.guard = guard
    return adapter
