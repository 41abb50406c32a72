"""Pixelz webhook verification: the document's HMAC recipe, header spellings, partner header, refusals,
and webhooks sent by the sandbox over real HTTP and verified by the adapter.

The document gives the recipe in C#, Node.js and PHP but no example values (its secret is the
placeholder MY_APPLICATION_SECRET_CODE), so the recipe is checked against the document's own PHP
function run by the php binary (required by the suite, as for the order API's signatures) and its
Node.js function when node is installed.
"""

from __future__ import annotations

import base64
import json
import logging
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from easel.sandboxes import SandboxClock
from easel.sandboxes.pixelz import PixelzSandboxSettings, create_app
from easel.vendors import VendorError, VendorProtocolError
from easel.vendors.pixelz import (
    PixelzAdapter,
    WebhookUnverified,
    parse_webhook,
    verify_webhook,
    webhook_signature,
)

from .sandbox_access import CONTROL, CONTROL_TOKEN, loopback_outbound
from .servers import run_asgi

FIXTURES = Path(__file__).parent / "fixtures" / "pixelz"
SECRET = "MY_APPLICATION_SECRET_CODE"
PARTNER_SECRET = "PARTNER_APPLICATION_SECRET_CODE"
BODY = (FIXTURES / "webhook.json").read_bytes()
BODIES = [BODY, (FIXTURES / "webhook_form.txt").read_bytes(), b"", "{\"a\":\"é/😀\"}".encode(), bytes(range(1, 128))]
KEYS = [SECRET, "s3cr3t", "sécret🔑/\"\\"]

# verify_webhook from the document's PHP example; only the constant becomes a parameter.
PHP = r"""<?php
function verify_webhook($data, $hmac_header, $app_code)
{
    $calculated_hmac = base64_encode(hash_hmac('sha256', $data, $app_code, true));
    return ($hmac_header == $calculated_hmac);
}
foreach (json_decode(file_get_contents('php://stdin'), true) as $case) {
    $data = base64_decode($case['body']);
    echo base64_encode(hash_hmac('sha256', $data, $case['key'], true)), ' ',
         var_export(verify_webhook($data, $case['claimed'], $case['key']), true), "\n";
}
"""
# verifyWebhook from the document's Node.js example; the secret comes from the case, not the environment.
NODE = r"""
const crypto = require('crypto');
function verifyWebhook(body, hmacHeader, secret){
    let calculatedHmac = crypto.createHmac('sha256', secret).update(body).digest('base64');
    return calculatedHmac === hmacHeader;
}
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
for (const c of cases) {
    const body = Buffer.from(c.body, 'base64');
    const sig = crypto.createHmac('sha256', c.key).update(body).digest('base64');
    console.log(sig + ' ' + verifyWebhook(body, c.claimed, c.key));
}
"""


def _cases() -> list[dict[str, str]]:
    return [{"body": base64.b64encode(b).decode(), "key": k, "claimed": webhook_signature(b, k)}
            for b in BODIES for k in KEYS]  # fmt: skip


def _run(command: list[str], stdin: str) -> list[str]:
    done = subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=30, check=True)
    return done.stdout.splitlines()


def test_recipe_matches_the_documents_php_function(tmp_path: Path) -> None:
    php = shutil.which("php")
    assert php, "php is required for this test: `make system-deps` installs php-cli"
    script = tmp_path / "verify.php"
    script.write_text(PHP)
    cases = _cases()
    lines = _run([php, str(script)], json.dumps(cases))
    assert lines == [f"{c['claimed']} true" for c in cases]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_recipe_matches_the_documents_node_function(tmp_path: Path) -> None:
    script = tmp_path / "verify.js"
    script.write_text(NODE)
    cases = _cases()
    lines = _run([str(shutil.which("node")), str(script)], json.dumps(cases))
    assert lines == [f"{c['claimed']} true" for c in cases]


def test_signature_is_base64_of_a_sha256_digest() -> None:
    assert len(base64.b64decode(webhook_signature(BODY, SECRET), validate=True)) == 32


# -- verification -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["HTTP_X_PXZ_CUSTOMER_HMAC_SHA256", "X-PXZ-CUSTOMER-HMAC-SHA256", "x-pxz-customer-hmac-sha256",
     "x_pxz_customer_hmac_sha256", "Http_X_Pxz_Customer_Hmac_Sha256"],
)  # fmt: skip
def test_customer_header_is_accepted_however_it_is_spelled(name: str) -> None:
    hook = verify_webhook(BODY, {name: webhook_signature(BODY, SECRET)}, customer_secret=SECRET)
    assert hook.image_ticket == "33979dfe-5ea7-44ea-b3dd-7fde33bc37e9" and hook.template_id == 2066863
    assert hook.customer_image_id == "1234" and hook.processed_image_url.endswith("/final/myimage.jpg")


def test_missing_header_is_refused_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="easel.vendors.pixelz"), pytest.raises(WebhookUnverified) as caught:
        verify_webhook(BODY, {"Content-Type": "application/json"}, customer_secret=SECRET)
    assert caught.value.reason == "no customer signature header"
    assert "pixelz webhook refused: no customer signature header" in caplog.text


def test_unverified_is_a_vendor_error_that_says_do_not_retry() -> None:
    with pytest.raises(VendorError) as caught:
        verify_webhook(BODY, [], customer_secret=SECRET)
    assert isinstance(caught.value, WebhookUnverified)
    assert (caught.value.vendor, caught.value.call, caught.value.retryable) == ("pixelz", "webhook", False)


@pytest.mark.parametrize(
    ("body", "signature"),
    [
        (BODY, webhook_signature(BODY, "another secret")),
        (BODY.replace(b"1234", b"9999"), webhook_signature(BODY, SECRET)),
        (BODY, webhook_signature(BODY, SECRET).lower()),
        (BODY, ""),
        (BODY, "not base64 at all ✗"),
    ],
)
def test_wrong_signature_or_changed_body_is_refused(body: bytes, signature: str) -> None:
    with pytest.raises(WebhookUnverified, match="customer signature does not match"):
        verify_webhook(body, {"HTTP_X_PXZ_CUSTOMER_HMAC_SHA256": signature}, customer_secret=SECRET)


def test_a_forged_second_copy_of_the_header_is_refused() -> None:
    headers = [("HTTP_X_PXZ_CUSTOMER_HMAC_SHA256", webhook_signature(BODY, SECRET)),
               ("X-PXZ-CUSTOMER-HMAC-SHA256", webhook_signature(BODY, "forger"))]  # fmt: skip
    with pytest.raises(WebhookUnverified):
        verify_webhook(BODY, headers, customer_secret=SECRET)


def test_partner_header_is_required_when_a_partner_secret_is_set() -> None:
    customer = {"HTTP_X_PXZ_CUSTOMER_HMAC_SHA256": webhook_signature(BODY, SECRET)}
    with pytest.raises(WebhookUnverified, match="no partner signature header"):
        verify_webhook(BODY, customer, customer_secret=SECRET, partner_secret=PARTNER_SECRET)
    wrong = {**customer, "HTTP_X_PXZ_PARTNER_HMAC_SHA256": webhook_signature(BODY, SECRET)}
    with pytest.raises(WebhookUnverified, match="partner signature does not match"):
        verify_webhook(BODY, wrong, customer_secret=SECRET, partner_secret=PARTNER_SECRET)
    good = {**customer, "X-PXZ-PARTNER-HMAC-SHA256": webhook_signature(BODY, PARTNER_SECRET)}
    assert verify_webhook(BODY, good, customer_secret=SECRET, partner_secret=PARTNER_SECRET).template_id == 2066863


def test_partner_header_alone_is_not_enough() -> None:
    partner_only = {"HTTP_X_PXZ_PARTNER_HMAC_SHA256": webhook_signature(BODY, PARTNER_SECRET)}
    with pytest.raises(WebhookUnverified, match="no customer"):
        verify_webhook(BODY, partner_only, customer_secret=SECRET, partner_secret=PARTNER_SECRET)


def test_partner_header_is_ignored_without_a_partner_secret() -> None:
    headers = {"HTTP_X_PXZ_CUSTOMER_HMAC_SHA256": webhook_signature(BODY, SECRET),
               "HTTP_X_PXZ_PARTNER_HMAC_SHA256": "garbage"}  # fmt: skip
    assert verify_webhook(BODY, headers, customer_secret=SECRET).image_ticket


def test_form_encoded_webhook_is_read_too() -> None:
    hook = parse_webhook((FIXTURES / "webhook_form.txt").read_bytes())
    assert hook.template_id == 2066863 and hook.customer_image_id is None
    assert hook.processed_image_url == "https://www.pixelz.com/1000003/2000000/final/myimage.jpg"


def test_a_signed_body_without_the_required_fields_fails_loudly() -> None:
    body = b'{"imageTicket": "x"}'
    with pytest.raises(VendorProtocolError, match="processedImageURL"):
        verify_webhook(body, {"X-PXZ-CUSTOMER-HMAC-SHA256": webhook_signature(body, SECRET)}, customer_secret=SECRET)


def test_adapter_needs_both_developer_key_and_partner_secret() -> None:
    with pytest.raises(ValueError, match="together"):
        PixelzAdapter(httpx.AsyncClient(), contact_email="a@b.c", api_key="k", secret="s",
                      base_url="http://127.0.0.1/REST.svc/JSON", sandbox=True, developer_api_key="d")  # fmt: skip


# -- sent by the sandbox, over real HTTP, verified by the adapter -----------------------------------


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[str, list[tuple[int, httpx.Headers]]]]:
    """A merchant endpoint that verifies with the adapter: 200 when verified, 401 otherwise."""
    seen: list[tuple[int, httpx.Headers]] = []
    partner = PixelzAdapter(
        httpx.AsyncClient(), contact_email="sandbox@pixelz.example", api_key="k", secret=SECRET,
        base_url="http://127.0.0.1/REST.svc/JSON", sandbox=True, developer_api_key="d", partner_secret=PARTNER_SECRET,
    )  # fmt: skip

    async def receive(request: Request) -> Response:
        body = await request.body()
        try:
            partner.verify_webhook(body, request.headers)
        except WebhookUnverified:
            seen.append((401, httpx.Headers(request.headers.raw)))
            return PlainTextResponse("unverified", 401)
        seen.append((200, httpx.Headers(request.headers.raw)))
        return PlainTextResponse("OK")

    with run_asgi(Starlette(routes=[Route("/pixelz", receive, methods=["POST"])])) as url:
        yield f"{url}/pixelz", seen


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("style", "encoding", "developer", "expected"),
    [
        ("document", "json", True, 200),
        ("plain", "form", True, 200),
        ("document", "json", False, 401),  # no partner header: this receiver has a developer key set
    ],
)
async def test_sandbox_webhooks_verify_over_http(
    receiver: tuple[str, list[tuple[int, httpx.Headers]]], style: str, encoding: str, developer: bool, expected: int
) -> None:
    url, seen = receiver
    seen.clear()
    settings = PixelzSandboxSettings.model_validate({"webhook_header_style": style, "webhook_encoding": encoding,
                                                     "control_token": CONTROL_TOKEN})
    async with httpx.AsyncClient() as outbound:
        app = create_app(settings, clock=SandboxClock(speed=0), outbound=loopback_outbound(outbound))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pixelz") as client:
            post = {"contactEmail": "sandbox@pixelz.example", "contactAPIkey": "44979dfe-5aa7-44ea-b3dd-7fae33bc37e9",
                    "imageURL": "https://img.example.com/a.jpg", "imageCallbackURL": url, "customerImageId": "c1"}
            if developer:
                post["developerAPIkey"] = "5ea1a104-f31f-4de1-b7f8-e4444e38e32a"
            r = await client.post("/REST.svc/JSON/Image/", json=post)
            assert r.json()["ErrorCode"] == "NoError"
            await client.post("/_control/clock", json={"advance": 4 * 3600}, headers=CONTROL)
            await client.post("/_control/tick", headers=CONTROL)
    assert [status for status, _ in seen] == [expected]
    names = {k.lower() for k in seen[0][1]}
    customer = "http_x_pxz_customer_hmac_sha256" if style == "document" else "x-pxz-customer-hmac-sha256"
    assert customer in names
