"""Cross-vendor fallback: a part its vendor cannot take goes to the next vendor its routing lists, once.

A print part falls back when its vendor refuses it for good (a non-retryable ``VendorError``: product,
region, account; or no account/driver for it at all: :class:`Refused`), or stays unavailable for the
part's deadline (``fallback_after`` of the routing rule, else ``EASEL_VENDOR_FALLBACK_AFTER``), counted
from the first failure since the part last moved a step. Its items are routed again without the vendors
tried so far. If some item has no vendor left, nothing moves: after a refusal the order goes On Hold
with every vendor tried and why; an unavailable vendor is simply tried again (parked after the last
attempt, as any job). A driver that cannot take an order back (not :class:`~.drivers.base.Withdrawing`)
lets its part move only while it was never sent.

Exactly once across vendors, whatever crashes in between, like the drivers' own protocol: each step is
committed before the next, and dispatch resumes a part found in step ``withdrawing`` with :meth:`finish`.

1. **intent**: the part's step becomes ``withdrawing``, with the replacement plan (vendors, lines), the
   reason and the step it was in, in its detail;
2. **withdraw**: a part that never got past ``planned`` was never announced to its vendor (a create
   call that certainly made nothing puts it back there), so nothing is asked; otherwise the driver
   (:class:`~.drivers.base.Withdrawing`) finds the vendor order by our reference and cancels it, or
   confirms there is none. A vendor that refuses to cancel still holds a live order: the order goes On
   Hold instead of being placed twice;
3. **swap**, in one transaction: the part is cancelled (step ``withdrawn``, guarded), the replacement
   parts are inserted (new references ``<order>-<n>``, placed by their drivers' own exactly-once
   protocol) and ``order.rerouted`` is emitted to the merchant.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from ..domain.merchants import Merchant
from ..storage.orders import StoredOrder
from ..storage.tables import orders
from ..vendors.errors import VendorError
from ..vendors.mapping import ProductMap
from ..vendors.routing import NoAccount, Router, Unroutable, VendorAccount
from . import parts as part_store
from . import progress
from .drivers.base import Driver, Withdrawing
from .parts import WITHDRAWING, NewPart, Part
from .planner import CannotPlan, print_line, print_parts
from .worker import Park

REROUTED = "order.rerouted"
"""The event a merchant receives when items move to another vendor."""


AccountFor = Callable[..., Awaitable[VendorAccount]]
"""``Dispatch.account_for``: (merchant, vendor, *, is_test) → the account its order goes to."""


class Refused(Park):
    """The vendor cannot take the part at all (not installed here, no account for the order's mode)."""


class Fallback:
    def __init__(self, engine: AsyncEngine, *, router: Router, maps: Mapping[str, ProductMap],
                 drivers: Mapping[str, Driver], account_for: AccountFor, fallback_after: float,
                 clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.router = router
        self.maps = maps
        self.drivers = drivers
        self.account_for = account_for
        self.fallback_after = fallback_after
        self.clock = clock

    async def consider(self, order: StoredOrder, merchant: Merchant, part: Part, err: Exception) -> Part | None:
        """After ``err`` from submitting ``part``: the part, now ``withdrawing``, when it is to move to
        other vendors; None when ``err`` should take its course (retried, or parked). Raises
        :class:`Park` (On Hold) when the vendor refused and some item has no vendor left."""
        if part.role != "print":
            return None
        async with self.engine.connect() as conn:
            part = await part_store.get_part(conn, part.id) or part  # the step the failed attempt left
        if isinstance(err, VendorError) and err.retryable:
            why = await self._still_unavailable(part, err)
            if why is None:
                return None
        elif isinstance(err, (VendorError, Refused)):
            why = f"refused it: {err}"
        else:
            return None
        tried = [*part.detail.get("tried", []), {"vendor": part.vendor, "reason": why}]
        try:
            plan = self._replan(order, merchant, part, tried)
        except Park:
            if isinstance(err, VendorError) and err.retryable:
                return None  # nowhere else to go: keep retrying this vendor (parked after the last attempt)
            raise
        if part.step != "planned" and not isinstance(self.drivers.get(part.vendor), Withdrawing):
            return None  # it may hold an order that easel cannot take back: it stays where it is
        detail = {**part.detail, "withdraw": {"prior_step": part.step, "reason": why, "tried": tried,
                                              "plan": plan}}
        async with self.engine.begin() as conn:
            if not await part_store.begin_withdrawal(conn, part, detail):
                return None  # someone else moved it on: let this attempt's error take its course
            return await part_store.get_part(conn, part.id)

    async def _still_unavailable(self, part: Part, err: VendorError) -> str | None:
        """Why the part should leave its vendor (unavailable past its deadline), or None to keep trying.
        The first failure's time is kept in the part; the clock starts again when the part moves a step."""
        now = self.clock()
        since_text = part.detail.get("failing_since")
        if since_text is None or part.detail.get("failing_step") != part.step:
            async with self.engine.begin() as conn:
                await part_store.set_detail(conn, part.id, {**part.detail, "failing_since": now.isoformat(),
                                                            "failing_step": part.step})
            since = now
        else:
            since = datetime.fromisoformat(str(since_text))
        deadline = min((float(line.get("fallback_after", self.fallback_after)) for line in part.items),
                       default=self.fallback_after)
        if now - since < timedelta(seconds=deadline):
            return None
        return f"unavailable for {_duration(now - since)}: {err}"

    def _replan(self, order: StoredOrder, merchant: Merchant, part: Part,
                tried: list[dict[str, str]]) -> list[dict[str, Any]]:
        """The replacement parts (as stored in the intent), or :class:`Park` naming every vendor tried."""
        exclude = {t["vendor"] for t in tried}
        items = {item.id: item for item in order.items}
        printing: dict[str, list[dict[str, Any]]] = {}
        for line in part.items:
            item = items[int(line["item_id"])]
            try:
                route = self.router.route(merchant.routing, item.choices, exclude=exclude)
                new = print_line(item, route, self.maps, str(line["image_url"]))
            except (Unroutable, CannotPlan, ValueError) as err:
                raise Park(_no_vendor_left(item.position, item.sku, tried, err)) from None
            new["retouch"] = line.get("retouch")
            printing.setdefault(route.vendor, []).append(new)
        sandbox = order.is_test or merchant.test_mode
        return [{"vendor": p.vendor, "sandbox": p.sandbox, "items": p.items, "detail": p.detail}
                for p in print_parts(order, self.maps, printing, lambda vendor: sandbox,
                                     {"tried": tried, "replaces": part.reference})]

    async def finish(self, order: StoredOrder, merchant: Merchant, part: Part) -> None:
        """Withdraw ``part`` (in step ``withdrawing``) from its vendor, then swap in its replacements."""
        intent = part.detail["withdraw"]
        withdrawal = await self._withdraw(order, merchant, part, intent)
        plan = intent["plan"]
        async with self.engine.begin() as conn:
            if not await part_store.end_withdrawal(conn, part.id):
                return  # another run swapped it already
            first = await part_store.next_position(conn, order.id)
            await part_store.insert_parts(conn, order.id, order.reference, [
                NewPart(p["vendor"], "print", bool(p["sandbox"]), p["items"], p["detail"]) for p in plan],
                first_position=first)
            status = (await conn.execute(select(orders.c.status).where(orders.c.id == order.id))).scalar()
            await progress.emit(conn, order.id, order.merchant_id, REROUTED, {
                "status": status, "from": part.vendor, "to": [p["vendor"] for p in plan],
                "reason": f"{part.vendor} {intent['reason']}", "withdrawal": withdrawal,
                "items": sorted(int(line["position"]) + 1 for line in part.items)})
            await progress.refresh_status(conn, order.id)

    async def _withdraw(self, order: StoredOrder, merchant: Merchant, part: Part, intent: Mapping[str, Any]) -> str:
        if intent["prior_step"] == "planned":
            return f"{part.vendor} never received it"
        to = ", ".join(p["vendor"] for p in intent["plan"])
        driver = self.drivers.get(part.vendor)
        if not isinstance(driver, Withdrawing):
            raise Park(f"{part.vendor} {intent['reason']}; its order {part.reference} may exist there and easel "
                       f"cannot take orders back from {part.vendor}, so it was not moved to {to}")
        try:
            account = await self.account_for(merchant, part.vendor, is_test=order.is_test)
        except NoAccount as err:
            raise Park(f"cannot withdraw order {part.reference} from {part.vendor}: {err}") from None
        try:
            return await driver.withdraw(account, part)
        except VendorError as err:
            if err.retryable:
                raise
            raise Park(f"{part.vendor} {intent['reason']}; it still holds order {part.reference} and refused to "
                       f"cancel it ({err.message}), so it was not moved to {to}") from err


def _no_vendor_left(position: int, sku: str, tried: list[dict[str, str]], err: Exception) -> str:
    tries = "; ".join(f"{t['vendor']} {t['reason']}" for t in tried)
    rest = str(err)
    others = "" if rest.startswith("no installed vendor is routed") else f"; {rest}"
    return f"no vendor left for item {position + 1} ({sku}): {tries}{others}"


def _duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    if seconds >= 60:
        return f"{seconds // 60} min"
    return f"{seconds} s"


__all__ = ["REROUTED", "WITHDRAWING", "Fallback", "Refused"]
