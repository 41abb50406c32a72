"""What the admin panel does with a merchant's orders: find them, sum them up, tell their story, act.

Changing an order goes through the functions the order API and the CLI use (``Orders.update_shipping``
for ``PUT /orders/:id``, ``Dispatch.retry_job`` for ``easel jobs retry``, ``OrderActions`` for hold,
release, cancel and resending a callback, ``easel orders hold|release|cancel``), after checking here that
the order or job is the merchant's: a rule is never written twice, and another merchant's order is
simply not found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..dispatch import queue
from ..dispatch.order_actions import CancelOutcome, OrderActions
from ..dispatch.service import Dispatch
from ..domain.merchants import Merchant
from ..domain.orders import EDITABLE_STATUSES, OrderStatus, OrderUpdateRequest
from ..storage import order_search
from ..storage.order_search import Delivery, OrderFilter, OrderRow, ParkedJob
from ..storage.orders import StoredOrder
from ..storage.types import utcnow
from ..storage.vendor_call_counts import VendorRate
from .orders import Orders

ATTENTION_ROWS = 20  # per list on the dashboard; the orders list (filtered by status) has them all
CHART_DAYS = 30
STATUSES = tuple(s.value for s in OrderStatus)


@dataclass(frozen=True)
class Day:
    day: str  # YYYY-MM-DD
    orders: int
    cents: int


@dataclass
class Dashboard:
    today: dict[str, int]
    week: dict[str, int]
    on_hold: list[OrderRow]
    parked: list[ParkedJob]
    failing_callbacks: list[Delivery]
    days: list[Day] = field(default_factory=list)
    vendor_errors: list[VendorRate] = field(default_factory=list)
    """Vendors whose calls for the merchant failed in the last 24 hours."""

    @property
    def needs_attention(self) -> bool:
        return bool(self.on_hold or self.parked or self.failing_callbacks or self.vendor_errors)


@dataclass
class Timeline:
    order: StoredOrder
    deliveries: list[Delivery]
    parts: list[dict[str, Any]]
    jobs: list[queue.Job]
    editable: bool


class OrderDesk:
    def __init__(self, orders: Orders, dispatch: Dispatch) -> None:
        self.orders = orders
        self.engine = orders.engine
        self.dispatch = dispatch
        self.actions = OrderActions(dispatch)

    async def search(self, merchant: Merchant, wanted: OrderFilter, page: int, page_size: int,
                     count_max: int | None = None) -> tuple[list[OrderRow], int, bool]:
        """A page of orders, how many match and whether that is exact (see ``order_search.search``)."""
        async with self.engine.connect() as conn:
            return await order_search.search(conn, merchant.id, wanted, offset=(page - 1) * page_size,
                                             limit=page_size, count_max=count_max)

    async def dashboard(self, merchant: Merchant, now: datetime | None = None) -> Dashboard:
        """Counts since midnight UTC and since Monday, what needs a person, and the last 30 days."""
        now = now or utcnow()
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        monday = midnight - timedelta(days=midnight.weekday())
        first_day = midnight - timedelta(days=CHART_DAYS - 1)
        async with self.engine.connect() as conn:
            board = Dashboard(
                today=await order_search.counts_by_status(conn, merchant.id, midnight),
                week=await order_search.counts_by_status(conn, merchant.id, monday),
                on_hold=await order_search.on_hold(conn, merchant.id, ATTENTION_ROWS),
                parked=await order_search.parked_jobs(conn, merchant.id, ATTENTION_ROWS),
                failing_callbacks=await order_search.failing_callbacks(conn, merchant.id, ATTENTION_ROWS),
            )
            totals = await order_search.daily_totals(conn, merchant.id, first_day)
        rates = await self.dispatch.meter.rates(merchant.id)
        board.vendor_errors = [r for _, r in sorted(rates.items()) if r.errors]
        for n in range(CHART_DAYS):
            day = (first_day + timedelta(days=n)).strftime("%Y-%m-%d")
            count, cents = totals.get(day, (0, 0))
            board.days.append(Day(day, count, cents))
        return board

    async def timeline(self, merchant: Merchant, order_id: int) -> Timeline | None:
        """Everything about one of the merchant's orders, or None if it has no such order."""
        order = await self.orders.get(merchant, order_id)
        if order is None:
            return None
        async with self.engine.connect() as conn:
            deliveries = await order_search.deliveries(conn, merchant.id, order_id)
            parts = (await self.dispatch.describe(conn, order_id))["parts"]
            jobs = await queue.list_jobs(conn, order_id=order_id, limit=100)
        editable = order.status in {s.value for s in EDITABLE_STATUSES}
        return Timeline(order, deliveries, parts, jobs, editable)

    async def update_shipping(self, merchant: Merchant, order_id: int, request: OrderUpdateRequest) -> bool:
        """``PUT /orders/:id``'s own function: raises NotEditable once the order is in production."""
        return await self.orders.update_shipping(merchant, order_id, request)

    async def retry_job(self, merchant: Merchant, job_id: int) -> int | None:
        """``easel jobs retry`` for one of the merchant's jobs; returns its order, or None if there is no
        such job of theirs or it is not parked (or cancelled)."""
        async with self.engine.connect() as conn:
            order_id = await order_search.job_order(conn, merchant.id, job_id)
        if order_id is None or not await self.dispatch.retry_job(job_id):
            return None
        return order_id


    async def _mine(self, merchant: Merchant, order_id: int) -> bool:
        return await self.orders.get(merchant, order_id) is not None

    async def hold(self, merchant: Merchant, order_id: int, reason: str) -> bool:
        """Hold one of the merchant's orders (False: no such order of theirs); raises ``Refused``."""
        if not await self._mine(merchant, order_id):
            return False
        await self.actions.hold(order_id, reason)
        return True

    async def release(self, merchant: Merchant, order_id: int) -> bool:
        if not await self._mine(merchant, order_id):
            return False
        await self.actions.release(order_id)
        return True

    async def cancel(self, merchant: Merchant, order_id: int, reason: str = "") -> CancelOutcome | None:
        if not await self._mine(merchant, order_id):
            return None
        return await self.actions.cancel(merchant, order_id, reason)

    async def resend(self, merchant: Merchant, order_id: int, event_id: str) -> bool:
        if not await self._mine(merchant, order_id):
            return False
        await self.actions.resend(merchant.id, order_id, event_id)
        return True
