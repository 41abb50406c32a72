"""Helpers for order API tests: signed requests as the document's PHP client makes them."""

from __future__ import annotations

import json
from typing import Any

import httpx

from easel.client import sign_request
from easel.demo.seed import DEMO_SECRET, DEMO_USERNAME

ADDRESS = {"name": "Jane Doe", "company": "", "address": "456 False Ln.", "city": "Austin", "state": "TX",
           "zip": "78705", "country": "US"}
CUSTOMER = {**ADDRESS, "email": "jdoe@example.com", "phone": "512-123-4567"}


def signed_body(uri: str, data: dict[str, Any], username: str = DEMO_USERNAME, secret: str = DEMO_SECRET) -> bytes:
    return json.dumps(sign_request(uri, data, username, secret)).encode()


async def call(client: httpx.AsyncClient, method: str, path: str, data: dict[str, Any] | None = None,
               username: str = DEMO_USERNAME, secret: str = DEMO_SECRET, **kwargs: Any) -> httpx.Response:
    body = signed_body(path.lstrip("/"), data or {}, username, secret)
    headers = {"Content-Type": "application/json", **kwargs.pop("headers", {})}
    return await client.request(method, path, content=body, headers=headers, **kwargs)


def order(skus: list[str], **extra: Any) -> dict[str, Any]:
    return {"customer": CUSTOMER, "shipping": {**ADDRESS, "method": "ups"},
            "items": [{"sku": s, "quantity": 1} for s in skus], **extra}
