"""Orders to an upstream Image2ART service end to end over real HTTP: the part is placed upstream once
(also when the answer to the first attempt is lost), then followed by polling to In Transit with the
upstream's tracking."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import anyio
import httpx
import pytest
from sqlalchemy import update

from easel.demo.seed import seed_demo
from easel.dispatch.drivers.image2art import SANDBOX_CREDENTIALS, Image2ArtDriver
from easel.runtime import Runtime
from easel.sandboxes import SandboxClock
from easel.sandboxes.image2art import Image2ArtSandboxSettings, create_app
from easel.settings import Settings
from easel.storage.tables import merchants

from .dispatch_helpers import FAST_CALLS, FakeClock, api_client, get_order, place, styled_skus, worker
from .sandbox_access import CONTROL, CONTROL_TOKEN
from .servers import run_asgi

pytestmark = pytest.mark.anyio
DAY = 86_400
UPSTREAM_ONLY = {"rules": [], "default": ["image2art"], "retouch": None}


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    """An upstream easel (its own runtime) whose clock moves only when a test says so."""
    with run_asgi(create_app(Image2ArtSandboxSettings(tick_seconds=3600, control_token=CONTROL_TOKEN),
                            clock=SandboxClock(speed=0))) as url:
        yield url


async def _runtime(settings: Settings, folder: Path, upstream: str, clock: FakeClock) -> Runtime:
    accounts = folder / "vendors.json"
    accounts.write_text(json.dumps({"image2art": {"sandbox": {"url": upstream, **SANDBOX_CREDENTIALS}}}))
    runtime = Runtime.create(replace(settings, vendor_accounts=str(accounts), rate_limit=10**6, poll_interval=600))
    await seed_demo(runtime, images=False)
    async with runtime.engine.begin() as conn:  # this merchant sends everything upstream
        await conn.execute(update(merchants).values(routing=UPSTREAM_ONLY))
    runtime.dispatch.drivers["image2art"] = Image2ArtDriver(runtime.http, timeout=httpx.Timeout(2.0),
                                                            retry=FAST_CALLS)
    runtime.dispatch.clock = runtime.dispatch.callbacks.clock = clock
    return runtime


async def _part_reference(runtime: Runtime, order_id: int) -> str:
    found = await runtime.merchants.by_username("testing")
    assert found is not None
    stored = await runtime.orders.get(found.merchant, order_id)
    assert stored is not None
    return f"{stored.reference}-1"  # the first (here the only) vendor order of the merchant order


async def _control(upstream: str, method: str, path: str, body: object = None) -> httpx.Response:
    async with httpx.AsyncClient(base_url=upstream, headers=CONTROL) as http:
        response = await http.request(method, f"/_control/{path}", json=body)
    response.raise_for_status()
    return response


async def _upstream_counts(upstream: str) -> dict[str, int]:
    counts: dict[str, int] = (await _control(upstream, "GET", "orders")).json()["countsByExternalOrderNumber"]
    return counts


async def _advance_upstream(upstream: str, seconds: float) -> None:
    await _control(upstream, "POST", "clock", {"advance": seconds})
    await _control(upstream, "POST", "tick")


async def test_an_order_is_placed_upstream_once_and_followed_to_in_transit(settings: Settings, tmp_path: Path,
                                                                          upstream: str) -> None:
    clock = FakeClock()
    runtime = await _runtime(settings, tmp_path, upstream, clock)
    try:
        async with api_client(runtime) as client:
            order_id = await place(client, await styled_skus(runtime, "PF", "S"), external_order_number="UP-1")
            await worker(runtime).run_until_idle()
            part_reference = await _part_reference(runtime, order_id)
            assert (await _upstream_counts(upstream)).get(part_reference) == 1
            assert (await get_order(client, order_id))["status"] == "Processing"  # upstream: Pending

            await _advance_upstream(upstream, 600 + DAY)  # upstream: In Production, then In Transit
            clock.advance(601)
            await worker(runtime).run_until_idle()
            shipped = await get_order(client, order_id)
            assert shipped["status"] == "In Transit", shipped
            [tracking] = shipped["shipping"]["tracking"]
            assert tracking["number"] and tracking["url"].startswith("https://")
            assert (await _upstream_counts(upstream))[part_reference] == 1
    finally:
        await runtime.close()


async def test_a_lost_answer_does_not_place_a_second_upstream_order(settings: Settings, tmp_path: Path,
                                                                    upstream: str) -> None:
    runtime = await _runtime(settings, tmp_path, upstream, FakeClock())
    await _control(upstream, "POST", "faults", {"script": ["lost"], "hang_seconds": 0.3})
    try:
        async with api_client(runtime) as client:
            order_id = await place(client, await styled_skus(runtime, "PF", "S"), external_order_number="UP-2")
            for _ in range(100):  # the first answer is lost; the retry looks before placing
                await worker(runtime).run_until_idle()
                if (await get_order(client, order_id))["status"] == "Processing":
                    break
                await anyio.sleep(0.05)
            assert (await get_order(client, order_id))["status"] == "Processing"
            assert (await _upstream_counts(upstream))[await _part_reference(runtime, order_id)] == 1
    finally:
        await _control(upstream, "DELETE", "faults")
        await runtime.close()
