"""Trying a merchant's callback URL: a signed ``test`` event sent now, and the last deliveries' answers.

The test goes through the merchant callbacks' own outbound guard (``MerchantCallbacks.outbound``: no
private or loopback address unless ``EASEL_CALLBACKS_ALLOW_PRIVATE``) and is signed the same Standard
Webhooks way with the merchant's secret, so a receiver that accepts it accepts order events too. It is
not stored and belongs to no order.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..dispatch.merchant_callbacks import MerchantCallbacks
from ..dispatch.webhook_signature import signed_headers
from ..domain.merchants import Merchant
from ..outbound import OutboundFailed, OutboundRefused
from ..storage import merchants as merchant_store
from ..storage.tables import order_events

ANSWER_LIMIT = 1000


@dataclass(frozen=True)
class TestAnswer:
    ok: bool
    status: int | None
    answer: str
    event: dict[str, Any]


async def send_test_event(callbacks: MerchantCallbacks, merchant: Merchant) -> TestAnswer:
    """POST a signed ``test`` event to the merchant's callback URL and say what came back."""
    event_id = "evt_test_" + secrets.token_hex(8)
    now = callbacks.clock()
    event = {"type": "test", "timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
             "data": {"event_id": event_id, "message": "a test event from the easel admin panel"}}
    if not merchant.callback_url:
        return TestAnswer(False, None, "There is no callback URL to send to.", event)
    async with callbacks.engine.connect() as conn:
        secret = callbacks.secrets.decrypt(await merchant_store.encrypted_secret(conn, merchant.id))
    body = json.dumps(event, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "easel-webhooks",
               **signed_headers(secret, event_id, int(now.timestamp()), body)}
    try:
        response = await callbacks.outbound.post(merchant.callback_url, content=body, allowed_origins=None,
                                                 headers=headers)
    except OutboundRefused as err:
        return TestAnswer(False, None, f"easel will not post there: {err}", event)
    except OutboundFailed as err:
        return TestAnswer(False, None, f"no answer: {err or 'the connection failed'}", event)
    text = response.body.decode("utf-8", "replace")[:ANSWER_LIMIT]
    return TestAnswer(200 <= response.status < 300, response.status, text, event)


@dataclass(frozen=True)
class Delivery:
    order_id: int
    event_id: str
    type: str
    created_at: datetime
    state: str
    attempts: int
    answer: str
    delivered_at: datetime | None


async def recent_deliveries(callbacks: MerchantCallbacks, merchant_id: int, limit: int = 50) -> list[Delivery]:
    """The merchant's last ``limit`` order events with their delivery state and last answer."""
    async with callbacks.engine.connect() as conn:
        rows = (await conn.execute(select(order_events).where(order_events.c.merchant_id == merchant_id)
                                   .order_by(order_events.c.id.desc()).limit(limit))).all()
    return [Delivery(r.order_id, r.event_id, r.type, r.created_at, r.delivery_state, r.delivery_attempts,
                     r.delivery_error or ("2xx" if r.delivery_state == "delivered" else ""), r.delivered_at)
            for r in rows]
