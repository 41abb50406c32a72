"""The SSRF guard on outbound POSTs: which addresses and origins are refused, redirects re-checked,
the checked address is the one connected to, and limits on time and size."""

from __future__ import annotations

import asyncio
import ipaddress
import json

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from easel.outbound import Outbound, OutboundFailed, OutboundRefused, refusal

from .servers import run_asgi

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(("address", "reason"), [
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("10.1.2.3", "private"), ("192.168.0.10", "private"),
    ("172.16.5.4", "private"), ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
    ("fd00:ec2::254", "private"), ("224.0.0.1", "multicast"), ("ff02::1", "multicast"), ("0.0.0.0", "unspecified"),
    ("240.0.0.1", "reserved"), ("100.64.0.1", "non-global"), ("100.100.100.200", "non-global"),
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.0.0.1", "private"), ("2002:7f00:1::", "loopback"),
    ("64:ff9b::a00:1", "private"), ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "private"),
])
def test_non_public_addresses_are_refused(address: str, reason: str) -> None:
    assert refusal(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None


def _resolver(table: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    async def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError("no such host")
        return table[host]
    return resolve


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8000/cart", "http://[::ffff:127.0.0.1]/cart", "http://169.254.169.254/latest/meta-data",
    "http://[fd00:ec2::254]/", "http://2130706433/", "http://0x7f.1/", "http://localhost/cart",
    "http://metadata.google.internal.example/", "http://evil.example/",
])
async def test_private_destinations_are_refused_before_connecting(url: str) -> None:
    calls: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda r: calls.append(r) or httpx.Response(200))  # type: ignore[func-returns-value]
    resolver = _resolver({"metadata.google.internal.example": ["169.254.169.254"],
                          "evil.example": ["93.184.216.34", "10.0.0.7"],  # one private address is enough
                          "localhost": ["127.0.0.1"], "2130706433": ["127.0.0.1"], "0x7f.1": ["127.0.0.1"]})
    async with httpx.AsyncClient(transport=transport) as http:
        guard = Outbound(http, resolver=resolver)
        with pytest.raises(OutboundRefused):
            await guard.post(url, content=b"{}", allowed_origins=None)
    assert calls == []


@pytest.mark.parametrize("url", ["ftp://shop.example/", "http://user:pw@shop.example/", "http:///nohost",
                                 "http://shop.example:99999/", "https://other.example/cart",
                                 "http://shop.example/cart"])
async def test_only_http_urls_on_registered_origins(url: str) -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200))) as http:
        guard = Outbound(http, resolver=_resolver({"shop.example": ["93.184.216.34"]}))
        with pytest.raises(OutboundRefused):
            await guard.post(url, content=b"{}", allowed_origins=["https://shop.example"])


async def test_it_connects_to_the_checked_address_with_the_names_host_and_sni() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"ok": True})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        guard = Outbound(http, resolver=_resolver({"shop.example": ["93.184.216.34"]}))
        answer = await guard.post("https://shop.example/cart?x=1", content=b'{"a":1}',
                                  allowed_origins=["https://shop.example"],
                                  headers={"Content-Type": "application/json"})
    assert answer.status == 201 and json.loads(answer.body) == {"ok": True}
    request = seen[0]
    assert request.url.host == "93.184.216.34" and request.url.path == "/cart" and request.url.query == b"x=1"
    assert request.headers["host"] == "shop.example"
    assert request.extensions["sni_hostname"] == "shop.example"
    assert request.content == b'{"a":1}'


async def test_redirects_are_checked_again() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["host"] == "shop.example":
            return httpx.Response(307, headers={"Location": "http://intranet.example/admin"})
        return httpx.Response(200)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        guard = Outbound(http, resolver=_resolver({"shop.example": ["93.184.216.34"],
                                                   "intranet.example": ["10.0.0.2"]}))
        with pytest.raises(OutboundRefused, match=r"10\.0\.0\.2"):
            await guard.post("http://shop.example/cart", content=b"{}", allowed_origins=None)
        with pytest.raises(OutboundRefused, match="not one of the registered origins"):
            await guard.post("http://shop.example/cart", content=b"{}", allowed_origins=["http://shop.example"])


async def test_redirect_chains_are_bounded_and_303_continues_as_get() -> None:
    methods: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        methods.append(request.method)
        if request.url.path == "/loop":
            return httpx.Response(302, headers={"Location": "/loop"})
        if request.url.path == "/see-other":
            return httpx.Response(303, headers={"Location": "/done"})
        return httpx.Response(200, text="done")

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        guard = Outbound(http, resolver=_resolver({"shop.example": ["93.184.216.34"]}), max_redirects=2)
        with pytest.raises(OutboundFailed, match="redirects"):
            await guard.post("http://shop.example/loop", content=b"{}", allowed_origins=None)
        methods.clear()
        answer = await guard.post("http://shop.example/see-other", content=b"{}", allowed_origins=None)
    assert answer.body == b"done" and methods == ["POST", "GET"]


def _shop() -> Starlette:
    async def echo(request: Request) -> Response:
        return JSONResponse({"host": request.headers["host"], "body": (await request.body()).decode()})

    async def big(request: Request) -> Response:
        return PlainTextResponse("x" * 300_000)

    async def slow(request: Request) -> Response:
        await asyncio.sleep(2)
        return PlainTextResponse("late")

    return Starlette(routes=[Route("/echo", echo, methods=["POST"]), Route("/big", big, methods=["POST"]),
                             Route("/slow", slow, methods=["POST"])])


async def test_loopback_only_with_the_test_flag_and_limits_hold() -> None:
    with run_asgi(_shop()) as base:
        async with httpx.AsyncClient() as http:
            with pytest.raises(OutboundRefused, match="loopback"):
                await Outbound(http).post(base + "/echo", content=b"hi", allowed_origins=None)
            guard = Outbound(http, allow_private=True, max_bytes=100_000)
            answer = await guard.post(base + "/echo", content=b"hi", allowed_origins=["http://127.0.0.1:*"])
            assert json.loads(answer.body) == {"host": base.removeprefix("http://"), "body": "hi"}
            with pytest.raises(OutboundFailed, match="larger than"):
                await guard.post(base + "/big", content=b"", allowed_origins=None)
            impatient = Outbound(http, allow_private=True, deadline=0.5)
            with pytest.raises(OutboundFailed, match="no answer within"):
                await impatient.post(base + "/slow", content=b"", allowed_origins=None)
            with pytest.raises(OutboundFailed):
                await guard.post("http://127.0.0.1:1/", content=b"", allowed_origins=None)
