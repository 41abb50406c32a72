"""CORS on the widget API: only the merchant's registered origins, preflights included."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.anyio
SEARCH = "/widget/v1/api/search?api_key=demo"


async def test_a_registered_origin_may_read(client: httpx.AsyncClient) -> None:
    response = await client.get(SEARCH, headers={"Origin": "http://localhost:5173"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert "Origin" in response.headers["vary"]
    assert "access-control-allow-credentials" not in response.headers


@pytest.mark.parametrize("origin", ["https://evil.example", "http://127.0.0.1.evil.example:80", "null",
                                    "http://localhost.", "file://"])
async def test_other_origins_are_refused(client: httpx.AsyncClient, origin: str) -> None:
    response = await client.get(SEARCH, headers={"Origin": origin})
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers
    assert response.json()["title"] == "Origin not allowed"


async def test_callers_without_an_origin_need_no_cors(client: httpx.AsyncClient) -> None:
    response = await client.get(SEARCH)
    assert response.status_code == 200 and "access-control-allow-origin" not in response.headers


async def test_preflight_for_a_registered_origin(client: httpx.AsyncClient) -> None:
    response = await client.options("/widget/v1/api/projects?api_key=demo", headers={
        "Origin": "http://127.0.0.1:8080", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, x-customer-id"})
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "http://127.0.0.1:8080"
    assert "PATCH" in response.headers["access-control-allow-methods"]
    assert "X-Customer-Token" in response.headers["access-control-allow-headers"]
    assert response.headers["access-control-max-age"] == "600"


@pytest.mark.parametrize("key", ["demo", "nope"])
async def test_preflight_for_anyone_else_is_refused(client: httpx.AsyncClient, key: str) -> None:
    origin = "https://evil.example" if key == "demo" else "http://localhost:3000"
    response = await client.options(f"/widget/v1/api/cart/item?api_key={key}", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST"})
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers


async def test_an_unknown_key_is_readable_so_the_widget_can_say_so(client: httpx.AsyncClient) -> None:
    response = await client.get("/widget/v1/api/search?api_key=nope", headers={"Origin": "https://a.example"})
    assert response.status_code == 403
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.json()["title"] == "Unknown api_key"
