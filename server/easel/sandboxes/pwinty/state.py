"""The sandbox's orders and how they move on the sandbox clock: created, filled with images, submitted
(or awaiting payment, or cancelled until the lab takes them), one shipment per product family (its carrier
named at submission, its id at allocation) then shipped with tracking, the order becoming Complete, one
callback per change."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import anyio
import httpx

from easel.outbound import Outbound
from easel.sandboxes.clock import SandboxClock, ticking
from easel.sandboxes.faults import FaultInjector
from easel.sandboxes.pwinty.callbacks import CallbackSender
from easel.sandboxes.pwinty.catalogue import TRACKING_URLS, carrier
from easel.sandboxes.pwinty.envelope import PwintyApiError, error_envelope
from easel.sandboxes.pwinty.orders import Image, Order, Shipment, families
from easel.sandboxes.pwinty.settings import PwintySandboxSettings
from easel.sandboxes.pwinty.submission import submission
from easel.sandboxes.pwinty.views import callback_payload
from easel.tls import client_context


class PwintySandbox:
    """The state and behaviour behind the routes; one per app."""

    def __init__(
        self,
        settings: PwintySandboxSettings,
        clock: SandboxClock,
        outbound: Outbound | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.faults = FaultInjector(settings.faults, error_response=error_envelope)
        self.orders: dict[int, Order] = {}
        self.callbacks = CallbackSender(settings, clock, self.faults)
        self.callbacks.outbound = outbound
        self._order_ids = itertools.count(settings.first_order_id)
        self._image_ids = itertools.count(settings.first_image_id)
        self._shipment_ids = itertools.count(settings.first_shipment_id)
        self._tick_lock = anyio.Lock()

    @property
    def callback_url(self) -> str | None:
        """Where callbacks go for accounts without a URL of their own; None sends none."""
        return self.callbacks.url

    @callback_url.setter
    def callback_url(self, url: str | None) -> None:
        self.callbacks.url = url

    def set_callback_url(self, merchant: str, url: str | None) -> None:
        """An account's callback URL (what its owner sets in Pwinty's dashboard); None removes it."""
        if url is None:
            self.callbacks.urls.pop(merchant, None)
        else:
            self.callbacks.urls[merchant] = url

    @property
    def deliveries(self) -> list[dict[str, Any]]:
        """The callback delivery log, newest last (the last 1000)."""
        return self.callbacks.deliveries

    # -- lifecycle --------------------------------------------------------------------------------

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Own an outbound guard for callbacks (unless given one) and tick in the background while inside."""
        async with AsyncExitStack() as stack:
            owned = self.callbacks.outbound is None
            if owned:
                client = await stack.enter_async_context(
                    httpx.AsyncClient(timeout=self.settings.callback_timeout, verify=client_context()))
                self.callbacks.outbound = Outbound(client, allow_private=self.settings.callbacks_allow_private,
                                                   deadline=self.settings.callback_timeout)
            try:
                async with ticking(self.tick, self.settings.tick_seconds, "pwinty sandbox"):
                    yield
            finally:
                if owned:
                    self.callbacks.outbound = None

    async def tick(self) -> None:
        """Progress orders to the clock's now, then send the callbacks that are due."""
        async with self._tick_lock:
            now = self.clock.now()
            self.progress(now)
            await self.callbacks.send_due(now)

    # -- progress on the clock --------------------------------------------------------------------

    def progress(self, now: datetime) -> None:
        """Apply every allocation and shipping due by `now`, in time order, one callback per change."""
        steps: list[tuple[datetime, int, Shipment, str]] = []
        for order in self.orders.values():
            if order.status != "Submitted":
                continue
            for sh in order.shipments:
                if sh.id is None and sh.allocate_at <= now:
                    steps.append((sh.allocate_at, order.id, sh, "allocate"))
                if sh.shipped_on is None and sh.ship_at <= now:
                    steps.append((sh.ship_at, order.id, sh, "ship"))
        steps.sort(key=lambda s: (s[0], s[1], s[3] != "allocate"))
        for (when, order_id), group in itertools.groupby(steps, key=lambda s: (s[0], s[1])):
            order = self.orders[order_id]
            for _, _, sh, action in group:
                if action == "allocate" or sh.id is None:
                    sh.id = str(next(self._shipment_ids))
                if action == "ship":
                    sh.shipped_on = when
                    if sh.carrier in TRACKING_URLS:
                        sh.tracking_number = f"PW{sh.id}{order.country}"
            if all(sh.shipped_on for sh in order.shipments):
                order.status = "Complete"
            order.last_updated = when
            self._emit(order, when)

    def _emit(self, order: Order, when: datetime) -> None:
        if not self.callbacks.url_for(order.merchant):
            return
        self.callbacks.queue(order.merchant, callback_payload(order, when))

    # -- changes ----------------------------------------------------------------------------------

    def create_order(self, merchant: str, fields: dict[str, Any], now: datetime) -> Order:
        order = Order(next(self._order_ids), merchant, fields, now, now)
        self.orders[order.id] = order
        return order

    def add_images(self, order: Order, parsed: list[dict[str, Any]], now: datetime) -> list[Image]:
        """Images already validated (a batch is all or nothing), 'downloaded' `download_delay` from now."""
        at = now + timedelta(seconds=self.settings.download_delay)
        images = [Image(next(self._image_ids), download_at=at, **p) for p in parsed]
        order.images.extend(images)
        order.last_updated = now
        return images

    def change_status(self, order: Order, target: str, now: datetime) -> None:
        """Submitted, AwaitingPayment or Cancelled, when the order's status allows it and it is valid."""
        allowed = {
            "Submitted": order.status in ("NotYetSubmitted", "AwaitingPayment"),
            "AwaitingPayment": order.status == "NotYetSubmitted" and order.fields["payment"] == "InvoiceRecipient",
            "Cancelled": order.cancellable,
        }[target]
        if not allowed:
            raise PwintyApiError(
                400, f"Transition to state {target} from status {order.status} for order {order.id} is not valid"
            )
        if target in ("Submitted", "AwaitingPayment"):
            for image in order.images:  # Pwinty downloads every image before it accepts an order
                image.download_at = min(image.download_at, now)
            check = submission(self.settings, order, now)
            if not check["isValid"]:
                raise PwintyApiError(400, f"Order {order.id} cannot be submitted: {', '.join(check['generalErrors'])}")
        order.status = target
        order.last_updated = now
        if target == "Submitted":
            order.shipments = self._plan_shipments(order, now)
        if target == "AwaitingPayment":
            order.payment_url = f"https://sandbox.pwinty.com/pay/{order.id}"
        else:
            self._emit(order, now)

    def _plan_shipments(self, order: Order, now: datetime) -> list[Shipment]:
        s = self.settings
        return [
            Shipment(
                family,
                ids,
                allocate_at=now + timedelta(seconds=s.allocate_delay),
                ship_at=now + timedelta(seconds=max(s.ship_delay, s.allocate_delay) + n * s.ship_stagger),
                carrier=carrier(order.country, order.method),  # named from submission on, as the live API does
            )
            for n, (family, ids) in enumerate(families(order.images).items())
        ]
