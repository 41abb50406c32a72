"""Vendor callbacks: only the secret URL is accepted, each is stored once, and news applied in any
order (duplicated, reversed) never moves an order backwards nor loses a tracking number."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import anyio
import httpx
import pytest
from sqlalchemy import func, select

from easel.app import create_app
from easel.dispatch import parts as part_store
from easel.dispatch import progress
from easel.dispatch.drivers.base import Snapshot, Tracking
from easel.dispatch.status import Progress
from easel.runtime import Runtime
from easel.settings import Settings
from easel.storage.tables import vendor_callbacks

from .dispatch_helpers import (
    api_client,
    fulfilment_runtime,
    get_order,
    place,
    pwinty_sandbox,
    sandbox_orders,
    styled_skus,
    worker,
)
from .orders_helpers import call
from .sandbox_access import CONTROL
from .servers import run_asgi

pytestmark = pytest.mark.anyio


async def test_only_the_secret_callback_url_is_accepted_and_repeats_are_stored_once(
        settings: Settings, tmp_path: Path) -> None:
    runtime = await fulfilment_runtime(settings, tmp_path, "http://127.0.0.1:9")
    try:
        async with api_client(runtime) as client:
            good = runtime.dispatch.callback_url("pwinty", "sandbox").removeprefix(runtime.dispatch.public_url)
            body = b'{"orderId": 1065, "status": "Submitted", "environment": "SANDBOX", "shipments": null}'
            assert (await client.post("/vendor-callbacks/pwinty/sandbox/not-the-token", content=body)).status_code == 404
            assert (await client.post(good.replace("/sandbox/", "/live/"), content=body)).status_code == 404
            assert (await client.post(good, content=b"{not json")).status_code == 400
            for _ in range(3):
                assert (await client.post(good, content=body)).status_code == 200
            async with runtime.engine.connect() as conn:
                stored = (await conn.execute(select(func.count()).select_from(vendor_callbacks))).scalar_one()
            assert stored == 1
            await worker(runtime).run_until_idle()
            async with runtime.engine.connect() as conn:
                outcome = (await conn.execute(select(vendor_callbacks.c.outcome))).scalar_one()
            assert "no such order" in outcome
    finally:
        await runtime.close()


async def test_news_applied_out_of_order_never_goes_backwards_and_tracking_is_merged(
        settings: Settings, tmp_path: Path) -> None:
    runtime = await fulfilment_runtime(settings, tmp_path, "http://127.0.0.1:9")
    try:
        async with api_client(runtime) as client:
            order_id = await place(client, await styled_skus(runtime, "CG", "S"))
            async with runtime.engine.begin() as conn:
                await part_store.insert_parts(conn, order_id, "ESX", [part_store.NewPart("pwinty", "print", True, [], {})])
                [part] = await part_store.parts_of(conn, order_id)
            later = Snapshot(Progress.SHIPPED, "Submitted", tracking=(Tracking("T-2", "UPS", "u2"),))
            earlier = Snapshot(Progress.IN_PRODUCTION, "Submitted", tracking=(Tracking("T-1", "UPS", "u1"),))
            for snap in (later, earlier, later, earlier):  # reversed, then duplicated
                async with runtime.engine.begin() as conn:
                    await progress.apply_snapshot(conn, part, snap)
            found = await get_order(client, order_id)
            assert found["status"] == "In Transit"
            assert sorted(t["number"] for t in found["shipping"]["tracking"]) == ["T-1", "T-2"]
            events = (await call(client, "GET", f"/orders/{order_id}/events")).json()["events"]
            assert [e["type"] for e in events] == ["order.accepted", "order.shipped", "order.tracking_added"]
    finally:
        await runtime.close()


async def test_duplicated_and_reordered_sandbox_callbacks_bring_orders_to_in_transit(
        settings: Settings, tmp_path: Path) -> None:
    faults = {"seed": 7, "callback_duplicate_rate": 0.4, "callback_reorder_rate": 0.3}
    with pwinty_sandbox(faults=faults, tick_seconds=0.02) as sandbox:
        runtime = await fulfilment_runtime(settings, tmp_path, sandbox, poll_interval=10**6)
        served = replace(runtime.settings, worker=False)
        try:
            with run_asgi(create_app(served)) as easel_url:
                callback = runtime.dispatch.callback_url("pwinty", "sandbox").replace(runtime.dispatch.public_url,
                                                                                      easel_url)
                httpx.post(f"{sandbox}/_control/callbacks", json={"url": callback}, headers=CONTROL)  # noqa: ASYNC210
                async with api_client(runtime) as client:
                    canvas = await styled_skus(runtime, "CG", "S")
                    paper = await styled_skus(runtime, "PO", "S")
                    ids = [await place(client, canvas + paper) for _ in range(4)]
                    await worker(runtime).run_until_idle()
                    httpx.post(f"{sandbox}/_control/clock", json={"advance": 3 * 86400}, headers=CONTROL)  # noqa: ASYNC210
                    with anyio.fail_after(20):
                        while True:
                            await worker(runtime).run_until_idle()
                            found = [await get_order(client, i) for i in ids]
                            if all(len(o["shipping"]["tracking"]) == 2 for o in found):
                                break
                            await anyio.sleep(0.05)
                    assert {o["status"] for o in found} == {"In Transit"}
                    for order_id in ids:
                        events = (await call(client, "GET", f"/orders/{order_id}/events")).json()["events"]
                        kinds = [e["type"] for e in events]
                        assert kinds[:3] == ["order.accepted", "order.processing", "order.in_production"]
                        assert kinds.count("order.shipped") == 1
                log = httpx.get(f"{sandbox}/_control/callbacks", headers=CONTROL)  # noqa: ASYNC210
                deliveries = log.json()["deliveries"]
                async with runtime.engine.connect() as conn:
                    stored = (await conn.execute(select(func.count()).select_from(vendor_callbacks))).scalar_one()
                assert len(deliveries) > stored  # duplicates were answered but stored once
                assert all(n == 1 for n in sandbox_orders(sandbox)["countsByMerchantOrderId"].values())
        finally:
            await runtime.close()


async def test_an_upstream_easels_events_must_be_signed_with_our_secret_there(settings: Settings,
                                                                             tmp_path: Path) -> None:
    from easel.dispatch.drivers.image2art import SANDBOX_CREDENTIALS
    from easel.dispatch.webhook_signature import signed_headers

    accounts = tmp_path / "accounts.json"
    accounts.write_text(json.dumps({"image2art": {"sandbox": {"url": "http://127.0.0.1:9", **SANDBOX_CREDENTIALS}}}))
    runtime = Runtime.create(replace(settings, vendor_accounts=str(accounts)))
    try:
        async with api_client(runtime) as client:
            unknown = runtime.dispatch.callback_url("pixelz", "sandbox").removeprefix(runtime.dispatch.public_url)
            assert (await client.post(unknown, content=b"{}")).status_code == 404  # no such account here
            path = runtime.dispatch.callback_url("image2art", "sandbox").removeprefix(runtime.dispatch.public_url)
            body = b'{"type":"order.shipped","timestamp":"2026-11-25T10:00:00Z","data":{"order_id":7}}'
            import time

            now = int(time.time())
            assert (await client.post(path, content=body)).status_code == 401
            forged = signed_headers("someone else", "evt_1", now, body)
            assert (await client.post(path, content=body, headers=forged)).status_code == 401
            good = signed_headers(SANDBOX_CREDENTIALS["secret"], "evt_1", now, body)
            assert (await client.post(path, content=body, headers=good)).status_code == 200
    finally:
        await runtime.close()
