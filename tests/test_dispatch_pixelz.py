"""Retouching first: a merchant whose routing asks for Pixelz gets each image retouched (once) before
the retouched file is printed at Pwinty; Pixelz webhooks are verified before they are stored."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from easel.dispatch import parts as part_store
from easel.dispatch.drivers.pixelz import SANDBOX_CREDENTIALS
from easel.runtime import Runtime
from easel.sandboxes.pixelz import PixelzSandboxSettings
from easel.sandboxes.pixelz import create_app as create_pixelz
from easel.settings import Settings
from easel.storage import merchants as merchant_store
from easel.vendors.pixelz import webhook_signature

from .dispatch_helpers import FakeClock, api_client, fulfilment_runtime, place, pwinty_sandbox, styled_skus, worker
from .orders_helpers import call
from .sandbox_access import CONTROL, CONTROL_TOKEN
from .servers import run_asgi

pytestmark = pytest.mark.anyio


async def test_an_image_is_retouched_once_then_the_retouched_file_is_printed(settings: Settings,
                                                                            tmp_path: Path) -> None:
    clock = FakeClock()
    pixelz_app = create_pixelz(PixelzSandboxSettings(control_token=CONTROL_TOKEN, callbacks_allow_private=True))
    with pwinty_sandbox() as pwinty, run_asgi(pixelz_app) as pixelz:
        runtime = await fulfilment_runtime(settings, tmp_path, pwinty, clock=clock)
        accounts = tmp_path / "accounts.json"
        accounts.write_text(json.dumps({
            "pwinty": {"sandbox": {"url": pwinty, "merchant_id": "sandbox-merchant", "api_key": "sandbox-key"}},
            "pixelz": {"sandbox": {"url": f"{pixelz}/REST.svc/JSON", **SANDBOX_CREDENTIALS}}}))
        await runtime.close()
        runtime = Runtime.create(replace(runtime.settings, vendor_accounts=str(accounts), poll_interval=600))
        runtime.dispatch.clock = clock
        runtime.dispatch.callbacks.clock = clock
        try:
            async with runtime.engine.begin() as conn:
                merchant = await merchant_store.merchant_by_username(conn, "testing")
                assert merchant is not None
                await merchant_store.update_merchant(conn, merchant.id, {"routing": {
                    "rules": [], "default": ["pwinty"], "retouch": "pixelz"}})
            async with api_client(runtime) as client:
                order_id = await place(client, await styled_skus(runtime, "CG", "S"))
                run = worker(runtime)
                await run.run_until_idle()
                found = (await call(client, "GET", f"/orders/{order_id}")).json()
                assert found["status"] == "Processing"  # waiting for the retoucher
                await run.run_until_idle()
                httpx.post(f"{pixelz}/_control/clock", json={"advance": 7 * 86400}, headers=CONTROL)  # noqa: ASYNC210
                clock.advance(61)
                await run.run_until_idle()
                found = (await call(client, "GET", f"/orders/{order_id}")).json()
                assert found["status"] == "In Production", found
                async with runtime.engine.connect() as conn:
                    retouch, printing = await part_store.parts_of(conn, order_id)
                assert retouch.role == "retouch" and retouch.vendor == "pixelz" and retouch.vendor_ref
                assert printing.items[0]["image_url"] == retouch.detail["retouched_url"]
                assert printing.items[0]["image_url"].startswith(pixelz)
                images = httpx.get(f"{pixelz}/_control/images", headers=CONTROL).json()  # noqa: ASYNC210
                assert len(images["images"] if isinstance(images, dict) else images) == 1
                events = (await call(client, "GET", f"/orders/{order_id}/events")).json()["events"]
                assert [e["type"] for e in events] == ["order.accepted", "order.processing", "order.retouched",
                                                       "order.in_production"]
        finally:
            await runtime.close()


async def test_pixelz_webhooks_must_carry_the_account_signature(settings: Settings, tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.json"
    accounts.write_text(json.dumps({"pixelz": {"sandbox": {"url": "http://127.0.0.1:9", **SANDBOX_CREDENTIALS}}}))
    runtime = Runtime.create(replace(settings, vendor_accounts=str(accounts)))
    try:
        async with api_client(runtime) as client:
            path = runtime.dispatch.callback_url("pixelz", "sandbox").removeprefix(runtime.dispatch.public_url)
            body = json.dumps({"imageTicket": "T-1", "processedImageURL": "https://files.example/x.jpg"}).encode()
            unsigned = await client.post(path, content=body)
            assert unsigned.status_code == 401
            forged = await client.post(path, content=body, headers={
                "X-PXZ-CUSTOMER-HMAC-SHA256": webhook_signature(body, "not the secret")})
            assert forged.status_code == 401
            signed = await client.post(path, content=body, headers={
                "X-PXZ-CUSTOMER-HMAC-SHA256": webhook_signature(body, SANDBOX_CREDENTIALS["secret"])})
            assert signed.status_code == 200
    finally:
        await runtime.close()
