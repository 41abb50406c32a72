"""Assembling fulfilment from settings: installed drivers, mapping tables, rules, accounts, the service.

Adding a vendor means adding its driver to :func:`installed_drivers` (and its module, mapping table and
sandbox); everything else is found from here. Mapping tables are loaded and checked at start-up, so a
bad table stops easel with one sentence instead of failing an order later.

Vendor accounts come from `EASEL_VENDOR_ACCOUNTS` only, unless ``builtin_sandboxes`` is asked for (the
demo, which mounts them): then each vendor's built-in sandbox account is the default for test orders.
A production server never sends a test order to a sandbox that nobody configured.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from ..domain.options import OptionTables
from ..outbound import Outbound
from ..secret_box import SecretBox
from ..services.vendor_accounts import OwnAccountCache
from ..services.vendor_calls import CallMeter
from ..settings import Settings
from ..vendors.mapping import load_product_map
from ..vendors.routing import Router, load_accounts
from .backoff import RetryPolicy
from .drivers.base import Driver
from .drivers.image2art import Image2ArtDriver
from .drivers.pixelz import PixelzDriver
from .drivers.pwinty import PwintyDriver
from .print_masters import LocalMasters
from .service import Dispatch
from .worker import Worker

RETOUCHERS = frozenset({"pixelz"})
"""Vendors that work on an image before it is printed (no mapping table: they print nothing)."""


def installed_drivers(http: httpx.AsyncClient, guard: Outbound | None = None) -> dict[str, Driver]:
    """One driver per vendor; ``guard`` checks and pins every call made with a merchant's own account."""
    return {"pwinty": PwintyDriver(http, guard=guard), "image2art": Image2ArtDriver(http, guard=guard),
            "pixelz": PixelzDriver(http, guard=guard)}


def build_dispatch(settings: Settings, engine: AsyncEngine, secrets: SecretBox, tables: OptionTables,
                   http: httpx.AsyncClient, *, drivers: dict[str, Driver] | None = None,
                   outbound: Outbound | None = None, builtin_sandboxes: bool = False) -> Dispatch:
    outbound = outbound or Outbound(http, allow_private=settings.callbacks_allow_private)
    drivers = drivers if drivers is not None else installed_drivers(http, outbound)
    retouchers = [vendor for vendor in drivers if vendor in RETOUCHERS]
    maps = {vendor: load_product_map(vendor, tables) for vendor in drivers if vendor not in retouchers}
    public_url = settings.resolved_public_url
    builtin = [d.builtin_sandbox(public_url) for d in drivers.values()] if builtin_sandboxes else []
    accounts = load_accounts(settings.vendor_accounts, builtin, {vendor: d.live_hosts for vendor, d in drivers.items()})
    dispatch = Dispatch(engine, secrets, router=Router(maps, retouchers=retouchers), maps=maps, drivers=drivers,
                        accounts=accounts,
                        outbound=outbound,
                        public_url=public_url, poll_interval=settings.poll_interval,
                        fallback_after=float(settings.vendor_fallback_after),
                        own_accounts=OwnAccountCache(engine, secrets, settings.cache_ttl, settings.cache_max_entries,
                                                     settings.cache_max_bytes),
                        meter=CallMeter(engine, max_keys=settings.vendor_stats_keys,
                                        flush_every=float(settings.vendor_stats_flush)))
    for driver in drivers.values():  # Pixelz uploads easel's own masters when it cannot fetch them
        if isinstance(driver, PixelzDriver) and driver.masters is None:
            driver.masters = LocalMasters(engine, public_url, dispatch.file_token)
    return dispatch


def build_worker(settings: Settings, engine: AsyncEngine, dispatch: Dispatch, *, name: str | None = None) -> Worker:
    policy = RetryPolicy(base=float(settings.job_backoff), max_attempts=settings.job_max_attempts)
    return Worker(engine, dispatch.kinds(), name=name, lease=float(settings.job_lease),
                  concurrency=settings.worker_concurrency, poll=settings.worker_idle_ms / 1000,
                  watch=settings.worker_watch_ms / 1000, policy=policy, clock=dispatch.clock)


@asynccontextmanager
async def background_worker(settings: Settings, dispatch: Dispatch) -> AsyncIterator[None]:
    """Run a worker for as long as the block lasts (inside `easel serve`/`easel demo`), unless
    EASEL_WORKER is off because `easel worker` processes do the work."""
    if not settings.worker:
        yield
        return
    worker = build_worker(settings, dispatch.engine, dispatch)
    dispatch.on_new_work = worker.wake
    async with anyio.create_task_group() as tg:
        tg.start_soon(worker.run)
        tg.start_soon(dispatch.meter.run)  # vendor call counts, written in batches
        try:
            yield
        finally:
            dispatch.on_new_work = None
            tg.cancel_scope.cancel()
