"""The order page's actions (hold, release, cancel, resend a callback): the order's status and jobs change,
the merchant's events are written and queued for delivery, vendors are asked to cancel (Pwinty does, the
Image2ART API cannot), another merchant's order is 404, staff may act, a form without CSRF is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select, update

from easel.cli import main
from easel.dispatch.status import Progress
from easel.runtime import Runtime
from easel.settings import Settings
from easel.storage.tables import jobs, merchants, order_events, orders, vendor_orders
from easel.storage.types import utcnow

from .admin_helpers import csrf_of, make_user, other_merchant, place_order, post_form, sign_in
from .dispatch_helpers import (
    api_client,
    fulfilment_runtime,
    get_order,
    place,
    pwinty_sandbox,
    sandbox_orders,
    styled_skus,
    upstream_sandbox,
    worker,
)
from .orders_helpers import call

pytestmark = pytest.mark.anyio
UPSTREAM_ONLY = {"rules": [], "default": ["image2art"], "retouch": None}


async def _events(client: httpx.AsyncClient, order_id: int) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = (await call(client, "GET", f"/orders/{order_id}/events")).json()["events"]
    return events


async def _row(runtime: Runtime, order_id: int) -> Any:
    async with runtime.engine.connect() as conn:
        return (await conn.execute(select(orders.c.status, orders.c.status_reason)
                                   .where(orders.c.id == order_id))).one()


async def _job_status(runtime: Runtime, order_id: int, kind: str = "dispatch") -> str:
    async with runtime.engine.connect() as conn:
        return str((await conn.execute(select(jobs.c.status).where(jobs.c.order_id == order_id,
                                                                    jobs.c.kind == kind))).scalar_one())


async def test_hold_with_a_reason_then_release(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    order_id = await place_order(client, demo_runtime)
    await sign_in(client, "owner@demo.test", "demo")
    page = f"/admin/orders/{order_id}"
    assert "Put on hold" in (await client.get(page)).text
    no_reason = await post_form(client, page, f"{page}/hold", {"reason": "  "})
    assert no_reason.status_code == 409 and "Say why" in no_reason.text
    held = await post_form(client, page, f"{page}/hold", {"reason": "customer asked to wait for a new address"})
    assert held.status_code == 303 and held.headers["location"].endswith("done=held")
    assert tuple(await _row(demo_runtime, order_id)) == ("On Hold", "customer asked to wait for a new address")
    assert await _job_status(demo_runtime, order_id) == "cancelled"  # nothing more goes to a vendor
    last = (await _events(client, order_id))[-1]
    assert last["type"] == "order.on_hold" and last["data"]["reason"] == "customer asked to wait for a new address"
    again = await post_form(client, page, f"{page}/hold", {"reason": "twice"})
    assert again.status_code == 409 and "The order is On Hold" in again.text
    shown = (await client.get(page)).text
    assert "Release the hold" in shown and "customer asked to wait" in shown
    released = await post_form(client, page, f"{page}/release", {})
    assert released.status_code == 303 and released.headers["location"].endswith("done=released")
    assert (await _row(demo_runtime, order_id)).status == "Processing"
    assert await _job_status(demo_runtime, order_id) == "queued"  # the sending the hold stopped, queued again
    assert (await _events(client, order_id))[-1]["type"] == "order.processing"
    not_held = await post_form(client, page, f"{page}/release", {})
    assert not_held.status_code == 409 and "not On Hold" in not_held.text


async def test_releasing_a_finished_dispatch_queues_it_again(client: httpx.AsyncClient,
                                                             demo_runtime: Runtime) -> None:
    order_id = await place_order(client, demo_runtime)
    await sign_in(client, "owner@demo.test", "demo")
    page = f"/admin/orders/{order_id}"
    assert (await post_form(client, page, f"{page}/hold", {"reason": "check the artwork"})).status_code == 303
    async with demo_runtime.engine.begin() as conn:  # as if it had run and finished before the hold
        await conn.execute(update(jobs).where(jobs.c.order_id == order_id).values(status="done"))
    assert (await post_form(client, page, f"{page}/release", {})).status_code == 303
    assert await _job_status(demo_runtime, order_id) == "queued"


async def test_a_running_dispatch_refuses_a_hold(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    order_id = await place_order(client, demo_runtime)
    async with demo_runtime.engine.begin() as conn:
        await conn.execute(update(jobs).where(jobs.c.order_id == order_id).values(status="running"))
    await sign_in(client, "owner@demo.test", "demo")
    page = f"/admin/orders/{order_id}"
    refused = await post_form(client, page, f"{page}/hold", {"reason": "wait"})
    assert refused.status_code == 409 and "at this moment" in refused.text
    assert (await _row(demo_runtime, order_id)).status == "Pending"


async def test_cancel_an_order_not_yet_sent(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    order_id = await place_order(client, demo_runtime)
    await sign_in(client, "owner@demo.test", "demo")
    page = f"/admin/orders/{order_id}"
    unconfirmed = await post_form(client, page, f"{page}/cancel", {"reason": "duplicate"})
    assert unconfirmed.status_code == 409 and "Yes, cancel this order" in unconfirmed.text
    assert (await _row(demo_runtime, order_id)).status == "Pending"
    done = await post_form(client, page, f"{page}/cancel", {"reason": "duplicate order", "confirm": "yes"})
    assert done.status_code == 303 and done.headers["location"].endswith("done=cancelled")
    assert tuple(await _row(demo_runtime, order_id)) == ("Cancelled", "duplicate order")
    assert await _job_status(demo_runtime, order_id) == "cancelled"
    last = (await _events(client, order_id))[-1]
    assert last["type"] == "order.cancelled" and last["data"]["reason"] == "duplicate order"
    assert (await call(client, "GET", f"/orders/{order_id}")).json()["status"] == "Cancelled"
    again = await post_form(client, page, f"{page}/cancel", {"confirm": "yes"})
    assert again.status_code == 409 and "can no longer be cancelled" in again.text
    assert (await call(client, "DELETE", f"/orders/{order_id}")).status_code == 501  # the API's stays as documented


async def test_cancel_reaches_pwinty(settings: Settings, tmp_path: Path) -> None:
    with pwinty_sandbox() as sandbox:
        runtime = await fulfilment_runtime(settings, tmp_path, sandbox, poll_interval=600)
        try:
            async with api_client(runtime) as client:
                order_id = await place(client, await styled_skus(runtime, "CG", "S"))
                await worker(runtime).run_until_idle()
                assert (await get_order(client, order_id))["status"] == "In Production"
                await make_user(runtime, "owner@shop.test")
                await sign_in(client, "owner@shop.test")
                page = f"/admin/orders/{order_id}"
                done = await post_form(client, page, f"{page}/cancel", {"confirm": "yes"})
                assert done.status_code == 303, done.text
                [at_pwinty] = sandbox_orders(sandbox)["orders"]
                assert at_pwinty["status"] == "Cancelled"
                assert (await get_order(client, order_id))["status"] == "Cancelled"
                last = (await _events(client, order_id))[-1]
                assert last["type"] == "order.cancelled" and "cancelled" in last["data"]["vendors"][0]
                assert await _job_status(runtime, order_id, "poll") == "cancelled"
        finally:
            await runtime.close()


async def test_image2art_cannot_cancel_and_the_page_says_so(settings: Settings, tmp_path: Path) -> None:
    with pwinty_sandbox() as sandbox, upstream_sandbox() as upstream:
        runtime = await fulfilment_runtime(settings, tmp_path, sandbox, image2art_url=upstream, poll_interval=600)
        try:
            async with runtime.engine.begin() as conn:
                await conn.execute(update(merchants).values(routing=UPSTREAM_ONLY))
            async with api_client(runtime) as client:
                order_id = await place(client, await styled_skus(runtime, "CG", "S"))
                await worker(runtime).run_until_idle()
                before = (await get_order(client, order_id))["status"]
                await make_user(runtime, "owner@shop.test")
                await sign_in(client, "owner@shop.test")
                page = f"/admin/orders/{order_id}"
                refused = await post_form(client, page, f"{page}/cancel", {"confirm": "yes"})
                assert refused.status_code == 409
                assert "was not cancelled" in refused.text and "Image2ART API cannot cancel" in refused.text
                assert (await get_order(client, order_id))["status"] == before
                assert "order.cancelled" not in [e["type"] for e in await _events(client, order_id)]
        finally:
            await runtime.close()


async def test_resend_a_callback_delivery(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    order_id = await place_order(client, demo_runtime)
    await sign_in(client, "owner@demo.test", "demo")
    page = f"/admin/orders/{order_id}"
    async with demo_runtime.engine.begin() as conn:
        await conn.execute(update(order_events).where(order_events.c.order_id == order_id).values(
            delivery_state="failed", delivery_attempts=15, delivery_error="gave up: HTTP 500"))
        event_id = (await conn.execute(select(order_events.c.event_id)
                                       .where(order_events.c.order_id == order_id))).scalars().first()
    assert "Send order.accepted again" not in (await client.get(page)).text  # no callback URL: no button
    no_url = await post_form(client, page, f"{page}/events/{event_id}/resend", {})
    assert no_url.status_code == 409 and "no callback URL" in no_url.text
    async with demo_runtime.engine.begin() as conn:
        await conn.execute(update(merchants).values(callback_url="https://shop.example/hooks"))
    demo_runtime.merchants.forget("testing")
    assert "Send order.accepted again" in (await client.get(page)).text
    resent = await post_form(client, page, f"{page}/events/{event_id}/resend", {})
    assert resent.status_code == 303
    async with demo_runtime.engine.connect() as conn:
        row = (await conn.execute(select(order_events).where(order_events.c.event_id == event_id))).one()
    assert (row.delivery_state, row.delivery_attempts, row.delivery_error) == ("pending", 0, "")
    assert await _job_status(demo_runtime, order_id, "notify") == "queued"
    missing = await post_form(client, page, f"{page}/events/evt_nosuch/resend", {})
    assert missing.status_code == 404


async def test_another_merchants_order_is_404_for_every_action(client: httpx.AsyncClient,
                                                               demo_runtime: Runtime) -> None:
    order_id = await place_order(client, demo_runtime)
    async with demo_runtime.engine.connect() as conn:
        event_id = (await conn.execute(select(order_events.c.event_id)
                                       .where(order_events.c.order_id == order_id))).scalars().first()
    await other_merchant(demo_runtime)
    await make_user(demo_runtime, "owner@other.test", merchant="othershop")
    await sign_in(client, "owner@other.test")
    csrf = csrf_of((await client.get("/admin/orders")).text)
    for action, data in [("hold", {"reason": "mine now"}), ("release", {}), ("cancel", {"confirm": "yes"}),
                         (f"events/{event_id}/resend", {})]:
        answer = await client.post(f"/admin/orders/{order_id}/{action}", data={"csrf": csrf, **data})
        assert answer.status_code == 404, action
    assert tuple(await _row(demo_runtime, order_id)) == ("Pending", "")


async def test_staff_may_hold_and_cancel(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    order_id = await place_order(client, demo_runtime)
    await make_user(demo_runtime, "staff@demo.test", role="staff")
    await sign_in(client, "staff@demo.test")
    page = f"/admin/orders/{order_id}"
    assert (await post_form(client, page, f"{page}/hold", {"reason": "staff check"})).status_code == 303
    assert (await post_form(client, page, f"{page}/cancel", {"confirm": "yes"})).status_code == 303
    assert (await _row(demo_runtime, order_id)).status == "Cancelled"


async def test_an_action_without_the_csrf_token_is_refused(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    order_id = await place_order(client, demo_runtime)
    await sign_in(client, "owner@demo.test", "demo")
    for action, data in [("hold", {"reason": "x"}), ("cancel", {"confirm": "yes"}), ("release", {})]:
        refused = await client.post(f"/admin/orders/{order_id}/{action}", data=data)
        assert refused.status_code == 403 and "security token" in refused.text
    assert tuple(await _row(demo_runtime, order_id)) == ("Pending", "")
    async with demo_runtime.engine.connect() as conn:
        assert not (await conn.execute(select(vendor_orders.c.id).where(vendor_orders.c.order_id == order_id))).all()


async def test_the_command_line_holds_releases_and_cancels_by_the_same_rules(client: httpx.AsyncClient,
                                                                             demo_runtime: Runtime) -> None:
    order_id = await place_order(client, demo_runtime)
    settings = demo_runtime.settings
    env = {"EASEL_DATA_DIR": str(settings.data_dir), "DATABASE_URL": settings.database_url,
           "EASEL_SECRET_KEY": settings.secret_key}

    def easel(*args: str) -> Result:
        return CliRunner().invoke(main, ["orders", *args], env=env, catch_exceptions=False)

    held = await anyio.to_thread.run_sync(easel, "hold", str(order_id), "--reason", "from the shell")
    assert held.exit_code == 0 and "On Hold" in held.output, held.output
    assert tuple(await _row(demo_runtime, order_id)) == ("On Hold", "from the shell")
    twice = await anyio.to_thread.run_sync(easel, "hold", str(order_id), "--reason", "again")
    assert twice.exit_code == 1 and "The order is On Hold" in twice.output
    assert (await anyio.to_thread.run_sync(easel, "release", str(order_id))).exit_code == 0
    cancelled = await anyio.to_thread.run_sync(easel, "cancel", str(order_id), "--reason", "by phone")
    assert cancelled.exit_code == 0 and "Cancelled" in cancelled.output, cancelled.output
    types = [e["type"] for e in await _events(client, order_id)]
    assert types[-3:] == ["order.on_hold", "order.processing", "order.cancelled"]
    missing = await anyio.to_thread.run_sync(easel, "cancel", "999999")
    assert missing.exit_code == 1 and "no order 999999" in missing.output


async def test_a_refused_cancel_leaves_the_orders_sending_as_it_was(client: httpx.AsyncClient,
                                                                    demo_runtime: Runtime) -> None:
    order_id = await place_order(client, demo_runtime)
    now = utcnow()
    async with demo_runtime.engine.begin() as conn:
        for position, (vendor, step) in enumerate([("pwinty", "planned"), ("pixelz", "submitted")]):
            await conn.execute(vendor_orders.insert().values(
                order_id=order_id, position=position, vendor=vendor, role="print", sandbox=True,
                reference=f"ES-T-{position}", vendor_ref="PZ-1" if step == "submitted" else None, step=step,
                progress=int(Progress.SENDING), vendor_status="", items=[], detail={}, created_at=now, updated_at=now))
    await sign_in(client, "owner@demo.test", "demo")
    page = f"/admin/orders/{order_id}"
    refused = await post_form(client, page, f"{page}/cancel", {"confirm": "yes"})
    assert refused.status_code == 409
    assert "pixelz cannot cancel orders through its API" in refused.text
    assert "Done meanwhile: pwinty never received ES-T-0" in refused.text
    assert (await _row(demo_runtime, order_id)).status == "Processing"  # as its live pixelz part says
    assert await _job_status(demo_runtime, order_id) == "queued"  # as it was before the attempt
    async with demo_runtime.engine.connect() as conn:
        cancelled = dict((await conn.execute(select(vendor_orders.c.vendor, vendor_orders.c.cancelled)
                                              .where(vendor_orders.c.order_id == order_id))).all())
    assert cancelled == {"pwinty": True, "pixelz": False}
    assert "order.cancelled" not in [e["type"] for e in await _events(client, order_id)]
