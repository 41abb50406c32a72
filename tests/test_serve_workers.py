"""`easel serve --workers 2` shares one standalone sandbox: every test order reaches it once, Submitted,
and none is put On Hold (with a sandbox per process, a poll from the other process found no order there
and 9 of 30 orders ended On Hold). Real processes: `easel sandbox pwinty`, `easel serve --workers 2` on a
SQLite file, orders through the signed order API."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from easel.client import Image2ArtClient
from easel.demo.seed import DEMO_SECRET, DEMO_USERNAME, seed_demo
from easel.dispatch.drivers.pwinty import SANDBOX_CREDENTIALS
from easel.runtime import Runtime
from easel.sandboxes.control_auth import control_headers
from easel.secret_box import new_key
from easel.settings import Settings
from easel.storage import migrate

from .orders_helpers import ADDRESS, CUSTOMER
from .test_dispatch_demo import _free_port

EASEL = str(Path(sys.executable).parent / "easel")
ORDERS = 24
TOKEN = "serve-workers-control-token"


@contextmanager
def _process(args: list[str], env: dict[str, str], base: str, log: Path) -> Iterator[None]:
    with log.open("w") as out:
        process = subprocess.Popen([EASEL, *args], env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, log.read_text()[-2000:]
                try:
                    httpx.get(base, timeout=1)
                    break
                except httpx.HTTPError:
                    assert time.monotonic() < deadline, f"{args[0]} did not start"
                    time.sleep(0.1)
            yield
        finally:
            process.terminate()
            process.wait(15)


async def _prepare(settings: Settings) -> None:
    runtime = Runtime.create(settings)
    try:
        await migrate.upgrade(runtime.engine)
        await seed_demo(runtime, images=False)
    finally:
        await runtime.close()


def test_serve_with_two_workers_shares_one_standalone_sandbox(tmp_path: Path) -> None:
    data = tmp_path / "var"
    settings = Settings(data_dir=data, secret_key=new_key())
    asyncio.run(_prepare(settings))
    sandbox_port, easel_port = _free_port(), _free_port()
    sandbox, easel = f"http://127.0.0.1:{sandbox_port}", f"http://127.0.0.1:{easel_port}"
    accounts = tmp_path / "vendors.json"
    accounts.write_text(json.dumps({"pwinty": {"sandbox": {"url": sandbox, **SANDBOX_CREDENTIALS}}}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EASEL_", "DATABASE_URL"))}
    env.update(EASEL_DATA_DIR=str(data), EASEL_SECRET_KEY=settings.secret_key, EASEL_LOG_LEVEL="warning",
               EASEL_SANDBOX_TOKEN=TOKEN, EASEL_VENDOR_ACCOUNTS=str(accounts), EASEL_POLL_INTERVAL="1",
               EASEL_JOB_BACKOFF="1")
    control = control_headers(TOKEN)
    with _process(["sandbox", "pwinty", "--port", str(sandbox_port)], env, sandbox, tmp_path / "sandbox.log"), \
            _process(["serve", "--workers", "2", "--port", str(easel_port)], env, easel, tmp_path / "easel.log"):
        # Register easel's callback URL with the sandbox account, as `easel vendors` says to.
        vendors = subprocess.run([EASEL, "vendors"], env=env, capture_output=True, text=True, timeout=60, check=True)
        callback = vendors.stdout.split("\tcallback ", 1)[1].strip()
        assert callback.startswith(f"{easel}/vendor-callbacks/pwinty/sandbox/")
        registered = httpx.post(f"{sandbox}/_control/callbacks", headers=control,
                                json={"merchantId": SANDBOX_CREDENTIALS["merchant_id"], "url": callback})
        assert registered.status_code == 200
        with Image2ArtClient(easel, DEMO_USERNAME, DEMO_SECRET) as client:
            configurations = [c for a in client.catalog(start=0, rows=5)["artworks"] for c in a["configurations"]]
            sku = next(c["sku"] for c in configurations if c["configuration"]["style"] == "CG")
            ids = [client.create_order({"customer": CUSTOMER, "shipping": ADDRESS,
                                        "items": [{"sku": sku, "quantity": 1}]})["order"]["id"]
                   for _ in range(ORDERS)]
            deadline = time.monotonic() + 60
            while True:
                summary = httpx.get(f"{sandbox}/_control/orders", params={"summary": 1}, headers=control).json()
                if summary["countsByStatus"].get("Submitted", 0) >= ORDERS:
                    break
                assert time.monotonic() < deadline, summary
                time.sleep(0.25)
            time.sleep(2)  # both processes poll every second meanwhile: an unshared sandbox would now hold orders
            statuses = [client.get_order(order_id)["status"] for order_id in ids]
        listed = httpx.get(f"{sandbox}/_control/orders", headers=control).json()
        deliveries = httpx.get(f"{sandbox}/_control/callbacks", headers=control).json()["deliveries"]
    assert "On Hold" not in statuses and set(statuses) <= {"Processing", "In Production"}, statuses
    assert summary["total"] == ORDERS and set(listed["countsByMerchantOrderId"].values()) == {1}
    assert deliveries and all(d["responseStatus"] == 200 for d in deliveries)
