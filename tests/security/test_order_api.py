"""Issue 10, the order API: cheap refusals before expensive work, one answer for unknown usernames and
bad signatures, bounded caches, bounded JSON, and rate limits as the document describes them."""

from __future__ import annotations

import gc
import hmac
import json
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from easel.api.errors import BY_CODE
from easel.app import create_app
from easel.demo.seed import DEMO_SECRET, DEMO_USERNAME
from easel.runtime import Runtime
from easel.storage import merchants as merchant_store
from easel.ttl_cache import TtlCache

from ..orders_helpers import call

pytestmark = pytest.mark.anyio
JSON = {"Content-Type": "application/json"}
SIGNATURE = "0" * 64
MEGABYTE = 1_000_000


def _hostile(kind: str, username: str) -> bytes:
    """About 1 MB of what costs a value-by-value reader most, signed by no one."""
    if kind == "numbers":
        filler = ",".join("1.50" if i % 2 else str(i * 7919) for i in range(130_000))
    elif kind == "nesting":
        filler = ",".join(['{"a":[{"b":[1,{"c":"x"}]}],"d":{}}'] * 28_000)
    else:  # strings full of escapes (plain runs are memcpy to json.loads: a baseline too cheap to compare)
        filler = ",".join(['"' + 'a\\/b\\u00e9\\n\\"q\\\\ \u00e9 /x\\ud83d\\ude00' * 10 + '"'] * 2_750)
    return f'{{"username":{json.dumps(username)},"a":[{filler}],"signature":"{SIGNATURE}"}}'.encode()


Asgi = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


@pytest.fixture
async def asgi(demo_runtime: Runtime) -> AsyncIterator[Asgi]:
    """The app as the server calls it (no HTTP client in the way of the measurement)."""
    app = create_app(runtime=demo_runtime)
    async with app.router.lifespan_context(app) as state:

        async def with_state(scope: dict[str, Any], receive: Any, send: Any) -> None:
            scope["state"] = dict(state or {})
            await app(scope, receive, send)  # type: ignore[arg-type]

        yield with_state


async def _serve(app: Asgi, body: bytes, path: str = "/orders") -> tuple[int, float]:
    """One POST through the app: its status and the seconds it took (all of it CPU on the event loop)."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
             "client": ("127.0.0.1", 1), "server": ("testserver", 80)}
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    started = time.perf_counter()
    await app(scope, receive, send)
    return status, time.perf_counter() - started


def _best_loads(body: bytes, runs: int = 5) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        json.loads(body)
        best = min(best, time.perf_counter() - started)
    return best


@pytest.mark.parametrize("kind", ["numbers", "nesting", "strings"])
@pytest.mark.parametrize("username", [DEMO_USERNAME, "nobody-at-all"])
async def test_a_hostile_megabyte_costs_a_few_json_loads(asgi: Asgi, kind: str, username: str) -> None:
    body = _hostile(kind, username)
    assert len(body) > 0.9 * MEGABYTE
    baseline, cost = float("inf"), float("inf")
    for _ in range(7):  # interleaved, so both see the same machine (a shared one is noisy)
        baseline = min(baseline, _best_loads(body, runs=1))
        status, seconds = await _serve(asgi, body)
        assert status == 401
        cost = min(cost, seconds)
    assert cost <= 6 * baseline, (kind, username, cost, baseline)


async def test_unknown_usernames_and_bad_signatures_answer_alike(client: httpx.AsyncClient, asgi: Asgi) -> None:
    answers = []
    for name in (DEMO_USERNAME, "nobody-at-all"):
        body = b'{"username":"%s","rows":20,"signature":"%s"}' % (name.encode(), SIGNATURE.encode())
        answers.append(await client.post("/orders", content=body, headers=JSON))
    for answer in answers:
        assert answer.status_code == 401 and answer.json()["error_code"] == 112
        assert "x-rate-limit" not in answer.headers  # that would tell which usernames exist
    assert answers[0].json() == answers[1].json()
    # the same work: an unknown username is checked against a dummy secret
    costs = {}
    for name in (DEMO_USERNAME, "nobody-at-all"):
        body = _hostile("numbers", name)
        costs[name] = min([(await _serve(asgi, body))[1] for _ in range(5)])
    assert 0.5 < costs[DEMO_USERNAME] / costs["nobody-at-all"] < 2


async def test_huge_usernames_are_refused_before_any_lookup_or_caching(
        client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(300):
            name = str(i) + "u" * 999_000
            body = b'{"username":"' + name.encode() + b'","signature":"' + SIGNATURE.encode() + b'"}'
            answer = await client.post("/orders", content=body, headers=JSON)
            assert answer.json()["error_code"] == 110
        gc.collect()  # failed requests leave cycles (exception, traceback, frame) for the collector
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(demo_runtime.merchants.cache) == 0
    assert grown < 20 * MEGABYTE


@pytest.mark.parametrize(("entries", "value_bytes"), [(10_000, 10), (50, 100_000)])
def test_every_cache_is_bounded_in_entries_and_bytes_and_expires(entries: int, value_bytes: int) -> None:
    now = [0.0]
    cache: TtlCache[str, str] = TtlCache(ttl=5, max_entries=100, max_bytes=1_000_000, clock=lambda: now[0])
    for i in range(entries):
        cache.put(f"key{i}", "v" * value_bytes)
    assert len(cache) <= 100 and cache.bytes <= 1_000_000
    assert cache.get(f"key{entries - 1}") == "v" * value_bytes  # the newest stay, the oldest went
    cache.put("huge", "x" * 2_000_000)  # larger than the whole cache: not kept
    assert cache.get("huge") is not None and cache.bytes <= 1_000_000
    now[0] += 6
    assert cache.get(f"key{entries - 1}") is not "v" * value_bytes
    cache.put("fresh", "v")
    assert len(cache) == 1  # expired entries are dropped on the next write


@pytest.mark.parametrize(
    ("body", "headers", "code"),
    [
        (b"[" * 5000 + b"]" * 5000, {}, 100),
        (b'{"username":"testing","signature":"' + SIGNATURE.encode() + b'","a":' + b"[" * 65 + b"]" * 65 + b"}",
         {}, 100),
        (b"[1,2]", {}, 100),
        (b'"testing"', {}, 100),
        (b"12", {}, 100),
        (b"null", {}, 100),
        ('{"username":"tëstïng","signature":"x"}'.encode(), {}, 110),
        (('{"username":"testing","signature":"' + "é" * 64 + '"}').encode(), {}, 112),
        (b'{"username":"testing","signature":"' + SIGNATURE.encode() + b'","a":"\\ud800"}', {}, 100),
        (b'{"username":"testing","signature":"' + SIGNATURE.encode() + b'","n":' + b"9" * 5000 + b"}", {}, 112),
        (b'{"username":"testing\\n","signature":"' + SIGNATURE.encode() + b'"}', {}, 110),
    ],
)
async def test_hostile_bodies_get_a_4xx_in_the_error_shape(
        client: httpx.AsyncClient, body: bytes, headers: dict[str, str], code: int) -> None:
    for path in ("/orders", "/ping", "/quotes", "/orders/1"):
        answer = await client.post(path, content=body, headers={**JSON, **headers})
        assert answer.status_code == BY_CODE[code].status, (path, answer.text)
        assert answer.json()["error_code"] == code and answer.headers["x-error-code"] == str(code)


@pytest.mark.parametrize("key", ["ключ".encode(), b"\xff" * 10, b"a b", b"x" * 256])
async def test_a_non_ascii_idempotency_key_is_a_4xx(client: httpx.AsyncClient, key: bytes) -> None:
    answer = await call(client, "POST", "/orders", {"items": [{"sku": "0" * 16}]}, headers={"Idempotency-Key": key})
    assert answer.status_code == 400 and answer.json()["error_code"] in (200, 201)


async def test_a_huge_number_signed_as_written_is_a_4xx(client: httpx.AsyncClient) -> None:
    data = f'{{"country":"US","items":[{{"sku":"{"0" * 16}","quantity":{"9" * 5000}}}]'
    signature = hmac.new(DEMO_SECRET.encode(), f'quotes{data},"username":"testing"}}'.encode(), "sha256").hexdigest()
    body = f'{data},"username":"testing","signature":"{signature}"}}'
    answer = await client.post("/quotes", content=body, headers=JSON)
    assert answer.status_code == 400 and answer.json()["error_code"] == 100, answer.text
    assert "x-rate-limit" in answer.headers  # a known merchant's request, counted


@pytest.mark.parametrize(
    ("method", "path", "data", "status"),
    [
        ("POST", "/orders", {"items": "nope"}, 400),
        ("GET", "/orders/999999", None, 404),
        ("DELETE", "/orders/999999", None, 404),
        ("GET", "/orders/abc", None, 400),
        ("POST", "/orders/1", {"items": []}, 405),
        ("GET", "/products/zz", None, 400),
        ("GET", "/orders", {"timestamp": "soon"}, 200),
    ],
)
async def test_every_answer_to_a_known_merchant_carries_the_rate_limit(
        client: httpx.AsyncClient, method: str, path: str, data: dict[str, Any] | None, status: int) -> None:
    answer = await call(client, method, path, data)
    assert answer.status_code == status, answer.text
    assert int(answer.headers["x-rate-limit"]) == 100_000
    assert 0 <= int(answer.headers["x-rate-limit-remaining"]) < 100_000


async def test_rate_limits_per_endpoint_and_action_and_the_post_that_reads_counts_as_its_get(
        client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    async with demo_runtime.engine.begin() as conn:
        merchant = await merchant_store.merchant_by_username(conn, DEMO_USERNAME)
        assert merchant is not None
        await merchant_store.update_merchant(conn, merchant.id, {"rate_limit": 2})
    demo_runtime.merchants.forget(DEMO_USERNAME)
    assert (await call(client, "GET", "/orders/1")).headers["x-rate-limit-remaining"] == "1"
    assert (await call(client, "POST", "/orders/1")).headers["x-rate-limit-remaining"] == "0"  # curl -d: a GET
    over = await call(client, "GET", "/orders/1")
    assert over.status_code == 429 and over.headers["x-rate-limit"] == "2" and over.json()["error_code"] == 120
    assert (await call(client, "GET", "/orders")).headers["x-rate-limit-remaining"] == "1"  # another endpoint
    assert (await call(client, "PUT", "/orders/1", {})).headers["x-rate-limit-remaining"] == "1"  # another action
