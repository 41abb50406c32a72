"""Two modes, one composition (issue 10): `easel serve` mounts neither the demo store nor the sandboxes;
sandbox control needs the control token; one vendor account never reads another's sandbox data; sandbox
callbacks go through the outbound guard; the public URL follows the port actually served."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import anyio
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from easel.app import create_app, create_demo_app, create_sandbox_app
from easel.client import sign_request
from easel.demo.seed import DEMO_SECRET, DEMO_USERNAME
from easel.dispatch.drivers.image2art import SANDBOX_CREDENTIALS as IMAGE2ART
from easel.dispatch.drivers.pixelz import SANDBOX_CREDENTIALS as PIXELZ
from easel.runtime import Runtime
from easel.sandboxes import SandboxClock
from easel.sandboxes.control_auth import control_headers
from easel.sandboxes.image2art import Image2ArtSandboxSettings
from easel.sandboxes.image2art import create_app as create_image2art
from easel.sandboxes.pixelz import PixelzSandboxSettings
from easel.sandboxes.pixelz import create_app as create_pixelz
from easel.sandboxes.pwinty import PwintySandboxSettings
from easel.sandboxes.pwinty import create_app as create_pwinty
from easel.served import Served, record
from easel.settings import Settings
from easel.storage import merchants as merchant_store

from ..asgi_client import in_process
from ..servers import run_asgi

pytestmark = pytest.mark.anyio

TOKEN = "composition-control-token"
EASEL = Path(sys.executable).parent / "easel"
DEMO_AND_SANDBOX_PATHS = ["/demo/", "/demo/cart", "/sandbox/pwinty/v3.0/orders", "/sandbox/pwinty/v3.0/_control/orders",
                          "/sandbox/pixelz/_control/images", "/sandbox/image2art/_control/orders",
                          "/sandbox/image2art/orders"]
CONTROL_PATHS = {"pwinty": "/_control/orders", "pixelz": "/_control/images", "image2art": "/_control/clock"}
PWINTY_ORDER = {"recipientName": "Tom Smith", "address1": "14 Acacia Avenue", "addressTownOrCity": "Cardiff",
                "stateOrCounty": "Glamorgan", "postalOrZipCode": "CF11 1AB", "countryCode": "GB",
                "preferredShippingMethod": "Standard", "merchantOrderId": "a-1"}


# -- two modes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", DEMO_AND_SANDBOX_PATHS)
async def test_serve_mounts_neither_the_demo_store_nor_the_sandboxes(demo_runtime: Runtime, path: str) -> None:
    async with in_process(create_app(runtime=demo_runtime)) as http:
        assert (await http.get(path)).status_code == 404
        assert (await http.get("/ping")).status_code == 200


@pytest.mark.parametrize("path", DEMO_AND_SANDBOX_PATHS)
async def test_the_demo_mounts_both(demo_runtime: Runtime, path: str) -> None:
    async with in_process(create_demo_app(runtime=demo_runtime)) as http:
        status = (await http.get(path)).status_code
    # the store answers; a sandbox answers with its own refusal (no credentials, no control token)
    assert status != 404 and (status == 401 or "/_control/" not in path)


def test_the_sandbox_setting_is_gone_the_mode_decides() -> None:
    assert "EASEL_SANDBOXES" not in Path(__file__).resolve().parents[2].joinpath("README.md").read_text()
    assert not hasattr(Settings(), "sandboxes")


# -- the control token --------------------------------------------------------------------------------


@pytest.mark.parametrize("vendor", sorted(CONTROL_PATHS))
@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer ", "Bearer wrong-token", f"Basic {TOKEN}",
                                           f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", "Bearer tökén"])
async def test_control_refuses_requests_without_the_token(vendor: str, authorization: str | None) -> None:
    app = create_sandbox_app(vendor, Settings(), token=TOKEN)
    headers = {} if authorization is None else {"Authorization": authorization.encode("utf-8")}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as http:
        refused = await http.get(CONTROL_PATHS[vendor], headers=headers)
        moved = await http.post("/_control/clock", json={"advance": 86400}, headers=headers)
        allowed = await http.get(CONTROL_PATHS[vendor], headers=control_headers(TOKEN))
    assert (refused.status_code, moved.status_code) == (401, 401)
    assert refused.headers["www-authenticate"].startswith("Bearer")
    assert allowed.status_code == 200


@pytest.mark.parametrize("vendor", sorted(CONTROL_PATHS))
async def test_a_sandbox_without_a_token_refuses_all_control(vendor: str) -> None:
    app = create_sandbox_app(vendor, Settings(), token="")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as http:
        assert (await http.get(CONTROL_PATHS[vendor], headers={"Authorization": "Bearer "})).status_code == 401


async def test_the_demo_sandboxes_need_the_token_file(settings: Settings, tmp_path: Path) -> None:
    from easel.sandboxes.token import control_token

    served = replace(settings, data_dir=tmp_path)
    token = control_token(served, create=True)
    assert (tmp_path / "sandbox.token").stat().st_mode & 0o777 == 0o600
    runtime = Runtime.create(served)
    try:
        async with in_process(create_demo_app(runtime=runtime)) as http:
            path = "/sandbox/pwinty/v3.0/_control/orders"
            assert (await http.get(path)).status_code == 401
            assert (await http.get(path, headers=control_headers(token))).status_code == 200
    finally:
        await runtime.close()


@pytest.mark.parametrize("vendor", sorted(CONTROL_PATHS))
async def test_a_standalone_sandbox_refuses_a_body_over_its_limit_before_reading_it(vendor: str) -> None:
    app = create_sandbox_app(vendor, replace(Settings(), sandbox_max_body_bytes=1000), token=TOKEN)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as http:
        response = await http.post("/_control/clock", content=b"{" + b" " * 5000 + b"}",
                                   headers={**control_headers(TOKEN), "Content-Type": "application/json"})
    assert response.status_code == 413


# -- one account never reads another's data -----------------------------------------------------------


async def test_pwinty_orders_are_not_readable_with_another_accounts_credentials() -> None:
    app = create_pwinty(PwintySandboxSettings(accounts={"shop-a": "key-a", "shop-b": "key-b"}))
    a = {"X-Pwinty-MerchantId": "shop-a", "X-Pwinty-REST-API-Key": "key-a"}
    b = {"X-Pwinty-MerchantId": "shop-b", "X-Pwinty-REST-API-Key": "key-b"}
    mixed = {"X-Pwinty-MerchantId": "shop-b", "X-Pwinty-REST-API-Key": "key-a"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pwinty") as http:
        order_id = (await http.post("/orders", json=PWINTY_ORDER, headers=a)).json()["data"]["id"]
        assert (await http.get(f"/orders/{order_id}", headers=a)).status_code == 200
        for path in (f"/orders/{order_id}", f"/orders/{order_id}/SubmissionStatus"):
            other = await http.get(path, headers=b)
            assert other.status_code == 404 and other.json()["statusTxt"] == f"Order {order_id} not found"
        assert (await http.post(f"/orders/{order_id}/status", json={"status": "Cancelled"}, headers=b)).status_code == 404
        listed = (await http.get("/orders", headers=b)).json()["data"]
        assert listed["content"] == [] and listed["count"] == 0
        assert all(row["value"] == 0 for row in listed["summary"])  # not even a count of the other account's orders
        assert (await http.get(f"/orders/{order_id}", headers=mixed)).status_code == 401


async def test_pixelz_images_are_not_readable_with_another_accounts_credentials() -> None:
    app = create_pixelz(PixelzSandboxSettings())
    accounts = PixelzSandboxSettings().accounts
    own = {"contactEmail": accounts[0].email, "contactAPIkey": accounts[0].api_key}
    other = {"contactEmail": accounts[1].email, "contactAPIkey": accounts[1].api_key}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pixelz") as http:
        posted = await http.post("/REST.svc/JSON/Image/", json={**own, "imageURL": "https://img.example/a.jpg",
                                                                 "customerImageId": "c-1"})
        ticket = posted.json()["ImageTicket"]
        assert (await http.get(f"/REST.svc/JSON/Image/{ticket}", params=own)).json()["ErrorCode"] == "NoError"
        for params in (other, {**other, "customerImageId": "c-1"}):
            found = (await http.get(f"/REST.svc/JSON/Image/{ticket}", params=params)).json()
            assert found["ErrorCode"] == "ImageNotFound"
        nonticket = (await http.get("/REST.svc/JSON/Image/nonticket", params={**other, "customerImageId": "c-1"}))
        assert nonticket.json()["ErrorCode"] == "ImageNotFound"
        assert (await http.get("/REST.svc/JSON/Images/", params=other)).json().get("Images", []) == []


async def test_image2art_orders_are_not_readable_by_another_merchant() -> None:
    app = create_image2art(Image2ArtSandboxSettings(tick_seconds=3600), clock=SandboxClock(speed=0))
    sandbox = app.state.sandbox
    try:
        runtime = await sandbox.ready()
        async with runtime.engine.begin() as conn:
            await merchant_store.create_merchant(conn, "intruder", runtime.secrets.encrypt("intruder-secret"),
                                                 {"email": "i@example.com"})
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://up") as http:
            query = sign_request("catalog", {"start": 0, "rows": 1}, DEMO_USERNAME, DEMO_SECRET)
            catalog = (await http.get("/catalog", params=query)).json()
            sku = catalog["artworks"][0]["configurations"][0]["sku"]
            address = {"name": "Tom", "address": "1 Main St", "city": "Austin", "state": "TX", "zip": "78701",
                       "country": "US"}
            order = {"customer": {**address, "email": "t@example.com", "phone": "5125550100"}, "shipping": address,
                     "items": [{"sku": sku, "quantity": 1}]}
            body = sign_request("orders", order, IMAGE2ART["username"], IMAGE2ART["secret"])
            created = await http.post("/orders", json=body)
            assert created.status_code == 201, created.text
            order_id = created.json()["order"]["id"]
            theirs = await http.get(f"/orders/{order_id}",
                                    params=sign_request(f"orders/{order_id}", {}, "intruder", "intruder-secret"))
            assert theirs.status_code == 404
    finally:
        await sandbox.close()


# -- sandbox callbacks go through the outbound guard ---------------------------------------------------


class Receiver:
    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def endpoint(self, request: Request) -> Response:
        self.bodies.append(await request.body())
        return Response()


@pytest.fixture(scope="module")
def receiver() -> tuple[str, Receiver]:
    received = Receiver()
    with run_asgi(Starlette(routes=[Route("/cb", received.endpoint, methods=["POST"])])) as url:
        yield url, received  # type: ignore[misc]


def _hostile_urls(receiver_url: str) -> list[str]:
    port = receiver_url.rsplit(":", 1)[1]
    return [f"{receiver_url}/cb", f"http://localhost:{port}/cb", f"http://[::ffff:127.0.0.1]:{port}/cb",
            "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/cb", "http://0.0.0.0:9/cb"]


async def _tick_until(app: object, deliveries: str, count: int) -> list[dict[str, object]]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox",  # type: ignore[arg-type]
                                 headers=control_headers(TOKEN)) as http:
        for _ in range(100):
            await http.post("/_control/tick")
            log: list[dict[str, object]] = (await http.get(deliveries)).json()["deliveries"]
            if len(log) >= count:
                return log
            await anyio.sleep(0.02)
    raise AssertionError("no delivery was tried")


@pytest.mark.parametrize("allow_private", [False, True])
def test_pwinty_callbacks_reach_private_addresses_only_when_allowed(receiver: tuple[str, Receiver],
                                                                   allow_private: bool) -> None:
    url, received = receiver
    received.bodies.clear()
    settings = replace(Settings(), callbacks_allow_private=allow_private)
    account = {"X-Pwinty-MerchantId": "sandbox-merchant", "X-Pwinty-REST-API-Key": "sandbox-key"}
    with run_asgi(create_sandbox_app("pwinty", settings, token=TOKEN)) as sandbox, \
            httpx.Client(base_url=sandbox, headers=control_headers(TOKEN)) as control:
        for n, target in enumerate(_hostile_urls(url)):
            # what the account's owner would set in Pwinty's dashboard
            assert control.post("/_control/callbacks", json={"merchantId": "sandbox-merchant", "url": target}).is_success
            order_id = httpx.post(f"{sandbox}/orders", json=PWINTY_ORDER, headers=account).json()["data"]["id"]
            httpx.post(f"{sandbox}/orders/{order_id}/status", json={"status": "Cancelled"}, headers=account)
            deadline = time.monotonic() + 10
            while not [d for d in control.get("/_control/callbacks").json()["deliveries"] if d["orderId"] == order_id]:
                assert time.monotonic() < deadline, "no callback was tried"
                control.post("/_control/tick")
            tried = next(d for d in control.get("/_control/callbacks").json()["deliveries"] if d["orderId"] == order_id)
            reached = target == f"{url}/cb" or target.startswith("http://localhost:")
            if allow_private and reached:
                assert tried["responseStatus"] == 200, tried
            elif not allow_private:
                assert str(tried["error"]).startswith("refused:"), (target, tried)
            assert len(received.bodies) == (n + 1 if allow_private and reached else len(received.bodies))
    if not allow_private:
        assert received.bodies == []


@pytest.mark.parametrize("allow_private", [False, True])
async def test_pixelz_webhooks_reach_private_addresses_only_when_allowed(receiver: tuple[str, Receiver],
                                                                        allow_private: bool) -> None:
    url, received = receiver
    for target in _hostile_urls(url) if not allow_private else [f"{url}/cb"]:
        received.bodies.clear()
        settings = replace(Settings(), callbacks_allow_private=allow_private)
        app = create_sandbox_app("pixelz", settings, token=TOKEN)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as http:
            posted = await http.post("/REST.svc/JSON/Image/", json={
                "contactEmail": PIXELZ["contact_email"], "contactAPIkey": PIXELZ["api_key"],
                "imageURL": "https://img.example/a.jpg", "imageCallbackURL": target})
            assert posted.json()["ErrorCode"] == "NoError"
            await http.post("/_control/clock", json={"advance": 5 * 3600}, headers=control_headers(TOKEN))
        log = await _tick_until(app, "/_control/webhooks", 1)
        if allow_private:
            assert log[0]["responseStatus"] == 200 and len(received.bodies) == 1
        else:
            assert str(log[0]["error"]).startswith("refused:"), (target, log[0])
            assert received.bodies == []


# -- the public URL follows the port served -------------------------------------------------------------


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EASEL_", "DATABASE_URL"))}
    return {**env, "EASEL_DATA_DIR": str(data_dir), "EASEL_LOG_LEVEL": "warning", **extra}


def test_vendors_beside_a_demo_prints_the_demo_port(tmp_path: Path) -> None:
    record(Settings(data_dir=tmp_path), Served("http://127.0.0.1:9000", "demo"))
    env = _env(tmp_path, EASEL_SECRET_KEY=_key())
    out = subprocess.run([EASEL, "vendors"], env=env, capture_output=True, text=True, timeout=60, check=True).stdout
    lines = out.strip().splitlines()
    assert {line.split("\t")[0] for line in lines} == {"pwinty", "pixelz", "image2art"}
    assert all("http://127.0.0.1:9000/sandbox/" in line and "callback http://127.0.0.1:9000/vendor-callbacks/"
               in line for line in lines)
    overridden = subprocess.run([EASEL, "vendors"], env={**env, "EASEL_PUBLIC_URL": "https://shop.example"},
                                capture_output=True, text=True, timeout=60, check=True).stdout
    assert "callback https://shop.example/vendor-callbacks/" in overridden and ":9000/vendor-callbacks" not in overridden


def test_vendors_beside_serve_prints_the_port_served(tmp_path: Path) -> None:
    from ..test_dispatch_demo import _free_port

    accounts = tmp_path / "vendors.json"
    accounts.write_text(json.dumps({"pwinty": {"sandbox": {"url": "http://127.0.0.1:9", "merchant_id": "m",
                                                           "api_key": "k"}}}))
    env = _env(tmp_path, EASEL_VENDOR_ACCOUNTS=str(accounts), EASEL_SECRET_KEY=_key())
    subprocess.run([EASEL, "db", "upgrade"], env=env, capture_output=True, timeout=120, check=True)
    port = _free_port()
    server = subprocess.Popen([EASEL, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        _wait_for_ping(f"http://127.0.0.1:{port}", server)
        out = subprocess.run([EASEL, "vendors"], env=env, capture_output=True, text=True, timeout=60, check=True).stdout
    finally:
        server.terminate()
        server.wait(15)
    assert out.startswith("pwinty\tsandbox\thttp://127.0.0.1:9\t")
    assert f"callback http://127.0.0.1:{port}/vendor-callbacks/pwinty/sandbox/" in out
    assert "pixelz" not in out and "/sandbox/pwinty" not in out  # serve knows no built-in sandbox


def _key() -> str:
    from easel.secret_box import new_key

    return new_key()


def _wait_for_ping(base: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        assert process.poll() is None, "the server exited"
        try:
            if httpx.get(f"{base}/ping", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.1)
