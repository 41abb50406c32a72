"""``GET /orders/:id`` is answered from memory only while nothing has been committed since it was read:
a status another process (a worker) commits is what the very next read answers."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import httpx
import pytest

from easel.runtime import Runtime
from easel.settings import Settings

from .dispatch_helpers import get_order, place, styled_skus

pytestmark = pytest.mark.anyio
STATUSES = ["Processing", "In Production", "In Transit", "On Hold", "Delivered"]

# Another process, as a worker is: commit a status, say so, wait to be told to go on.
WRITER = """
import asyncio, sys
from sqlalchemy import update
from easel.storage.engine import create_engine
from easel.storage.tables import orders

async def main(url, order_id, statuses):
    engine = create_engine(url)
    try:
        for status in statuses:
            async with engine.begin() as conn:
                await conn.execute(update(orders).where(orders.c.id == order_id).values(status=status))
            print(status, flush=True)
            sys.stdin.readline()
    finally:
        await engine.dispose()

asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3:]))
"""


async def test_a_status_committed_by_another_process_is_read_at_once(
        client: httpx.AsyncClient, demo_runtime: Runtime, settings: Settings) -> None:
    order_id = await place(client, await styled_skus(demo_runtime, "CG", "S"))
    first = await get_order(client, order_id)
    assert await get_order(client, order_id) == first  # read again: from memory on SQLite
    with subprocess.Popen([sys.executable, "-c", WRITER, settings.resolved_database_url, str(order_id),  # noqa: ASYNC220 (the app waits with it, in lockstep)
                           *STATUSES * 4], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as writer:
        assert writer.stdin is not None and writer.stdout is not None
        for expected in STATUSES * 4:
            assert writer.stdout.readline().strip() == expected  # committed by the other process
            for _ in range(3):  # the first read after the commit, and the ones served from memory after it
                assert (await get_order(client, order_id))["status"] == expected
            writer.stdin.write("\n")
            writer.stdin.flush()
        writer.stdin.close()
        assert writer.wait(timeout=30) == 0


# Another process, as a worker is, on its own: each transaction changes the status and adds a tracking number.
TRACKING_WRITER = """
import asyncio, sys, time
from datetime import datetime, timezone
from sqlalchemy import insert, update
from easel.storage.engine import create_engine
from easel.storage.tables import order_tracking, orders

async def main(url, order_id, statuses):
    engine = create_engine(url)
    try:
        for n, status in enumerate(statuses):
            async with engine.begin() as conn:
                await conn.execute(update(orders).where(orders.c.id == order_id).values(status=status))
                await conn.execute(insert(order_tracking).values(order_id=order_id, number=f"T{n}", method="UPS",
                                                                 url="", created_at=datetime.now(timezone.utc)))
            print(n, flush=True)
            await asyncio.sleep(0.02)
    finally:
        await engine.dispose()

asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3:]))
"""


async def test_reads_while_a_worker_writes_are_never_stale_nor_half_made(
        client: httpx.AsyncClient, demo_runtime: Runtime, settings: Settings) -> None:
    order_id = await place(client, await styled_skus(demo_runtime, "CG", "S"))
    await get_order(client, order_id)
    await get_order(client, order_id)  # kept, and answered in front of the stack from now on
    statuses = STATUSES * 6
    writer = await asyncio.create_subprocess_exec(
        sys.executable, "-c", TRACKING_WRITER, settings.resolved_database_url, str(order_id), *statuses,
        stdout=asyncio.subprocess.PIPE)
    assert writer.stdout is not None
    committed = -1  # the last transaction the writer has said it committed

    async def follow() -> None:
        nonlocal committed
        assert writer.stdout is not None
        while line := await writer.stdout.readline():
            committed = int(line)

    following = asyncio.create_task(follow())
    seen = -1
    reads = 0
    while not following.done() or reads == 0:
        before = committed
        body = await get_order(client, order_id)
        tracking = body["shipping"]["tracking"]
        shown = len(tracking) - 1  # the last of the writer's transactions this answer shows
        assert shown >= before, f"stale: transaction {shown} shown after {before} was committed"
        assert shown >= seen, "went back"
        if shown >= 0:  # the status and the tracking number of one transaction, never one without the other
            assert body["status"] == statuses[shown] and tracking[-1]["number"] == f"T{shown}"
        seen = shown
        reads += 1
        await asyncio.sleep(0)
    await following
    assert await writer.wait() == 0 and reads > len(statuses)
    assert len((await get_order(client, order_id))["shipping"]["tracking"]) == len(statuses)
