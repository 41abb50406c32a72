from __future__ import annotations

import logging

import httpx
import pytest

pytestmark = pytest.mark.anyio


async def test_ping_answers_pong(client: httpx.AsyncClient) -> None:
    response = await client.get("/ping")
    assert response.status_code == 200
    assert response.json() == {"pong": "ping"}


async def test_every_response_carries_a_request_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/ping")
    assert len(response.headers["x-request-id"]) == 16
    echoed = await client.get("/ping", headers={"X-Request-ID": "abcdef0123456789"})
    assert echoed.headers["x-request-id"] == "abcdef0123456789"
    hostile = await client.get("/ping", headers={"X-Request-ID": "bad id\r\nx"})
    assert hostile.headers["x-request-id"] != "bad id\r\nx"


async def test_one_access_log_line_per_request(client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="easel.access"):
        await client.get("/ping")
    lines = [r.getMessage() for r in caplog.records if r.name == "easel.access"]
    assert len(lines) == 1
    assert lines[0].startswith("GET /ping 200 ") and "merchant=-" in lines[0]


async def test_demo_store_lists_the_catalogue(client: httpx.AsyncClient) -> None:
    response = await client.get("/demo/")
    assert response.status_code == 200
    assert "Dancing on the Water" in response.text
    assert "Starry Night" in response.text
