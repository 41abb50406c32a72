"""The worker: claims due jobs, runs their handlers, and records what happened.

One loop per process (``easel worker``, or inside ``easel serve``/``easel demo``). It runs up to
``concurrency`` jobs at once, extends their leases on a heartbeat, and turns a handler's outcome into
the next state of the job:

* returns → done (a handler may return a :data:`Then`: writes committed in the same transaction as
  the job's completion, such as the job that follows it, saving a transaction); in :meth:`Worker.run`
  that transaction also claims the next due job for the slot it frees, saving the claim's own;
* raises :class:`Reschedule` → queued again at the given time (a planned wait, not a failure);
* raises a retryable error (a retryable ``VendorError``, ``OutboundFailed``, anything unexpected) →
  queued again after an exponential backoff with jitter, or parked once ``max_attempts`` failures are
  used up;
* raises a non-retryable ``VendorError`` or :class:`Park` → parked at once.

Parking runs the kind's ``on_park`` hook in the same transaction (fulfilment puts the order On Hold
and tells the merchant). On SQLite the loop first takes the ``worker`` lease, so a second worker
process waits instead of fighting over the single writer.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import anyio
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..outbound import OutboundFailed
from ..redact import redact_text
from ..storage.data_version import DataVersion
from ..storage.types import utcnow
from ..vendors.errors import VendorError
from . import queue
from .backoff import RetryPolicy
from .queue import Job

log = logging.getLogger("easel.dispatch")

Then = Callable[[AsyncConnection], Awaitable[None]]
"""What a handler leaves to be written with its job's completion (only if this worker still holds it)."""
Handler = Callable[[Job], Awaitable[Then | None]]
ParkHook = Callable[[AsyncConnection, Job, str], Awaitable[None]]
Clock = Callable[[], datetime]
SQLITE_LEASE = "worker"


class Reschedule(Exception):
    """Run this job again at ``at`` without counting a failure (waiting for a vendor, a callback gap)."""

    def __init__(self, at: datetime, reason: str = "") -> None:
        super().__init__(reason or f"again at {at.isoformat()}")
        self.at = at
        self.reason = reason


class Park(Exception):
    """Stop retrying this job: it needs a person. The message is the reason shown to the merchant."""


@dataclass(frozen=True)
class JobKind:
    handler: Handler
    on_park: ParkHook | None = None
    policy: RetryPolicy | None = None
    """Overrides the worker's policy for this kind."""


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Worker:
    def __init__(self, engine: AsyncEngine, kinds: Mapping[str, JobKind], *, name: str | None = None,
                 lease: float = 30.0, concurrency: int = 4, poll: float = 0.5, watch: float = 0.0,
                 policy: RetryPolicy | None = None, clock: Clock = utcnow, rng: random.Random | None = None) -> None:
        self.engine = engine
        self.kinds = dict(kinds)
        self.name = name or worker_name()
        self.lease = lease
        self.concurrency = max(1, concurrency)
        self.poll = poll
        self.watch = watch
        """Seconds between an idle worker's looks at SQLite's commit counter (0: none; see :meth:`_sleep`)."""
        self._commits = DataVersion.of(engine) if watch > 0 and engine.dialect.name == "sqlite" else None
        self.policy = policy or RetryPolicy()
        self.clock = clock
        self.rng = rng or random.Random()
        self.sqlite = engine.dialect.name == "sqlite"
        self._held: set[int] = set()
        self._wake = anyio.Event()
        self._lease_renewed: datetime | None = None  # when this worker last took the SQLite lease

    # -- running ---------------------------------------------------------------------------------------------

    def wake(self) -> None:
        """Look for work now instead of at the next poll (e.g. an order was just placed in this process)."""
        self._wake.set()

    async def run(self) -> None:
        """Work until cancelled."""
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._heartbeat_forever)
            slots = anyio.Semaphore(self.concurrency)
            try:
                while True:
                    if not await self._may_work():
                        await self._sleep(self.lease / 3, watch=False)  # another worker holds the lease
                        continue
                    free = slots.value
                    claimed = await self._claim(free) if free else []
                    for job in claimed:
                        await slots.acquire()
                        tg.start_soon(self._run_slot, job, slots)
                    if not claimed or len(claimed) < free:  # (with every slot busy, no commit can matter)
                        await self._sleep(self.poll, watch=slots.value > 0)
            finally:
                with anyio.CancelScope(shield=True):
                    await self._release()
                if self._commits is not None:
                    self._commits.close()

    async def _run_slot(self, job: Job, slots: anyio.Semaphore) -> None:
        """Run the job, then each job its completion claimed for this slot, until one claims none."""
        try:
            following: Job | None = job
            while following is not None:
                following = await self.execute(following, claim_next=True)
        finally:
            slots.release()
            self._wake.set()

    async def run_once(self, limit: int | None = None) -> int:
        """Claim the jobs due now and run them (concurrently up to ``concurrency``); returns how many ran."""
        if not await self._may_work():
            return 0
        claimed = await self._claim(limit or self.concurrency)
        async with anyio.create_task_group() as tg:
            for job in claimed:
                tg.start_soon(self.execute, job)
        return len(claimed)

    async def run_until_idle(self, max_rounds: int = 10_000) -> int:
        """Run rounds until nothing is due (tests, ``easel worker --once``); returns jobs run."""
        total = 0
        for _ in range(max_rounds):
            ran = await self.run_once()
            total += ran
            if not ran:
                break
        return total

    async def _sleep(self, seconds: float, *, watch: bool = True) -> None:
        """Until woken (a job queued in this process), ``seconds`` pass, or on SQLite another connection
        of any process commits: a job may have been queued there (an order placed by ``easel serve`` while
        ``easel worker`` waits). That look is SQLite's commit counter, a few µs, not a claim."""
        commits = self._commits if watch else None
        with anyio.move_on_after(seconds):
            if commits is None or (seen := commits.current()) is None:
                await self._wake.wait()
            else:
                while not self._wake.is_set() and commits.current() == seen:
                    with anyio.move_on_after(self.watch):
                        await self._wake.wait()
        self._wake = anyio.Event()

    def _lease_fresh(self) -> bool:
        """Whether this worker may claim without taking the SQLite lease first (see :meth:`_may_work`)."""
        return not self.sqlite or (self._lease_renewed is not None
                                   and self.clock() - self._lease_renewed < timedelta(seconds=self.lease / 3))

    async def _may_work(self) -> bool:
        """On SQLite, whether this worker holds the lease (taken or renewed here if a third of it has
        passed: renewing it on every round would cost a write transaction per job)."""
        if self._lease_fresh():
            return True
        now = self.clock()
        async with self.engine.begin() as conn:
            held = await queue.acquire_lease(conn, SQLITE_LEASE, self.name, seconds=self.lease, now=now)
        self._lease_renewed = now if held else None
        return held

    async def _claim(self, limit: int) -> list[Job]:
        async with self.engine.begin() as conn:
            claimed = await queue.claim(conn, self.name, limit=limit, lease=self.lease, now=self.clock(),
                                        kinds=list(self.kinds))
        self._held.update(j.id for j in claimed)
        return claimed

    async def _heartbeat_forever(self) -> None:
        while True:
            await anyio.sleep(self.lease / 3)
            try:
                async with self.engine.begin() as conn:
                    await queue.heartbeat(conn, self.name, list(self._held), lease=self.lease, now=self.clock())
                    if self.sqlite and self._held:
                        now = self.clock()
                        held = await queue.acquire_lease(conn, SQLITE_LEASE, self.name, seconds=self.lease, now=now)
                        self._lease_renewed = now if held else None
            except Exception:
                self._lease_renewed = None  # not known to be renewed: take it again before the next claim
                log.exception("worker %s: heartbeat failed", self.name)

    async def _release(self) -> None:
        if self.sqlite:
            try:
                async with self.engine.begin() as conn:
                    await queue.release_lease(conn, SQLITE_LEASE, self.name)
                self._lease_renewed = None
            except Exception:
                log.exception("worker %s: could not release its lease", self.name)

    # -- one job ---------------------------------------------------------------------------------------------

    async def execute(self, job: Job, *, claim_next: bool = False) -> Job | None:
        """Run one claimed job's handler and record the outcome. With ``claim_next``, the transaction
        that records a completion also claims the next due job (returned, now held by this worker), so a
        busy worker spends no transaction of its own on claiming."""
        kind = self.kinds[job.kind]
        following: list[Job] = []
        try:
            try:
                then = await kind.handler(job)
            except Reschedule as later:
                async with self.engine.begin() as conn:
                    await queue.reschedule(conn, job, self.name, at=later.at, now=self.clock(),
                                           error=later.reason or None)
                return None
            except Park as stop:
                await self._park(job, kind, str(stop))
                return None
            except VendorError as err:
                if not err.retryable:
                    await self._park(job, kind, str(err))
                else:
                    await self._failed(job, kind, str(err), err.retry_after)
                return None
            except OutboundFailed as err:
                await self._failed(job, kind, str(err), None)
                return None
            except Exception as err:
                log.exception("job %s (%s) failed", job.id, job.kind)
                await self._failed(job, kind, f"{type(err).__name__}: {err}", None)
                return None
            async with self.engine.begin() as conn:
                if not await queue.finish(conn, job, self.name, now=self.clock()):
                    log.warning("job %s finished after its lease was lost", job.id)
                elif then is not None:
                    await then(conn)
                claimed: list[Job] = []
                if claim_next and self._lease_fresh():
                    claimed = await queue.claim(conn, self.name, limit=1, lease=self.lease, now=self.clock(),
                                                kinds=list(self.kinds))
            following = claimed  # committed: held now (a failed commit claims nothing, and the job is let go)
            self._held.update(j.id for j in following)
            return following[0] if following else None
        finally:
            if all(j.id != job.id for j in following):  # (a job re-armed while it ran may come straight back)
                self._held.discard(job.id)

    async def _failed(self, job: Job, kind: JobKind, reason: str, retry_after: float | None) -> None:
        policy = kind.policy or self.policy
        failures = job.attempts + 1
        if failures >= policy.max_attempts:
            await self._park(job, kind, f"gave up after {failures} attempts: {reason}")
            return
        delay = policy.delay(failures, self.rng, retry_after)
        log.info("job %s (%s) failed (%s); retry %d in %.1fs", job.id, job.kind, redact_text(reason), failures, delay)
        now = self.clock()
        async with self.engine.begin() as conn:
            await queue.reschedule(conn, job, self.name, at=now + timedelta(seconds=delay), now=now, error=reason,
                                   failed=True)

    async def _park(self, job: Job, kind: JobKind, reason: str) -> None:
        log.warning("job %s (%s) parked: %s", job.id, job.kind, redact_text(reason))
        async with self.engine.begin() as conn:
            if await queue.park(conn, job, self.name, reason=reason, now=self.clock()) and kind.on_park:
                await kind.on_park(conn, job, reason)
