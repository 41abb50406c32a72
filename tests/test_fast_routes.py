"""web/fast_routes: a repeated signed order read and a kept widget price are answered in front of the stack,
exactly as the stack answers them; whatever it cannot answer reaches the stack untouched, body included."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import update

from easel.app import create_demo_app
from easel.demo.seed import DEMO_API_KEY, DEMO_USERNAME, seed_demo
from easel.runtime import Runtime
from easel.settings import Settings
from easel.storage.tables import merchants, orders
from easel.web.fast_routes import FastRoutes

from .dispatch_helpers import place, styled_skus
from .orders_helpers import call

pytestmark = pytest.mark.anyio
PRICE = "/widget/v1/api/price"
SEARCH = "/widget/v1/api/search"
PRICE_QUERY = {"api_key": DEMO_API_KEY, "code": "MP148A", "substrate": "paper", "style": "PF", "frame": "F0092",
               "size": "S"}
ORIGIN = "http://localhost:5173"  # registered for the demo key


@asynccontextmanager
async def _serving(runtime: Runtime, apps: list[Any] | None = None) -> AsyncIterator[tuple[httpx.AsyncClient, list[str]]]:
    """A client for the demo app behind one more FastRoutes, and the paths that reached the app (the stack);
    the app is appended to ``apps``."""
    app = create_demo_app(runtime=runtime)
    (apps if apps is not None else []).append(app)
    passed: list[str] = []
    async with app.router.lifespan_context(app) as state:

        async def stack(scope: Any, receive: Any, send: Any) -> None:
            passed.append(scope["path"])
            await app(scope, receive, send)

        fast = FastRoutes(stack, runtime.settings)

        async def entry(scope: Any, receive: Any, send: Any) -> None:
            scope["state"] = dict(state or {})
            scope["app"] = app
            await fast(scope, receive, send)

        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=entry), base_url="http://testserver") as http:
            yield http, passed


def _alike(response: httpx.Response) -> tuple[int, bytes, list[tuple[str, str]]]:
    """Status, body and headers, but for the request id and what counts down (the rate limit)."""
    skip = {"x-request-id", "x-rate-limit-remaining"}
    return response.status_code, response.content, [(k, v) for k, v in response.headers.items() if k not in skip]


@pytest.fixture
async def limited_runtime(demo_runtime: Runtime) -> Runtime:
    """The demo data, the demo merchant limited to 3 order API requests of a kind a window."""
    async with demo_runtime.engine.begin() as conn:
        await conn.execute(update(merchants).where(merchants.c.username == DEMO_USERNAME).values(rate_limit=3))
    return demo_runtime


async def test_a_repeated_order_read_is_answered_here_as_the_stack_answers_it(demo_runtime: Runtime) -> None:
    async with _serving(demo_runtime) as (http, passed):
        order_id = await place(http, await styled_skus(demo_runtime, "CG", "S"))
        path = f"/orders/{order_id}"
        first = await call(http, "GET", path)
        assert passed[-1] == path  # not verified before: the stack checked the signature
        passed.clear()
        second = await call(http, "GET", path, headers={"X-Request-ID": "poll-0123456789"})
        assert passed == []  # answered in front of the stack
        assert first.status_code == 200 and _alike(second) == _alike(first)
        assert second.headers["x-request-id"] == "poll-0123456789"
        assert int(second.headers["x-rate-limit-remaining"]) == int(first.headers["x-rate-limit-remaining"]) - 1
        assert second.headers["x-content-type-options"] == "nosniff"

        async with demo_runtime.engine.begin() as conn:  # a change: the kept answer is not served again
            await conn.execute(update(orders).where(orders.c.id == order_id).values(status="On Hold"))
        changed = await call(http, "GET", path)
        assert changed.json()["status"] == "On Hold" and passed == [path]


async def test_what_it_cannot_answer_reaches_the_stack_with_its_body(demo_runtime: Runtime) -> None:
    async with _serving(demo_runtime) as (http, passed):
        order_id = await place(http, await styled_skus(demo_runtime, "CG", "S"))
        path = f"/orders/{order_id}"
        await call(http, "GET", path)
        wrong = await call(http, "GET", path, secret="not-the-secret")
        assert wrong.status_code == 401 and wrong.json()["error_code"] == 112  # the body reached the stack whole
        assert (await call(http, "GET", "/orders/abc")).json()["error_code"] == 202
        assert (await call(http, "GET", f"/orders/{order_id + 1000}")).status_code == 404
        huge = await http.request("GET", path, content=b" " * (demo_runtime.settings.max_body_bytes + 1))
        assert huge.status_code == 413 and huge.json()["error_code"] == 101
        assert passed.count(path) == 3


async def test_the_rate_limit_counts_each_read_once_and_refuses_in_its_shape(limited_runtime: Runtime) -> None:
    async with _serving(limited_runtime) as (http, passed):
        order_id = await place(http, await styled_skus(limited_runtime, "CG", "S"))
        path = f"/orders/{order_id}"
        answers = [await call(http, "GET", path) for _ in range(4)]
        assert [a.headers["x-rate-limit-remaining"] for a in answers[:3]] == ["2", "1", "0"]
        refused = answers[3]
        assert passed.count(path) == 1  # the first verified at the stack; the others here
        assert refused.status_code == 429 and refused.json()["error_code"] == 120
        assert refused.headers["x-error-code"] == "120" and int(refused.headers["retry-after"]) > 0
        assert refused.headers["x-rate-limit"] == "3" and refused.headers["x-content-type-options"] == "nosniff"


async def test_a_kept_price_is_answered_here_as_the_stack_answers_it(demo_runtime: Runtime) -> None:
    async with _serving(demo_runtime) as (http, passed):
        first = await http.get(PRICE, params=PRICE_QUERY, headers={"Origin": ORIGIN})
        assert first.status_code == 200 and passed == [PRICE]
        passed.clear()
        again = await http.get(PRICE, params=PRICE_QUERY, headers={"Origin": ORIGIN})
        assert passed == [] and _alike(again) == _alike(first)
        assert again.headers["access-control-allow-origin"] == ORIGIN and again.headers["vary"] == "Origin"
        assert again.headers["cache-control"] == "no-store"
        no_origin = await http.get(PRICE, params=PRICE_QUERY)
        assert passed == [] and "access-control-allow-origin" not in no_origin.headers
        assert no_origin.content == first.content

        refused = await http.get(PRICE, params=PRICE_QUERY, headers={"Origin": "https://evil.example"})
        assert refused.status_code == 403 and passed == [PRICE]  # the stack refuses it, as before
        login = await http.get(PRICE, params={**PRICE_QUERY, "auth": "pricing"})
        assert login.status_code == 200 and login.json()["price"] is None and passed == [PRICE, PRICE]


async def test_the_first_search_is_answered_here_as_the_stack_answers_it(demo_runtime: Runtime) -> None:
    first_page = {"api_key": DEMO_API_KEY, "facets": "1"}
    apps: list[Any] = []
    async with _serving(demo_runtime, apps) as (http, passed):
        first = await http.get(SEARCH, params=first_page, headers={"Origin": ORIGIN})
        assert first.status_code == 200 and first.json()["facets"] and passed == [SEARCH]
        passed.clear()
        again = await http.get(SEARCH, params=first_page, headers={"Origin": ORIGIN, "X-Request-ID": "search-0123456789"})
        assert passed == [] and _alike(again) == _alike(first) and again.headers["x-request-id"] == "search-0123456789"
        assert again.headers["access-control-allow-origin"] == ORIGIN and again.headers["cache-control"] == "no-store"
        no_origin = await http.get(SEARCH, params={**first_page, "q": " ", "page": ""})  # still the first page
        assert passed == [] and no_origin.content == first.content and "access-control-allow-origin" not in no_origin.headers

        plain = await http.get(SEARCH, params={"api_key": DEMO_API_KEY})  # no facets: its own answer
        assert passed == [SEARCH] and "facets" not in plain.json() and plain.json()["items"] == first.json()["items"]
        for other in ({"page": "2"}, {"q": "a"}, {"per_page": "24"}, {"artist": first.json()["items"][0]["artist"]},
                      {"page": "x"}, {"sort": "title"}):
            passed.clear()
            await http.get(SEARCH, params={**first_page, **other})
            assert passed == [SEARCH], other  # anything but the first page is the stack's
        passed.clear()
        refused = await http.get(SEARCH, params=first_page, headers={"Origin": "https://evil.example"})
        assert refused.status_code == 403 and passed == [SEARCH]
        unknown = await http.get(SEARCH, params={**first_page, "api_key": "nosuchkey"})
        assert unknown.status_code == 403 and passed == [SEARCH, SEARCH]

        apps[0].state.easel_widget.forget()  # as the panel does after a hide: the stack answers anew
        passed.clear()
        fresh = await http.get(SEARCH, params=first_page, headers={"Origin": ORIGIN})
        assert passed == [SEARCH] and fresh.content == first.content


async def _thumbnail_path(http: httpx.AsyncClient) -> str:
    found = await http.get("/widget/v1/api/search", params={"api_key": DEMO_API_KEY})
    return urlsplit(found.json()["items"][0]["thumb"]).path


async def test_a_thumbnail_served_moments_ago_is_answered_here_as_the_stack_answered_it(demo_runtime: Runtime) -> None:
    async with _serving(demo_runtime) as (http, passed):
        path = await _thumbnail_path(http)
        passed.clear()
        first = await http.get(path)
        assert first.status_code == 200 and passed == [path]  # drawn (or read) by the route, then kept
        again = await http.get(path, headers={"X-Request-ID": "thumb-0123456789"})
        assert passed == [path] and _alike(again) == _alike(first)
        assert again.headers["x-request-id"] == "thumb-0123456789"
        assert {k: again.headers[k] for k in ("cache-control", "content-type", "x-content-type-options")} == {
            "cache-control": "public, max-age=31536000, immutable", "content-type": "image/jpeg",
            "x-content-type-options": "nosniff"}
        assert {"etag", "last-modified", "accept-ranges"} <= set(again.headers)

        code, version = path.split("/")[4:6]
        stale = await http.get(path.replace(f"/{version}/", "/0123456789/"))
        assert passed == [path] and stale.content == first.content
        assert stale.headers["cache-control"] == "public, max-age=60"
        part = await http.get(path, headers={"Range": "bytes=0-9"})
        assert part.status_code == 206 and part.content == first.content[:10] and passed == [path, path]
        assert (await http.get(path.replace("/240.jpg", "/241.jpg"))).status_code == 404

        artwork = await demo_runtime.products.artwork(code)  # a new master image: a new version, a new picture
        before = os.stat(artwork.image)
        try:
            os.utime(artwork.image, ns=(time.time_ns(), time.time_ns()))
            changed = await http.get(path)
        finally:
            os.utime(artwork.image, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert changed.status_code == 200 and passed[-1] == path and len(passed) == 4
        assert changed.headers["cache-control"] == "public, max-age=60"


async def test_the_picture_limit_counts_each_thumbnail_once_and_refuses_in_its_shape(settings: Settings) -> None:
    runtime = Runtime.create(dataclasses.replace(settings, image_rate_limit=3, image_rate_window=60))
    try:
        await seed_demo(runtime, images=False)
        async with _serving(runtime) as (http, passed):
            path = await _thumbnail_path(http)
            answers = [await http.get(path) for _ in range(4)]
            assert [a.status_code for a in answers] == [200, 200, 200, 429] and passed.count(path) == 1
            by_stack = await http.get(path, headers={"Range": "bytes=0-9"})
            assert passed.count(path) == 2 and by_stack.status_code == 429
            skip = {"x-request-id", "retry-after"}
            assert [(k, v) for k, v in answers[3].headers.items() if k not in skip] == \
                [(k, v) for k, v in by_stack.headers.items() if k not in skip]
            assert answers[3].json() == by_stack.json() and int(answers[3].headers["retry-after"]) >= 1
    finally:
        await runtime.close()
