"""The Image2ART upstream adapter: the document's answers parsed, then orders placed over real HTTP on the
upstream sandbox (easel's own order API with its own runtime, uvicorn on a free port): signing,
idempotent re-placement, status and tracking progress on the clock, control changes, errors, faults."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from easel.client import sign_request
from easel.demo.seed import DEMO_SECRET, DEMO_USERNAME, demo_artworks
from easel.dispatch.drivers.image2art import upstream_fields
from easel.domain.configuration import resolve, standard_choices
from easel.domain.options import load_option_tables
from easel.domain.orders import OrderRequest, OrderStatus
from easel.sandboxes import SandboxClock
from easel.sandboxes.image2art import Image2ArtSandboxSettings, create_app
from easel.vendors import (
    RetryPolicy,
    VendorAuthError,
    VendorNotFound,
    VendorProtocolError,
    VendorRateLimited,
    VendorRejected,
    VendorUnavailable,
)
from easel.vendors.image2art import Image2ArtAdapter

from .sandbox_access import CONTROL, CONTROL_TOKEN
from .servers import run_asgi

pytestmark = pytest.mark.anyio

DAY = 86400.0
FAST_RETRY = RetryPolicy(attempts=3, backoff=0.01, max_wait=2.0)
ADDRESS = {"name": "Jane Doe", "address": "456 False Ln.", "city": "Austin", "state": "TX", "zip": "78705",
           "country": "US"}  # fmt: skip

# GET /orders/:id as the document shows it (items trimmed to one, prices as printed).
DOCUMENT_ORDER = {
    "id": 1000001, "status": "In Transit", "purchase_date": "2013-12-01 12:34:56", "is_test": True,
    "notes": "Test Order", "total_price": 250, "total_items": 1,
    "items": [{"id": 2000001, "sku": "c07ced46866b1730", "gp_sku": "MP148A-40x40-CG-F0000-ML000", "quantity": 1,
               "item_sale_price": 275, "sale_price": 250, "item_price": 275, "final_price": 250,
               "image": {"name": "Dancing on the Water", "code": "MP148A", "artist": "Maxine Price"},
               "specs": {"image_size": "40x40", "border_width": 2, "stretcher_bar": "1.5 SB"}}],
    "customer": {"name": "John Doe", "company": "Doe & Associates", "country": "US"},
    "shipping": {"name": "Jane Doe", "company": "", "address": "456 False Ln.", "city": "Austin", "state": "TX",
                 "zip": "78705", "country": "US",
                 "tracking": [{"number": "12313123", "method": "FedEx Home Delivery"},
                              {"number": "123123123", "method": "UPS 2-day"}]},
}  # fmt: skip
DOCUMENT_403 = {"error_code": 403, "error": {"short_message": "Not authorized.",
                                             "long_message": "You are not authorized to access the requested resource."}}  # fmt: skip


def demo_skus(n: int = 2) -> list[str]:
    """Skus of the demo catalogue, which the upstream sandbox has priced (as easel itself has)."""
    tables = load_option_tables()
    found = []
    for artwork, _ in demo_artworks(Path("unused")):
        found += [resolve(artwork, choice, tables).sku for choice in standard_choices(artwork, tables)]
    return found[:n]


SKUS = demo_skus()


def an_order(*skus: str, method: str = "ups", **extra: Any) -> OrderRequest:
    return OrderRequest.model_validate({
        "customer": {**ADDRESS, "email": "jdoe@example.com", "phone": "512-123-4567"},
        "shipping": {**ADDRESS, "method": method},
        "items": [{"sku": s, "quantity": 1} for s in (skus or SKUS[:1])],
        **extra,
    })  # fmt: skip


def replay(body: Any, status: int = 200) -> Image2ArtAdapter:
    client = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(status, json=body)))
    return Image2ArtAdapter(client, username=DEMO_USERNAME, secret=DEMO_SECRET, retry=RetryPolicy(attempts=1))


# -- the document's answers -------------------------------------------------------------------------


async def test_documents_order_with_tracking_is_read() -> None:
    order = await replay(DOCUMENT_ORDER).get_order(1000001)
    assert order.status is OrderStatus.IN_TRANSIT and order.is_test and order.external_order_number is None
    assert order.purchase_date is not None and order.purchase_date.isoformat() == "2013-12-01T12:34:56+00:00"
    assert [(t.number, t.method, t.url) for t in order.tracking] == [
        ("12313123", "FedEx Home Delivery", None), ("123123123", "UPS 2-day", None)]  # fmt: skip
    assert order.items[0].sku == "c07ced46866b1730"


async def test_numbers_as_tracking_numbers_and_status_spelling_are_read_leniently() -> None:
    body = {**DOCUMENT_ORDER, "status": "in_production", "shipping": {"tracking": [{"number": 12313123}]}}
    order = await replay(body).get_order(1000001)
    assert order.status is OrderStatus.IN_PRODUCTION and order.tracking[0].number == "12313123"


async def test_unknown_status_fails_loudly() -> None:
    with pytest.raises(VendorProtocolError, match="status"):
        await replay({**DOCUMENT_ORDER, "status": "Shipped-ish"}).get_order(1000001)


async def test_documents_403_is_refused_and_not_retryable() -> None:
    with pytest.raises(VendorRejected) as caught:
        await replay(DOCUMENT_403, status=403).get_order(1)
    assert caught.value.status == 403 and not caught.value.retryable
    assert caught.value.message == "Not authorized. You are not authorized to access the requested resource. (error 403)"


async def test_an_error_object_inside_a_200_is_still_an_error() -> None:
    with pytest.raises(VendorNotFound):
        await replay({"error_code": 404, "error": {"short_message": "Not found."}}).get_order(1)


async def test_requests_are_signed_as_the_php_sample_signs_them() -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"orders": []})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        adapter = Image2ArtAdapter(client, username="testing", secret=DEMO_SECRET)
        await adapter.list_orders(start=0, rows=20)
    # The document's own vector: orders{"start":0,"rows":20,"username":"testing"}
    assert sent[0].url.params["signature"] == "16a060c526f2c460815567d73e05a4cdaf48e9ee2e3b9858e9b6933011ad798b"
    assert str(sent[0].url).startswith("http://api-testing.image2art.com/orders?")


async def test_a_sandbox_adapter_cannot_target_the_live_api() -> None:
    async with httpx.AsyncClient() as client:
        with pytest.raises(ValueError, match="live"):
            Image2ArtAdapter(client, username="u", secret="s", base_url=Image2ArtAdapter.LIVE_URL)


# -- over real HTTP against the upstream sandbox ----------------------------------------------------


@dataclass
class Upstream:
    url: str
    control: httpx.AsyncClient
    sleeps: list[float] = field(default_factory=list)
    adapter: Image2ArtAdapter = field(init=False)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    async def faults(self, **changes: Any) -> None:
        (await self.control.post("/_control/faults", json=changes)).raise_for_status()

    async def advance(self, seconds: float) -> None:
        await self.control.post("/_control/clock", json={"advance": seconds})
        await self.control.post("/_control/tick")

    async def counts(self) -> dict[str, int]:
        counts: dict[str, int] = (await self.control.get("/_control/orders")).json()["countsByExternalOrderNumber"]
        return counts

    def other(self, **kwargs: Any) -> Image2ArtAdapter:
        args: dict[str, Any] = {"username": DEMO_USERNAME, "secret": DEMO_SECRET, "base_url": self.url, **kwargs}
        return Image2ArtAdapter(self.adapter.client, **args)


@pytest.fixture(scope="module")
def upstream_url() -> Iterator[str]:
    """One upstream for the module (migrating and seeding it is the slow part); tests keep apart by
    their own external order numbers, and each starts with the faults reset."""
    app = create_app(Image2ArtSandboxSettings(tick_seconds=3600, control_token=CONTROL_TOKEN), clock=SandboxClock(speed=0))
    with run_asgi(app) as url:
        yield url


@pytest.fixture
async def up(upstream_url: str) -> AsyncIterator[Upstream]:
    async with httpx.AsyncClient() as client, httpx.AsyncClient(base_url=upstream_url, headers=CONTROL) as control:
        (await control.delete("/_control/faults")).raise_for_status()
        upstream = Upstream(upstream_url, control)
        upstream.adapter = Image2ArtAdapter(
            client, username=DEMO_USERNAME, secret=DEMO_SECRET, base_url=upstream_url,
            timeout=httpx.Timeout(2.0, connect=1.0), retry=FAST_RETRY, sleep=upstream.sleep,
        )  # fmt: skip
        yield upstream


async def test_place_and_read_an_order(up: Upstream) -> None:
    placed = await up.adapter.place_order(an_order(*SKUS), external_order_number="ES-200")
    order = await up.adapter.get_order(placed.id)
    assert order.status is OrderStatus.PENDING and order.external_order_number == "ES-200" and order.is_test
    assert [i.sku for i in order.items] == SKUS and order.tracking == []
    assert await up.adapter.ping() == DEMO_USERNAME


async def test_placing_again_returns_the_first_order(up: Upstream) -> None:
    first = await up.adapter.place_order(an_order(), external_order_number="ES-201")
    again = await up.adapter.place_order(an_order(), external_order_number="ES-201")
    assert first.id == again.id and (await up.counts())["ES-201"] == 1


async def test_a_lost_answer_is_retried_in_place_and_finds_the_first_order(up: Upstream) -> None:
    await up.faults(script=["lost"])
    adapter = up.other(timeout=httpx.Timeout(0.5), retry=FAST_RETRY, sleep=up.sleep)
    placed = await adapter.place_order(an_order(), external_order_number="ES-202")
    assert (await up.counts())["ES-202"] == 1 and up.sleeps == [0.01]
    assert (await adapter.get_order(placed.id)).external_order_number == "ES-202"


async def test_5xx_and_429_are_retried(up: Upstream) -> None:
    await up.faults(script=["error", "rate_limit"], retry_after=1)
    placed = await up.adapter.place_order(an_order(), external_order_number="ES-203")
    assert up.sleeps == [0.01, 1.0] and placed.id


async def test_5xx_that_persists_goes_up_retryable(up: Upstream) -> None:
    await up.faults(script=["error", "error", "error"])
    with pytest.raises(VendorUnavailable) as caught:
        await up.adapter.get_order(1)
    assert caught.value.retryable and caught.value.status == 503


async def test_long_retry_after_goes_up(up: Upstream) -> None:
    await up.faults(script=["rate_limit"], retry_after=90)
    with pytest.raises(VendorRateLimited) as caught:
        await up.adapter.list_orders()
    assert caught.value.retry_after == 90.0


async def test_status_and_tracking_progress_on_the_clock(up: Upstream) -> None:
    placed = await up.adapter.place_order(an_order(method="ups ground"), external_order_number="ES-204")
    await up.advance(600)
    assert (await up.adapter.get_order(placed.id)).status is OrderStatus.IN_PRODUCTION
    await up.advance(DAY)
    shipped = await up.adapter.get_order(placed.id)
    assert shipped.status is OrderStatus.IN_TRANSIT
    (tracking,) = shipped.tracking
    assert tracking.number == f"1Z{placed.id:016d}" and tracking.method == "UPS Ground"
    assert tracking.url == f"https://www.ups.com/track?tracknum={tracking.number}"
    await up.advance(2 * DAY)
    delivered = await up.adapter.get_order(placed.id)
    assert delivered.status is OrderStatus.DELIVERED and delivered.tracking == shipped.tracking


async def test_control_advances_holds_and_merges_tracking(up: Upstream) -> None:
    placed = await up.adapter.place_order(an_order(method=""), external_order_number="ES-205")
    (await up.control.post(f"/_control/orders/{placed.id}", json={})).raise_for_status()
    assert (await up.adapter.get_order(placed.id)).status is OrderStatus.IN_PRODUCTION
    change = {"status": "In Transit", "tracking": [{"number": "FX1", "method": "FedEx Home Delivery"}]}
    (await up.control.post(f"/_control/orders/{placed.id}", json=change)).raise_for_status()
    change = {"tracking": [{"number": "FX2", "method": "FedEx Home Delivery"}, {"number": "FX1"}]}
    (await up.control.post(f"/_control/orders/{placed.id}", json={**change, "status": "In Transit"})).raise_for_status()
    assert [t.number for t in (await up.adapter.get_order(placed.id)).tracking] == ["FX1", "FX2"]
    hold = {"status": "On Hold", "reason": "Frame out of stock"}
    (await up.control.post(f"/_control/orders/{placed.id}", json=hold)).raise_for_status()
    await up.advance(10 * DAY)
    held = await up.adapter.get_order(placed.id)
    assert held.status is OrderStatus.ON_HOLD and held.status_reason == "Frame out of stock"
    assert (await up.control.post(f"/_control/orders/{placed.id}", json={})).status_code == 409
    assert (await up.control.post("/_control/orders/999999", json={})).status_code == 404


async def test_default_shipping_gets_the_documents_method(up: Upstream) -> None:
    placed = await up.adapter.place_order(an_order(method=""), external_order_number="ES-206")
    await up.advance(DAY)
    (tracking,) = (await up.adapter.get_order(placed.id)).tracking
    assert tracking.method == "FedEx Home Delivery" and tracking.number == str(700_000_000_000 + placed.id)


async def test_find_and_ensure_by_external_order_number(up: Upstream) -> None:
    assert await up.adapter.find_order("ES-207") is None
    ensured = await up.adapter.ensure_order(an_order(), external_order_number="ES-207")
    await up.adapter.place_order(an_order(), external_order_number="ES-208")
    found = await up.adapter.find_order("ES-207", rows=1)
    again = await up.adapter.ensure_order(an_order(), external_order_number="ES-207")
    assert found is not None and found.id == ensured.id == again.id and (await up.counts())["ES-207"] == 1


async def test_bad_secret_unknown_order_unknown_sku_and_conflict(up: Upstream) -> None:
    with pytest.raises(VendorAuthError, match=r"Signature is not valid \(error 112\)"):
        await up.other(secret="wrong").get_order(1)
    with pytest.raises(VendorNotFound):
        await up.adapter.get_order(999999)
    with pytest.raises(VendorRejected, match=r"unknown sku 0123456789abcdef \(error 201\)") as caught:
        await up.adapter.place_order(an_order("0123456789abcdef"), external_order_number="ES-209")
    assert caught.value.status == 400 and not caught.value.retryable
    await up.adapter.place_order(an_order(SKUS[0]), external_order_number="ES-210")
    with pytest.raises(VendorRejected, match=r"error 210") as caught:
        await up.adapter.place_order(an_order(SKUS[1]), external_order_number="ES-210")
    assert caught.value.status == 409


async def test_mounted_upstream_checks_signatures_on_the_unprefixed_path() -> None:
    app = create_app(Image2ArtSandboxSettings(tick_seconds=3600, control_token=CONTROL_TOKEN), clock=SandboxClock(speed=0))

    @asynccontextmanager
    async def lifespan(host: Starlette) -> AsyncIterator[None]:
        async with app.state.sandbox.running():  # a mounted app's own lifespan does not run
            yield

    host = Starlette(routes=[Mount("/sandbox/image2art", app=app)], lifespan=lifespan)
    with run_asgi(host) as url:
        async with httpx.AsyncClient() as client:
            adapter = Image2ArtAdapter(client, username=DEMO_USERNAME, secret=DEMO_SECRET,
                                       base_url=f"{url}/sandbox/image2art")  # fmt: skip
            placed = await adapter.place_order(an_order(), external_order_number="ES-300")
            await client.post(f"{url}/sandbox/image2art/_control/clock", json={"advance": DAY}, headers=CONTROL)
            order = await adapter.get_order(placed.id)
            assert order.status is OrderStatus.IN_TRANSIT and order.tracking
            listed = (await client.get(f"{url}/sandbox/image2art/_control/orders", headers=CONTROL)).json()
            assert listed["countsByExternalOrderNumber"] == {"ES-300": 1}
    assert app.state.sandbox.runtime is None  # closed, its temporary folder removed


def test_order_sent_is_the_order_request_with_the_reference() -> None:
    body = an_order().model_copy(update={"external_order_number": "ES-1"}).model_dump(
        mode="json", exclude_none=True, exclude={"timestamp", "quote_id"})  # fmt: skip
    assert json.loads(json.dumps(body))["external_order_number"] == "ES-1" and "timestamp" not in body


async def test_a_colour_bordered_framed_canvas_with_hardware_goes_with_the_upstreams_sku(up: Upstream) -> None:
    """The issue's case: the downstream's own sku of a navy-bordered framed canvas with security hardware
    means nothing upstream (201); the upstream's sku of its standard configuration with the border and
    hardware as item fields is accepted, and the upstream's order holds exactly that configuration."""
    tables = load_option_tables()
    artwork = next(a for a, _ in demo_artworks(Path("images")) if "canvas" in a.substrates)
    navy = resolve(artwork, {"substrate": "canvas", "style": "CF", "frame": "F0420", "size": "S",
                             "border_type": "color", "border_color": "navy", "border_width": 3,
                             "security_hardware": True}, tables)
    with pytest.raises(VendorRejected, match="error 201"):
        await up.adapter.place_order(an_order(navy.sku), external_order_number="ES-301")
    sold = await up.adapter.artwork_products(artwork.code)
    assert sold and await up.adapter.artwork_products("NO-SUCH-ART") == []
    fields = upstream_fields(navy.configuration.as_choices(), sold)
    assert fields["sku"] != navy.sku and fields["border"] == {"type": "color", "size": 3, "color": "navy"}
    request = OrderRequest.model_validate({**an_order().model_dump(mode="json", exclude_none=True),
                                           "items": [{**fields, "quantity": 1}]})
    placed = await up.adapter.place_order(request, external_order_number="ES-302")
    data = sign_request(f"orders/{placed.id}", {}, DEMO_USERNAME, DEMO_SECRET)
    [item] = (await up.adapter.client.get(f"{up.url}/orders/{placed.id}", params=data)).json()["items"]
    assert item["sku"] == fields["sku"] and item["gp_sku"] == navy.gp_sku  # the same configuration, made upstream
    assert item["specs"] == navy.specs()
    with pytest.raises(VendorRejected, match="does not sell"):
        upstream_fields({**navy.configuration.as_choices(), "frame": "F9999"}, sold)
