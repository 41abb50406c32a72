"""Secrets never in logs (issue 10): no log line carries a secret, a signature, an API key or a URL
token; the SQLite database is readable by its owner only; merchant callbacks are signed and checked
with the `standardwebhooks` library, and `easel.client.verify_webhook` refuses any input with its own
error."""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import standardwebhooks
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from easel.client import sign_request, verify_webhook
from easel.demo.seed import DEMO_SECRET, DEMO_USERNAME, seed_demo
from easel.dispatch.drivers.image2art import SANDBOX_CREDENTIALS as IMAGE2ART
from easel.dispatch.drivers.pixelz import SANDBOX_CREDENTIALS as PIXELZ
from easel.dispatch.webhook_signature import WebhookVerificationError, sign, signed_headers
from easel.logging_setup import RedactFilter, configure_logging
from easel.redact import redact_text, redact_url
from easel.runtime import Runtime
from easel.sandboxes import SandboxClock
from easel.sandboxes.image2art import Image2ArtSandboxSettings
from easel.sandboxes.image2art import create_app as create_image2art
from easel.sandboxes.pixelz import PixelzSandboxSettings
from easel.sandboxes.pixelz import create_app as create_pixelz
from easel.settings import Settings
from easel.storage import merchants as merchant_store
from easel.storage.engine import create_engine
from easel.storage.tables import artworks

from ..dispatch_helpers import FakeClock, api_client, place, pwinty_sandbox, styled_skus, worker
from ..orders_helpers import call
from ..sandbox_access import CONTROL, CONTROL_TOKEN
from ..servers import run_asgi

PWINTY_KEY = "pwinty-rest-key-5f1c0e7b9a31"
MERCHANT_CALLBACK_TOKEN = "merchant-cb-token-8d1f2a9c4e7b"
HOSTILE_QUERY = {"signature": "hostile-signature-c0ffee12", "api_key": "hostile-api-key-77aa55ee"}
SENSITIVE_FIELDS = {"signature", "contactapikey", "developerapikey", "x-pwinty-rest-api-key", "webhook-signature"}


# --- 1. no secret in any log line -----------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "shown"), [
    ("https://api.pixelz.example/REST.svc/JSON/Image/T-1/?contactEmail=a%40b.c&contactAPIkey=44979dfe",
     "https://api.pixelz.example/REST.svc/JSON/Image/T-1/?contactEmail=***&contactAPIkey=***"),
    ("http://upstream:8000/orders/7?start=0&username=testing&signature=16a060c526f2c460",
     "http://upstream:8000/orders/7?start=***&username=***&signature=***"),
    ("http://easel.example/vendor-callbacks/pwinty/sandbox/0123456789abcdef0123456789abcdef",
     "http://easel.example/vendor-callbacks/pwinty/sandbox/***"),
    ("/vendor-files/AB12/0123456789abcdef0123456789abcdef.jpg", "/vendor-files/AB12/***.jpg"),
    ("/sandbox/x/vendor-callbacks/pixelz/live/tok?sig=1#frag", "/sandbox/x/vendor-callbacks/pixelz/live/***?sig=***#***"),
    ("https://user:hunter2@shop.example/hook?token=abc&bare", "https://***@shop.example/hook?token=***&***"),
    ("/orders", "/orders"),
])
def test_urls_are_logged_without_query_values_tokens_or_passwords(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    assert redact_text(f"failed: ConnectError({url!r}) after 3 s") == f"failed: ConnectError({shown!r}) after 3 s"


def test_the_log_setup_silences_url_loggers_and_redacts_what_reaches_its_handler() -> None:
    configure_logging("debug")
    assert all(logging.getLogger(name).getEffectiveLevel() == logging.WARNING for name in ("httpx", "httpcore"))
    record = logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1, "failed %s", (
        "http://h/vendor-files/C/secret-file-token.png?k=secret-query",), None)
    try:
        raise RuntimeError("posting to http://h/hook?token=secret-in-traceback")
    except RuntimeError as err:
        record.exc_info = (type(err), err, err.__traceback__)
    assert RedactFilter().filter(record)
    line = logging.Formatter().format(record)
    assert "failed http://h/vendor-files/C/***.png?k=***" in line and "token=***" in line
    assert not any(s in line for s in ("secret-file-token", "secret-query", "secret-in-traceback"))


class Receiver:
    """The merchant's callback endpoint, and the public URL the sandboxes call back (answers 200)."""

    def __init__(self) -> None:
        self.callbacks: list[tuple[dict[str, str], bytes]] = []

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        if request.url.path == "/hook":
            self.callbacks.append((dict(request.headers), body))
        return Response("ok")

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{path:path}", self.endpoint, methods=["POST", "GET"])])


class SentValues:
    """Every credential or signature easel's own HTTP client sends (query, JSON body, headers)."""

    def __init__(self) -> None:
        self.values: set[str] = set()

    async def __call__(self, request: httpx.Request) -> None:
        found = [*request.url.params.multi_items(), *request.headers.items()]
        if request.headers.get("content-type", "").startswith("application/json") and request.content:
            body = json.loads(request.content)
            if isinstance(body, dict):
                found += [(k, v) for k, v in body.items() if isinstance(v, str)]
        self.values |= {value for key, value in found if key.lower() in SENSITIVE_FIELDS and value}


@contextmanager
def vendor_servers(receiver: Receiver) -> Iterator[dict[str, str]]:
    upstream = create_image2art(Image2ArtSandboxSettings(control_token=CONTROL_TOKEN), clock=SandboxClock(speed=0))
    pixelz = create_pixelz(PixelzSandboxSettings(control_token=CONTROL_TOKEN, callbacks_allow_private=True))
    with pwinty_sandbox(accounts={"sandbox-merchant": PWINTY_KEY}, control_token=CONTROL_TOKEN) as pwinty_url, \
            run_asgi(pixelz) as pixelz_url, run_asgi(upstream) as upstream_url, run_asgi(receiver.app()) as hook:
        yield {"pwinty": pwinty_url, "pixelz": pixelz_url, "image2art": upstream_url, "hook": hook}


async def _runtime(settings: Settings, folder: Path, urls: dict[str, str], clock: FakeClock) -> Runtime:
    accounts = folder / "vendors.json"
    accounts.write_text(json.dumps({
        "pwinty": {"sandbox": {"url": urls["pwinty"], "merchant_id": "sandbox-merchant", "api_key": PWINTY_KEY}},
        "pixelz": {"sandbox": {"url": f"{urls['pixelz']}/REST.svc/JSON", **PIXELZ}},
        "image2art": {"sandbox": {"url": urls["image2art"], **IMAGE2ART}}}))
    runtime = Runtime.create(replace(settings, vendor_accounts=str(accounts), rate_limit=10**6, poll_interval=600,
                                     callbacks_allow_private=True, public_url=urls["hook"], log_level="debug"))
    await seed_demo(runtime, images=False)
    runtime.dispatch.clock = runtime.dispatch.callbacks.clock = clock
    async with runtime.engine.begin() as conn:
        merchant = await merchant_store.merchant_by_username(conn, DEMO_USERNAME)
        assert merchant is not None
        await merchant_store.update_merchant(conn, merchant.id, {
            "callback_url": f"{urls['hook']}/hook?token={MERCHANT_CALLBACK_TOKEN}",
            "routing": {"rules": [{"when": {"style": "CG"}, "vendors": ["pwinty"], "retouch": "pixelz"}],
                        "default": ["image2art"]}})
    return runtime


async def _secrets_involved(runtime: Runtime) -> set[str]:
    """Every secret the run handled: credentials, the server-derived URL tokens, the callback secret."""
    dispatch = runtime.dispatch
    async with runtime.engine.connect() as conn:
        codes = (await conn.scalars(select(artworks.c.code))).all()
    return {DEMO_SECRET, "whsec_" + base64.b64encode(DEMO_SECRET.encode()).decode(), IMAGE2ART["secret"],
            PIXELZ["api_key"], PIXELZ["secret"], PWINTY_KEY, MERCHANT_CALLBACK_TOKEN, *HOSTILE_QUERY.values(),
            *(dispatch.callback_token(v, a) for v in dispatch.drivers for a in ("sandbox", "live")),
            *(dispatch.file_token(code) for code in codes)}


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Everything logged: INFO for every logger, DEBUG for easel's."""
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="easel")
    yield caplog


@pytest.mark.anyio
async def test_a_full_order_through_every_vendor_leaves_no_secret_in_the_logs(
        settings: Settings, tmp_path: Path, logs: pytest.LogCaptureFixture) -> None:
    receiver, sent, clock = Receiver(), SentValues(), FakeClock()
    with vendor_servers(receiver) as urls:
        runtime = await _runtime(settings, tmp_path, urls, clock)
        runtime.http.event_hooks["request"].append(sent)
        try:
            async with api_client(runtime) as client:
                skus = [*await styled_skus(runtime, "CG", "S"), *await styled_skus(runtime, "PF", "S")]
                order_id = await place(client, skus)
                run = worker(runtime)
                await run.run_until_idle()  # Pixelz retouches, the framed print goes upstream
                httpx.post(f"{urls['pixelz']}/_control/clock", json={"advance": 7 * 86400},  # noqa: ASYNC210
                           headers=CONTROL).raise_for_status()
                httpx.post(f"{urls['image2art']}/_control/clock", json={"advance": 600 + 86400},  # noqa: ASYNC210
                           headers=CONTROL).raise_for_status()
                for _ in range(3):  # polls: Pixelz and the upstream read back, the retouched file to Pwinty
                    clock.advance(601)
                    await run.run_until_idle()
                events = (await call(client, "GET", f"/orders/{order_id}/events")).json()["events"]
                assert "order.retouched" in [e["type"] for e in events]

                # What vendors and strangers send to easel's secret URLs, with secrets in the query too.
                dispatch = runtime.dispatch
                for vendor in ("pwinty", "pixelz", "image2art"):
                    path = dispatch.callback_url(vendor, "sandbox").removeprefix(dispatch.public_url)
                    await client.post(path, params=HOSTILE_QUERY, content=b"{}")
                async with runtime.engine.connect() as conn:
                    code = (await conn.scalars(select(artworks.c.code))).first()
                assert code is not None
                await client.get(f"/vendor-files/{code}/{dispatch.file_token(code)}.jpg", params=HOSTILE_QUERY)
                signed = sign_request("orders", {"start": 0, "rows": 5}, DEMO_USERNAME, DEMO_SECRET)
                assert (await client.get("/orders", params=signed)).status_code == 200
                secrets = await _secrets_involved(runtime) | {signed["signature"]}
        finally:
            await runtime.close()

    assert receiver.callbacks, "the merchant got no status callback"
    for headers, body in receiver.callbacks:
        verify_webhook(DEMO_SECRET, headers, body, tolerance=3600)  # the test clock ran half an hour ahead
        secrets.add(headers["webhook-signature"])
    assert any(v.startswith(PIXELZ["api_key"]) for v in sent.values) and len(sent.values) > 5
    secrets |= sent.values
    logged = logs.text
    leaked = sorted(s for s in secrets if len(s) >= 8 and s in logged)
    assert not leaked, f"secrets in the logs: {leaked}"
    assert "pixelz.get_status GET" in logged and "contactAPIkey=***" in logged  # the calls were logged
    assert "/vendor-callbacks/pwinty/sandbox/***?signature=***&api_key=***" in logged


# --- 2. the database is readable by its owner only ------------------------------------------------------------

@pytest.mark.anyio
@pytest.mark.parametrize("existing_mode", [None, 0o644, 0o666])
async def test_the_sqlite_database_and_its_wal_are_private_to_the_owner(tmp_path: Path,
                                                                        existing_mode: int | None) -> None:
    folder = tmp_path / "var"
    database = folder / "easel.sqlite3"
    if existing_mode is not None:  # a database made before easel narrowed it, or copied in
        folder.mkdir(mode=0o755)
        database.touch()
        database.chmod(existing_mode)
    old_umask = os.umask(0o022)
    try:
        engine = create_engine(f"sqlite+aiosqlite:///{database}")
    finally:
        os.umask(old_umask)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE addresses (name TEXT)"))
            await conn.execute(text("INSERT INTO addresses VALUES ('Jane Doe, 456 False Ln.')"))
        files = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
        assert all(f.exists() for f in files)
        assert {f.name: oct(stat.S_IMODE(f.stat().st_mode)) for f in files} == {f.name: "0o600" for f in files}
        if existing_mode is None:
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    finally:
        await engine.dispose()


# --- 3. merchant callbacks: the standard's library, and one error for any input -----------------------------

def test_callbacks_are_signed_as_the_standard_webhooks_library_signs_and_checks_them() -> None:
    body = b'{"type":"order.shipped","data":{"order_id":1}}'
    library = standardwebhooks.Webhook(base64.b64encode(DEMO_SECRET.encode()).decode())
    now = int(time.time())
    headers = signed_headers(DEMO_SECRET, "evt_1", now, body)
    assert library.verify(body, headers) == json.loads(body)
    by_library = {"webhook-id": "evt_2", "webhook-timestamp": str(now),
                  "webhook-signature": library.sign("evt_2", datetime.fromtimestamp(now, UTC), body)}
    assert verify_webhook(DEMO_SECRET, by_library, body)["data"]["order_id"] == 1
    assert sign(DEMO_SECRET, "evt_2", now, body) == by_library["webhook-signature"]
    with pytest.raises(WebhookVerificationError):
        verify_webhook(DEMO_SECRET, {**headers, "webhook-timestamp": str(now - 301)}, body)
    assert verify_webhook(DEMO_SECRET, signed_headers(DEMO_SECRET, "evt_3", now - 3600, body), body,
                          tolerance=7200)["type"] == "order.shipped"


HOSTILE_HEADERS = [
    {},
    {"webhook-id": "évt", "webhook-timestamp": "١٧٠٠٠٠٠٠٠٠", "webhook-signature": "v1,ü"},
    {"webhook-id": "\ud800", "webhook-timestamp": "1", "webhook-signature": "v1,\udcff"},
    {"webhook-id": "e", "webhook-timestamp": "9" * 40, "webhook-signature": "v1,x"},
    {"webhook-id": "e", "webhook-timestamp": "nan", "webhook-signature": "v1,x"},
    {"webhook-id": b"e", "webhook-timestamp": b"1", "webhook-signature": b"v1,x"},
    {"webhook-id": None, "webhook-timestamp": 1, "webhook-signature": ["v1,x"]},
    {1: "x", ("t",): "y"},
    [("webhook-id", "e")],
    None,
    "webhook-id: e",
]


@pytest.mark.parametrize("headers", HOSTILE_HEADERS)
@pytest.mark.parametrize("secret", [DEMO_SECRET, "", "whsec_", "whsec_a", "\ud800", b"", None, 12])
@pytest.mark.parametrize("body", [b"{}", "{}", None, 3, bytearray(b"[")])
def test_verify_webhook_refuses_hostile_input_with_its_documented_error(headers: Any, secret: Any,
                                                                        body: Any) -> None:
    with pytest.raises(ValueError) as caught:
        verify_webhook(secret, headers, body)
    assert isinstance(caught.value, WebhookVerificationError)


_anything = st.one_of(st.none(), st.integers(), st.binary(max_size=40), st.text(st.characters(), max_size=40),
                      st.lists(st.text(max_size=5), max_size=3))
_names = st.one_of(st.sampled_from(["webhook-id", "Webhook-Timestamp", "WEBHOOK-SIGNATURE"]), st.none(),
                   st.integers(), st.binary(max_size=20), st.text(st.characters(), max_size=20))


@hypothesis_settings(max_examples=300, deadline=None)
@given(secret=st.one_of(st.text(st.characters()), st.binary(), _anything),
       headers=st.one_of(st.dictionaries(_names, _anything, max_size=5), _anything),
       body=st.one_of(st.binary(max_size=200), _anything), signed=st.booleans())
def test_verify_webhook_raises_only_its_documented_error_on_any_input(secret: Any, headers: Any, body: Any,
                                                                    signed: bool) -> None:
    if signed and isinstance(headers, dict) and isinstance(body, bytes) and isinstance(secret, str | bytes):
        with contextlib.suppress(WebhookVerificationError):  # a correct signature; the body may not be JSON
            headers = {**headers, **signed_headers(secret, "evt", 1_700_000_000, body)}
    try:
        event = verify_webhook(secret, headers, body, tolerance=10**12)
    except WebhookVerificationError:
        return
    assert event == json.loads(body)
