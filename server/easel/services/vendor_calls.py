"""Each vendor's recent error rate per merchant: counted in memory as calls are made, written in batches.

Every attempt of a vendor API call passes through ``vendors/base.py``, which tells the tally of the task
making it (``count_calls_for``, set where dispatch picks the merchant's account). Counting there costs a dict
update, never a statement: :class:`CallMeter` adds up calls and failures per (merchant, vendor, hour) and
:meth:`CallMeter.run` writes them every ``EASEL_VENDOR_STATS_FLUSH`` seconds with one upsert (and once more
when the process stops). It holds at most ``EASEL_VENDOR_STATS_KEYS`` keys between writes; calls beyond
that are not counted (and said so in the log), so a burst cannot grow it without bound. A failed write keeps
the counts for the next one. The last error kept is redacted (``easel.redact``): no key, token or signature.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import anyio
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from ..redact import redact_text
from ..storage import vendor_call_counts as store
from ..storage.types import utcnow
from ..storage.vendor_call_counts import HourCount, VendorRate
from ..vendors.base import Tally
from ..vendors.errors import VendorError

log = logging.getLogger("easel.vendors.calls")

RECENT = timedelta(hours=24)
"""What "recent" means for error rates on the panel."""


@dataclass
class _Count:
    calls: int = 0
    errors: int = 0
    last_error: str = ""


class CallMeter:
    def __init__(self, engine: AsyncEngine, *, max_keys: int = 10_000, flush_every: float = 5.0,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.max_keys = max(1, max_keys)
        self.flush_every = flush_every
        self.clock = clock
        self._counts: dict[tuple[int, str, datetime], _Count] = {}
        self._dropped = 0
        self._lock = anyio.Lock()

    def tally_for(self, merchant_id: int) -> Tally:
        """What ``vendors.base.count_calls_for`` takes: counts each call as the merchant's."""
        def tally(vendor: str, error: VendorError | None) -> None:
            self.record(merchant_id, vendor, error)
        return tally

    def record(self, merchant_id: int, vendor: str, error: VendorError | None) -> None:
        hour = self.clock().replace(minute=0, second=0, microsecond=0)
        key = (merchant_id, vendor, hour)
        count = self._counts.get(key)
        if count is None:
            if len(self._counts) >= self.max_keys:
                self._dropped += 1
                return
            count = self._counts[key] = _Count()
        count.calls += 1
        if error is not None:
            count.errors += 1
            count.last_error = redact_text(str(error))[:store.LAST_ERROR_LIMIT]

    @property
    def pending(self) -> int:
        """Keys counted and not yet written."""
        return len(self._counts)

    async def flush(self) -> None:
        """Write what was counted since the last write (one statement); on failure keep it for the next."""
        async with self._lock:
            taken, self._counts = self._counts, {}
            dropped, self._dropped = self._dropped, 0
            if dropped:
                log.warning("%d vendor calls were not counted: more than %d merchant/vendor/hour keys between "
                            "writes (EASEL_VENDOR_STATS_KEYS)", dropped, self.max_keys)
            if not taken:
                return
            rows = [HourCount(m, v, h, c.calls, c.errors, c.last_error) for (m, v, h), c in taken.items()]
            try:
                async with self.engine.begin() as conn:
                    await store.add(conn, rows)
            except (SQLAlchemyError, OSError) as err:
                log.warning("vendor call counts not written, kept for the next try: %s", type(err).__name__)
                self._merge_back(taken)

    def _merge_back(self, taken: dict[tuple[int, str, datetime], _Count]) -> None:
        for key, old in taken.items():
            now = self._counts.get(key)
            if now is None:
                if len(self._counts) >= self.max_keys:
                    self._dropped += old.calls
                    continue
                self._counts[key] = old
            else:
                now.calls += old.calls
                now.errors += old.errors
                now.last_error = now.last_error or old.last_error

    async def run(self) -> None:
        """Write the counts every ``flush_every`` seconds until cancelled, then once more."""
        try:
            while True:
                await anyio.sleep(self.flush_every)
                await self.flush()
        finally:
            with anyio.CancelScope(shield=True):
                await self.flush()

    async def rates(self, merchant_id: int, since: datetime | None = None) -> dict[str, VendorRate]:
        """Calls, failures and the latest error per vendor for the merchant over the last 24 hours (what is
        still in memory here is written first, so a page shows this process's latest calls too)."""
        await self.flush()
        start = (since or self.clock() - RECENT).replace(minute=0, second=0, microsecond=0)
        async with self.engine.connect() as conn:
            return await store.rates_since(conn, merchant_id, start)
