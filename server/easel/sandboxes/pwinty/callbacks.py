"""Callbacks as Pwinty sends them: POSTed to the account's callback URL, retried until a 200, faulted on demand.

At Pwinty each account sets its callback URL in the dashboard; here it is `callback_urls` (per
MerchantId, also settable with `POST /_control/callbacks`), or `callback_url` for accounts without one.
Each status or shipment change queues one payload for its account. The fault injector decides its fate
first (dropped, duplicated or held back behind the next one); then it goes out on the next tick and, until
the receiver answers 200, again after `callback_retry_base` seconds, doubling each time (at most six hours
apart), up to `callback_max_attempts` tries. Every callback goes through easel's outbound guard
(`easel.outbound.Outbound`), so it reaches loopback or private addresses only when the guard allows it.
Nothing is sent while there is no guard or no callback URL for the account.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from easel.outbound import Outbound, OutboundFailed, OutboundRefused
from easel.sandboxes.clock import SandboxClock
from easel.sandboxes.faults import FaultInjector
from easel.sandboxes.pwinty.settings import PwintySandboxSettings
from easel.sandboxes.pwinty.views import ts


@dataclass
class _Delivery:
    merchant: str
    payload: dict[str, Any]
    next_at: datetime
    attempts: int = 0


class CallbackSender:
    """Queues the callbacks of order changes and sends those due; the sandbox's tick drives it."""

    def __init__(self, settings: PwintySandboxSettings, clock: SandboxClock, faults: FaultInjector) -> None:
        self.settings = settings
        self.clock = clock
        self.faults = faults
        self.url = settings.callback_url
        """The callback URL of every account without one of its own."""
        self.urls: dict[str, str] = dict(settings.callback_urls)
        self.outbound: Outbound | None = None
        """The one given to `create_app`, or the sandbox's own while it is `running()`; None sends nothing."""
        self.deliveries: list[dict[str, Any]] = []
        self._fresh: list[tuple[str, dict[str, Any]]] = []
        self._pending: list[_Delivery] = []

    def url_for(self, merchant: str) -> str | None:
        """Where an account's callbacks go; None sends none."""
        return self.urls.get(merchant) or self.url

    def queue(self, merchant: str, payload: dict[str, Any]) -> None:
        """A callback of `merchant`'s order to send from the next tick on."""
        self._fresh.append((merchant, payload))

    @property
    def pending(self) -> int:
        return len(self._pending) + len(self._fresh)

    def drop_pending(self) -> None:
        """Give up the callbacks already being tried (those not yet through the fault injector stay)."""
        self._pending.clear()

    async def send_due(self, now: datetime) -> None:
        """Pass the fresh callbacks through the fault injector, then try every one due by `now`."""
        fresh, self._fresh = self._fresh, []
        self._pending.extend(_Delivery(m, p, now) for m, p in self.faults.outbound(fresh))
        due = [d for d in self._pending if d.next_at <= now]
        for delivery in due:
            await self._deliver(delivery)

    async def _deliver(self, delivery: _Delivery) -> None:
        url = self.url_for(delivery.merchant)
        if self.outbound is None or url is None:
            return
        delivery.attempts += 1
        status: int | None = None
        error: str | None = None
        try:
            response = await self.outbound.post(url, content=json.dumps(delivery.payload).encode(),
                                                allowed_origins=None, headers={"Content-Type": "application/json"})
            status = response.status
        except OutboundRefused as err:
            error = f"refused: {err}"
        except OutboundFailed as err:
            error = str(err)
        now = self.clock.now()
        self.deliveries.append(
            {
                "at": ts(now, z=True),
                "merchantId": delivery.merchant,
                "orderId": delivery.payload["orderId"],
                "status": delivery.payload["status"],
                "attempt": delivery.attempts,
                "responseStatus": status,
                "error": error,
                "payload": delivery.payload,
            }
        )
        del self.deliveries[:-1000]
        if status == 200 or delivery.attempts >= self.settings.callback_max_attempts:
            self._pending.remove(delivery)
        else:
            gap = self.settings.callback_retry_base * 2 ** (delivery.attempts - 1)
            delivery.next_at = now + timedelta(seconds=min(gap, 6 * 3600))
