"""Delivering order events to merchants' callback URLs: signed, in order per order, retried for a day.

One ``notify`` job per order walks the order's events oldest first. An event is delivered when the
merchant answers 2xx; until then the events after it wait (so a merchant never sees "shipped" before
"in production"). A failed attempt schedules the next one after a growing gap (``backoff.CALLBACK_GAPS``:
15 attempts over 25 hours); after the last, the event is marked ``failed`` and the next one goes.
A URL the SSRF guard refuses (a private address) fails at once. Each attempt is signed afresh
(``webhook_signature``, with the ``standardwebhooks`` library) with the same ``webhook-id``, the event
id. Nothing depends on delivery alone: ``GET /orders/:id/events`` lists the same events.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from ..outbound import Outbound, OutboundFailed, OutboundRefused
from ..secret_box import SecretBox
from ..storage import merchants as merchant_store
from ..storage.tables import order_events, orders
from .backoff import callback_gap
from .queue import Job
from .webhook_signature import signed_headers
from .worker import Reschedule

PENDING, DELIVERED, FAILED, SKIPPED = "pending", "delivered", "failed", "skipped"


def event_body(event: Any, order: Any) -> bytes:
    """The JSON posted for one event (Standard Webhooks' ``type``/``timestamp``/``data`` shape)."""
    payload = {
        "type": event.type,
        "timestamp": event.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "data": {"event_id": event.event_id, "order_id": event.order_id,
                 "external_order_number": order.external_order_number, "is_test": bool(order.is_test),
                 **dict(event.data)},
    }
    return json.dumps(payload, separators=(",", ":"), default=str).encode()


class MerchantCallbacks:
    def __init__(self, engine: AsyncEngine, secrets: SecretBox, outbound: Outbound, *,
                 clock: Callable[[], datetime], rng: random.Random | None = None) -> None:
        self.engine = engine
        self.secrets = secrets
        self.outbound = outbound
        self.clock = clock
        self.rng = rng or random.Random()

    async def deliver(self, job: Job) -> None:
        """The ``notify`` job: deliver the order's pending events in order until one has to wait."""
        order_id = int(job.payload["order_id"])
        async with self.engine.connect() as conn:
            order = (await conn.execute(select(orders).where(orders.c.id == order_id))).first()
            if order is None:
                return
            merchant = await merchant_store.merchant_by_id(conn, order.merchant_id)
            encrypted = await merchant_store.encrypted_secret(conn, order.merchant_id)
        if merchant is None:
            return
        if not merchant.callback_url:
            await self._mark_all(order_id, SKIPPED, "no callback URL")
            return
        secret = self.secrets.decrypt(encrypted)
        while True:
            async with self.engine.connect() as conn:
                event = (await conn.execute(
                    select(order_events).where(order_events.c.order_id == order_id,
                                               order_events.c.delivery_state == PENDING)
                    .order_by(order_events.c.id).limit(1))).first()
            if event is None:
                return
            now = self.clock()
            if event.delivery_next_at is not None and event.delivery_next_at > now:
                raise Reschedule(event.delivery_next_at, f"event {event.event_id}: next attempt")
            body = event_body(event, order)
            headers = {"Content-Type": "application/json", "User-Agent": "easel-webhooks",
                       **signed_headers(secret, event.event_id, int(now.timestamp()), body)}
            error = ""
            try:
                response = await self.outbound.post(merchant.callback_url, content=body, allowed_origins=None,
                                                    headers=headers)
                if not 200 <= response.status < 300:
                    error = f"HTTP {response.status}"
            except OutboundRefused as err:
                await self._set(event.id, FAILED, attempts=event.delivery_attempts + 1, error=f"refused: {err}")
                continue
            except OutboundFailed as err:
                error = str(err) or "no answer"
            attempts = event.delivery_attempts + 1
            if not error:
                await self._set(event.id, DELIVERED, attempts=attempts, delivered_at=self.clock())
                continue
            gap = callback_gap(attempts, self.rng)
            if gap is None:
                await self._set(event.id, FAILED, attempts=attempts, error=f"gave up: {error}")
                continue
            await self._set(event.id, PENDING, attempts=attempts, error=error, next_at=now + gap)
            raise Reschedule(now + gap, f"event {event.event_id}: {error}")

    async def _set(self, event_pk: int, state: str, *, attempts: int, error: str = "",
                   next_at: datetime | None = None, delivered_at: datetime | None = None) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(update(order_events).where(order_events.c.id == event_pk).values(
                delivery_state=state, delivery_attempts=attempts, delivery_error=error[:2000],
                delivery_next_at=next_at, delivered_at=delivered_at))

    async def _mark_all(self, order_id: int, state: str, error: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(update(order_events).where(order_events.c.order_id == order_id,
                                                          order_events.c.delivery_state == PENDING)
                               .values(delivery_state=state, delivery_error=error))
