"""Retouching first: a merchant whose routing asks for Pixelz gets each image retouched (once) before
the retouched file is printed at Pwinty; Pixelz webhooks are verified before they are stored; a shop
that Pixelz cannot reach sends its print masters through Pixelz's presigned uploads."""

from __future__ import annotations

import asyncio
import io
import json
from dataclasses import replace
from pathlib import Path

import anyio
import httpx
import pytest
from PIL import Image
from sqlalchemy import select

from easel.dispatch import parts as part_store
from easel.dispatch.drivers.pixelz import SANDBOX_CREDENTIALS, publicly_reachable
from easel.dispatch.print_masters import LocalMasters
from easel.runtime import Runtime
from easel.sandboxes.pixelz import PixelzSandboxSettings
from easel.sandboxes.pixelz import create_app as create_pixelz
from easel.settings import Settings
from easel.storage import catalog as catalog_store
from easel.storage import merchants as merchant_store
from easel.storage.tables import configurations
from easel.vendors.pixelz import webhook_signature

from .dispatch_helpers import (
    FakeClock,
    api_client,
    fulfilment_runtime,
    get_order,
    place,
    pwinty_sandbox,
    styled_skus,
    worker,
)
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


# -- a shop behind a firewall --------------------------------------------------------------------------


async def _behind_a_firewall(settings: Settings, tmp_path: Path, pwinty: str, pixelz: str, clock: FakeClock,
                             upload_files: str) -> Runtime:
    """A runtime whose public URL is ``http://localhost:9`` (loopback: nobody outside can fetch from it;
    nothing even listens there) and whose Pixelz account is the sandbox at ``pixelz``."""
    runtime = await fulfilment_runtime(settings, tmp_path, pwinty, clock=clock, public_url="http://localhost:9")
    await runtime.close()
    accounts = tmp_path / "accounts.json"
    accounts.write_text(json.dumps({
        "pwinty": {"sandbox": {"url": pwinty, "merchant_id": "sandbox-merchant", "api_key": "sandbox-key"}},
        "pixelz": {"sandbox": {"url": f"{pixelz}/REST.svc/JSON", **SANDBOX_CREDENTIALS, "upload_files": upload_files}}}))
    runtime = Runtime.create(replace(runtime.settings, vendor_accounts=str(accounts), poll_interval=600))
    runtime.dispatch.clock = clock
    runtime.dispatch.callbacks.clock = clock
    async with runtime.engine.begin() as conn:
        merchant = await merchant_store.merchant_by_username(conn, "testing")
        assert merchant is not None
        await merchant_store.update_merchant(conn, merchant.id, {"routing": {
            "rules": [], "default": ["pwinty"], "retouch": "pixelz"}})
    return runtime


async def _write_master(runtime: Runtime, sku: str) -> bytes:
    """The print master of the artwork ``sku`` is made of, as a real JPEG on disk."""
    async with runtime.engine.connect() as conn:
        code = (await conn.execute(select(configurations.c.artwork_code).where(configurations.c.sku == sku))).scalar_one()
        artwork = await catalog_store.artwork_by_code(conn, code)
    assert artwork is not None
    buffer = io.BytesIO()
    Image.new("RGB", (120, 90), (30, 90, 160)).save(buffer, format="JPEG")
    path = anyio.Path(artwork.image)
    await path.parent.mkdir(parents=True, exist_ok=True)
    await path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


@pytest.mark.parametrize("upload_files", ["auto", "never"])
async def test_a_shop_pixelz_cannot_reach_uploads_its_master_through_a_presigned_url(
        settings: Settings, tmp_path: Path, upload_files: str) -> None:
    """With ``auto``, easel sees that its public URL is loopback and uploads the master; the sandbox, which
    cannot fetch from ``localhost`` (``unreachable_hosts``), downloads the upload and retouches it. With
    ``never`` the same order sends easel's own URL, the sandbox fails to download it (12), and the order is
    parked with the reason: the upload path is what made the first order work."""
    clock = FakeClock()
    pixelz_app = create_pixelz(PixelzSandboxSettings(control_token=CONTROL_TOKEN, callbacks_allow_private=True,
                                                     unreachable_hosts=["localhost"]))
    with pwinty_sandbox() as pwinty, run_asgi(pixelz_app) as pixelz:
        runtime = await _behind_a_firewall(settings, tmp_path, pwinty, pixelz, clock, upload_files)
        try:
            [sku] = await styled_skus(runtime, "CG", "S")
            master = await _write_master(runtime, sku)
            async with api_client(runtime) as client:
                order_id = await place(client, [sku])
                run = worker(runtime)
                await run.run_until_idle()
                httpx.post(f"{pixelz}/_control/clock", json={"advance": 7 * 86400}, headers=CONTROL)  # noqa: ASYNC210
                clock.advance(61)
                await run.run_until_idle()
                found = await get_order(client, order_id)
                [image] = httpx.get(f"{pixelz}/_control/images", headers=CONTROL).json()["images"]  # noqa: ASYNC210
                if upload_files == "never":
                    assert image["imageURL"].startswith("http://localhost:9/vendor-files/") and image["status"] == 12
                    assert found["status"] == "On Hold" and "could not retouch" in found["status_reason"], found
                    return
                assert found["status"] == "In Production", found
                # Retouched; the webhooks could not reach the shop either (72-78: delivery attempts failing, retried
                # on the sandbox's own clock), polling found the result. The sandbox sends its webhook in the
                # background once the image reaches 70, so its first failed attempt may land a moment later.
                for _ in range(100):
                    if image["status"] != 70:
                        break
                    await asyncio.sleep(0.05)
                    [image] = httpx.get(f"{pixelz}/_control/images", headers=CONTROL).json()["images"]  # noqa: ASYNC210
                assert image["imageURL"].startswith(f"{pixelz}/presigned/") and image["status"] in (72, 74, 76, 78)
                assert httpx.get(image["imageURL"]).content == master  # noqa: ASYNC210  (the bytes easel holds)
                uploads = httpx.get(f"{pixelz}/_control/uploads", headers=CONTROL).json()["uploads"]  # noqa: ASYNC210
                assert [u["uploaded"] for u in uploads] == [True]
        finally:
            await runtime.close()


async def test_reachability_is_judged_from_the_addresses_a_host_names() -> None:
    async def resolve(host: str, port: int) -> list[str]:
        table = {"shop.example": ["93.184.215.14"], "intranet.example": ["93.184.215.14", "10.1.2.3"],
                 "localhost": ["127.0.0.1", "::1"]}
        if host not in table:
            raise OSError("no such host")
        return table[host]

    reachable = {url: await publicly_reachable(url, resolve) for url in (
        "https://shop.example/x", "http://intranet.example/x", "http://localhost:8000/x", "http://127.0.0.1/x",
        "http://192.168.1.10/x", "http://[fd00::1]/x", "http://8.8.8.8/x", "http://shop.internal/x", "x.jpg")}
    assert [url for url, yes in reachable.items() if yes] == ["https://shop.example/x", "http://8.8.8.8/x"]


async def test_only_easels_own_master_urls_are_read_from_disk(settings: Settings, tmp_path: Path) -> None:
    with pwinty_sandbox() as pwinty:
        runtime = await fulfilment_runtime(settings, tmp_path, pwinty, public_url="http://localhost:9")
        try:
            [sku] = await styled_skus(runtime, "CG", "S")
            master = await _write_master(runtime, sku)
            async with runtime.engine.connect() as conn:
                code = (await conn.execute(select(configurations.c.artwork_code)
                                           .where(configurations.c.sku == sku))).scalar_one()
            masters = LocalMasters(runtime.engine, "http://localhost:9", runtime.dispatch.file_token)
            own = f"http://localhost:9/vendor-files/{code}/{runtime.dispatch.file_token(code)}.jpg"
            found = await masters.read(own)
            assert found is not None and found.path.read_bytes() == master and found.name == f"{code}.jpg"
            for other in (own.replace("localhost:9", "merchant.example"), own.replace(runtime.dispatch.file_token(code),
                          "0" * 32), f"http://localhost:9/vendor-files/NOPE/{runtime.dispatch.file_token('NOPE')}.jpg"):
                assert await masters.read(other) is None, other
        finally:
            await runtime.close()
