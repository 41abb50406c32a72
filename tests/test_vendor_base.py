"""The shared vendor call sequence: error mapping, what is retried, Retry-After, timeouts, causes kept."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st

from easel.vendors import (
    RetryPolicy,
    VendorAdapter,
    VendorAuthError,
    VendorNotFound,
    VendorProtocolError,
    VendorRateLimited,
    VendorRejected,
    VendorRequest,
    VendorTimeout,
    VendorUnavailable,
    VendorUnreachable,
)
from easel.vendors.base import parse_retry_after

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Thing(pydantic.BaseModel):
    name: str


class ToyAdapter(VendorAdapter):
    vendor = "toy"
    live_hosts = frozenset({"api.toy.example"})

    def auth_headers(self) -> dict[str, str]:
        return {"X-Toy-Key": "secret"}

    def unwrap(self, call: str, status: int, body: Any) -> Any:
        return body["result"]


Handler = Callable[[httpx.Request], httpx.Response]


class Script:
    """A MockTransport handler that answers from a list and records requests."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def ok(name: str = "x") -> httpx.Response:
    return httpx.Response(200, json={"result": {"name": name}})


def make(script: Script, sleeps: list[float], **kwargs: Any) -> ToyAdapter:
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    client = httpx.AsyncClient(transport=httpx.MockTransport(script))
    kwargs.setdefault("retry", RetryPolicy(attempts=3, backoff=0.1))
    return ToyAdapter(client, base_url="https://sandbox.toy.example/v1/", sandbox=True, sleep=sleep, **kwargs)


GET = VendorRequest("get_thing", "GET", "/things/1", idempotent=True)
POST = VendorRequest("make_thing", "POST", "/things", json={"name": "x"})


async def test_sends_auth_headers_to_base_url_with_path() -> None:
    script = Script(ok("a"))
    result = await make(script, []).call(GET, Thing.model_validate)
    assert result == Thing(name="a")
    request = script.requests[0]
    assert str(request.url) == "https://sandbox.toy.example/v1/things/1"
    assert request.headers["X-Toy-Key"] == "secret"
    assert request.headers["Accept"] == "application/json"


async def test_passes_the_configured_timeout() -> None:
    script = Script(ok())
    await make(script, [], timeout=httpx.Timeout(3.0, connect=1.0)).call(GET, Thing.model_validate)
    assert script.requests[0].extensions["timeout"] == {"connect": 1.0, "read": 3.0, "write": 3.0, "pool": 3.0}


async def test_5xx_on_idempotent_call_is_retried_with_backoff() -> None:
    sleeps: list[float] = []
    script = Script(httpx.Response(502), httpx.Response(503), ok())
    assert await make(script, sleeps).call(GET, Thing.model_validate) == Thing(name="x")
    assert sleeps == [0.1, 0.2]


async def test_5xx_on_non_idempotent_call_is_retryable_but_not_repeated() -> None:
    script = Script(httpx.Response(500, text="boom"))
    with pytest.raises(VendorUnavailable) as caught:
        await make(script, []).call(POST, Thing.model_validate)
    assert (caught.value.retryable, caught.value.status, caught.value.vendor, caught.value.call) == (
        True,
        500,
        "toy",
        "make_thing",
    )
    assert len(script.requests) == 1


async def test_503_retry_after_is_honoured_too() -> None:
    sleeps: list[float] = []
    script = Script(httpx.Response(503, headers={"Retry-After": "3"}), ok())
    assert await make(script, sleeps).call(GET, Thing.model_validate) == Thing(name="x")
    assert sleeps == [3.0]


async def test_gives_up_after_the_policy_attempts() -> None:
    script = Script(httpx.Response(503), httpx.Response(503), httpx.Response(503))
    with pytest.raises(VendorUnavailable):
        await make(script, []).call(GET, Thing.model_validate)
    assert len(script.requests) == 3


async def test_429_waits_retry_after_even_for_non_idempotent_calls() -> None:
    sleeps: list[float] = []
    script = Script(httpx.Response(429, headers={"Retry-After": "2"}), ok())
    assert await make(script, sleeps).call(POST, Thing.model_validate) == Thing(name="x")
    assert sleeps == [2.0]


async def test_long_retry_after_goes_up_as_retryable_error() -> None:
    sleeps: list[float] = []
    script = Script(httpx.Response(429, headers={"Retry-After": "120"}))
    with pytest.raises(VendorRateLimited) as caught:
        await make(script, sleeps).call(GET, Thing.model_validate)
    assert caught.value.retryable and caught.value.retry_after == 120.0 and caught.value.status == 429
    assert sleeps == []


async def test_connect_error_is_retried_for_any_call_and_keeps_its_cause() -> None:
    refused = httpx.ConnectError("refused")
    script = Script(refused, refused, refused)
    with pytest.raises(VendorUnreachable) as caught:
        await make(script, []).call(POST, Thing.model_validate)
    assert caught.value.retryable and caught.value.status is None
    assert caught.value.__cause__ is refused
    assert len(script.requests) == 3


async def test_read_timeout_is_retryable_and_not_repeated_for_non_idempotent_calls() -> None:
    script = Script(httpx.ReadTimeout("slow"))
    with pytest.raises(VendorTimeout) as caught:
        await make(script, []).call(POST, Thing.model_validate)
    assert caught.value.retryable
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert len(script.requests) == 1


@pytest.mark.parametrize(
    ("status", "error"), [(400, VendorRejected), (401, VendorAuthError), (403, VendorRejected), (404, VendorNotFound)]
)
async def test_4xx_is_not_retryable(status: int, error: type[VendorRejected]) -> None:
    script = Script(httpx.Response(status, text="no such thing"))
    with pytest.raises(error) as caught:
        await make(script, []).call(GET, Thing.model_validate)
    assert not caught.value.retryable and caught.value.status == status
    assert caught.value.message == "no such thing"
    assert len(script.requests) == 1


async def test_answer_that_is_not_json_is_a_protocol_error() -> None:
    script = Script(httpx.Response(200, text="<html>maintenance</html>"))
    with pytest.raises(VendorProtocolError) as caught:
        await make(script, []).call(GET, Thing.model_validate)
    assert not caught.value.retryable


async def test_wrong_shape_is_a_protocol_error_with_the_validation_error_as_cause() -> None:
    script = Script(httpx.Response(200, json={"result": {"nom": "x"}}))
    with pytest.raises(VendorProtocolError) as caught:
        await make(script, []).call(GET, Thing.model_validate)
    assert "name" in caught.value.message
    assert isinstance(caught.value.__cause__, pydantic.ValidationError)


async def test_sandbox_adapter_refuses_a_live_host() -> None:
    async with httpx.AsyncClient() as client:
        with pytest.raises(ValueError, match="live"):
            ToyAdapter(client, base_url="https://api.toy.example/v1", sandbox=True)
        live = ToyAdapter(client, base_url="https://API.toy.example/v1", sandbox=False)
        assert live.targets_live and not live.sandbox


async def test_base_url_must_be_absolute() -> None:
    async with httpx.AsyncClient() as client:
        with pytest.raises(ValueError, match="absolute"):
            ToyAdapter(client, base_url="/sandbox/toy", sandbox=True)


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


@given(st.integers(min_value=0, max_value=10**6))
def test_retry_after_seconds_round_trip(seconds: int) -> None:
    assert parse_retry_after(str(seconds)) == float(seconds)
