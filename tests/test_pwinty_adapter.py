"""The Pwinty adapter: recorded answers parsed leniently, then the whole flow over real HTTP against
the sandbox in its strict mode (uvicorn on a free port), with faults; the look-up before re-creating an
order walks the list as the live API serves it (pages of 100, no filter)."""

from __future__ import annotations

import json
import queue
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from easel.dispatch.drivers.pwinty import PwintyDriver
from easel.outbound import Outbound
from easel.sandboxes import SandboxClock
from easel.sandboxes.pwinty import PwintySandbox, PwintySandboxSettings, create_app
from easel.vendors import (
    RetryPolicy,
    VendorAuthError,
    VendorOrderInvalid,
    VendorProtocolError,
    VendorRateLimited,
    VendorRejected,
    VendorTimeout,
    VendorUnavailable,
)
from easel.vendors.base import NO_RETRY
from easel.vendors.pwinty import (
    PrintItem,
    PwintyAdapter,
    PwintyCallback,
    PwintyImage,
    Recipient,
    parse_callback,
    parse_timestamp,
)
from easel.vendors.routing import VendorAccount

from .sandbox_access import CONTROL, CONTROL_TOKEN
from .servers import run_asgi

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures" / "pwinty"
MERCHANT, KEY = "sandbox-merchant", "sandbox-key"
TOM = Recipient(
    name="Tom Smith",
    address1="14 Acacia Avenue",
    town_or_city="Cardiff",
    state_or_county="Glamorgan",
    postal_or_zip_code="CF11 1AB",
    country_code="GB",
)
FRAMED = PrintItem("GLOBAL-CFPM-16x20", "https://img.example.com/a.jpg", attributes={"frameColour": "black"})
CANVAS = PrintItem("GLOBAL-CAN-10x12", "https://img.example.com/b.jpg", copies=2, attributes={"wrap": "ImageWrap"})
FAST_RETRY = RetryPolicy(attempts=3, backoff=0.01, max_wait=2.0)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def recorded(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


# -- recorded answers -------------------------------------------------------------------------------


def replay(name: str, status: int = 200, **kwargs: Any) -> PwintyAdapter:
    body = recorded(name)

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body)

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    return PwintyAdapter(client, merchant_id=MERCHANT, api_key=KEY, retry=RetryPolicy(attempts=1), **kwargs)


async def test_recorded_order_with_nulls_and_timestamps_without_z() -> None:
    order = await replay("order").get_order(1065)
    assert order.status == "Complete" and order.merchant_order_id == "ORD-123-456" and order.address2 is None
    assert order.created == datetime(2018, 8, 14, 8, 54, 35, 213000, tzinfo=UTC)
    assert order.last_updated == datetime(2018, 8, 14, 9, 38, 28, 570000, tzinfo=UTC)
    shipped, pending = order.shipments
    assert shipped.shipped and shipped.shipment_id == "506332" and shipped.tracking_number == "XYZ123456ABC"
    assert shipped.shipped_on == datetime(2018, 8, 15, 15, 34, 59, tzinfo=UTC)
    assert not pending.shipped and pending.photo_ids == [] and pending.shipment_id is None
    assert order.images[0].attributes == {"frameColour": "black"} and order.images[1].attributes == {}


async def test_recorded_list_with_missing_and_null_shipping_info() -> None:
    page = await replay("order_list").list_orders()
    assert page.count == 37 and [o.id for o in page.content] == [1067, 1066]
    assert page.content[0].shipping_info is None and page.content[0].images == []
    assert page.content[1].shipments == []
    assert page.content[1].last_updated == datetime(2018, 8, 15, 9, 13, 2, 3333, tzinfo=UTC)


async def test_recorded_list_page_with_summary_tag_and_packing_slip() -> None:
    page = await replay("order_list_page").list_orders()
    assert page.count == 524 and [o.id for o in page.content] == [1067, 1066]
    assert (page.summary[0].label, page.summary[0].value) == ("NotYetSubmitted", 3) and len(page.summary) == 5
    waiting, submitted = page.content
    assert waiting.shipping_info is not None and waiting.shipping_info.price == 0 and waiting.shipments == []
    assert waiting.tag is None and waiting.packing_slip_url is None and waiting.images[0].attributes == {}
    assert submitted.tag == "spring-sale" and submitted.packing_slip_url == "https://shop.example.com/slips/0001.pdf"
    [shipment] = submitted.shipments
    assert shipment.carrier == "RoyalMail" and shipment.shipment_id is None and not shipment.shipped


async def test_recorded_batch_answer_with_items_only() -> None:
    [image] = await replay("images_batch_items").add_images(1067, [PrintItem("GLOBAL-PHO-4X6-PRO", "https://x/y.jpg")])
    assert image.sku == "GLOBAL-PHO-4X6-PRO" and image.sizing == "Crop" and image.attributes == {"finish": "lustre"}


def test_an_item_matches_an_order_view_that_shows_no_attributes() -> None:
    shown = PwintyImage.model_validate({"id": 1, "sku": "GLOBAL-CFPM-16X20", "url": FRAMED.image_url, "copies": 1,
                                        "sizing": "Crop", "attributes": {}})
    assert FRAMED.matches(shown)
    assert not FRAMED.matches(shown.model_copy(update={"attributes": {"frameColour": "white"}}))


async def test_recorded_submission_status_with_string_id() -> None:
    status = await replay("submission_status").submission_status(1065)
    assert status.id == 1065 and not status.is_valid
    assert status.problems() == [
        "PostalAddressNotSet",
        "ItemsContainingInvalidImages",
        "image 5431: FileCouldNotBeDownloaded",
    ]
    assert status.warnings == ["image 5449: PictureSizeTooSmall", "image 5449: CroppingWillOccur"]


async def test_bare_document_style_answer_is_read_too() -> None:
    status = await replay("submission_status_bare").submission_status(1065)
    assert status.is_valid and status.problems() == []


async def test_recorded_image_batch_with_string_copies_and_ids() -> None:
    images = await replay("images_batch").add_images(1065, [CANVAS, FRAMED])
    assert [(i.id, i.sku, i.copies) for i in images] == [(3456, "GLOBAL-CAN-10x12", 4), (3457, "GLOBAL-FAP-8x10", 1)]


async def test_recorded_countries_and_prices() -> None:
    countries = await replay("countries").countries()
    assert [c.iso_code for c in countries] == ["GB", "US", "DE"]
    prices = await replay("prices").prices("DE", ["GLOBAL-FAP-16x24", "GLOBAL-CFPM-16x20"])
    assert [(p.price, p.currency) for p in prices] == [(2808, "EUR"), (6903, "EUR")]


async def test_prices_missing_a_requested_sku_fail_loudly() -> None:
    with pytest.raises(VendorProtocolError, match="GLOBAL-CAN-10X12"):
        await replay("prices").prices("DE", ["GLOBAL-FAP-16x24", "GLOBAL-CAN-10x12"])


async def test_recorded_status_change_is_empty_data() -> None:
    await replay("status_change").submit(1065)


async def test_recorded_401_is_an_auth_error() -> None:
    with pytest.raises(VendorAuthError) as caught:
        await replay("error_401", status=401).get_order(1)
    assert caught.value.message == "Authorization has been denied for this request." and not caught.value.retryable


async def test_recorded_400_reason_becomes_the_message() -> None:
    with pytest.raises(VendorRejected) as caught:
        await replay("error_relative_url", status=400).add_images(1, [FRAMED])
    assert caught.value.message == "Url x.jpg is not a valid http or https absolute url" and caught.value.status == 400


async def test_error_envelope_inside_a_200_is_still_an_error() -> None:
    with pytest.raises(VendorRejected, match="Transition to state AwaitingPayment"):
        await replay("error_transition", status=200).get_order(1065)


async def test_unknown_order_status_fails_loudly() -> None:
    with pytest.raises(VendorProtocolError, match="status"):
        await replay("order_unknown_status").get_order(1065)


def test_recorded_callback() -> None:
    callback = parse_callback((FIXTURES / "callback.json").read_bytes())
    assert callback.order_id == 1065 and callback.status == "Submitted"
    assert callback.timestamp == datetime(2018, 8, 15, 15, 34, 59, 480000, tzinfo=UTC)
    assert [(s.items, s.status, s.tracking_number) for s in callback.shipments] == [
        ([520151], "Shipped", "XYZ123456ABC"),
        ([520152], "InProgress", None),
    ]


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    st.integers(min_value=0, max_value=7),
    st.booleans(),
)
def test_timestamps_read_with_or_without_z_and_any_fraction(when: datetime, digits: int, zulu: bool) -> None:
    fraction = f"{when.microsecond:06d}0"[:digits]
    text = when.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if digits else "") + ("Z" if zulu else "")
    parsed = parse_timestamp(text)
    expected = when.replace(tzinfo=UTC, microsecond=int(fraction[:6].ljust(6, "0")) if digits else 0)
    assert parsed == expected


async def test_create_order_sends_pwinty_field_names_and_credentials() -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=recorded("order"))

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        adapter = PwintyAdapter(client, merchant_id=MERCHANT, api_key=KEY)
        await adapter.create_order(TOM, merchant_order_id="easel-1", shipping_method="Express")
    body = json.loads(sent[0].content)
    assert body["merchantOrderId"] == "easel-1" and body["addressTownOrCity"] == "Cardiff"
    assert body["preferredShippingMethod"] == "Express" and body["countryCode"] == "GB"
    assert "packingSlipUrl" not in body
    assert sent[0].headers["X-Pwinty-MerchantId"] == MERCHANT and sent[0].headers["X-Pwinty-REST-API-Key"] == KEY
    assert str(sent[0].url) == "https://sandbox.pwinty.com/v3.0/orders"


async def test_a_sandbox_adapter_cannot_target_the_live_api() -> None:
    async with httpx.AsyncClient() as client:
        with pytest.raises(ValueError, match="live"):
            PwintyAdapter(client, merchant_id=MERCHANT, api_key=KEY, base_url=PwintyAdapter.LIVE_URL)


# -- over real HTTP against the sandbox ------------------------------------------------------------


@dataclass
class Live:
    url: str
    control: httpx.AsyncClient
    sleeps: list[float] = field(default_factory=list)
    adapter: PwintyAdapter = field(init=False)

    async def sleep(self, seconds: float) -> None:
        """Recorded instead of waited, so retry delays can be asserted without slowing the tests."""
        self.sleeps.append(seconds)

    async def faults(self, **changes: Any) -> None:
        (await self.control.post("/_control/faults", json=changes)).raise_for_status()

    async def advance(self, seconds: float) -> None:
        await self.control.post("/_control/clock", json={"advance": seconds})
        await self.control.post("/_control/tick")

    async def counts(self) -> dict[str, int]:
        counts: dict[str, int] = (await self.control.get("/_control/orders")).json()["countsByMerchantOrderId"]
        return counts


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    """One sandbox for the module (starting uvicorn is the slow part); tests keep apart by using their
    own merchantOrderIds, and each starts with the faults reset."""
    settings = PwintySandboxSettings(tick_seconds=3600, control_token=CONTROL_TOKEN, callbacks_allow_private=True,
                                     strict=True)
    with run_asgi(create_app(settings, clock=SandboxClock(speed=0))) as url:
        yield url


@pytest.fixture
async def live(sandbox_url: str) -> AsyncIterator[Live]:
    async with httpx.AsyncClient() as client, httpx.AsyncClient(base_url=sandbox_url, headers=CONTROL) as control:
        (await control.delete("/_control/faults")).raise_for_status()
        live = Live(sandbox_url, control)
        live.adapter = PwintyAdapter(
            client,
            merchant_id=MERCHANT,
            api_key=KEY,
            base_url=sandbox_url,
            timeout=httpx.Timeout(2.0, connect=1.0),
            retry=FAST_RETRY,
            sleep=live.sleep,
        )
        yield live


async def test_happy_path_from_creation_to_tracking(live: Live) -> None:
    pw = live.adapter
    order = await pw.ensure_order(TOM, merchant_order_id="easel-100", shipping_method="Express")
    order = await pw.ensure_images(order.id, [FRAMED, CANVAS])
    assert [i.sku for i in order.images] == ["GLOBAL-CFPM-16X20", "GLOBAL-CAN-10X12"]
    status = await pw.ensure_submittable(order.id)
    assert status.is_valid and "CouldNotValidateImageSize" in status.warnings[0]
    await pw.submit(order.id)
    assert (await pw.get_order(order.id)).status == "Submitted"
    await live.advance(301)
    shipments = await pw.shipments(order.id)
    assert all(s.shipment_id and not s.shipped for s in shipments)
    await live.advance(86400 + 3600)
    order = await pw.get_order(order.id)
    assert order.status == "Complete" and len(order.shipments) == 2
    for shipment in order.shipments:
        assert shipment.carrier == "DpdNextDay" and shipment.shipped_on is not None
        assert shipment.tracking_number and shipment.tracking_url and shipment.tracking_number in shipment.tracking_url


async def test_bad_key_is_an_auth_error(live: Live) -> None:
    adapter = PwintyAdapter(live.adapter.client, merchant_id=MERCHANT, api_key="wrong", base_url=live.url)
    with pytest.raises(VendorAuthError) as caught:
        await adapter.countries()
    assert caught.value.status == 401 and "denied" in caught.value.message


async def test_relative_image_url_is_rejected_and_not_retried(live: Live) -> None:
    order = await live.adapter.create_order(TOM, merchant_order_id="easel-101")
    with pytest.raises(VendorRejected) as caught:
        await live.adapter.add_images(order.id, [PrintItem("GLOBAL-FAP-16x24", "x.jpg")])
    assert caught.value.message == "Url x.jpg is not a valid http or https absolute url"
    assert not caught.value.retryable and caught.value.call == "add_images"


async def test_invalid_transition_names_the_transition(live: Live) -> None:
    order = await live.adapter.create_order(TOM, merchant_order_id="easel-102")
    await live.adapter.ensure_images(order.id, [FRAMED])
    await live.adapter.submit(order.id)
    await live.advance(301)
    with pytest.raises(VendorRejected, match="Transition to state Cancelled from status Submitted"):
        await live.adapter.cancel(order.id)


async def test_submit_and_cancel_are_idempotent(live: Live) -> None:
    order = await live.adapter.create_order(TOM, merchant_order_id="easel-103")
    await live.adapter.ensure_images(order.id, [FRAMED])
    await live.adapter.submit(order.id)
    await live.adapter.submit(order.id)
    await live.adapter.cancel(order.id)
    await live.adapter.cancel(order.id)
    assert (await live.adapter.get_order(order.id)).status == "Cancelled"


async def test_ensure_submittable_names_every_problem(live: Live) -> None:
    nowhere = Recipient(name="Ann", country_code="GB")
    order = await live.adapter.create_order(nowhere, merchant_order_id="easel-104")
    await live.adapter.add_images(
        order.id, [PrintItem("GLOBAL-FAP-8x10", "https://img.example.com/undownloadable.jpg")]
    )
    await live.advance(5)
    with pytest.raises(VendorOrderInvalid) as caught:
        await live.adapter.ensure_submittable(order.id)
    image_id = (await live.adapter.get_order(order.id)).images[0].id
    assert caught.value.problems == (
        "PostalAddressNotSet",
        "ItemsContainingErrors",
        "ItemsContainingInvalidImages",
        f"image {image_id} (https://img.example.com/undownloadable.jpg): FileCouldNotBeDownloaded",
    )
    assert caught.value.order == str(order.id) and not caught.value.retryable


async def test_wrong_attribute_is_fatal_by_default(live: Live) -> None:
    order = await live.adapter.create_order(TOM, merchant_order_id="easel-105")
    await live.adapter.add_images(order.id, [PrintItem("GLOBAL-CFPM-8x10", "https://img.example.com/c.jpg")])
    with pytest.raises(VendorOrderInvalid, match="AttributeNotValid"):
        await live.adapter.ensure_submittable(order.id)
    assert (await live.adapter.ensure_submittable(order.id, fatal_warnings=frozenset())).is_valid


async def test_429_retry_after_is_honoured(live: Live) -> None:
    await live.faults(script=["rate_limit"], retry_after=1)
    order = await live.adapter.create_order(TOM, merchant_order_id="easel-106")
    assert live.sleeps == [1.0] and (await live.counts())["easel-106"] == 1 and order.id


async def test_429_with_a_long_retry_after_goes_up_retryable(live: Live) -> None:
    await live.faults(script=["rate_limit"], retry_after=60)
    with pytest.raises(VendorRateLimited) as caught:
        await live.adapter.countries()
    assert caught.value.retryable and caught.value.retry_after == 60.0 and live.sleeps == []


async def test_5xx_on_create_is_retryable_and_not_repeated(live: Live) -> None:
    await live.faults(script=["error"])
    with pytest.raises(VendorUnavailable) as caught:
        await live.adapter.create_order(TOM, merchant_order_id="easel-107")
    assert caught.value.retryable and caught.value.status == 503
    assert "easel-107" not in await live.counts()


async def test_5xx_on_a_read_is_retried(live: Live) -> None:
    await live.faults(script=["error", "error"])
    assert await live.adapter.countries()
    assert live.sleeps == [0.01, 0.02]


async def test_timeout_is_retryable(live: Live) -> None:
    await live.faults(script=["timeout", "timeout", "timeout"])
    adapter = PwintyAdapter(
        live.adapter.client,
        merchant_id=MERCHANT,
        api_key=KEY,
        base_url=live.url,
        timeout=httpx.Timeout(0.2),
        retry=RetryPolicy(attempts=1),
    )
    with pytest.raises(VendorTimeout) as caught:
        await adapter.countries()
    assert caught.value.retryable and isinstance(caught.value.__cause__, httpx.ReadTimeout)


async def test_lost_answer_on_create_is_recovered_exactly_once(live: Live) -> None:
    await live.faults(script=["lost"])
    adapter = PwintyAdapter(
        live.adapter.client, merchant_id=MERCHANT, api_key=KEY, base_url=live.url, timeout=httpx.Timeout(0.2)
    )
    intent = datetime.now(UTC)
    with pytest.raises(VendorTimeout):
        await adapter.create_order(TOM, merchant_order_id="easel-108")
    recovered = await adapter.ensure_order(TOM, merchant_order_id="easel-108", created_after=intent)
    again = await adapter.ensure_order(TOM, merchant_order_id="easel-108", created_after=intent)
    assert recovered.id == again.id and (await live.counts())["easel-108"] == 1


async def test_connection_refused_is_retryable(live: Live) -> None:
    with anyio.fail_after(5):
        adapter = PwintyAdapter(
            live.adapter.client,
            merchant_id=MERCHANT,
            api_key=KEY,
            base_url="http://127.0.0.1:9",
            retry=FAST_RETRY,
            sleep=live.sleep,
        )
        with pytest.raises(VendorUnavailable) as caught:
            await adapter.create_order(TOM, merchant_order_id="easel-109")
    assert caught.value.retryable and isinstance(caught.value.__cause__, httpx.ConnectError)
    assert len(live.sleeps) == 2


async def test_find_order_by_merchant_order_id(live: Live) -> None:
    assert await live.adapter.find_order("easel-110") is None
    first = await live.adapter.create_order(TOM, merchant_order_id="easel-110")
    await live.adapter.create_order(TOM, merchant_order_id="easel-111")
    found = await live.adapter.find_order("easel-110")
    assert found is not None and found.id == first.id and found.shipping_info is not None


async def test_packing_slip_url_is_sent_and_kept(live: Live) -> None:
    slip = "https://shop.example.com/slips/easel-113.pdf"
    order = await live.adapter.create_order(TOM, merchant_order_id="easel-113", packing_slip_url=slip)
    assert order.packing_slip_url == slip and (await live.adapter.get_order(order.id)).packing_slip_url == slip


# -- the look-up before re-creating, against the live API's order list -------------------------------


@dataclass
class Listing:
    sandbox: PwintySandbox
    adapter: PwintyAdapter
    requests: list[httpx.Request]

    def add(self, merchant_order_id: str, count: int = 1) -> list[int]:
        """Orders created straight in the sandbox's state (as if by earlier attempts), fast."""
        now = self.sandbox.clock.now()
        fields = {"merchantOrderId": merchant_order_id, "recipientName": "Ann", "address1": None, "address2": None,
                  "addressTownOrCity": None, "stateOrCounty": None, "postalOrZipCode": None, "countryCode": "GB",
                  "mobileTelephone": None, "telephone": None, "email": None, "invoiceCurrency": None, "tag": None,
                  "packingSlipUrl": None, "preferredShippingMethod": "Standard", "payment": "InvoiceMe",
                  "invoiceAmountNet": None, "invoiceTax": None}
        return [self.sandbox.create_order(MERCHANT, dict(fields), now).id for _ in range(count)]

    @property
    def listed(self) -> list[httpx.QueryParams]:
        return [r.url.params for r in self.requests if r.url.path == "/orders" and r.method == "GET"]


@pytest.fixture
async def listing() -> AsyncIterator[Listing]:
    """A strict sandbox in-process (its order list as the live API's: pages of 100, no filter)."""
    settings = PwintySandboxSettings(control_token=CONTROL_TOKEN, strict=True)
    app = create_app(settings, clock=SandboxClock(speed=0))
    requests: list[httpx.Request] = []

    async def note(request: httpx.Request) -> None:
        requests.append(request)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), event_hooks={"request": [note]}) as client:
        adapter = PwintyAdapter(client, merchant_id=MERCHANT, api_key=KEY, base_url="http://pwinty.test",
                                retry=RetryPolicy(attempts=1))
        yield Listing(app.state.sandbox, adapter, requests)


async def test_find_order_walks_every_page_without_a_filter(listing: Listing) -> None:
    [wanted] = listing.add("easel-200")
    listing.add("other", 249)
    found = await listing.adapter.find_order("easel-200")
    assert found is not None and found.id == wanted
    assert [(p.get("offset"), p.get("count")) for p in listing.listed] == [
        ("0", "100"), ("100", "100"), ("200", "100"), ("250", "100")]
    assert not any("merchantOrderId" in p for p in listing.listed)


async def test_find_order_stops_at_orders_older_than_the_intent(listing: Listing) -> None:
    listing.add("old", 150)
    listing.sandbox.clock.advance(3 * 86400)
    intent = listing.sandbox.clock.now()
    [wanted] = listing.add("easel-201")
    listing.add("newer", 5)
    found = await listing.adapter.find_order("easel-201", created_after=intent)
    assert found is not None and found.id == wanted and len(listing.listed) == 1
    assert await listing.adapter.find_order("easel-202", created_after=intent) is None
    assert len(listing.listed) == 2


async def test_an_order_created_before_a_crash_is_found_behind_many_newer_ones(listing: Listing) -> None:
    intent = listing.sandbox.clock.now()
    [lost] = listing.add("easel-203")  # created, but the answer never reached easel
    listing.add("newer", 180)
    recovered = await listing.adapter.ensure_order(TOM, merchant_order_id="easel-203", created_after=intent)
    assert recovered.id == lost
    assert [o.id for o in listing.sandbox.orders.values() if o.fields["merchantOrderId"] == "easel-203"] == [lost]


async def test_orders_created_during_the_walk_do_not_hide_ours(listing: Listing) -> None:
    [wanted] = listing.add("easel-205")
    listing.add("other", 150)

    async def others_meanwhile(response: httpx.Response) -> None:
        if response.request.url.path == "/orders" and len(listing.listed) == 1:
            listing.add("meanwhile", 60)  # shifts the next page: it repeats 60 orders already seen

    listing.adapter.client.event_hooks["response"].append(others_meanwhile)
    found = await listing.adapter.find_order("easel-205")
    assert found is not None and found.id == wanted


async def test_a_list_that_does_not_page_is_refused_rather_than_guessed(listing: Listing) -> None:
    listing.add("other", 120)

    async def same_page(request: httpx.Request) -> None:
        request.url = request.url.copy_remove_param("offset")

    listing.adapter.client.event_hooks["request"].append(same_page)
    with pytest.raises(VendorProtocolError, match="the first page again"):
        await listing.adapter.find_order("easel-204", created_after=listing.sandbox.clock.now() - timedelta(days=9))


async def test_ensure_images_adds_only_what_is_missing(live: Live) -> None:
    order = await live.adapter.create_order(TOM, merchant_order_id="easel-112")
    await live.adapter.add_images(order.id, [FRAMED])
    order = await live.adapter.ensure_images(order.id, [FRAMED, CANVAS, CANVAS])
    assert [i.sku for i in order.images] == ["GLOBAL-CFPM-16X20", "GLOBAL-CAN-10X12", "GLOBAL-CAN-10X12"]
    again = await live.adapter.ensure_images(order.id, [FRAMED, CANVAS, CANVAS])
    assert len(again.images) == 3


async def test_countries_and_prices(live: Live) -> None:
    assert "US" in {c.iso_code for c in await live.adapter.countries()}
    prices = await live.adapter.prices("US", ["GLOBAL-FAP-16x24"])
    assert prices[0].currency == "USD" and prices[0].price > 0


# -- callbacks over real HTTP -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[str, queue.Queue[bytes]]]:
    """A merchant endpoint that queues every callback body it receives."""
    received: queue.Queue[bytes] = queue.Queue()

    async def receive(request: Request) -> Response:
        received.put(await request.body())
        return Response()

    with run_asgi(Starlette(routes=[Route("/pwinty", receive, methods=["POST"])])) as url:
        yield f"{url}/pwinty", received


async def next_callbacks(received: queue.Queue[bytes], count: int) -> list[PwintyCallback]:
    bodies = [await anyio.to_thread.run_sync(received.get, True, 3.0) for _ in range(count)]
    return [parse_callback(body) for body in bodies]


async def test_background_ticks_deliver_callbacks_that_parse(receiver: tuple[str, queue.Queue[bytes]]) -> None:
    url, received = receiver
    settings = PwintySandboxSettings(callback_url=url, tick_seconds=0.01, control_token=CONTROL_TOKEN,
                                     callbacks_allow_private=True)
    with run_asgi(create_app(settings, clock=SandboxClock(speed=0))) as sandbox_url:
        async with httpx.AsyncClient() as client:
            pw = PwintyAdapter(client, merchant_id=MERCHANT, api_key=KEY, base_url=sandbox_url)
            order = await pw.create_order(TOM, merchant_order_id="easel-120")
            await pw.add_images(order.id, [FRAMED])
            await pw.submit(order.id)
            await client.post(f"{sandbox_url}/_control/clock", json={"advance": 86400}, headers=CONTROL)
            callbacks = await next_callbacks(received, 3)
    assert [c.status for c in callbacks] == ["Submitted", "Submitted", "Complete"]
    assert callbacks[-1].order_id == order.id and callbacks[-1].shipments[0].tracking_number


async def test_callbacks_are_duplicated_under_faults_over_http(
    live: Live, receiver: tuple[str, queue.Queue[bytes]]
) -> None:
    url, received = receiver
    await live.control.post("/_control/callbacks", json={"url": url})
    await live.faults(callback_duplicate_rate=1.0)
    order = await live.adapter.create_order(TOM, merchant_order_id="easel-121")
    await live.adapter.add_images(order.id, [FRAMED])
    await live.adapter.submit(order.id)
    await live.control.post("/_control/tick")
    await live.control.post("/_control/callbacks", json={"url": None})
    first, second = await next_callbacks(received, 2)
    assert first == second and first.order_id == order.id and received.empty()


# -- a merchant's own account: its base URL is checked and pinned on every call --------------------------------


def _own_account_adapter(http: httpx.AsyncClient, port: int, *, allow_private: bool) -> PwintyAdapter:
    async def resolve(host: str, _: int) -> list[str]:
        assert host == "pwinty.merchant.example"  # a name only this resolver knows: the call must be pinned
        return ["127.0.0.1"]

    guard = Outbound(http, allow_private=allow_private, resolver=resolve)
    account = VendorAccount("pwinty", "sandbox", f"http://pwinty.merchant.example:{port}", {
        "merchant_id": MERCHANT, "api_key": KEY}, owner=7)
    return PwintyDriver(http, timeout=httpx.Timeout(2.0, connect=1.0), retry=NO_RETRY, guard=guard).adapter(account)


async def test_an_own_account_connects_to_the_address_it_checked(sandbox_url: str) -> None:
    port = httpx.URL(sandbox_url).port
    assert port is not None
    async with httpx.AsyncClient() as http:
        adapter = _own_account_adapter(http, port, allow_private=True)
        page = await adapter.list_orders(count=1)  # the system resolver does not know the name
    assert page.count >= 0


async def test_an_own_account_that_resolves_to_easels_network_is_refused_before_sending(sandbox_url: str) -> None:
    port = httpx.URL(sandbox_url).port
    assert port is not None
    sent: list[httpx.Request] = []
    async with httpx.AsyncClient(event_hooks={"request": [lambda r: _record(sent, r)]}) as http:
        adapter = _own_account_adapter(http, port, allow_private=False)
        with pytest.raises(VendorProtocolError, match="a loopback address"):
            await adapter.list_orders(count=1)
    assert sent == []


async def _record(sent: list[httpx.Request], request: httpx.Request) -> None:
    sent.append(request)
