"""The Pixelz adapter: recorded answers parsed leniently, then the whole flow over real HTTP against the
sandbox (uvicorn on a free port), with faults.

The recorded answers under fixtures/pixelz are the document's JSON examples (image_post, image_status,
images_list, templates, template, delete) and, for what the document does not show, answers in the
sandbox's shape (error_*, status_unknown_id).
"""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.routing import Mount

from easel.sandboxes import SandboxClock
from easel.sandboxes.pixelz import PixelzSandboxSettings, create_app
from easel.vendors import (
    RetryPolicy,
    VendorAuthError,
    VendorNotFound,
    VendorProtocolError,
    VendorRateLimited,
    VendorRejected,
    VendorTimeout,
    VendorUnavailable,
)
from easel.vendors.pixelz import STATUS_DESCRIPTIONS, ImageUpload, PixelzAdapter, PixelzStatus

from .sandbox_access import CONTROL, CONTROL_TOKEN
from .servers import run_asgi

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures" / "pixelz"
EMAIL, KEY, SECRET = "sandbox@pixelz.example", "44979dfe-5aa7-44ea-b3dd-7fae33bc37e9", "MY_APPLICATION_SECRET_CODE"
RECORDED_BASE = "http://pixelz.test/REST.svc/JSON"
FAST_RETRY = RetryPolicy(attempts=3, backoff=0.01, max_wait=2.0)
HOUR = 3600.0


def recorded(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def replay(name: str, status: int = 200, sent: list[httpx.Request] | None = None) -> PixelzAdapter:
    body = recorded(name)

    def answer(request: httpx.Request) -> httpx.Response:
        if sent is not None:
            sent.append(request)
        return httpx.Response(status, json=body)

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    return PixelzAdapter(client, contact_email=EMAIL, api_key=KEY, secret=SECRET, base_url=RECORDED_BASE,
                         sandbox=True, retry=RetryPolicy(attempts=1))  # fmt: skip


# -- recorded answers -------------------------------------------------------------------------------


async def test_recorded_post_with_string_is_trial_and_numeric_customer_id() -> None:
    submitted = await replay("image_post").submit_image("https://x.example/a.jpg", customer_image_id="12345")
    assert submitted.image_ticket == "a37a1f55-7cd4-4474-db19-ac03e85538a7"
    assert submitted.is_trial is False and submitted.customer_image_id == "12345"


async def test_recorded_status_resolves_relative_file_paths() -> None:
    adapter = replay("image_status")
    status = await adapter.get_status("33979dfe-5ea7-44ea-b3dd-7fde33bc37e9")
    assert status.status is PixelzStatus.DELIVERED and status.status.finished and status.status_name == "Delivered"
    assert status.product_id is None and status.customer_image_id == "1234" and status.is_paid is False
    assert adapter.final_image_urls(status) == ["http://pixelz.test/1000003/2000000/final/myimage.jpg"]


async def test_recorded_list_with_paths_without_a_leading_slash() -> None:
    adapter = replay("images_list")
    first, second = await adapter.list_images()
    assert (first.status, second.status) == (PixelzStatus.PRODUCTION_FINISHED, PixelzStatus.DELIVERED)
    assert first.customer_image_id is None
    assert adapter.final_image_urls(first) == ["http://pixelz.test/1000003/2000000/final/myimage1.jpg"]


async def test_recorded_templates_with_missing_fields() -> None:
    templates = await replay("templates").list_templates()
    assert [(t.template_id, t.template_name, t.prices[0].amount) for t in templates] == [
        (21032576, "JPEG MANNEQUIN", 2.0), (203863, "PNG", 1.5), (20635295, "Flats", 1.0),
    ]  # fmt: skip


async def test_recorded_template_detail() -> None:
    template = await replay("template").get_template(2066863)
    assert (template.id, template.output_format, template.delivery_time_in_hours) == (2066863, "PNG", 24)
    assert template.callback_url is None and template.price is not None and template.price.amount == 2.25


async def test_recorded_delete_with_a_numeric_error_code_is_success() -> None:
    await replay("delete").delete_image("8de624ab-593b-409d-8324-eb4890c4b867")


async def test_recorded_authentication_error_inside_a_200() -> None:
    with pytest.raises(VendorAuthError) as caught:
        await replay("error_authentication").list_templates()
    assert caught.value.message.startswith("AuthenticationFailed:") and not caught.value.retryable


async def test_unknown_error_code_is_refused_by_name() -> None:
    with pytest.raises(VendorRejected, match=r"AccountSuspended: Your account is suspended\.") as caught:
        await replay("error_unknown_code").get_status("x")
    assert not caught.value.retryable and caught.value.call == "get_status"


async def test_unknown_status_id_fails_loudly() -> None:
    with pytest.raises(VendorProtocolError, match="StatusId"):
        await replay("status_unknown_id").get_status("x")


async def test_submit_sends_the_documents_fields_and_header() -> None:
    sent: list[httpx.Request] = []
    adapter = replay("image_post", sent=sent)
    await adapter.submit_image("https://x.example/a.jpg", customer_image_id="ES1-1", template_id=2000045,
                               callback_url="https://easel.example/hooks/pixelz/abc", product_id="ES1")  # fmt: skip
    request = sent[0]
    assert str(request.url) == f"{RECORDED_BASE}/Image/" and request.method == "POST"
    assert request.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert json.loads(request.content) == {
        "contactEmail": EMAIL, "contactAPIkey": KEY, "imageURL": "https://x.example/a.jpg", "customerImageId": "ES1-1",
        "templateId": "2000045", "imageCallbackURL": "https://easel.example/hooks/pixelz/abc", "productId": "ES1",
    }  # fmt: skip


async def test_reads_send_credentials_in_the_query_string() -> None:
    sent: list[httpx.Request] = []
    await replay("image_status", sent=sent).find_image("ES1-1")
    assert sent[0].url.path == "/REST.svc/JSON/Image/nonticket/"
    assert dict(sent[0].url.params) == {"contactEmail": EMAIL, "contactAPIkey": KEY, "customerImageId": "ES1-1"}


def test_status_table_is_the_documents() -> None:
    assert len(PixelzStatus) == 20 and set(STATUS_DESCRIPTIONS) == set(PixelzStatus)
    assert PixelzStatus(72).description == "Production finished – 1st delivery attempt failed"
    assert PixelzStatus(20).description == "Deprecated! New images – waiting for payment"
    assert [s for s in PixelzStatus if s.failed] == [0, 12, 90, 999]


async def test_a_sandbox_adapter_cannot_target_the_live_api() -> None:
    async with httpx.AsyncClient() as client:
        with pytest.raises(ValueError, match="live"):
            PixelzAdapter(client, contact_email=EMAIL, api_key=KEY, secret=SECRET, base_url=PixelzAdapter.LIVE_URL,
                          sandbox=True)  # fmt: skip


# -- over real HTTP against the sandbox ------------------------------------------------------------


@dataclass
class Live:
    url: str
    control: httpx.AsyncClient
    sleeps: list[float] = field(default_factory=list)
    adapter: PixelzAdapter = field(init=False)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    async def faults(self, **changes: Any) -> None:
        (await self.control.post("/_control/faults", json=changes)).raise_for_status()

    async def advance(self, seconds: float) -> None:
        await self.control.post("/_control/clock", json={"advance": seconds})
        await self.control.post("/_control/tick")

    async def counts(self) -> dict[str, int]:
        counts: dict[str, int] = (await self.control.get("/_control/images")).json()["countsByCustomerImageId"]
        return counts

    def other(self, **kwargs: Any) -> PixelzAdapter:
        args: dict[str, Any] = {"contact_email": EMAIL, "api_key": KEY, "secret": SECRET,
                                "base_url": f"{self.url}/REST.svc/JSON", "sandbox": True, **kwargs}  # fmt: skip
        return PixelzAdapter(self.adapter.client, **args)


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    """One sandbox for the module; tests keep apart by their own customerImageIds."""
    with run_asgi(create_app(PixelzSandboxSettings(tick_seconds=3600, control_token=CONTROL_TOKEN, callbacks_allow_private=True),
                            clock=SandboxClock(speed=0))) as url:
        yield url


@pytest.fixture
async def live(sandbox_url: str) -> AsyncIterator[Live]:
    async with httpx.AsyncClient() as client, httpx.AsyncClient(base_url=sandbox_url, headers=CONTROL) as control:
        (await control.delete("/_control/faults")).raise_for_status()
        live = Live(sandbox_url, control)
        live.adapter = PixelzAdapter(
            client, contact_email=EMAIL, api_key=KEY, secret=SECRET, base_url=f"{sandbox_url}/REST.svc/JSON",
            sandbox=True, timeout=httpx.Timeout(2.0, connect=1.0), retry=FAST_RETRY, sleep=live.sleep,
        )  # fmt: skip
        yield live


async def test_happy_path_from_submission_to_the_retouched_file(live: Live) -> None:
    px = live.adapter
    status = await px.ensure_image("https://img.example.com/art/sunset.jpg", customer_image_id="px-100",
                                   template_id=21032576)  # fmt: skip
    assert status.status is PixelzStatus.NEW and status.customer_image_id == "px-100"
    await live.advance(600)
    assert (await px.get_status(status.image_ticket)).status is PixelzStatus.IN_PRODUCTION
    await live.advance(4 * HOUR)
    finished = await px.get_status(status.image_ticket)
    assert finished.status is PixelzStatus.PRODUCTION_FINISHED and finished.status.finished
    (url,) = px.final_image_urls(finished)
    assert url.startswith(live.url) and url.split("?")[0].endswith("/final/sunset.jpg")
    delivered = await px.fetch_image(url)
    assert delivered.content_type == "image/jpeg" and Image.open(io.BytesIO(delivered.content)).format == "JPEG"


async def test_ensure_image_does_not_submit_twice(live: Live) -> None:
    first = await live.adapter.ensure_image("https://img.example.com/a.jpg", customer_image_id="px-101")
    again = await live.adapter.ensure_image("https://img.example.com/a.jpg", customer_image_id="px-101")
    assert first.image_ticket == again.image_ticket and (await live.counts())["px-101"] == 1


async def test_lost_answer_on_submit_is_recovered_exactly_once(live: Live) -> None:
    await live.faults(script=["lost"])
    adapter = live.other(timeout=httpx.Timeout(0.3))
    with pytest.raises(VendorTimeout):
        await adapter.submit_image("https://img.example.com/a.jpg", customer_image_id="px-102")
    recovered = await adapter.ensure_image("https://img.example.com/a.jpg", customer_image_id="px-102")
    assert recovered.customer_image_id == "px-102" and (await live.counts())["px-102"] == 1


async def test_a_deleted_image_is_submitted_again(live: Live) -> None:
    first = await live.adapter.ensure_image("https://img.example.com/a.jpg", customer_image_id="px-103")
    await live.adapter.delete_image(first.image_ticket)
    await live.adapter.delete_image(first.image_ticket)  # already deleted counts as done
    second = await live.adapter.ensure_image("https://img.example.com/a.jpg", customer_image_id="px-103")
    assert second.image_ticket != first.image_ticket and second.status is PixelzStatus.NEW


async def test_delete_in_production_is_refused(live: Live) -> None:
    status = await live.adapter.ensure_image("https://img.example.com/a.jpg", customer_image_id="px-104")
    await live.advance(600)
    with pytest.raises(VendorRejected, match="CannotDeleteImage") as caught:
        await live.adapter.delete_image(status.image_ticket)
    assert caught.value.status == 409 and not caught.value.retryable


async def test_5xx_on_submit_is_retryable_and_not_repeated(live: Live) -> None:
    await live.faults(script=["error"])
    with pytest.raises(VendorUnavailable) as caught:
        await live.adapter.submit_image("https://img.example.com/a.jpg", customer_image_id="px-105")
    assert caught.value.retryable and caught.value.status == 503 and "px-105" not in await live.counts()


async def test_5xx_on_a_read_is_retried_and_429_waits(live: Live) -> None:
    await live.faults(script=["error", "rate_limit"], retry_after=1)
    assert await live.adapter.list_templates()
    assert live.sleeps == [0.01, 1.0]


async def test_long_retry_after_goes_up(live: Live) -> None:
    await live.faults(script=["rate_limit"], retry_after=60)
    with pytest.raises(VendorRateLimited) as caught:
        await live.adapter.get_template(203863)
    assert caught.value.retry_after == 60.0 and caught.value.retryable


async def test_bad_credentials_unknown_template_and_unknown_image(live: Live) -> None:
    with pytest.raises(VendorAuthError):
        await live.other(api_key="wrong").list_templates()
    with pytest.raises(VendorNotFound, match="TemplateNotFound"):
        await live.adapter.get_template(999)
    with pytest.raises(VendorNotFound, match="ImageNotFound"):
        await live.adapter.get_status("00000000-0000-0000-0000-000000000000")
    assert await live.adapter.find_image("px-never") is None


async def test_relative_image_url_is_refused_with_a_reason(live: Live) -> None:
    with pytest.raises(VendorRejected, match=r"imageURL must be an absolute http or https URL: a\.jpg"):
        await live.adapter.submit_image("a.jpg", customer_image_id="px-106")


async def test_templates_and_template_detail(live: Live) -> None:
    templates = await live.adapter.list_templates()
    assert [t.template_name for t in templates] == ["JPEG MANNEQUIN", "PNG", "Flats"]
    assert (await live.adapter.get_template(203863)).output_format == "PNG"


async def test_a_result_file_is_read_at_the_link_given_and_only_once_it_exists(live: Live) -> None:
    status = await live.adapter.ensure_image("https://img.example.com/a.jpg", customer_image_id="px-107")
    await live.advance(4 * HOUR)
    (link,) = (await live.adapter.get_status(status.image_ticket)).final_images_url
    with pytest.raises(VendorRejected, match="AccessDenied"):
        await live.adapter.fetch_image(link.split("?")[0])  # the bare path: image ids are sequential
    assert (await live.adapter.fetch_image(link)).content
    await live.control.post(f"/_control/images/{status.image_ticket}", json={"status": 60})
    with pytest.raises(VendorNotFound, match="FileNotReady"):
        await live.adapter.fetch_image(link)


async def test_failed_images_say_so(live: Live) -> None:
    status = await live.adapter.ensure_image("https://photos.invalid/a.jpg", customer_image_id="px-108")
    await live.advance(60)
    assert (await live.adapter.get_status(status.image_ticket)).status.failed


async def test_mounted_sandbox_files_resolve_under_the_mount() -> None:
    host = Starlette(routes=[Mount("/sandbox/pixelz", app=create_app(PixelzSandboxSettings(control_token=CONTROL_TOKEN),
                                                                  clock=SandboxClock(speed=0)))])
    with run_asgi(host) as url:
        async with httpx.AsyncClient() as client:
            base = f"{url}/sandbox/pixelz"
            px = PixelzAdapter(client, contact_email=EMAIL, api_key=KEY, secret=SECRET,
                               base_url=f"{base}/REST.svc/JSON", sandbox=True)  # fmt: skip
            status = await px.ensure_image("https://img.example.com/b.png", customer_image_id="m-1",
                                           template_id=203863)  # fmt: skip
            await client.post(f"{base}/_control/clock", json={"advance": 4 * HOUR}, headers=CONTROL)
            finished = await px.get_status(status.image_ticket)
            image = await px.fetch_image(finished.final_images_url[0])
    assert image.url.startswith(base) and image.content_type == "image/png"


# -- presigned uploads ------------------------------------------------------------------------------


async def test_upload_file_puts_bytes_or_streams_a_file_and_returns_the_download_url(live: Live,
                                                                                     tmp_path: Path) -> None:
    download = await live.adapter.upload_file(ImageUpload("small.jpg", b"\xff\xd8 bytes"))
    assert download.startswith(f"{live.url}/presigned/") and (await live.adapter.client.get(download)).content \
        == b"\xff\xd8 bytes"
    big = tmp_path / "master.tif"
    big.write_bytes(bytes(range(256)) * 12_000)  # ~3 MB, streamed in chunks with its length
    download = await live.adapter.upload_file(ImageUpload("master.tif", big))
    assert (await live.adapter.client.get(download)).content == big.read_bytes()


async def test_ensure_image_uploads_only_when_the_image_is_not_at_pixelz_yet(live: Live) -> None:
    reads: list[str] = []

    async def master() -> ImageUpload:
        reads.append("read")
        return ImageUpload("art.jpg", b"master bytes")

    first = await live.adapter.ensure_image("http://10.0.0.8/vendor-files/A/t.jpg", customer_image_id="up-1",
                                            upload=master)
    again = await live.adapter.ensure_image("http://10.0.0.8/vendor-files/A/t.jpg", customer_image_id="up-1",
                                            upload=master)
    assert first.image_ticket == again.image_ticket and reads == ["read"]
    images = (await live.control.get("/_control/images")).json()["images"]
    sent = next(i for i in images if i["customerImageId"] == "up-1")["imageURL"]
    assert sent.startswith(f"{live.url}/presigned/") and (await live.adapter.client.get(sent)).content == b"master bytes"


async def test_a_wrong_base_url_is_a_configuration_error_not_a_missing_image(live: Live) -> None:
    wrong = live.other(base_url=f"{live.url}/REST.svc/XML")
    with pytest.raises(VendorProtocolError, match=r"EndpointNotFound.*base_url"):
        await wrong.find_image("px-anything")
