"""Status callbacks to the merchant: Standard Webhooks signatures, in order per order, retried with
growing gaps for more than a day, and nothing lost while the receiver is down for an hour."""

from __future__ import annotations

import itertools
import random
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from easel.client import verify_webhook
from easel.demo.seed import DEMO_SECRET
from easel.dispatch.backoff import CALLBACK_ATTEMPTS, CALLBACK_GAPS, callback_gap
from easel.dispatch.webhook_signature import WebhookVerificationError, sign, signed_headers, verify
from easel.settings import Settings
from easel.storage import merchants as merchant_store

from .dispatch_helpers import FakeClock, api_client, fulfilment_runtime, place, pwinty_sandbox, styled_skus, worker
from .orders_helpers import call
from .sandbox_access import CONTROL
from .servers import run_asgi

pytestmark = pytest.mark.anyio


def test_signature_is_the_standard_webhooks_one() -> None:
    # Standard Webhooks' published test vector.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    assert sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == (
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    headers = signed_headers("s3cret", "evt_1", 1000, body)
    verify("s3cret", headers, body, now=1000)
    with pytest.raises(WebhookVerificationError):
        verify("s3cret", headers, body + b" ", now=1000)
    with pytest.raises(WebhookVerificationError):
        verify("s3cret", headers, body, now=1000 + 301)


def test_the_schedule_makes_fifteen_attempts_over_more_than_a_day_with_growing_gaps() -> None:
    rng = random.Random(1)
    gaps = [callback_gap(n, rng) for n in range(1, CALLBACK_ATTEMPTS + 1)]
    assert gaps[-1] is None and CALLBACK_ATTEMPTS >= 15
    real = [g for g in gaps if g is not None]
    assert all(a < b for a, b in itertools.pairwise(real))
    assert sum(real, timedelta()) >= sum(CALLBACK_GAPS, timedelta()) >= timedelta(hours=24)


class Receiver:
    def __init__(self) -> None:
        self.down = False
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.refused = 0

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        if self.down:
            self.refused += 1
            return Response("down for maintenance", 503)
        self.received.append((dict(request.headers), body))
        return Response("ok")


async def test_receiver_down_for_an_hour_gets_every_event_afterwards_in_order(settings: Settings,
                                                                             tmp_path: Path) -> None:
    receiver = Receiver()
    clock = FakeClock()
    with pwinty_sandbox() as sandbox, run_asgi(Starlette(routes=[Route("/hook", receiver.endpoint,
                                                                       methods=["POST"])])) as hook:
        runtime = await fulfilment_runtime(settings, tmp_path, sandbox, clock=clock, callbacks_allow_private=True,
                                           poll_interval=300)
        try:
            async with runtime.engine.begin() as conn:
                merchant = await merchant_store.merchant_by_username(conn, "testing")
                assert merchant is not None
                await merchant_store.update_merchant(conn, merchant.id, {"callback_url": f"{hook}/hook"})
            async with api_client(runtime) as client:
                receiver.down = True
                ids = [await place(client, await styled_skus(runtime, "CG", "S")) for _ in range(2)]
                run = worker(runtime)
                await run.run_until_idle()
                httpx.post(f"{sandbox}/_control/clock", json={"advance": 3 * 86400}, headers=CONTROL)  # noqa: ASYNC210
                for _ in range(12):  # an hour passes in 5-minute steps; the order ships meanwhile
                    clock.advance(300)
                    await run.run_until_idle()
                assert receiver.received == [] and receiver.refused >= 6
                receiver.down = False
                for _ in range(48):  # up to four more hours
                    clock.advance(300)
                    await run.run_until_idle()
                for order_id in ids:
                    events = (await call(client, "GET", f"/orders/{order_id}/events")).json()["events"]
                    expected = [e["id"] for e in events]
                    assert [e["type"] for e in events][-1] == "order.shipped"
                    got = []
                    for headers, body in receiver.received:
                        event = verify_webhook(DEMO_SECRET, headers, body, tolerance=10**9)
                        assert headers["webhook-id"] == event["data"]["event_id"]
                        if event["data"]["order_id"] == order_id:
                            got.append(headers["webhook-id"])
                    assert got == expected
        finally:
            await runtime.close()


async def test_a_private_callback_url_is_refused_without_trying(settings: Settings, tmp_path: Path) -> None:
    runtime = await fulfilment_runtime(settings, tmp_path, "http://127.0.0.1:9", poll_interval=300)
    try:
        async with runtime.engine.begin() as conn:
            merchant = await merchant_store.merchant_by_username(conn, "testing")
            assert merchant is not None
            await merchant_store.update_merchant(conn, merchant.id, {"callback_url": "http://169.254.169.254/x"})
        async with api_client(runtime) as client:
            order_id = await place(client, await styled_skus(runtime, "CG", "S"))
            await runtime.dispatch.callbacks.deliver(_job(order_id))
            from sqlalchemy import select

            from easel.storage.tables import order_events
            async with runtime.engine.connect() as conn:
                row = (await conn.execute(select(order_events).where(order_events.c.order_id == order_id))).first()
            assert row is not None and row.delivery_state == "failed" and "refused" in row.delivery_error
    finally:
        await runtime.close()


def _job(order_id: int) -> Any:
    from datetime import UTC, datetime

    from easel.dispatch.queue import Job

    now = datetime.now(UTC)
    return Job(0, "notify", f"notify:{order_id}", {"order_id": order_id}, order_id, "running", 0, 1, 12, now, None,
               None, "", now, now)
