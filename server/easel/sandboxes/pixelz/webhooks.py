"""Webhooks as Pixelz sends them: signed, POSTed to the callback URL, tried four times, faulted on demand.

The body is signed with the document's recipe (base64 HMAC-SHA256 of the raw body) under the contact's
application secret, and under the partner's when the image was POSTed with a developerAPIkey. Tries go
out right after the image is finished, then after each gap of `webhook_retry_gaps`; a 200 makes the
image Delivered (80), each failure moves it to 72, 74, 76 and finally 78. The fault injector decides
each webhook's fate first: a dropped one is never sent (the image stays at 70, ready for download, so
only polling finds it), a duplicated one is sent twice, a reordered one after the next. Every webhook goes
through easel's outbound guard (`easel.outbound.Outbound`): an `imageCallbackURL` on loopback or a private
network is refused (a failed try) unless the guard allows private addresses.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from easel.outbound import Outbound, OutboundFailed, OutboundRefused
from easel.sandboxes.faults import FaultInjector
from easel.sandboxes.pixelz.settings import Account, PixelzSandboxSettings
from easel.tls import client_context

HEADER_NAMES = {
    "document": ("HTTP_X_PXZ_CUSTOMER_HMAC_SHA256", "HTTP_X_PXZ_PARTNER_HMAC_SHA256"),
    "plain": ("X-PXZ-CUSTOMER-HMAC-SHA256", "X-PXZ-PARTNER-HMAC-SHA256"),
}

DeliveryResult = Callable[[str, bool, int, bool], None]
"""(ticket, succeeded, attempt number, last attempt) -> None: how the sandbox learns each outcome."""


def signature(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


@dataclass(frozen=True)
class Webhook:
    ticket: str
    url: str
    payload: dict[str, Any]
    body: bytes
    headers: dict[str, str]


def build_webhook(
    settings: PixelzSandboxSettings, ticket: str, url: str, payload: dict[str, Any], account: Account,
    partner: Account | None,
) -> Webhook:  # fmt: skip
    """The exact bytes to send and the signature headers over them."""
    if settings.webhook_encoding == "json":
        body = json.dumps(payload, separators=(",", ":")).encode()
        content_type = "application/json; charset=UTF-8"
    else:
        body = urlencode(payload).encode()
        content_type = "application/x-www-form-urlencoded"
    customer_header, partner_header = HEADER_NAMES[settings.webhook_header_style]
    headers = {"Content-Type": content_type, customer_header: signature(body, account.secret)}
    if partner is not None:
        headers[partner_header] = signature(body, partner.secret)
    return Webhook(ticket, url, payload, body, headers)


def guard(client: httpx.AsyncClient, settings: PixelzSandboxSettings) -> Outbound:
    """The outbound guard webhooks go through when the sandbox was given none."""
    return Outbound(client, allow_private=settings.callbacks_allow_private, deadline=settings.callback_timeout)


@dataclass
class _Delivery:
    webhook: Webhook
    next_at: datetime
    attempts: int = 0


@dataclass
class WebhookSender:
    """Queues finished images' webhooks and sends those due; the sandbox's tick drives it."""

    settings: PixelzSandboxSettings
    faults: FaultInjector
    on_result: DeliveryResult
    outbound: Outbound | None = None
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    _fresh: list[tuple[Webhook, datetime]] = field(default_factory=list)
    _pending: list[_Delivery] = field(default_factory=list)

    def queue(self, webhook: Webhook, at: datetime) -> None:
        """A webhook whose first try is due at `at` (when the image finished)."""
        self._fresh.append((webhook, at))

    @property
    def pending(self) -> int:
        return len(self._fresh) + len(self._pending)

    async def send_due(self, now: datetime) -> None:
        """Send every try due by `now`. Tries are scheduled from the previous one's due time, not from
        when a tick got to it, so a clock jump replays the document's schedule exactly."""
        fresh, self._fresh = self._fresh, []
        self._pending.extend(_Delivery(w, at) for w, at in self.faults.outbound(fresh))
        due = [d for d in self._pending if d.next_at <= now]
        if not due:
            return
        async with AsyncExitStack() as stack:  # mounted without `running()`, a control tick still sends
            outbound = self.outbound
            if outbound is None:
                client = await stack.enter_async_context(
                    httpx.AsyncClient(timeout=self.settings.callback_timeout, verify=client_context()))
                outbound = guard(client, self.settings)
            for delivery in due:
                while delivery in self._pending and delivery.next_at <= now:
                    await self._send(delivery, outbound)

    async def _send(self, delivery: _Delivery, outbound: Outbound) -> None:
        webhook = delivery.webhook
        due = delivery.next_at
        delivery.attempts += 1
        status: int | None = None
        error: str | None = None
        try:
            response = await outbound.post(webhook.url, content=webhook.body, allowed_origins=None,
                                           headers=webhook.headers)
            status = response.status
        except OutboundRefused as err:
            error = f"refused: {err}"
        except OutboundFailed as err:
            error = str(err)
        ok = status == 200
        gaps = self.settings.webhook_retry_gaps
        last = ok or delivery.attempts > len(gaps)
        self.deliveries.append(
            {"ticket": webhook.ticket, "url": webhook.url, "attempt": delivery.attempts, "responseStatus": status,
             "error": error, "at": due.isoformat(), "payload": webhook.payload}
        )  # fmt: skip
        del self.deliveries[:-1000]
        if last:
            self._pending.remove(delivery)
        else:
            delivery.next_at = due + timedelta(seconds=gaps[delivery.attempts - 1])
        self.on_result(webhook.ticket, ok, delivery.attempts, last)
