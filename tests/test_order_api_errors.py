"""Every error path of the order API answers the documented error object, never a 5xx."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from easel.api.errors import BY_CODE

from .orders_helpers import call, signed_body

pytestmark = pytest.mark.anyio
JSON = {"Content-Type": "application/json"}


def assert_error(response: httpx.Response, code: int, status: int | None = None) -> dict[str, Any]:
    assert response.status_code == (status or BY_CODE[code].status), response.text
    body = response.json()
    assert set(body) == {"error_code", "error"} and body["error_code"] == code
    assert set(body["error"]) == {"short_message", "long_message"}
    assert response.headers["x-error-code"] == str(code)
    message = response.headers["x-error-message"]
    assert message and message.isascii() and "\n" not in message and "\r" not in message
    return body


@pytest.mark.parametrize(
    ("body", "code", "fragment"),
    [
        (b'{"username": "testing", "sig', 100, "line 1"),
        (b"[1, 2, 3]", 100, "must be an object, not an array"),
        (b'"just a string"', 100, "not a string"),
        (b'{"username": ["testing"], "signature": "x"}', 110, "no username"),
        (b"[" * 100_000 + b"]" * 100_000, 100, "nest"),
        (b'{"username": "testing", "x": "\xff\xfe"}', 102, "UTF-8"),
        (b'{"a": NaN}', 100, "NaN"),
        (b'{"username": "testing", "username": "other", "signature": "' + b"0" * 64 + b'"}', 100, "duplicate"),
        (b"", 110, "no username"),
        (b'{"username": "nobody", "signature": "00"}', 112, "Signature is not valid"),
        (b'{"username": "nobody", "signature": "' + b"0" * 64 + b'"}', 112, "Signature is not valid"),
        (b'{"username": "no", "signature": "' + b"0" * 64 + b'"}', 110, "not one any merchant can have"),
        (b'{"username": "testing", "signature": "' + b"0" * 64 + b'"}', 112, "Signature is not valid"),
    ],
)
async def test_malformed_bodies(client: httpx.AsyncClient, body: bytes, code: int, fragment: str) -> None:
    response = await client.post("/orders", content=body, headers=JSON)
    error = assert_error(response, code)
    assert fragment.lower() in error["error"]["long_message"].lower()


async def test_a_12_megabyte_body_is_refused_before_it_is_read(client: httpx.AsyncClient) -> None:
    response = await client.post("/orders", content=b"{" + b" " * 12_000_000 + b"}", headers=JSON)
    assert_error(response, 101, 413)

    async def chunks() -> Any:  # no Content-Length: the limit applies while streaming
        for _ in range(12):
            yield b" " * 1_000_000

    streamed = await client.post("/orders", content=chunks(), headers=JSON)
    assert_error(streamed, 101, 413)


async def test_unsupported_media_type(client: httpx.AsyncClient) -> None:
    response = await client.post("/orders", content=b"<xml/>", headers={"Content-Type": "application/xml"})
    assert_error(response, 103)


@pytest.mark.parametrize("order_id", ["-1", "0", "abc", "99999999999999999999", "1.5", "%00"])
async def test_bad_order_ids(client: httpx.AsyncClient, order_id: str) -> None:
    response = await call(client, "GET", f"/orders/{order_id}")
    assert_error(response, 202)


@pytest.mark.parametrize(
    ("params", "fragment"),
    [({"start": -1}, "start: must be between"), ({"rows": 0}, "rows: must be between"),
     ({"rows": 101}, "rows: must be between 1 and 100"), ({"rows": "many"}, "rows: must be a whole number"),
     ({"start": str(10**30)}, "start: must be between")],
)
async def test_bad_paging(client: httpx.AsyncClient, params: dict[str, Any], fragment: str) -> None:
    response = await call(client, "GET", "/orders", params)
    assert fragment in assert_error(response, 202)["error"]["long_message"]


async def test_unknown_routes_and_wrong_methods(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/nothing/here"), 404)
    wrong = await client.patch("/orders")
    assert_error(wrong, 405)
    assert set(wrong.headers["allow"].split(", ")) >= {"GET", "POST"}
    assert_error(await call(client, "POST", "/orders/1", {"items": []}), 405)


async def test_wrong_types_and_unknown_fields(client: httpx.AsyncClient) -> None:
    response = await call(client, "POST", "/orders", {"customer": "me", "shipping": [], "items": {"a": 1},
                                                      "surprise": True})
    message = assert_error(response, 200)["error"]["long_message"]
    for fragment in ("customer: must be an object", "shipping: must be an object", "items: must be a list",
                     "surprise: is not a field of this object"):
        assert fragment in message


async def test_form_encoded_orders_are_accepted(client: httpx.AsyncClient) -> None:
    # PHP's http_build_query of the signed array: every leaf a string.
    signed = json.loads(signed_body("orders", {"start": "0", "rows": "5"}))
    response = await client.post("/orders", data=signed)
    assert response.status_code == 200 and response.json()["rows"] == 5


async def test_a_tampered_body_fails_the_signature(client: httpx.AsyncClient) -> None:
    body = json.loads(signed_body("orders", {"start": 0, "rows": 20}))
    body["rows"] = 21
    assert_error(await client.post("/orders", content=json.dumps(body), headers=JSON), 112)
    # the same body signed for another uri
    body = signed_body("orders/1", {"start": 0})
    assert_error(await client.post("/orders", content=body, headers=JSON), 112)


def test_error_headers_are_one_ascii_line_without_trailing_space() -> None:
    from easel.api.errors import header_safe

    assert header_safe("a" * 299 + " b") == "a" * 299
    safe = header_safe("line\r\nbreak – ünï")
    assert safe.startswith("line break") and safe.isascii() and "\r" not in safe and "\n" not in safe
