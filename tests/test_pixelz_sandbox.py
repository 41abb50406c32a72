"""The Pixelz sandbox, in-process: shapes and quirks, validation, statuses on the clock, webhooks, faults."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from easel.sandboxes import SandboxClock
from easel.sandboxes.pixelz import PixelzSandbox, PixelzSandboxSettings, create_app
from easel.vendors.pixelz import STATUS_DESCRIPTIONS

from .sandbox_access import CONTROL, CONTROL_TOKEN, loopback_outbound

pytestmark = pytest.mark.anyio

EMAIL, KEY = "sandbox@pixelz.example", "44979dfe-5aa7-44ea-b3dd-7fae33bc37e9"
PARTNER_KEY = "5ea1a104-f31f-4de1-b7f8-e4444e38e32a"
AUTH = {"contactEmail": EMAIL, "contactAPIkey": KEY}
API = "/REST.svc/JSON"
HOUR = 3600.0
IMAGE = {**AUTH, "templateId": "21032576", "imageURL": "https://img.example.com/photos/sunset.jpg",
         "imageCallbackURL": "http://receiver/cb", "customerImageId": "ES1-item-1"}  # fmt: skip


@dataclass
class Harness:
    client: httpx.AsyncClient
    sandbox: PixelzSandbox
    webhooks: list[httpx.Headers]
    bodies: list[bytes]
    answers: list[int] = field(default_factory=list)

    async def post(self, **changes: Any) -> str:
        r = await self.client.post(f"{API}/Image/", json={**IMAGE, **changes})
        assert r.status_code == 200 and r.json()["ErrorCode"] == "NoError", r.text
        ticket: str = r.json()["ImageTicket"]
        return ticket

    async def status(self, ticket: str) -> dict[str, Any]:
        r = await self.client.get(f"{API}/Image/{ticket}/", params=AUTH)
        assert r.json()["ErrorCode"] == "NoError", r.text
        status: dict[str, Any] = r.json()["ImageStatus"]
        return status

    async def advance(self, seconds: float) -> None:
        await self.client.post("/_control/clock", json={"advance": seconds})
        await self.client.post("/_control/tick")


@pytest.fixture
async def px() -> AsyncIterator[Harness]:
    webhooks: list[httpx.Headers] = []
    bodies: list[bytes] = []
    answers: list[int] = []

    async def receive(request: Request) -> Response:
        webhooks.append(httpx.Headers(request.headers.raw))
        bodies.append(await request.body())
        return Response(status_code=answers.pop(0) if answers else 200)

    receiver = Starlette(routes=[Route("/cb", receive, methods=["POST"])])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver), base_url="http://receiver") as out:
        app = create_app(PixelzSandboxSettings(control_token=CONTROL_TOKEN), clock=SandboxClock(speed=0),
                         outbound=loopback_outbound(out))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://pixelz", headers=CONTROL) as client:
            yield Harness(client, app.state.sandbox, webhooks, bodies, answers)


# -- shapes -----------------------------------------------------------------------------------------


async def test_post_image_answers_the_documented_shape(px: Harness) -> None:
    r = await px.client.post(f"{API}/Image/", json={**IMAGE, "customerImageId": "12345"})
    body = r.json()
    assert r.status_code == 200 and body["ErrorCode"] == "NoError" and body["Message"] == ""
    assert body["IsTrial"] == "false" and body["CustomerImageId"] == 12345
    assert len(body["ImageTicket"]) == 36


async def test_new_image_status_has_every_documented_field(px: Harness) -> None:
    status = await px.status(await px.post())
    assert set(status) == {"CustomerImageId", "FinalImagesURL", "ImageTicket", "IsPaid", "ProductId", "StatusId",
                           "StatusName", "ThumbnailImageURL"}  # fmt: skip
    assert status["StatusId"] == 10 and status["StatusName"] == "New images" and status["FinalImagesURL"] == []


async def test_paths_work_with_and_without_the_trailing_slash(px: Harness) -> None:
    for path in (f"{API}/Templates/", f"{API}/Templates"):
        r = await px.client.get(path, params=AUTH)
        assert [t["TemplateName"] for t in r.json()["Templates"]] == ["JPEG MANNEQUIN", "PNG", "Flats"]


async def test_template_detail_has_the_documented_shape(px: Harness) -> None:
    r = await px.client.get(f"{API}/Template/203863/", params=AUTH)
    body = r.json()
    assert body["Message"] == "Success" and body["Template"]["OutputFormat"] == "PNG"
    assert body["Template"]["Price"] == {"Amount": 1.5, "Currency": "USD", "CurrencyId": 1}


async def test_credentials_are_matched_case_insensitively_by_field_name(px: Harness) -> None:
    r = await px.client.get(f"{API}/Templates/", params={"ContactEmail": EMAIL.upper(), "contactapikey": KEY})
    assert r.json()["ErrorCode"] == "NoError"


# -- validation -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"contactAPIkey": "wrong"}, "AuthenticationFailed"),
        ({"contactEmail": ""}, "MissingParameter"),
        ({"imageURL": ""}, "MissingParameter"),
        ({"imageURL": "myimage.jpg"}, "InvalidParameter"),
        ({"imageCallbackURL": "ftp://x/y"}, "InvalidParameter"),
        ({"templateId": "abc"}, "InvalidParameter"),
        ({"templateId": "999"}, "TemplateNotFound"),
        ({"developerAPIkey": "nobody"}, "InvalidDeveloperAPIkey"),
        ({"imageDeadlineDateTimeUTC": "tomorrow"}, "InvalidParameter"),
        ({"imageDeadlineDateTimeUTC": "2000-01-01 00:00:00"}, "InvalidDeadline"),
    ],
)
async def test_invalid_post_is_an_error_code_in_a_200(px: Harness, changes: dict[str, str], code: str) -> None:
    r = await px.client.post(f"{API}/Image/", json={**IMAGE, **changes})
    assert r.status_code == 200 and r.json()["ErrorCode"] == code and r.json()["Message"]
    assert px.sandbox.images == {}


async def test_a_body_that_is_not_json_is_a_400(px: Harness) -> None:
    r = await px.client.post(f"{API}/Image/", content=b"imageURL=x", headers={"Content-Type": "text/plain"})
    assert r.status_code == 400 and r.json()["ErrorCode"] == "InvalidRequest"


async def test_another_contacts_image_is_not_found(px: Harness) -> None:
    ticket = await px.post()
    other = {"contactEmail": "partner@pixelz.example", "contactAPIkey": PARTNER_KEY}
    r = await px.client.get(f"{API}/Image/{ticket}/", params=other)
    assert r.json()["ErrorCode"] == "ImageNotFound"


async def test_nonticket_finds_the_image_by_customer_image_id(px: Harness) -> None:
    ticket = await px.post()
    r = await px.client.get(f"{API}/Image/nonticket/", params={**AUTH, "customerImageId": "ES1-item-1"})
    assert r.json()["ImageStatus"]["ImageTicket"] == ticket
    r = await px.client.get(f"{API}/Image/nonticket/", params=AUTH)
    assert r.json()["ErrorCode"] == "MissingParameter"


# -- statuses on the clock --------------------------------------------------------------------------


async def test_image_moves_through_the_documented_statuses(px: Harness) -> None:
    ticket = await px.post(imageCallbackURL="")
    seen = []
    for step in (0, 30, 570, HOUR, HOUR, HOUR, HOUR):
        await px.advance(step)
        status = await px.status(ticket)
        seen.append((status["StatusId"], status["StatusName"]))
    assert [s for s, _ in seen] == [10, 30, 60, 62, 64, 66, 70]
    assert all(name == STATUS_DESCRIPTIONS[s] for s, name in seen[:-1])  # type: ignore[index]
    assert seen[-1][1] == "Production Finished"  # as the document's JSON examples name 70


async def test_finished_image_lists_final_and_thumbnail_paths_that_serve_real_images(px: Harness) -> None:
    ticket = await px.post(imageCallbackURL="", templateId="203863")
    await px.advance(4 * HOUR)
    status = await px.status(ticket)
    final, thumbnail = status["FinalImagesURL"][0], status["ThumbnailImageURL"]
    assert final.startswith("/1000003/") and final.split("?")[0].endswith("/final/sunset.png")
    r = await px.client.get(final)
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(r.content)).size == (96, 72)
    r = await px.client.get(thumbnail)
    assert r.status_code == 200 and Image.open(io.BytesIO(r.content)).size == (32, 24)


async def test_final_file_does_not_exist_before_production_finishes(px: Harness) -> None:
    ticket = await px.post()
    image = px.sandbox.images[ticket]
    r = await px.client.get(px.sandbox.file_link(image, "final"))
    assert r.status_code == 404 and r.json()["ErrorCode"] == "FileNotReady"


async def test_result_files_answer_only_at_their_signed_link(px: Harness) -> None:
    """Image ids are sequential: the bare path, a guessed neighbour or a reused signature reads nothing."""
    mine, other = await px.post(customerImageId="a"), await px.post(customerImageId="b")
    await px.advance(4 * HOUR)
    link = (await px.status(mine))["FinalImagesURL"][0]
    assert (await px.client.get(link)).status_code == 200
    bare = link.split("?")[0]
    neighbour = px.sandbox.images[other].file_path("final") + "?" + link.split("?")[1]
    for guess in (bare, neighbour, bare + "?signature=", bare.replace("/final/", "/thumbnail/") + "?" + link.split("?")[1]):
        r = await px.client.get(guess)
        assert r.status_code == 403 and r.json()["ErrorCode"] == "AccessDenied", guess


async def test_undownloadable_and_rejected_images_end_in_their_statuses(px: Harness) -> None:
    lost = await px.post(imageURL="https://photos.invalid/a.jpg", customerImageId="a")
    marked = await px.post(imageURL="https://img.example.com/undownloadable.jpg", customerImageId="b")
    rejected = await px.post(imageURL="https://img.example.com/pixelz-reject.jpg", customerImageId="c")
    await px.advance(4 * HOUR)
    assert [(await px.status(t))["StatusId"] for t in (lost, marked, rejected)] == [12, 12, 90]


async def test_list_and_count_filter_page_and_write_paths_without_a_leading_slash(px: Harness) -> None:
    first = await px.post(customerImageId="1", productId="p")
    await px.post(customerImageId="2", productId="q")
    await px.advance(4 * HOUR)
    r = await px.client.get(f"{API}/Images/", params={**AUTH, "productId": "p"})
    images = r.json()["Images"]
    assert [i["ImageTicket"] for i in images] == [first] and not images[0]["FinalImagesURL"][0].startswith("/")
    r = await px.client.get(f"{API}/Images/", params={**AUTH, "imagesPerPage": "1", "page": "2", "isDescending": "true"})
    assert [i["ImageTicket"] for i in r.json()["Images"]] == [first]
    r = await px.client.get(f"{API}/Images/Count/", params={**AUTH, "excludeImageStatus": "80"})
    assert r.json()["ImagesCount"] == 0
    r = await px.client.get(f"{API}/Images/", params={**AUTH, "imagesPerPage": "101"})
    assert r.json()["ErrorCode"] == "InvalidParameter"


# -- delete and reject ------------------------------------------------------------------------------


async def test_delete_answers_a_numeric_error_code_and_only_before_production(px: Harness) -> None:
    ticket = await px.post()
    r = await px.client.request("DELETE", f"{API}/Image/{ticket}/", json={**AUTH, "imageTicket": ticket})
    assert r.json() == {"ErrorCode": 0, "Message": "Image was deleted"}
    assert (await px.status(ticket))["StatusId"] == 0
    busy = await px.post(customerImageId="busy")
    await px.advance(600)
    r = await px.client.request("DELETE", f"{API}/Image/{busy}/", json={**AUTH, "imageTicket": busy})
    assert r.json()["ErrorCode"] == "CannotDeleteImage"


async def test_reject_returns_a_finished_image_to_production_and_it_comes_back(px: Harness) -> None:
    ticket = await px.post()
    r = await px.client.put(f"{API}/Image/Reject/{ticket}/", json={**AUTH, "comment": "too dark"})
    assert r.json()["ErrorCode"] == "CannotRejectImage"
    await px.advance(4 * HOUR)
    r = await px.client.put(f"{API}/Image/Reject/{ticket}/", json={**AUTH, "comment": "too dark"})
    assert r.json() == {"ErrorCode": "NoError", "Message": "Image was rejected."}
    assert (await px.status(ticket))["StatusId"] == 40
    await px.advance(4 * HOUR)
    assert (await px.status(ticket))["StatusId"] == 80 and len(px.bodies) == 2


# -- webhooks ---------------------------------------------------------------------------------------


async def test_finished_image_posts_one_webhook_and_becomes_delivered(px: Harness) -> None:
    ticket = await px.post()
    await px.advance(4 * HOUR)
    assert len(px.bodies) == 1 and (await px.status(ticket))["StatusId"] == 80
    assert "HTTP_X_PXZ_CUSTOMER_HMAC_SHA256" in px.webhooks[0]
    assert "HTTP_X_PXZ_PARTNER_HMAC_SHA256" not in px.webhooks[0]


async def test_failed_webhooks_are_retried_after_the_documented_gaps(px: Harness) -> None:
    px.answers.extend([500, 500, 500, 500])
    ticket = await px.post()
    await px.advance(4 * HOUR)
    assert (await px.status(ticket))["StatusId"] == 72
    await px.advance(299)
    assert len(px.bodies) == 1
    await px.advance(1)
    assert len(px.bodies) == 2 and (await px.status(ticket))["StatusId"] == 74
    await px.advance(HOUR)
    assert len(px.bodies) == 3 and (await px.status(ticket))["StatusId"] == 76
    await px.advance(5 * HOUR)
    assert len(px.bodies) == 4 and (await px.status(ticket))["StatusId"] == 78
    await px.advance(24 * HOUR)
    assert len(px.bodies) == 4


async def test_a_retry_that_succeeds_delivers(px: Harness) -> None:
    px.answers.append(503)
    ticket = await px.post()
    await px.advance(4 * HOUR + 300)
    assert len(px.bodies) == 2 and px.bodies[0] == px.bodies[1] and (await px.status(ticket))["StatusId"] == 80


async def test_template_callback_url_is_used_when_the_image_has_none(px: Harness) -> None:
    px.sandbox.settings.templates[0].callback_url = "http://receiver/cb"
    await px.post(imageCallbackURL="")
    await px.advance(4 * HOUR)
    assert len(px.bodies) == 1


async def test_dropped_webhook_leaves_the_image_ready_for_polling(px: Harness) -> None:
    await px.client.post("/_control/faults", json={"callback_drop_rate": 1.0})
    ticket = await px.post()
    await px.advance(4 * HOUR)
    assert px.bodies == [] and (await px.status(ticket))["StatusId"] == 70


async def test_duplicated_and_reordered_webhooks(px: Harness) -> None:
    await px.client.post("/_control/faults", json={"callback_duplicate_rate": 1.0})
    await px.post(customerImageId="dup")
    await px.advance(4 * HOUR)
    assert len(px.bodies) == 2 and px.bodies[0] == px.bodies[1]
    await px.client.post("/_control/faults", json={"callback_duplicate_rate": 0.0, "callback_reorder_rate": 1.0})
    px.bodies.clear()
    await px.post(customerImageId="first")
    await px.advance(60)
    await px.post(customerImageId="second")
    await px.advance(4 * HOUR)  # the first is held back
    await px.client.post("/_control/faults", json={"callback_reorder_rate": 0.0})
    await px.advance(4 * HOUR)  # the second goes, and the first after it
    assert [b"first" in b for b in px.bodies] == [False, True]


# -- faults and control -----------------------------------------------------------------------------


async def test_injected_faults_answer_in_the_pixelz_shape(px: Harness) -> None:
    await px.client.post("/_control/faults", json={"script": ["error", "rate_limit"], "retry_after": 7})
    r = await px.client.get(f"{API}/Templates/", params=AUTH)
    assert r.status_code == 503 and r.json()["ErrorCode"] == "ServerError"
    r = await px.client.get(f"{API}/Templates/", params=AUTH)
    assert r.status_code == 429 and r.headers["Retry-After"] == "7"


async def test_control_lists_images_counts_and_forces_a_status(px: Harness) -> None:
    ticket = await px.post()
    await px.post(customerImageId="ES1-item-1")
    body = (await px.client.get("/_control/images")).json()
    assert body["countsByCustomerImageId"] == {"ES1-item-1": 2}
    r = await px.client.post(f"/_control/images/{ticket}", json={"status": 70})
    assert r.json()["StatusId"] == 70
    await px.client.post("/_control/tick")
    assert len(px.bodies) == 1 and (await px.status(ticket))["StatusId"] == 80
    assert (await px.client.post(f"/_control/images/{ticket}", json={"status": 55})).status_code == 400
    assert (await px.client.get("/_control/webhooks")).json()["deliveries"][0]["responseStatus"] == 200


async def test_mounted_under_a_prefix_webhooks_and_files_use_the_prefix() -> None:
    app = create_app(PixelzSandboxSettings(control_token=CONTROL_TOKEN), clock=SandboxClock(speed=0))
    host = Starlette(routes=[Mount("/sandbox/pixelz", app=app)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=host), base_url="http://demo") as client:
        r = await client.post(f"/sandbox/pixelz{API}/Image", json=IMAGE)
        ticket = r.json()["ImageTicket"]
        await client.post("/sandbox/pixelz/_control/clock", json={"advance": 4 * HOUR}, headers=CONTROL)
        status = (await client.get(f"/sandbox/pixelz{API}/Image/{ticket}", params=AUTH)).json()["ImageStatus"]
        assert (await client.get("/sandbox/pixelz" + status["FinalImagesURL"][0])).status_code == 200
    sandbox: PixelzSandbox = app.state.sandbox
    assert sandbox.images[ticket].public_root == "http://demo/sandbox/pixelz"
