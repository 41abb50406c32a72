"""Orders to Pwinty end to end over real HTTP, against the sandbox in its strict mode (its order list as
the live API's: pages of 100, no filter by merchantOrderId): planned, created, completed and submitted
exactly once, then followed by polling to In Transit with tracking; lost answers and crashes do not
duplicate; the shipping method and packing slip reach Pwinty."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from sqlalchemy import event

from easel.dispatch import parts as part_store
from easel.dispatch import queue
from easel.settings import Settings
from easel.vendors.pwinty import PwintyAdapter

from .dispatch_helpers import (
    FakeClock,
    api_client,
    fulfilment_runtime,
    get_order,
    place,
    pwinty_sandbox,
    sandbox_orders,
    styled_skus,
    worker,
)
from .sandbox_access import CONTROL

PWINTY = {"X-Pwinty-MerchantId": "sandbox-merchant", "X-Pwinty-REST-API-Key": "sandbox-key"}
pytestmark = pytest.mark.anyio


async def test_an_order_is_submitted_once_and_followed_to_in_transit(settings: Settings, tmp_path: Path) -> None:
    clock = FakeClock()
    with pwinty_sandbox(strict=True) as sandbox:
        runtime = await fulfilment_runtime(settings, tmp_path, sandbox, clock=clock, poll_interval=600)
        try:
            async with api_client(runtime) as client:
                canvas = await styled_skus(runtime, "CG", "S")
                paper = await styled_skus(runtime, "PO", "M")
                order_id = await place(client, canvas + paper, external_order_number="A-1")
                assert (await get_order(client, order_id))["status"] == "Pending"
                await worker(runtime).run_until_idle()
                placed = await get_order(client, order_id)
                assert placed["status"] == "In Production"
                reference = f"{(await runtime.orders.get(await _merchant(runtime), order_id)).reference}-1"
                counts = sandbox_orders(sandbox)["countsByMerchantOrderId"]
                assert counts == {reference: 1}
                [vendor_order] = sandbox_orders(sandbox)["orders"]
                assert vendor_order["status"] == "Submitted" and vendor_order["images"] == 2

                httpx.post(f"{sandbox}/_control/clock", json={"advance": 3 * 86400}, headers=CONTROL)  # noqa: ASYNC210
                clock.advance(601)
                await worker(runtime).run_until_idle()
                shipped = await get_order(client, order_id)
                assert shipped["status"] == "In Transit"
                assert len(shipped["shipping"]["tracking"]) == 2  # canvas and paper ship apart
                assert all(t["number"].startswith("PW") and t["url"] for t in shipped["shipping"]["tracking"])
                events = [e["type"] for e in (await _events(client, order_id))]
                assert events == ["order.accepted", "order.processing", "order.in_production", "order.shipped"]
        finally:
            await runtime.close()


async def test_a_lost_answer_to_create_does_not_make_a_second_vendor_order(settings: Settings,
                                                                           tmp_path: Path) -> None:
    with pwinty_sandbox(strict=True, faults={"script": ["lost"], "hang_seconds": 0.3}) as sandbox:
        runtime = await fulfilment_runtime(settings, tmp_path, sandbox)
        try:
            async with api_client(runtime) as client:
                order_id = await place(client, await styled_skus(runtime, "CG", "M"))
                await worker(runtime).run_until_idle()
                for _ in range(100):
                    if (await get_order(client, order_id))["status"] == "In Production":
                        break
                    await anyio.sleep(0.05)
                    await worker(runtime).run_until_idle()
                assert (await get_order(client, order_id))["status"] == "In Production"
                assert list(sandbox_orders(sandbox)["countsByMerchantOrderId"].values()) == [1]
        finally:
            await runtime.close()


async def test_a_lost_create_is_found_behind_more_than_a_page_of_newer_orders(settings: Settings,
                                                                              tmp_path: Path) -> None:
    """The crash-recovery look-up walks Pwinty's newest-first pages back to the moment of the intent."""
    with pwinty_sandbox(strict=True, faults={"script": ["lost"], "hang_seconds": 0.3}) as sandbox:
        runtime = await fulfilment_runtime(settings, tmp_path, sandbox, timeout=0.2)
        try:
            async with api_client(runtime) as client:
                order_id = await place(client, await styled_skus(runtime, "CG", "M"))
                await worker(runtime).run_until_idle()  # the create's answer is lost: the part stays `creating`
                assert (await get_order(client, order_id))["status"] != "In Production"
                async with httpx.AsyncClient(base_url=sandbox, headers=PWINTY) as pwinty:
                    for n in range(120):  # other shops' orders... of the same account, newer than ours
                        r = await pwinty.post("/orders", json={"recipientName": "Ann", "countryCode": "GB",
                                                               "preferredShippingMethod": "Budget",
                                                               "merchantOrderId": f"other-{n}"})
                        assert r.status_code == 200
                    assert len((await pwinty.get("/orders", params={"count": 250})).json()["data"]["content"]) == 100
                for _ in range(100):
                    if (await get_order(client, order_id))["status"] == "In Production":
                        break
                    await anyio.sleep(0.05)
                    await worker(runtime).run_until_idle()
                assert (await get_order(client, order_id))["status"] == "In Production"
                ours = {k: v for k, v in sandbox_orders(sandbox)["countsByMerchantOrderId"].items()
                        if not k.startswith("other-")}
                assert list(ours.values()) == [1]
        finally:
            await runtime.close()


class _Crash(BaseException):
    """The worker's process dying: no handler sees it, nothing after it runs."""


async def test_a_crash_after_the_images_were_added_duplicates_neither_the_order_nor_its_images(
        settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing is written between Pwinty's create and the images: the next attempt finds the order by its
    reference and adds no image it already has."""
    clock = FakeClock()
    real_add_images = PwintyAdapter.add_images

    async def add_then_die(self: PwintyAdapter, order_id: int, items: Any) -> Any:
        await real_add_images(self, order_id, items)
        raise _Crash

    with pwinty_sandbox(strict=True) as sandbox:
        runtime = await fulfilment_runtime(settings, tmp_path, sandbox, clock=clock)
        try:
            async with api_client(runtime) as client:
                order_id = await place(client, await styled_skus(runtime, "CG", "S"))
                with monkeypatch.context() as patched:
                    patched.setattr(PwintyAdapter, "add_images", add_then_die)
                    with pytest.raises(BaseExceptionGroup) as died:
                        await worker(runtime).run_until_idle()
                assert died.group_contains(_Crash)
                async with runtime.engine.connect() as conn:
                    [part] = await part_store.parts_of(conn, order_id)
                assert (part.step, part.vendor_ref) == ("creating", None)  # as the dead process left it
                clock.advance(60)  # its lease runs out
                await worker(runtime).run_until_idle()
                assert (await get_order(client, order_id))["status"] == "In Production"
            [row] = sandbox_orders(sandbox)["orders"]
            async with httpx.AsyncClient(base_url=sandbox, headers=PWINTY) as pwinty:
                at_pwinty = (await pwinty.get(f"/orders/{row['id']}")).json()["data"]
            assert at_pwinty["status"] == "Submitted"
            assert len(at_pwinty["images"]) == 1  # the order's one print, added once
        finally:
            await runtime.close()


async def test_shipping_method_and_packing_slip_reach_pwinty(settings: Settings, tmp_path: Path) -> None:
    from .orders_helpers import call, order

    with pwinty_sandbox(strict=True) as sandbox:
        runtime = await fulfilment_runtime(settings, tmp_path, sandbox)
        try:
            async with api_client(runtime) as client:
                body = order(await styled_skus(runtime, "CG", "S"))
                body["shipping"] = {k: v for k, v in body["shipping"].items() if k != "method"}
                body["shipping"]["packing_slip"] = "https://shop.example.com/slips/1.pdf"
                placed = await call(client, "POST", "/orders", body)
                order_id = placed.json()["order"]["id"]
                shown = (await get_order(client, order_id))["shipping"]
                assert (shown["method"], shown["packing_slip"]) == ("best way", "https://shop.example.com/slips/1.pdf")
                await worker(runtime).run_until_idle()
                assert (await get_order(client, order_id))["status"] == "In Production"
                [row] = sandbox_orders(sandbox)["orders"]
                async with httpx.AsyncClient(base_url=sandbox, headers=PWINTY) as pwinty:
                    at_pwinty = (await pwinty.get(f"/orders/{row['id']}")).json()["data"]
                assert at_pwinty["packingSlipUrl"] == "https://shop.example.com/slips/1.pdf"
                assert at_pwinty["preferredShippingMethod"] == "Standard"  # the mapping's "best way"
        finally:
            await runtime.close()


async def test_an_unsubmittable_order_is_parked_on_hold_with_the_reason(settings: Settings, tmp_path: Path) -> None:
    with pwinty_sandbox(strict=True) as sandbox:
        runtime = await fulfilment_runtime(settings, tmp_path, sandbox)
        try:
            async with api_client(runtime) as client:
                image = {"type": "external", "url": "https://images.example.invalid/broken.jpg"}
                sku = (await styled_skus(runtime, "CG", "S"))[0]
                from .orders_helpers import call, order

                body = order([sku])
                body["items"][0]["image"] = image
                placed = await call(client, "POST", "/orders", body)
                order_id = placed.json()["order"]["id"]
                await worker(runtime).run_until_idle()
                held = await get_order(client, order_id)
                assert held["status"] == "On Hold"
                assert "FileCouldNotBeDownloaded" in held["status_reason"]
                async with runtime.engine.connect() as conn:
                    [parked] = await queue.list_jobs(conn, status="parked")
                assert parked.kind == "dispatch" and parked.order_id == order_id
                assert "order.on_hold" in [e["type"] for e in await _events(client, order_id)]
        finally:
            await runtime.close()


async def test_an_only_part_is_written_with_the_intent_to_create_it(settings: Settings, tmp_path: Path) -> None:
    """An order of one part writes its plan and the ``creating`` step in one transaction (one commit fewer
    an order), and nothing more until the job's completion; the vendor order is still made once, and the
    part ends ``submitted`` with the Pwinty id."""
    writes: dict[int, list[str]] = {}  # per connection, the vendor order writes not yet committed
    transactions: list[list[str]] = []

    def seen(conn: object, cursor: object, statement: str, parameters: object, *args: object) -> None:
        if statement.startswith(("INSERT INTO vendor_orders", "UPDATE vendor_orders")):
            step = "creating" if "creating" in repr(parameters) else ""
            writes.setdefault(id(conn), []).append(f"{statement.split(' ')[0]} {step}".strip())

    def committed(conn: object) -> None:
        if id(conn) in writes:
            transactions.append(writes.pop(id(conn)))

    with pwinty_sandbox(strict=True) as sandbox:
        runtime = await fulfilment_runtime(settings, tmp_path, sandbox)
        try:
            async with api_client(runtime) as client:
                order_id = await place(client, await styled_skus(runtime, "CG", "S"))
                event.listen(runtime.engine.sync_engine, "before_cursor_execute", seen)
                event.listen(runtime.engine.sync_engine, "commit", committed)
                try:
                    await worker(runtime).run_until_idle()
                finally:
                    event.remove(runtime.engine.sync_engine, "before_cursor_execute", seen)
                    event.remove(runtime.engine.sync_engine, "commit", committed)
                assert (await get_order(client, order_id))["status"] == "In Production"
            assert transactions[0] == ["INSERT creating"]  # no part row before the intent to create it
            # then, with the job's completion, the Pwinty id and `submitted`: no write between the calls
            assert transactions[1:] == [["UPDATE"]]
            assert list(sandbox_orders(sandbox)["countsByMerchantOrderId"].values()) == [1]
            async with runtime.engine.connect() as conn:
                [part] = await part_store.parts_of(conn, order_id)
            assert part.step == "submitted"
            assert part.vendor_ref == str(sandbox_orders(sandbox)["orders"][0]["id"])
        finally:
            await runtime.close()


async def _merchant(runtime):  # type: ignore[no-untyped-def]
    found = await runtime.merchants.by_username("testing")
    assert found is not None
    return found.merchant


async def _events(client: httpx.AsyncClient, order_id: int) -> list[dict]:  # type: ignore[type-arg]
    from .orders_helpers import call

    response = await call(client, "GET", f"/orders/{order_id}/events")
    events: list[dict] = response.json()["events"]  # type: ignore[type-arg]
    return events
