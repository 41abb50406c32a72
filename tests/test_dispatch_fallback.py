"""Cross-vendor fallback with the real sandboxes over HTTP: a part Pwinty cannot take goes to the upstream
Image2ART sandbox, exactly once across both (vendor orders counted in both sandboxes), with an
`order.rerouted` event to the merchant; no vendor left puts the order On Hold with every vendor tried."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from sqlalchemy import update
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from easel.client import verify_webhook
from easel.demo.seed import DEMO_SECRET
from easel.dispatch import parts as part_store
from easel.runtime import Runtime
from easel.settings import Settings
from easel.storage import merchants as merchant_store
from easel.storage.tables import merchants
from easel.vendors.errors import VendorRejected
from easel.vendors.mapping import ProductMap

from .dispatch_helpers import (
    FakeClock,
    api_client,
    fulfilment_runtime,
    get_order,
    place,
    pwinty_sandbox,
    sandbox_orders,
    styled_skus,
    upstream_orders,
    upstream_sandbox,
    worker,
)
from .orders_helpers import call
from .sandbox_access import CONTROL
from .servers import run_asgi

pytestmark = pytest.mark.anyio
BOTH = {"rules": [{"when": {}, "vendors": ["pwinty", "image2art"], "fallback_after": 600}], "default": [],
        "retouch": None}
PWINTY_ONLY = {"rules": [], "default": ["pwinty"], "retouch": None}
DAY = 86_400


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with upstream_sandbox() as url:
        yield url


async def _runtime(settings: Settings, folder: Path, pwinty: str, upstream: str, clock: FakeClock,
                   routing: dict[str, Any] = BOTH, **options: Any) -> Runtime:
    runtime = await fulfilment_runtime(settings, folder, pwinty, clock=clock, image2art_url=upstream,
                                       poll_interval=600, callbacks_allow_private=True, **options)
    async with runtime.engine.begin() as conn:
        await conn.execute(update(merchants).values(routing=routing))
    return runtime


def _unknown_skus(runtime: Runtime) -> None:
    """Pwinty's table names skus Pwinty does not sell: Pwinty refuses the images (400), for good."""
    table = runtime.dispatch.maps["pwinty"].table
    rows = [row.model_copy(update={"sku": "GLOBAL-NOPE-" + row.sku}) for row in table.products]
    runtime.dispatch.maps["pwinty"] = ProductMap(table.model_copy(update={"products": rows}))


async def _reference(runtime: Runtime, order_id: int) -> str:
    async with runtime.engine.connect() as conn:
        parts = await part_store.parts_of(conn, order_id)
    return parts[0].reference.rsplit("-", 1)[0]


def _live_vendor_orders(pwinty: str, upstream: str, reference: str) -> list[str]:
    """Every vendor order for one merchant order that is not cancelled, in both sandboxes."""
    at_pwinty = [f"pwinty:{o['merchantOrderId']}" for o in sandbox_orders(pwinty)["orders"]
                 if str(o["merchantOrderId"]).startswith(reference) and o["status"] != "Cancelled"]
    upstream_live = [f"image2art:{o['externalOrderNumber']}" for o in upstream_orders(upstream)
                     if str(o["externalOrderNumber"] or "").startswith(reference) and o["status"] != "Cancelled"]
    return at_pwinty + upstream_live


async def _events(client: httpx.AsyncClient, order_id: int) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = (await call(client, "GET", f"/orders/{order_id}/events")).json()["events"]
    return events


async def _advance_upstream(upstream: str, seconds: float) -> None:
    async with httpx.AsyncClient(base_url=upstream, headers=CONTROL) as http:
        (await http.post("/_control/clock", json={"advance": seconds})).raise_for_status()
        (await http.post("/_control/tick")).raise_for_status()


async def test_pwinty_answering_5xx_for_good_hands_the_order_to_the_next_vendor_which_completes_it(
        settings: Settings, tmp_path: Path, upstream: str) -> None:
    clock = FakeClock()
    with pwinty_sandbox(faults={"error_rate": 1.0}) as pwinty:
        runtime = await _runtime(settings, tmp_path, pwinty, upstream, clock)
        try:
            async with api_client(runtime) as client:
                skus = await styled_skus(runtime, "CG", "S") + await styled_skus(runtime, "PO", "S")
                order_id = await place(client, skus)
                run = worker(runtime)
                await run.run_until_idle()
                assert (await get_order(client, order_id))["status"] == "Processing"
                for _ in range(11):  # ten minutes of a Pwinty that answers nothing but 503
                    clock.advance(60)
                    await run.run_until_idle()
                reference = await _reference(runtime, order_id)
                assert sandbox_orders(pwinty)["orders"] == []
                assert _live_vendor_orders(pwinty, upstream, reference) == [f"image2art:{reference}-2"]
                [rerouted] = [e for e in await _events(client, order_id) if e["type"] == "order.rerouted"]
                assert rerouted["data"]["from"] == "pwinty" and rerouted["data"]["to"] == ["image2art"]
                assert rerouted["data"]["items"] == [1, 2] and "unavailable for 10 min" in rerouted["data"]["reason"]

                await _advance_upstream(upstream, 600 + DAY)  # upstream: In Production, then In Transit
                clock.advance(601)
                await run.run_until_idle()
                shipped = await get_order(client, order_id)
                assert shipped["status"] == "In Transit" and shipped["shipping"]["tracking"], shipped
                assert _live_vendor_orders(pwinty, upstream, reference) == [f"image2art:{reference}-2"]
        finally:
            await runtime.close()


async def test_a_refusal_falls_back_at_once_and_the_merchant_hears_of_it(settings: Settings, tmp_path: Path,
                                                                       upstream: str) -> None:
    received: list[tuple[dict[str, str], bytes]] = []

    async def hook(request: Request) -> Response:
        received.append((dict(request.headers), await request.body()))
        return Response("ok")

    with pwinty_sandbox() as pwinty, run_asgi(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as url:
        runtime_clock = FakeClock()
        runtime = await _runtime(settings, tmp_path, pwinty, upstream, runtime_clock)
        _unknown_skus(runtime)
        try:
            async with runtime.engine.begin() as conn:
                merchant = await merchant_store.merchant_by_username(conn, "testing")
                assert merchant is not None
                await merchant_store.update_merchant(conn, merchant.id, {"callback_url": f"{url}/hook"})
            async with api_client(runtime) as client:
                order_id = await place(client, await styled_skus(runtime, "PF", "S"))
                await worker(runtime).run_until_idle()  # no time passes: a refusal does not wait
                reference = await _reference(runtime, order_id)
                [at_pwinty] = [o for o in sandbox_orders(pwinty)["orders"] if o["merchantOrderId"] == f"{reference}-1"]
                assert at_pwinty["status"] == "Cancelled"  # withdrawn before the next vendor got it
                assert _live_vendor_orders(pwinty, upstream, reference) == [f"image2art:{reference}-2"]
                assert (await get_order(client, order_id))["status"] == "Processing"
                events = await _events(client, order_id)
                [rerouted] = [e for e in events if e["type"] == "order.rerouted"]
                assert "pwinty refused it" in rerouted["data"]["reason"] and "GLOBAL-NOPE" in rerouted["data"]["reason"]
                assert rerouted["data"]["withdrawal"] == f"pwinty order {at_pwinty['id']} cancelled"
                # An event's delivery is queued at the wall clock's now, which is past this test's stopped
                # clock when the order's notify job had already finished: let the test's clock catch up.
                runtime_clock.advance(60)
                await worker(runtime).run_until_idle()
                events = await _events(client, order_id)
                delivered = [verify_webhook(DEMO_SECRET, headers, body, tolerance=10**9) for headers, body in received]
                assert [e["type"] for e in delivered] == [e["type"] for e in events]
                assert delivered[[e["type"] for e in delivered].index("order.rerouted")]["data"]["to"] == ["image2art"]
        finally:
            await runtime.close()


@pytest.mark.parametrize("routing", [PWINTY_ONLY, BOTH], ids=["no-second-vendor", "second-vendor-refuses"])
async def test_no_capable_vendor_left_puts_the_order_on_hold_naming_every_vendor_tried(
        settings: Settings, tmp_path: Path, upstream: str, routing: dict[str, Any]) -> None:
    with pwinty_sandbox() as pwinty:
        # The upstream refuses these credentials (an account refusal): nowhere left to go.
        runtime = await _runtime(settings, tmp_path, pwinty, upstream, FakeClock(), routing,
                                 image2art_secret="not-the-secret")
        _unknown_skus(runtime)
        try:
            async with api_client(runtime) as client:
                order_id = await place(client, await styled_skus(runtime, "PO", "S"))
                await worker(runtime).run_until_idle()
                held = await get_order(client, order_id)
                assert held["status"] == "On Hold"
                reason = held["status_reason"]
                assert reason.startswith("no vendor left for item 1") and "pwinty refused it" in reason
                assert ("image2art refused it" in reason) == (routing is BOTH), reason
                [on_hold] = [e for e in await _events(client, order_id) if e["type"] == "order.on_hold"]
                assert on_hold["data"]["reason"] == reason
                # Nothing is being made: Pwinty's order never got its images (and was withdrawn when the
                # upstream was tried), the upstream refused to take one.
                assert {o["status"] for o in sandbox_orders(pwinty)["orders"]} == (
                    {"Cancelled"} if routing is BOTH else {"NotYetSubmitted"})
                assert upstream_orders(upstream) == [] or not _live_vendor_orders(
                    pwinty, upstream, await _reference(runtime, order_id) + "-2")
        finally:
            await runtime.close()


async def test_a_worker_killed_between_cancelling_at_one_vendor_and_placing_at_the_next_leaves_one_live_order(
        settings: Settings, tmp_path: Path, upstream: str) -> None:
    clock = FakeClock()
    # Pwinty: create, images (refused), then the cancel, whose answer is lost: the worker dies waiting.
    with pwinty_sandbox(faults={"script": ["ok", "ok", "lost"], "hang_seconds": 30}) as pwinty:
        runtime = await _runtime(settings, tmp_path, pwinty, upstream, clock)
        _unknown_skus(runtime)
        try:
            async with api_client(runtime) as client:
                order_id = await place(client, await styled_skus(runtime, "CG", "S"))

                async def run_until_killed(done: Any) -> None:
                    with anyio.fail_after(20):
                        async with anyio.create_task_group() as tg:
                            tg.start_soon(worker(runtime).run)
                            while not await done():  # noqa: ASYNC110
                                await anyio.sleep(0.02)
                            tg.cancel_scope.cancel()  # the worker dies mid-call, its job still leased
                    clock.advance(10)  # the lease runs out

                async def cancelled_at_pwinty() -> bool:
                    return [o["status"] for o in sandbox_orders(pwinty)["orders"]] == ["Cancelled"]

                await run_until_killed(cancelled_at_pwinty)
                async with runtime.engine.connect() as conn:
                    steps = [p.step for p in await part_store.parts_of(conn, order_id)]
                assert steps == ["withdrawing"]  # cancelled there, not yet known here
                reference = await _reference(runtime, order_id)

                # Next, the upstream takes the order but its answer is lost: the worker dies again.
                async with httpx.AsyncClient(base_url=upstream, headers=CONTROL) as http:
                    await http.post("/_control/faults", json={"script": ["lost"], "hang_seconds": 30})
                try:
                    async def placed_upstream() -> bool:
                        return bool(_live_vendor_orders(pwinty, upstream, reference))

                    await run_until_killed(placed_upstream)
                finally:
                    async with httpx.AsyncClient(base_url=upstream, headers=CONTROL) as http:
                        await http.delete("/_control/faults")
                await worker(runtime).run_until_idle()
                assert (await get_order(client, order_id))["status"] == "Processing"
                assert _live_vendor_orders(pwinty, upstream, reference) == [f"image2art:{reference}-2"]
                async with runtime.engine.connect() as conn:
                    parts = await part_store.parts_of(conn, order_id)
                assert [(p.vendor, p.step, p.cancelled) for p in parts] == [
                    ("pwinty", "withdrawn", True), ("image2art", "submitted", False)]
                assert [e["type"] for e in await _events(client, order_id)].count("order.rerouted") == 1
        finally:
            await runtime.close()


async def test_the_deadline_is_the_setting_unless_the_rule_names_one_and_a_lone_vendor_is_retried(
        settings: Settings, tmp_path: Path, upstream: str) -> None:
    clock = FakeClock()
    no_deadline = {"rules": [{"when": {"style": "CG"}, "vendors": ["pwinty", "image2art"]}],
                   "default": ["pwinty"], "retouch": None}
    with pwinty_sandbox(faults={"error_rate": 1.0}) as pwinty:
        runtime = await _runtime(settings, tmp_path, pwinty, upstream, clock, no_deadline, vendor_fallback_after=120)
        try:
            async with api_client(runtime) as client:
                canvas = await place(client, await styled_skus(runtime, "CG", "S"))
                paper = await place(client, await styled_skus(runtime, "PO", "S"))  # pwinty is its only vendor
                run = worker(runtime)
                for elapsed in (0, 60, 120):  # the rule names no deadline: EASEL_VENDOR_FALLBACK_AFTER's 120 s
                    clock.advance(60 if elapsed else 0)
                    await run.run_until_idle()
                    moved = "order.rerouted" in [e["type"] for e in await _events(client, canvas)]
                    assert moved == (elapsed >= 120), elapsed
                assert (await get_order(client, paper))["status"] == "Processing"  # still tried, not held
                assert "order.rerouted" not in [e["type"] for e in await _events(client, paper)]
        finally:
            await runtime.close()


async def test_an_order_pwinty_made_while_its_answer_was_lost_is_found_and_cancelled_before_moving(
        settings: Settings, tmp_path: Path, upstream: str) -> None:
    clock = FakeClock()
    # The create is processed but its answer lost (a 504 after 0.3 s); then Pwinty answers only 503.
    with pwinty_sandbox(faults={"script": ["lost"], "hang_seconds": 0.3, "error_rate": 1.0}) as pwinty:
        runtime = await _runtime(settings, tmp_path, pwinty, upstream, clock)
        try:
            async with api_client(runtime) as client:
                order_id = await place(client, await styled_skus(runtime, "PO", "S"))
                run = worker(runtime)
                for _ in range(12):  # past the rule's ten minutes: withdrawing, but Pwinty cannot be asked
                    await run.run_until_idle()
                    clock.advance(60)
                async with runtime.engine.connect() as conn:
                    [part] = await part_store.parts_of(conn, order_id)
                assert (part.step, part.vendor_ref) == ("withdrawing", None)
                assert [o["status"] for o in sandbox_orders(pwinty)["orders"]] == ["NotYetSubmitted"]
                httpx.post(f"{pwinty}/_control/faults", json={"error_rate": 0}, headers=CONTROL)  # noqa: ASYNC210
                await run.run_until_idle()
                reference = await _reference(runtime, order_id)
                assert [o["status"] for o in sandbox_orders(pwinty)["orders"]] == ["Cancelled"]
                assert _live_vendor_orders(pwinty, upstream, reference) == [f"image2art:{reference}-2"]
                [rerouted] = [e for e in await _events(client, order_id) if e["type"] == "order.rerouted"]
                assert rerouted["data"]["withdrawal"].startswith("pwinty order ")
        finally:
            await runtime.close()


UPSTREAM_FIRST = {"rules": [{"when": {}, "vendors": ["image2art", "pwinty"], "fallback_after": 600}], "default": [],
                  "retouch": None}


async def test_an_upstream_that_stays_unavailable_hands_the_order_to_pwinty(settings: Settings,
                                                                           tmp_path: Path) -> None:
    clock = FakeClock()
    with pwinty_sandbox() as pwinty, upstream_sandbox() as down:
        async with httpx.AsyncClient(base_url=down, headers=CONTROL) as http:
            (await http.post("/_control/faults", json={"error_rate": 1.0})).raise_for_status()
        runtime = await _runtime(settings, tmp_path, pwinty, down, clock, UPSTREAM_FIRST)
        try:
            async with api_client(runtime) as client:
                order_id = await place(client, await styled_skus(runtime, "PO", "S"))
                run = worker(runtime)
                await run.run_until_idle()
                for _ in range(11):  # ten minutes of an upstream that answers nothing but errors
                    clock.advance(60)
                    await run.run_until_idle()
                reference = await _reference(runtime, order_id)
                assert _live_vendor_orders(pwinty, down, reference) == [f"pwinty:{reference}-2"]
                [at_pwinty] = sandbox_orders(pwinty)["orders"]
                assert at_pwinty["status"] == "Submitted"
                [rerouted] = [e for e in await _events(client, order_id) if e["type"] == "order.rerouted"]
                assert rerouted["data"]["from"] == "image2art" and rerouted["data"]["to"] == ["pwinty"]
        finally:
            await runtime.close()


async def test_a_live_upstream_order_is_never_withdrawn_and_an_absent_one_is_confirmed(
        settings: Settings, tmp_path: Path, upstream: str) -> None:
    with pwinty_sandbox() as pwinty:
        runtime = await _runtime(settings, tmp_path, pwinty, upstream, FakeClock(), UPSTREAM_FIRST)
        try:
            async with api_client(runtime) as client:
                order_id = await place(client, await styled_skus(runtime, "PO", "S"))
                await worker(runtime).run_until_idle()
                async with runtime.engine.connect() as conn:
                    [part] = await part_store.parts_of(conn, order_id)
                driver = runtime.dispatch.drivers["image2art"]
                account = runtime.dispatch.accounts.for_order("image2art", is_test=True, merchant_test_mode=False)
                with pytest.raises(VendorRejected, match="cannot cancel"):
                    await driver.withdraw(account, part)  # type: ignore[attr-defined]
                never_sent = part.__class__(**{**part.__dict__, "reference": part.reference + "-never", "vendor_ref": None})
                assert "has no order" in await driver.withdraw(account, never_sent)  # type: ignore[attr-defined]
        finally:
            await runtime.close()
