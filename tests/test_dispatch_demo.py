"""`easel demo` runs the whole chain on its sandboxes: an order placed in the demo reaches In Transit,
with tracking in GET /orders/:id, within a minute and with no manual step."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from easel.client import Image2ArtClient
from easel.demo.seed import DEMO_SECRET, DEMO_USERNAME

from .orders_helpers import ADDRESS, CUSTOMER


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_demo_order_reaches_in_transit_with_tracking_within_a_minute(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EASEL_", "DATABASE_URL"))}
    env["EASEL_DATA_DIR"] = str(tmp_path / "var")
    process = subprocess.Popen([str(Path(sys.executable).parent / "easel"), "demo", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/ping").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the demo did not start"
            time.sleep(0.2)
        with Image2ArtClient(base, DEMO_USERNAME, DEMO_SECRET) as client:
            catalog = client.catalog(start=0, rows=5)
            configurations = [c for a in catalog["artworks"] for c in a["configurations"]]
            canvas = next(c["sku"] for c in configurations if c["configuration"]["style"] == "CG"
                          and c["configuration"]["size"] == "S")
            framed = next(c["sku"] for c in configurations if c["configuration"]["style"] == "PF")
            placed = client.create_order({"customer": CUSTOMER, "shipping": {**ADDRESS, "method": "ups"},
                                          "items": [{"sku": canvas, "quantity": 1}, {"sku": framed, "quantity": 1}]})
            order_id = placed["order"]["id"]
            started = time.monotonic()
            while True:
                found = client.get_order(order_id)
                if found["status"] == "In Transit":
                    break
                assert found["status"] not in ("On Hold", "Cancelled"), found
                assert time.monotonic() - started < 60, f"still {found['status']} after a minute"
                time.sleep(1)
            assert found["shipping"]["tracking"] and all(t["number"] for t in found["shipping"]["tracking"])
            assert found["is_test"] is True
    finally:
        process.terminate()
        process.wait(15)
