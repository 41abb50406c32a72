"""Every option value, sold through the demo chain: configurations covering every artwork kind and every
value of every option go into carts, are ordered through the order API, sent by the worker to the
Pwinty and upstream Image2ART sandboxes over HTTP, and reach In Production. None goes On Hold."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from easel.demo.seed import seed_demo
from easel.dispatch.drivers.image2art import SANDBOX_CREDENTIALS as UPSTREAM_LOGIN
from easel.dispatch.drivers.image2art import Image2ArtDriver
from easel.dispatch.drivers.pwinty import SANDBOX_CREDENTIALS as PWINTY_LOGIN
from easel.dispatch.drivers.pwinty import PwintyDriver
from easel.domain.configuration import Configuration, derive
from easel.runtime import Runtime
from easel.sandboxes import SandboxClock
from easel.sandboxes.image2art import Image2ArtSandboxSettings
from easel.sandboxes.image2art import create_app as create_upstream
from easel.settings import Settings
from easel.storage import catalog as catalog_store

from .dispatch_helpers import FAST_CALLS, FakeClock, api_client, get_order, place, pwinty_sandbox, worker
from .sandbox_access import CONTROL_TOKEN
from .servers import run_asgi
from .test_option_space import ARTWORKS, OPTIONS, kinds, space

pytestmark = pytest.mark.anyio
PER_ORDER = 6


def sample(runtime: Runtime, merchant_routing: object) -> list[Configuration]:
    """Configurations that can be made, together holding every artwork kind and every option value."""
    plan = runtime.products.capability.plan(None, True)  # type: ignore[union-attr]
    made = [c for artwork in kinds(ARTWORKS) for c in space(artwork) if plan.verdict(c).reason is None]
    wanted = {(name, getattr(c, name)) for c in made for name in ("artwork", *OPTIONS)}
    chosen: list[Configuration] = []
    for config in made:
        new = {(name, getattr(config, name)) for name in ("artwork", *OPTIONS)} & wanted
        if new:
            chosen.append(config)
            wanted -= new
    return chosen


@pytest.mark.demo_data  # seed_demo below finds the demo data already there
async def test_a_sample_of_every_option_value_reaches_in_production(settings: Settings, tmp_path: Path) -> None:
    upstream_app = create_upstream(Image2ArtSandboxSettings(control_token=CONTROL_TOKEN, tick_seconds=3600,
                                                            production_delay=0), clock=SandboxClock(speed=0))
    with pwinty_sandbox() as pwinty_url, run_asgi(upstream_app) as upstream_url:
        accounts = tmp_path / "vendors.json"
        accounts.write_text(json.dumps({"pwinty": {"sandbox": {"url": pwinty_url, **PWINTY_LOGIN}},
                                        "image2art": {"sandbox": {"url": upstream_url, **UPSTREAM_LOGIN}}}))
        runtime = Runtime.create(replace(settings, vendor_accounts=str(accounts), rate_limit=10**6, poll_interval=600))
        await seed_demo(runtime, images=False)
        runtime.dispatch.drivers["pwinty"] = PwintyDriver(runtime.http, timeout=httpx.Timeout(5.0), retry=FAST_CALLS)
        runtime.dispatch.drivers["image2art"] = Image2ArtDriver(runtime.http, timeout=httpx.Timeout(5.0),
                                                                retry=FAST_CALLS)
        clock = FakeClock()
        runtime.dispatch.clock = runtime.dispatch.callbacks.clock = clock
        try:
            configs = sample(runtime, None)
            artworks = {a.code: a for a in ARTWORKS}
            resolved = [derive(artworks[c.artwork], c, runtime.tables) for c in configs]
            async with runtime.engine.begin() as conn:  # what putting them in a cart does
                await catalog_store.register_configurations(conn, resolved)
            vendors = {runtime.products.capability.plan(None, True).verdict(c).vendors[0] for c in configs}  # type: ignore[union-attr]
            assert vendors == {"pwinty", "image2art"}, vendors
            assert any(c.border_color == "navy" for c in configs) and any(c.security_hardware for c in configs)
            async with api_client(runtime) as client:
                orders = [await place(client, [r.sku for r in resolved[n:n + PER_ORDER]], external_order_number=f"W-{n}")
                          for n in range(0, len(resolved), PER_ORDER)]
                await worker(runtime).run_until_idle()
                clock.advance(601)  # the poll after submission reads the upstream's In Production
                await worker(runtime).run_until_idle()
                statuses = {order_id: await get_order(client, order_id) for order_id in orders}
            held = {k: (o["status"], o.get("status_reason")) for k, o in statuses.items()
                    if o["status"] != "In Production"}
            assert held == {}, held
            assert len(configs) >= 25
        finally:
            await runtime.close()
