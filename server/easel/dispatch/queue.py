"""The jobs table as a queue: enqueue, claim with a lease, finish, retry later, park, and inspect.

Work is a row written in the caller's transaction (so an order and the job that fulfils it commit
together). A worker claims due rows in one ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)
RETURNING``: on PostgreSQL concurrent workers skip each other's rows; SQLite ignores the locking clause
and serialises writers, and there a single worker at a time holds the ``worker`` lease
(:func:`acquire_lease`). A claim sets ``locked_until``; the worker's heartbeat pushes it forward, and a
job whose lease ran out (its worker was killed) is claimed again. Every finishing write checks
``locked_by``, so a worker that lost its lease cannot overwrite what the new holder did.

Jobs have a unique ``key``. Enqueueing an existing key re-arms it: a finished job is queued again, a
queued one is left alone (run no later than asked), a running one is flagged ``rerun`` so it runs once
more after it finishes; a parked job stays parked until ``easel jobs retry``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, bindparam, case, func, or_, select, union_all, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from ..storage.fixed_in import one_of
from ..storage.prepared import Prepared
from ..storage.tables import jobs, worker_leases
from ..storage.types import utcnow

QUEUED, RUNNING, DONE, PARKED, CANCELLED = "queued", "running", "done", "parked", "cancelled"
STATUSES = (QUEUED, RUNNING, DONE, PARKED, CANCELLED)


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    key: str
    payload: dict[str, Any]
    order_id: int | None
    status: str
    attempts: int
    runs: int
    max_attempts: int
    run_after: datetime
    locked_by: str | None
    locked_until: datetime | None
    last_error: str
    created_at: datetime
    updated_at: datetime


def _job(row: Row[Any]) -> Job:
    return Job(row.id, row.kind, row.key, dict(row.payload), row.order_id, row.status, row.attempts, row.runs,
               row.max_attempts, row.run_after, row.locked_by, row.locked_until, row.last_error, row.created_at,
               row.updated_at)


def _insert(conn: AsyncConnection) -> Any:
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(jobs)


def _enqueue_statement(dialect: str) -> Any:
    """The upsert behind :func:`enqueue` for this dialect, built once (every order runs it a few times)."""
    stmt = (postgresql if dialect == "postgresql" else sqlite).insert(jobs).values(
        kind=bindparam("q_kind"), key=bindparam("q_key"), payload=bindparam("q_payload", type_=jobs.c.payload.type),
        order_id=bindparam("q_order_id"), status=QUEUED, attempts=0, runs=0,
        max_attempts=bindparam("q_max_attempts"), run_after=bindparam("q_run_after", type_=jobs.c.run_after.type),
        rerun=False, last_error="", created_at=bindparam("q_now", type_=jobs.c.created_at.type),
        updated_at=bindparam("q_now", type_=jobs.c.updated_at.type))
    old = jobs.c
    finished = one_of(old.status, [DONE, CANCELLED])
    return stmt.on_conflict_do_update(
        index_elements=[jobs.c.key],
        set_={
            "status": case((finished, QUEUED), else_=old.status),
            "attempts": case((finished, 0), else_=old.attempts),
            "payload": stmt.excluded.payload,
            "max_attempts": stmt.excluded.max_attempts,
            "run_after": case((finished, stmt.excluded.run_after),
                              (and_(old.status == QUEUED, stmt.excluded.run_after < old.run_after),
                               stmt.excluded.run_after),
                              else_=old.run_after),
            "rerun": case((old.status == RUNNING, True), else_=old.rerun),
            "last_error": case((finished, ""), else_=old.last_error),
            "updated_at": stmt.excluded.updated_at,
        },
    )


_ENQUEUE = {dialect: Prepared(_enqueue_statement(dialect)) for dialect in ("sqlite", "postgresql")}


async def enqueue(conn: AsyncConnection, kind: str, key: str, payload: dict[str, Any] | None = None, *,
                  order_id: int | None = None, run_after: datetime | None = None, max_attempts: int = 12,
                  now: datetime | None = None) -> None:
    """Queue a job in the caller's transaction, or re-arm the job that already has this key."""
    now = now or utcnow()
    await _ENQUEUE["postgresql" if conn.dialect.name == "postgresql" else "sqlite"].execute(conn, {
        "q_kind": kind, "q_key": key, "q_payload": payload or {}, "q_order_id": order_id,
        "q_max_attempts": max_attempts, "q_run_after": run_after or now, "q_now": now})


@functools.lru_cache(maxsize=16)
def _claim(kinds: tuple[str, ...] | None) -> Prepared:
    return Prepared(_claim_statement(kinds))


def _claim_statement(kinds: tuple[str, ...] | None) -> Any:
    """Due jobs are queued ones whose time has come and running ones whose lease ran out: each set is
    read on its own, in ``(status, run_after)`` index order up to the limit, and only those few are
    merged. (One ``WHERE`` with an ``OR`` of the two sorted every due job on each claim: a cost that grew
    with the backlog.) Built once per set of kinds: a worker claims every time a slot frees."""
    now = bindparam("q_now", type_=jobs.c.run_after.type)

    def due(condition: Any) -> Any:
        if kinds is not None:
            condition = and_(condition, one_of(jobs.c.kind, kinds))
        return (select(jobs.c.id, jobs.c.run_after).where(condition).order_by(jobs.c.run_after, jobs.c.id)
                .limit(bindparam("q_limit")).with_for_update(skip_locked=True).subquery())

    queued = due(and_(jobs.c.status == QUEUED, jobs.c.run_after <= now))
    expired = due(and_(jobs.c.status == RUNNING, jobs.c.locked_until < now))
    either = union_all(select(queued.c.id, queued.c.run_after), select(expired.c.id, expired.c.run_after)).subquery()
    chosen = select(either.c.id).order_by(either.c.run_after, either.c.id).limit(bindparam("q_limit"))
    return (update(jobs).where(jobs.c.id.in_(chosen.scalar_subquery()))
            .values(status=RUNNING, locked_by=bindparam("q_worker"),
                    locked_until=bindparam("q_until", type_=jobs.c.locked_until.type), runs=jobs.c.runs + 1,
                    rerun=False, updated_at=bindparam("q_now", type_=jobs.c.updated_at.type))
            .returning(*jobs.c))


async def claim(conn: AsyncConnection, worker: str, *, limit: int, lease: float, now: datetime,
                kinds: Sequence[str] | None = None) -> list[Job]:
    """Take up to ``limit`` due jobs (queued and due, or running with an expired lease) for ``worker``."""
    params: dict[str, Any] = {"q_now": now, "q_limit": limit, "q_worker": worker,
                              "q_until": now + timedelta(seconds=lease)}
    claiming = _claim(tuple(sorted(set(kinds))) if kinds is not None else None)
    result = await claiming.execute(conn, params)
    return sorted((_job(r) for r in result), key=lambda j: (j.run_after, j.id))


async def heartbeat(conn: AsyncConnection, worker: str, job_ids: Sequence[int], *, lease: float,
                    now: datetime) -> int:
    """Extend the lease of the jobs this worker still holds; returns how many it holds."""
    if not job_ids:
        return 0
    result = await conn.execute(
        update(jobs).where(jobs.c.id.in_(list(job_ids)), jobs.c.locked_by == worker, jobs.c.status == RUNNING)
        .values(locked_until=now + timedelta(seconds=lease))
    )
    return int(result.rowcount)


_FINISH = Prepared(
    update(jobs).where(jobs.c.id == bindparam("q_id"), jobs.c.locked_by == bindparam("q_worker"),
                       jobs.c.status == RUNNING)
    .values(status=case((jobs.c.rerun, QUEUED), else_=DONE), run_after=bindparam("q_now", type_=jobs.c.run_after.type),
            attempts=0, rerun=False, locked_by=None, locked_until=None, last_error="",
            updated_at=bindparam("q_now", type_=jobs.c.updated_at.type))
)


async def finish(conn: AsyncConnection, job: Job, worker: str, *, now: datetime) -> bool:
    """Mark done (or queued again at once if re-armed while running); False if the lease was lost."""
    result = await _FINISH.execute(conn, {"q_id": job.id, "q_worker": worker, "q_now": now})
    return bool(result.rowcount)


async def reschedule(conn: AsyncConnection, job: Job, worker: str, *, at: datetime, now: datetime,
                     error: str | None = None, failed: bool = False,
                     payload: dict[str, Any] | None = None) -> bool:
    """Queue the job again at ``at`` (a failure counts an attempt; a planned wait does not)."""
    values: dict[str, Any] = {"status": QUEUED, "run_after": case((jobs.c.rerun, now), else_=at), "rerun": False,
                              "locked_by": None, "locked_until": None, "updated_at": now}
    if failed:
        values["attempts"] = jobs.c.attempts + 1
    if error is not None:
        values["last_error"] = error[:2000]
    if payload is not None:
        values["payload"] = payload
    result = await conn.execute(
        update(jobs).where(jobs.c.id == job.id, jobs.c.locked_by == worker, jobs.c.status == RUNNING).values(**values)
    )
    return bool(result.rowcount)


async def park(conn: AsyncConnection, job: Job, worker: str, *, reason: str, now: datetime) -> bool:
    """Stop retrying: the job waits for a person (``easel jobs retry``/``cancel``)."""
    result = await conn.execute(
        update(jobs).where(jobs.c.id == job.id, jobs.c.locked_by == worker, jobs.c.status == RUNNING)
        .values(status=PARKED, attempts=jobs.c.attempts + 1, last_error=reason[:2000], rerun=False,
                locked_by=None, locked_until=None, updated_at=now)
    )
    return bool(result.rowcount)


# --- the SQLite worker lease ---------------------------------------------------------------------------------

async def acquire_lease(conn: AsyncConnection, name: str, holder: str, *, seconds: float, now: datetime) -> bool:
    """Take or renew the named lease; False while another holder's lease is unexpired."""
    until = now + timedelta(seconds=seconds)
    stmt = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(worker_leases).values(
        name=name, holder=holder, expires_at=until)
    stmt = stmt.on_conflict_do_update(
        index_elements=[worker_leases.c.name],
        set_={"holder": holder, "expires_at": until},
        where=or_(worker_leases.c.holder == holder, worker_leases.c.expires_at < now),
    )
    await conn.execute(stmt)
    row = (await conn.execute(select(worker_leases.c.holder).where(worker_leases.c.name == name))).first()
    return row is not None and row.holder == holder


async def release_lease(conn: AsyncConnection, name: str, holder: str) -> None:
    await conn.execute(worker_leases.delete().where(worker_leases.c.name == name, worker_leases.c.holder == holder))


# --- inspection and manual actions (easel jobs …) -------------------------------------------------------------

async def list_jobs(conn: AsyncConnection, *, status: str | None = None, kind: str | None = None,
                    order_id: int | None = None, limit: int = 100) -> list[Job]:
    query = select(jobs)
    if status is not None:
        query = query.where(jobs.c.status == status)
    if kind is not None:
        query = query.where(jobs.c.kind == kind)
    if order_id is not None:
        query = query.where(jobs.c.order_id == order_id)
    rows = await conn.execute(query.order_by(jobs.c.id.desc()).limit(limit))
    return [_job(r) for r in rows]


async def get_job(conn: AsyncConnection, job_id: int) -> Job | None:
    row = (await conn.execute(select(jobs).where(jobs.c.id == job_id))).first()
    return _job(row) if row else None


async def counts(conn: AsyncConnection) -> dict[str, int]:
    rows = await conn.execute(select(jobs.c.status, func.count()).group_by(jobs.c.status))
    return {str(row[0]): int(row[1]) for row in rows}


async def retry(conn: AsyncConnection, job_id: int, *, now: datetime | None = None) -> bool:
    """Queue a parked, failed or cancelled job again now, with its attempts reset."""
    now = now or utcnow()
    result = await conn.execute(
        update(jobs).where(jobs.c.id == job_id, jobs.c.status.in_([PARKED, CANCELLED, QUEUED]))
        .values(status=QUEUED, attempts=0, run_after=now, updated_at=now)
    )
    return bool(result.rowcount)


async def cancel(conn: AsyncConnection, job_id: int, *, now: datetime | None = None) -> bool:
    """Stop a queued or parked job for good (a running one finishes its current attempt first)."""
    now = now or utcnow()
    result = await conn.execute(
        update(jobs).where(jobs.c.id == job_id, jobs.c.status.in_([QUEUED, PARKED]))
        .values(status=CANCELLED, updated_at=now)
    )
    return bool(result.rowcount)


async def next_due(conn: AsyncConnection) -> datetime | None:
    """When the earliest queued job becomes due (for a worker deciding how long to sleep)."""
    result = await conn.execute(select(func.min(jobs.c.run_after)).where(jobs.c.status == QUEUED))
    value = result.scalar_one_or_none()
    return value if isinstance(value, datetime) else None
