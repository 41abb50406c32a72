"""The Pwinty v3.0 sandbox, in-process: shapes (checked against answers recorded from the live API),
validation, the real catalogue, progress on the clock, callbacks, faults."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from easel.domain.option_space import configurations
from easel.domain.options import load_option_tables
from easel.sandboxes import FaultInjector, FaultSettings, SandboxClock
from easel.sandboxes.pwinty import CATALOGUE, PwintySandbox, PwintySandboxSettings, create_app
from easel.sandboxes.pwinty.catalogue import attributes_valid, find_product
from easel.vendors.mapping import CannotMake, load_product_map

from .sandbox_access import CONTROL, CONTROL_TOKEN, loopback_outbound

pytestmark = pytest.mark.anyio

HEADERS = {"X-Pwinty-MerchantId": "sandbox-merchant", "X-Pwinty-REST-API-Key": "sandbox-key"}
ADDRESS = {
    "recipientName": "Tom Smith",
    "address1": "14 Acacia Avenue",
    "addressTownOrCity": "Cardiff",
    "stateOrCounty": "Glamorgan",
    "postalOrZipCode": "CF11 1AB",
    "countryCode": "GB",
    "preferredShippingMethod": "Standard",
}
FIXTURES = Path(__file__).parent / "fixtures" / "pwinty"
FRAMED = {
    "sku": "GLOBAL-CFPM-16X20",
    "url": "https://img.example.com/a.jpg",
    "copies": 1,
    "sizing": "Crop",
    "attributes": {"frameColour": "black"},
}
CANVAS = {
    "sku": "GLOBAL-CAN-10X12",
    "url": "https://img.example.com/b.jpg",
    "copies": 2,
    "sizing": "Crop",
    "attributes": {"wrap": "MirrorWrap"},
}
DAY = 86400.0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Harness:
    client: httpx.AsyncClient
    sandbox: PwintySandbox
    callbacks: list[dict[str, Any]]
    receiver_answers: list[int] = field(default_factory=list)

    async def order(self, *, merchant_order_id: str = "m-1", images: list[dict[str, Any]] | None = None) -> int:
        r = await self.client.post("/orders", json={**ADDRESS, "merchantOrderId": merchant_order_id})
        order_id: int = r.json()["data"]["id"]
        if images:
            await self.client.post(f"/orders/{order_id}/images/batch", json=images)
        return order_id

    async def advance(self, seconds: float) -> None:
        await self.client.post("/_control/clock", json={"advance": seconds})
        await self.sandbox.tick()

    async def data(self, path: str) -> Any:
        r = await self.client.get(path)
        assert r.status_code == 200, r.text
        return r.json()["data"]


@pytest.fixture
async def pw() -> AsyncIterator[Harness]:
    async for harness in _harness():
        yield harness


@pytest.fixture
async def strict_pw() -> AsyncIterator[Harness]:
    """The sandbox answering order lists as the live API was recorded doing."""
    async for harness in _harness(strict=True):
        yield harness


async def _harness(**settings: Any) -> AsyncIterator[Harness]:
    callbacks: list[dict[str, Any]] = []
    answers: list[int] = []

    async def receive(request: Request) -> Response:
        callbacks.append(await request.json())
        return Response(status_code=answers.pop(0) if answers else 200)

    receiver = Starlette(routes=[Route("/cb", receive, methods=["POST"])])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver)) as outbound:
        sandbox_settings = PwintySandboxSettings(callback_url="http://receiver/cb", callback_retry_base=10,
                                                 control_token=CONTROL_TOKEN, **settings)
        app = create_app(sandbox_settings, clock=SandboxClock(speed=0), outbound=loopback_outbound(outbound))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox",
                                     headers={**HEADERS, **CONTROL}) as client:
            yield Harness(client, app.state.sandbox, callbacks, answers)


# -- authentication and shapes ----------------------------------------------------------------------


async def test_bad_key_is_a_bare_401_message(pw: Harness) -> None:
    r = await pw.client.get("/orders", headers={"X-Pwinty-REST-API-Key": "wrong"})
    assert r.status_code == 401
    assert r.json() == {"message": "Authorization has been denied for this request."}


async def test_created_order_is_enveloped_with_nulls_and_timestamps_without_z(pw: Harness) -> None:
    r = await pw.client.post(
        "/orders",
        json={
            "recipientName": "Ann",
            "countryCode": "gb",
            "preferredShippingMethod": "Budget",
            "merchantOrderId": "m-9",
        },
    )
    body = r.json()
    assert r.status_code == 200 and body["statusTxt"] == "OK" and body["statusCode"] == 200
    order = body["data"]
    assert order["status"] == "NotYetSubmitted" and order["merchantOrderId"] == "m-9"
    assert order["countryCode"] == "GB" and order["address1"] is None and order["paymentUrl"] is None
    assert "address1" in order and "mobileTelephone" in order and order["invoiceCurrency"] is None
    assert not order["created"].endswith("Z")
    datetime.fromisoformat(order["created"])


async def test_form_data_is_accepted_as_in_the_documented_curl_example(pw: Harness) -> None:
    form = "countryCode=GB&recipientName=Mr%20Jones&address1=The%20Hollies&preferredShippingMethod=Express"
    r = await pw.client.post("/orders", content=form, headers={"Content-Type": "application/json"})
    assert r.status_code == 200
    assert r.json()["data"]["recipientName"] == "Mr Jones"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({**ADDRESS, "countryCode": "XX"}, "Country code XX is not valid"),
        ({**ADDRESS, "recipientName": None}, "The recipientName field is required."),
        (
            {**ADDRESS, "preferredShippingMethod": "Teleport"},
            "Teleport is not a valid value for preferredShippingMethod.",
        ),
    ],
)
async def test_invalid_order_is_refused_with_a_reason(pw: Harness, body: dict[str, Any], reason: str) -> None:
    r = await pw.client.post("/orders", json=body)
    assert r.status_code == 400
    assert r.json() == {"data": None, "statusTxt": reason, "statusCode": 400}


async def test_unknown_order_is_404_in_the_envelope(pw: Harness) -> None:
    r = await pw.client.get("/orders/999999")
    assert r.status_code == 404 and r.json()["data"] is None and r.json()["statusCode"] == 404


async def test_another_merchants_order_is_not_found(pw: Harness) -> None:
    pw.sandbox.settings.accounts["other"] = "other-key"
    order_id = await pw.order()
    r = await pw.client.get(
        f"/orders/{order_id}", headers={"X-Pwinty-MerchantId": "other", "X-Pwinty-REST-API-Key": "other-key"}
    )
    assert r.status_code == 404


# -- images -----------------------------------------------------------------------------------------


async def test_relative_image_url_is_refused(pw: Harness) -> None:
    order_id = await pw.order()
    r = await pw.client.post(f"/orders/{order_id}/images", json={**FRAMED, "url": "x.jpg"})
    assert r.status_code == 400
    assert r.json() == {
        "data": None,
        "statusTxt": "Url x.jpg is not a valid http or https absolute url",
        "statusCode": 400,
    }


async def test_single_image_answers_the_image_object(pw: Harness) -> None:
    order_id = await pw.order()
    image = (await pw.client.post(f"/orders/{order_id}/images", json=FRAMED)).json()["data"]
    assert image["status"] == "NotYetDownloaded" and image["previewUrl"] is None and image["md5Hash"] is None
    assert image["price"] == 5900 and image["attributes"] == {"frameColour": "black"}


async def test_batch_answers_items_only_and_is_all_or_nothing(pw: Harness) -> None:
    order_id = await pw.order()
    r = await pw.client.post(f"/orders/{order_id}/images/batch", json=[FRAMED, {**CANVAS, "sku": "NOPE"}])
    assert r.status_code == 400 and (await pw.data(f"/orders/{order_id}"))["images"] == []
    r = await pw.client.post(f"/orders/{order_id}/images/batch", json=[FRAMED, {**CANVAS, "sku": "global-can-10x12"}])
    data = r.json()["data"]
    assert list(data) == ["items"]
    assert [i["sku"] for i in data["items"]] == ["GLOBAL-CFPM-16X20", "GLOBAL-CAN-10X12"]


async def test_batch_answer_has_the_recorded_shape_and_sizing_defaults_to_crop(pw: Harness) -> None:
    recorded = _recorded("images_batch_items")
    order_id = await pw.order()
    image = {k: v for k, v in recorded["data"]["items"][0].items() if k in ("sku", "url", "copies", "attributes")}
    r = await pw.client.post(f"/orders/{order_id}/images/batch", json=[image])
    assert_same_shape(r.json(), recorded)
    assert r.json()["data"]["items"][0]["sizing"] == "Crop"


async def test_image_md5_is_filled_once_downloaded_and_attributes_are_empty_in_order_views(pw: Harness) -> None:
    order_id = await pw.order(images=[FRAMED, {**CANVAS, "md5Hash": "79054025255fb1a26e4bc422aef54eb4"}])
    before = (await pw.data(f"/orders/{order_id}"))["images"]
    assert [i["md5Hash"] for i in before] == [None, "79054025255fb1a26e4bc422aef54eb4"]
    assert [i["attributes"] for i in before] == [{}, {}]
    await pw.advance(2)
    framed, canvas = (await pw.data(f"/orders/{order_id}"))["images"]
    assert framed["status"] == "Ok" and len(framed["md5Hash"]) == 32 and int(framed["md5Hash"], 16) >= 0
    assert canvas["md5Hash"] == "79054025255fb1a26e4bc422aef54eb4"


async def test_images_cannot_be_added_after_submission(pw: Harness) -> None:
    order_id = await pw.order(images=[FRAMED])
    await pw.client.post(f"/orders/{order_id}/status", json={"status": "Submitted"})
    r = await pw.client.post(f"/orders/{order_id}/images", json=FRAMED)
    assert r.status_code == 403


# -- listing ----------------------------------------------------------------------------------------


async def test_list_is_newest_first_with_total_count_summary_and_merchant_order_filter(pw: Harness) -> None:
    first = await pw.order(merchant_order_id="a")
    second = await pw.order(merchant_order_id="b")
    page = await pw.data("/orders?count=1")
    assert page["count"] == 2 and [o["id"] for o in page["content"]] == [second]
    assert {"label": "NotYetSubmitted", "value": 2} in page["summary"]
    page = await pw.data("/orders?merchantOrderId=a")
    assert page["count"] == 1 and page["content"][0]["id"] == first


async def test_strict_list_ignores_count_and_the_merchant_order_filter_as_the_live_api(strict_pw: Harness) -> None:
    now = strict_pw.sandbox.clock.now()
    ids = [strict_pw.sandbox.create_order("sandbox-merchant", _fields(f"m-{n}"), now).id for n in range(130)]
    page = await strict_pw.data("/orders?count=5&merchantOrderId=m-3")
    assert page["count"] == 130 and [o["id"] for o in page["content"]] == ids[::-1][:100]
    rest = await strict_pw.data("/orders?count=250&offset=100")
    assert [o["id"] for o in rest["content"]] == ids[::-1][100:]
    assert (await strict_pw.data("/orders?offset=130"))["content"] == []


async def test_a_listed_order_not_yet_submitted_has_empty_shipping_info(pw: Harness) -> None:
    await pw.order(images=[FRAMED])
    order = (await pw.data("/orders"))["content"][0]
    assert order["shippingInfo"] == {"price": 0, "shipments": []} and order["images"]


async def test_list_and_order_answers_have_the_recorded_shapes(pw: Harness) -> None:
    recorded = _recorded("order_list_page")
    waiting = await pw.order(images=[{"sku": "GLOBAL-PHO-4X6-PRO", "url": "https://img.example.com/g.jpg",
                                      "copies": 2}])
    submitted = await pw.order(images=[FRAMED])
    await pw.client.put(f"/orders/{submitted}", json={**ADDRESS, "merchantOrderId": "m-1", "tag": "spring-sale",
                                                      "packingSlipUrl": "https://shop.example.com/slips/1.pdf"})
    await pw.advance(2)
    await pw.client.post(f"/orders/{submitted}/status", json={"status": "Submitted"})
    listed = (await pw.client.get("/orders")).json()
    assert [o["id"] for o in listed["data"]["content"]] == [submitted, waiting]
    listed["data"]["content"].reverse()  # the recording lists the unsubmitted order first
    assert_same_shape(listed, recorded)
    single = (await pw.client.get(f"/orders/{submitted}")).json()
    assert_same_shape(single["data"], recorded["data"]["content"][1])
    assert single["data"]["tag"] == "spring-sale"
    assert single["data"]["packingSlipUrl"] == "https://shop.example.com/slips/1.pdf"


async def test_every_order_answer_carries_tag_and_packing_slip_url(pw: Harness) -> None:
    created = (await pw.client.post("/orders", json=ADDRESS)).json()["data"]
    assert created["tag"] is None and created["packingSlipUrl"] is None
    body = {**ADDRESS, "tag": "t-1", "packingSlipUrl": "https://shop.example.com/slip.pdf"}
    updated = (await pw.client.put(f"/orders/{created['id']}", json=body)).json()["data"]
    assert (updated["tag"], updated["packingSlipUrl"]) == ("t-1", "https://shop.example.com/slip.pdf")
    listed = (await pw.data("/orders"))["content"][0]
    assert (listed["tag"], listed["packingSlipUrl"]) == ("t-1", "https://shop.example.com/slip.pdf")
    r = await pw.client.post("/orders", json={**ADDRESS, "packingSlipUrl": "slip.pdf"})
    assert r.status_code == 400 and r.json()["statusTxt"] == "Url slip.pdf is not a valid http or https absolute url"


@pytest.mark.parametrize("method", ["GET", "PUT"])
async def test_a_trailing_slash_is_answered_as_the_path_without_it(pw: Harness, method: str) -> None:
    order_id = await pw.order()
    r = await pw.client.request(method, f"/orders/{order_id}/", json={**ADDRESS, "address2": "Flat 2"})
    assert r.status_code == 200 and r.json()["data"]["id"] == order_id
    r = await pw.client.post(f"/orders/{order_id}/images/batch/", json=[FRAMED])
    assert r.status_code == 200 and len(r.json()["data"]["items"]) == 1


# -- the catalogue ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "image",
    [
        {"sku": "GLOBAL-PHO-4X6-PRO", "attributes": {"finish": "lustre"}},
        {"sku": "GLOBAL-PHO-5X7"},
        {"sku": "GLOBAL-HPR-16X20"},
        {"sku": "GLOBAL-HGE-24X36"},
        {"sku": "GLOBAL-SLIMCAN-16X20", "attributes": {"wrap": "White"}},
        {"sku": "GLOBAL-FRA-CAN-30X40", "attributes": {"frameColour": "natural"}},
        {"sku": "GLOBAL-CFP-20X30", "attributes": {"frameColour": "gold"}},
        {"sku": "GLOBAL-BOX-12X16", "attributes": {"frameColour": "white"}},
        {"sku": "GLOBAL-CFPM-8X10", "attributes": {"frameColour": "black", "mountColour": "offwhite"}},
    ],
)
async def test_the_real_catalogue_is_sold_beyond_what_easel_maps(pw: Harness, image: dict[str, Any]) -> None:
    order_id = await pw.order(images=[{"url": "https://img.example.com/p.jpg", "copies": 1, **image}])
    await pw.advance(2)
    assert (await pw.data(f"/orders/{order_id}/SubmissionStatus"))["isValid"] is True
    prices = await pw.client.post("/catalogue/prodigi%20direct/destination/GB/prices", json={"skus": [image["sku"]]})
    assert prices.json()["data"]["prices"][0]["price"] == CATALOGUE[image["sku"]].price_gbp


async def test_an_unknown_sku_is_refused(pw: Harness) -> None:
    order_id = await pw.order()
    r = await pw.client.post(f"/orders/{order_id}/images", json={**FRAMED, "sku": "GLOBAL-PHO-4X6-PROX"})
    assert r.status_code == 400
    assert r.json() == {"data": None, "statusTxt": "Product with sku GLOBAL-PHO-4X6-PROX not found", "statusCode": 400}


def test_catalogue_covers_the_real_lines_in_several_sizes() -> None:
    lines = {sku.rsplit("-", 1)[0] if not sku.endswith("-PRO") else "GLOBAL-PHO-PRO" for sku in CATALOGUE}
    assert {"GLOBAL-PHO", "GLOBAL-PHO-PRO", "GLOBAL-FAP", "GLOBAL-HPR", "GLOBAL-CAN", "GLOBAL-CFPM",
            "GLOBAL-FRA-CAN", "GLOBAL-BOX"} <= lines
    assert len(CATALOGUE) >= 60 and find_product("global-pho-4x6-pro").sku == "GLOBAL-PHO-4X6-PRO"


def test_every_product_easel_maps_to_pwinty_is_sold_with_valid_attributes() -> None:
    """Whatever configuration easel sends to Pwinty (its mapping table over the whole option space), the
    sandbox, like Pwinty, sells that sku and takes its attributes without AttributeNotValid."""
    tables = load_option_tables()
    product_map = load_product_map("pwinty", tables)
    made = 0
    for config in configurations(tables, product_map.colours()):
        try:
            wanted = product_map.product(config.as_choices())
        except CannotMake:
            continue
        made += 1
        assert attributes_valid(find_product(wanted.sku), dict(wanted.attributes)), (wanted, config)
    assert made > 0


def _fields(merchant_order_id: str) -> dict[str, Any]:
    return {"merchantOrderId": merchant_order_id, "recipientName": "Ann", "address1": None, "address2": None,
            "addressTownOrCity": None, "stateOrCounty": None, "postalOrZipCode": None, "countryCode": "GB",
            "mobileTelephone": None, "telephone": None, "email": None, "invoiceCurrency": None, "tag": None,
            "packingSlipUrl": None, "preferredShippingMethod": "Standard", "payment": "InvoiceMe",
            "invoiceAmountNet": None, "invoiceTax": None}


def _recorded(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def assert_same_shape(actual: Any, recorded: Any, path: str = "") -> None:
    """Same keys at every level and the same JSON types (a `null` on either side matches a scalar, never a
    recorded object or array): what a client written against the live API reads, it finds."""
    if recorded is None or (actual is None and not isinstance(recorded, (dict, list))):
        return
    if isinstance(recorded, dict):
        assert isinstance(actual, dict), f"{path}: {actual!r} is not an object"
        assert set(actual) == set(recorded), f"{path}: keys {sorted(set(actual) ^ set(recorded))} differ"
        for key, value in recorded.items():
            assert_same_shape(actual[key], value, f"{path}.{key}")
    elif isinstance(recorded, list):
        assert isinstance(actual, list), f"{path}: {actual!r} is not an array"
        assert bool(actual) == bool(recorded), f"{path}: {len(actual)} items where {len(recorded)} were recorded"
        for n, value in enumerate(actual):
            assert_same_shape(value, recorded[min(n, len(recorded) - 1)], f"{path}[{n}]")
    else:
        kinds = (bool, int, float, str)
        assert [isinstance(actual, k) for k in kinds] == [isinstance(recorded, k) for k in kinds], (
            f"{path}: {actual!r} where {recorded!r} was recorded")


# -- validation -------------------------------------------------------------------------------------


async def test_submission_status_has_string_id_and_general_errors(pw: Harness) -> None:
    r = await pw.client.post(
        "/orders", json={"recipientName": "Ann", "countryCode": "GB", "preferredShippingMethod": "Standard"}
    )
    order_id = r.json()["data"]["id"]
    status = await pw.data(f"/orders/{order_id}/SubmissionStatus")
    assert status == {
        "id": str(order_id),
        "isValid": False,
        "generalErrors": ["NoItemsInOrder", "PostalAddressNotSet"],
        "photos": [],
    }


async def test_images_not_yet_downloaded_only_warn(pw: Harness) -> None:
    order_id = await pw.order(images=[FRAMED])
    status = await pw.data(f"/orders/{order_id}/SubmissionStatus")
    assert status["isValid"] is True
    assert status["photos"][0]["warnings"] == ["CouldNotValidateImageSize", "CouldNotValidateAspectRatio"]


async def test_undownloadable_image_is_an_error_once_downloaded(pw: Harness) -> None:
    order_id = await pw.order(images=[{**FRAMED, "url": "https://img.example.com/undownloadable.jpg"}])
    await pw.advance(2)
    status = await pw.data(f"/orders/{order_id}/SubmissionStatus")
    assert status["isValid"] is False
    assert status["generalErrors"] == ["ItemsContainingErrors", "ItemsContainingInvalidImages"]
    assert status["photos"][0]["errors"] == ["FileCouldNotBeDownloaded"]
    assert (await pw.data(f"/orders/{order_id}"))["images"][0]["status"] == "FileNotFoundAtUrl"


async def test_unreachable_host_and_zero_copies_are_errors(pw: Harness) -> None:
    order_id = await pw.order(images=[{**FRAMED, "url": "https://photos.invalid/a.jpg", "copies": 0}])
    await pw.advance(2)
    photo = (await pw.data(f"/orders/{order_id}/SubmissionStatus"))["photos"][0]
    assert photo["errors"] == ["FileCouldNotBeDownloaded", "ZeroCopies"]


async def test_missing_frame_colour_warns_attribute_not_valid(pw: Harness) -> None:
    order_id = await pw.order(images=[{**FRAMED, "attributes": None}])
    await pw.advance(2)
    photo = (await pw.data(f"/orders/{order_id}/SubmissionStatus"))["photos"][0]
    assert photo == {"id": photo["id"], "errors": [], "warnings": ["AttributeNotValid"]}


# -- status -----------------------------------------------------------------------------------------


async def test_submit_answers_empty_data_and_a_second_submit_is_an_invalid_transition(pw: Harness) -> None:
    order_id = await pw.order(images=[FRAMED])
    r = await pw.client.post(f"/orders/{order_id}/status", json={"status": "Submitted"})
    assert r.json() == {"data": {}, "statusTxt": "OK", "statusCode": 200}
    r = await pw.client.post(f"/orders/{order_id}/status", json={"status": "Submitted"})
    assert r.status_code == 400
    assert (
        r.json()["statusTxt"]
        == f"Transition to state Submitted from status Submitted for order {order_id} is not valid"
    )


async def test_awaiting_payment_from_submitted_is_an_invalid_transition(pw: Harness) -> None:
    order_id = await pw.order(images=[FRAMED])
    await pw.client.post(f"/orders/{order_id}/status", json={"status": "Submitted"})
    r = await pw.client.post(f"/orders/{order_id}/status", json={"status": "AwaitingPayment"})
    assert r.json()["statusTxt"].startswith("Transition to state AwaitingPayment from status Submitted")


async def test_unknown_status_value_is_refused(pw: Harness) -> None:
    order_id = await pw.order(images=[FRAMED])
    r = await pw.client.post(f"/orders/{order_id}/status", json={"status": "Complete"})
    assert r.status_code == 400 and "not valid" in r.json()["statusTxt"]


async def test_an_invalid_order_cannot_be_submitted(pw: Harness) -> None:
    order_id = await pw.order()
    r = await pw.client.post(f"/orders/{order_id}/status", json={"status": "Submitted"})
    assert r.status_code == 400 and "NoItemsInOrder" in r.json()["statusTxt"]
    assert (await pw.data(f"/orders/{order_id}"))["status"] == "NotYetSubmitted"


async def test_cancel_is_allowed_until_the_lab_has_the_order(pw: Harness) -> None:
    early, late = await pw.order(images=[FRAMED]), await pw.order(images=[FRAMED])
    for order_id in (early, late):
        await pw.client.post(f"/orders/{order_id}/status", json={"status": "Submitted"})
    assert (await pw.client.post(f"/orders/{early}/status", json={"status": "Cancelled"})).status_code == 200
    await pw.advance(301)
    assert (await pw.data(f"/orders/{late}"))["canCancel"] is False
    r = await pw.client.post(f"/orders/{late}/status", json={"status": "Cancelled"})
    assert r.status_code == 400 and r.json()["statusTxt"].startswith("Transition to state Cancelled")


async def test_update_is_refused_after_submission(pw: Harness) -> None:
    order_id = await pw.order(images=[FRAMED])
    r = await pw.client.put(f"/orders/{order_id}", json={**ADDRESS, "address2": "Flat 2"})
    assert r.json()["data"]["address2"] == "Flat 2"
    await pw.client.post(f"/orders/{order_id}/status", json={"status": "Submitted"})
    r = await pw.client.put(f"/orders/{order_id}", json=ADDRESS)
    assert r.status_code == 403 and r.json()["statusTxt"] == "Only orders in state NotYetSubmitted can be updated"


async def test_shipments_name_a_carrier_on_submission_then_are_allocated_and_shipped(pw: Harness) -> None:
    order_id = await pw.order(images=[FRAMED, CANVAS])
    before = (await pw.data(f"/orders/{order_id}"))["shippingInfo"]["shipments"]
    assert [s["shipmentId"] for s in before] == [None, None] and before[0]["isTracked"] is True
    assert [s["carrier"] for s in before] == [None, None]
    await pw.client.post(f"/orders/{order_id}/status", json={"status": "Submitted"})
    submitted = (await pw.data(f"/orders/{order_id}"))["shippingInfo"]["shipments"]
    assert [(s["carrier"], s["shipmentId"]) for s in submitted] == [("RoyalMail", None), ("RoyalMail", None)]
    await pw.advance(301)
    allocated = (await pw.data(f"/orders/{order_id}"))["shippingInfo"]["shipments"]
    assert all(s["shipmentId"] and s["carrier"] == "RoyalMail" and s["shippedOn"] is None for s in allocated)
    await pw.advance(DAY)
    order = await pw.data(f"/orders/{order_id}")
    first, second = order["shippingInfo"]["shipments"]
    assert order["status"] == "Submitted" and first["trackingNumber"] and second["shippedOn"] is None
    assert first["trackingUrl"].endswith(first["trackingNumber"]) and first["shippedOn"].endswith("Z")
    await pw.advance(3600)
    order = await pw.data(f"/orders/{order_id}")
    assert order["status"] == "Complete" and order["shippingInfo"]["shipments"][1]["trackingNumber"]


# -- reference data ---------------------------------------------------------------------------------


async def test_countries_are_listed_with_iso_codes(pw: Harness) -> None:
    countries = await pw.data("/countries")
    assert {"name": "UNITED KINGDOM", "isoCode": "GB"} in countries


async def test_prices_are_in_the_destination_currency(pw: Harness) -> None:
    r = await pw.client.post(
        "/catalogue/prodigi%20direct/destination/DE/prices", json={"skus": ["GLOBAL-FAP-16X24", "GLOBAL-CAN-10X12"]}
    )
    prices = r.json()["data"]["prices"]
    assert [(p["sku"], p["currency"]) for p in prices] == [("GLOBAL-FAP-16X24", "EUR"), ("GLOBAL-CAN-10X12", "EUR")]
    assert all(isinstance(p["price"], int) and p["price"] > 0 for p in prices)


async def test_prices_refuse_an_unknown_sku(pw: Harness) -> None:
    r = await pw.client.post("/catalogue/prodigi%20direct/destination/GB/prices", json={"skus": ["NOPE"]})
    assert r.status_code == 400 and r.json()["statusTxt"] == "Product with sku NOPE not found"


# -- callbacks --------------------------------------------------------------------------------------


async def test_callbacks_follow_status_and_shipment_changes(pw: Harness) -> None:
    order_id = await pw.order(images=[FRAMED])
    await pw.client.post(f"/orders/{order_id}/status", json={"status": "Submitted"})
    await pw.advance(301)
    await pw.advance(DAY)
    assert [(c["status"], [s["status"] for s in c["shipments"]]) for c in pw.callbacks] == [
        ("Submitted", []),
        ("Submitted", ["InProgress"]),
        ("Complete", ["Shipped"]),
    ]
    last = pw.callbacks[-1]
    assert last["orderId"] == order_id and last["environment"] == "SANDBOX" and last["timestamp"].endswith("Z")
    assert last["shipments"][0]["trackingNumber"] and last["shipments"][0]["items"]


async def test_callback_is_retried_until_the_receiver_says_200(pw: Harness) -> None:
    pw.receiver_answers.extend([500, 204])
    order_id = await pw.order(images=[FRAMED])
    await pw.client.post(f"/orders/{order_id}/status", json={"status": "Submitted"})
    await pw.sandbox.tick()
    await pw.advance(10)
    await pw.advance(5)
    assert len(pw.callbacks) == 2
    await pw.advance(15)
    log = (await pw.client.get("/_control/callbacks")).json()
    assert [d["responseStatus"] for d in log["deliveries"]] == [500, 204, 200] and log["pending"] == 0


async def test_callbacks_are_duplicated_under_faults(pw: Harness) -> None:
    await pw.client.post("/_control/faults", json={"callback_duplicate_rate": 1.0})
    order_id = await pw.order(images=[FRAMED])
    await pw.client.post(f"/orders/{order_id}/status", json={"status": "Submitted"})
    await pw.sandbox.tick()
    assert len(pw.callbacks) == 2 and pw.callbacks[0] == pw.callbacks[1]


async def test_callbacks_are_reordered_under_faults(pw: Harness) -> None:
    await pw.client.post("/_control/faults", json={"callback_reorder_rate": 1.0})
    order_id = await pw.order(images=[FRAMED])
    await pw.client.post(f"/orders/{order_id}/status", json={"status": "Submitted"})
    await pw.sandbox.tick()
    assert pw.callbacks == []
    await pw.advance(301)
    assert [len(c["shipments"]) for c in pw.callbacks] == [1, 0]


async def test_callbacks_are_dropped_under_faults(pw: Harness) -> None:
    await pw.client.post("/_control/faults", json={"callback_drop_rate": 1.0})
    order_id = await pw.order(images=[FRAMED])
    await pw.client.post(f"/orders/{order_id}/status", json={"status": "Submitted"})
    await pw.advance(DAY)
    assert pw.callbacks == []


# -- faults and control -----------------------------------------------------------------------------


async def test_scripted_429_carries_retry_after_in_the_live_error_shape(pw: Harness) -> None:
    await pw.client.post("/_control/faults", json={"script": ["rate_limit", "error"], "retry_after": 3})
    r = await pw.client.get("/countries")
    assert r.status_code == 429 and r.headers["Retry-After"] == "3"
    assert r.json() == {"data": None, "statusTxt": "Too Many Requests", "statusCode": 429}
    assert (await pw.client.get("/countries")).status_code == 503
    assert (await pw.client.get("/countries")).status_code == 200


async def test_slow_answers_arrive_late_but_whole(pw: Harness) -> None:
    await pw.client.post("/_control/faults", json={"script": ["slow"], "slow_seconds": 0.05})
    started = anyio.current_time()
    r = await pw.client.get("/countries")
    assert r.status_code == 200 and anyio.current_time() - started >= 0.05


async def test_control_paths_are_never_faulted(pw: Harness) -> None:
    await pw.client.post("/_control/faults", json={"error_rate": 1.0})
    assert (await pw.client.get("/_control/orders")).status_code == 200
    assert (await pw.client.get("/countries")).status_code == 503
    assert (await pw.client.delete("/_control/faults")).json()["error_rate"] == 0.0
    assert (await pw.client.get("/countries")).status_code == 200


async def test_fault_settings_are_validated(pw: Harness) -> None:
    assert (await pw.client.post("/_control/faults", json={"error_rate": 2})).status_code == 400
    assert (await pw.client.post("/_control/faults", json={"no_such_knob": 1})).status_code == 400


@pytest.mark.parametrize("model", [PwintySandboxSettings, FaultSettings])
def test_every_setting_is_documented(model: type[BaseModel]) -> None:
    undocumented = [name for name, info in model.model_fields.items() if not info.description]
    assert undocumented == []


def test_same_seed_gives_the_same_faults() -> None:
    settings = FaultSettings(seed=7, error_rate=0.3, rate_limit_rate=0.2, slow_rate=0.1)
    injectors = [FaultInjector(settings), FaultInjector(settings)]
    runs = [[injector.next_fault() for _ in range(50)] for injector in injectors]
    assert runs[0] == runs[1] and {"ok", "error", "rate_limit", "slow"} <= set(runs[0])


async def test_control_orders_counts_per_merchant_order_id(pw: Harness) -> None:
    await pw.order(merchant_order_id="dup")
    await pw.order(merchant_order_id="dup")
    await pw.order(merchant_order_id="once")
    counts = (await pw.client.get("/_control/orders")).json()["countsByMerchantOrderId"]
    assert counts == {"dup": 2, "once": 1}
    summary = (await pw.client.get("/_control/orders", params={"summary": 1})).json()
    assert summary == {"total": 3, "countsByStatus": {"NotYetSubmitted": 3}}


async def test_clock_endpoint_advances_and_changes_speed(pw: Harness) -> None:
    before = (await pw.client.get("/_control/clock")).json()
    after = (await pw.client.post("/_control/clock", json={"advance": 3600, "speed": 60})).json()
    elapsed = datetime.fromisoformat(after["now"]) - datetime.fromisoformat(before["now"])
    assert elapsed.total_seconds() >= 3600 and after["speed"] == 60
    assert (await pw.client.post("/_control/clock", json={"advance": -1})).status_code == 400


def test_clock_runs_at_its_speed_without_jumps() -> None:
    real = [100.0]
    clock = SandboxClock(speed=10, start=datetime(2024, 1, 1, tzinfo=UTC), monotonic=lambda: real[0])
    real[0] += 2
    assert clock.elapsed() == 20
    clock.set_speed(1)
    assert clock.elapsed() == 20
    real[0] += 5
    clock.advance(100)
    assert clock.now() == datetime(2024, 1, 1, 0, 2, 5, tzinfo=UTC)
