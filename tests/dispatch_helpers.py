"""Helpers for fulfilment tests: a Pwinty sandbox and an upstream Image2ART sandbox over real HTTP, a
runtime whose sandbox accounts point at them, a clock tests move by hand, and orders placed through the
order API."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from easel.app import create_app
from easel.demo.seed import seed_demo
from easel.dispatch.backoff import RetryPolicy
from easel.dispatch.drivers.image2art import SANDBOX_CREDENTIALS as IMAGE2ART_CREDENTIALS
from easel.dispatch.drivers.image2art import Image2ArtDriver
from easel.dispatch.drivers.pwinty import PwintyDriver
from easel.dispatch.worker import Worker
from easel.runtime import Runtime
from easel.sandboxes.clock import SandboxClock
from easel.sandboxes.faults import FaultSettings
from easel.sandboxes.image2art import Image2ArtSandboxSettings
from easel.sandboxes.image2art import create_app as create_image2art
from easel.sandboxes.pwinty import PwintySandboxSettings
from easel.sandboxes.pwinty import create_app as create_pwinty
from easel.settings import Settings
from easel.storage.tables import configurations
from easel.vendors.base import RetryPolicy as CallRetry

from .asgi_client import in_process
from .orders_helpers import call, order
from .sandbox_access import CONTROL, CONTROL_TOKEN
from .servers import run_asgi

FAST_CALLS = CallRetry(attempts=2, backoff=0.01, max_wait=0.5)
FAST_JOBS = RetryPolicy(base=0.02, cap=0.2, max_attempts=30)


class FakeClock:
    """A clock tests advance by hand (starts at real now)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@contextmanager
def pwinty_sandbox(**settings: Any) -> Iterator[str]:
    """A Pwinty sandbox on a free port, driven with :data:`CONTROL`; yields its base URL."""
    faults = settings.pop("faults", None)
    settings.setdefault("control_token", CONTROL_TOKEN)
    settings.setdefault("callbacks_allow_private", True)  # easel listens on 127.0.0.1 in these tests
    sandbox_settings = PwintySandboxSettings(**settings, faults=FaultSettings(**(faults or {})))
    with run_asgi(create_pwinty(sandbox_settings)) as url:
        yield url


@contextmanager
def upstream_sandbox() -> Iterator[str]:
    """An upstream Image2ART sandbox on a free port whose clock moves only when a test says so."""
    settings = Image2ArtSandboxSettings(tick_seconds=3600, control_token=CONTROL_TOKEN)
    with run_asgi(create_image2art(settings, clock=SandboxClock(speed=0))) as url:
        yield url


def write_accounts(folder: Path, pwinty_url: str, image2art_url: str | None = None,
                   image2art_secret: str = IMAGE2ART_CREDENTIALS["secret"]) -> str:
    accounts: dict[str, Any] = {"pwinty": {"sandbox": {"url": pwinty_url, "merchant_id": "sandbox-merchant",
                                                       "api_key": "sandbox-key"}}}
    if image2art_url is not None:
        accounts["image2art"] = {"sandbox": {"url": image2art_url, **IMAGE2ART_CREDENTIALS,
                                             "secret": image2art_secret}}
    path = folder / "vendors.json"
    path.write_text(json.dumps(accounts))
    return str(path)


async def fulfilment_runtime(settings: Settings, folder: Path, pwinty_url: str, *, clock: FakeClock | None = None,
                             timeout: float = 5.0, image2art_url: str | None = None,  # noqa: ASYNC109
                             image2art_secret: str = IMAGE2ART_CREDENTIALS["secret"], **overrides: Any) -> Runtime:
    """A runtime with the demo data whose Pwinty sandbox account is the sandbox at ``pwinty_url`` (and
    whose upstream Image2ART sandbox account is ``image2art_url``, when given)."""
    overrides.setdefault("rate_limit", 10**6)
    accounts = write_accounts(folder, pwinty_url, image2art_url, image2art_secret)
    settings = replace(settings, vendor_accounts=accounts, **overrides)
    runtime = Runtime.create(settings)
    await seed_demo(runtime, images=False)
    runtime.dispatch.drivers["pwinty"] = PwintyDriver(runtime.http, timeout=httpx.Timeout(timeout), retry=FAST_CALLS)
    runtime.dispatch.drivers["image2art"] = Image2ArtDriver(runtime.http, timeout=httpx.Timeout(timeout),
                                                            retry=FAST_CALLS)
    if clock is not None:
        runtime.dispatch.clock = clock
        runtime.dispatch.callbacks.clock = clock
    return runtime


def worker(runtime: Runtime, **kwargs: Any) -> Worker:
    options: dict[str, Any] = {"lease": 5.0, "concurrency": 4, "poll": 0.05, "policy": FAST_JOBS,
                               "clock": runtime.dispatch.clock, **kwargs}
    return Worker(runtime.engine, runtime.dispatch.kinds(), **options)


@asynccontextmanager
async def api_client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """The app in-process (no worker: tests run one themselves)."""
    app = create_app(runtime=runtime)
    async with in_process(app) as http:
        yield http


async def styled_skus(runtime: Runtime, style: str, size: str, n: int = 1) -> list[str]:
    async with runtime.engine.connect() as conn:
        rows = (await conn.execute(select(configurations.c.sku, configurations.c.choices)
                                   .order_by(configurations.c.sku))).all()
    return [r.sku for r in rows if r.choices["style"] == style and r.choices["size"] == size][:n]


async def place(client: httpx.AsyncClient, skus: list[str], **extra: Any) -> int:
    response = await call(client, "POST", "/orders", order(skus, **extra))
    assert response.status_code == 201, response.text
    return int(response.json()["order"]["id"])


async def get_order(client: httpx.AsyncClient, order_id: int) -> dict[str, Any]:
    response = await call(client, "GET", f"/orders/{order_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def sandbox_orders(url: str) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(f"{url}/_control/orders", headers=CONTROL).json()
    return body


def upstream_orders(url: str) -> list[dict[str, Any]]:
    """Every order of the upstream Image2ART sandbox (``externalOrderNumber``, ``status``, ...)."""
    body: list[dict[str, Any]] = httpx.get(f"{url}/_control/orders", headers=CONTROL).json()["orders"]
    return body
