"""HTTP-level hardening shared by every route (issue 10): body limits before reading, header and body
deadlines and a connection limit, protection headers on HTML, one depth-limited JSON reader, non-ASCII
header values, and ``verify_cart_item`` raising only its documented error. Hostile inputs are data."""

from __future__ import annotations

import contextlib
import json
import re
import select
import socket
import time
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from easel.app import create_demo_app
from easel.client import CartSignatureError, verify_cart_item
from easel.demo.seed import DEMO_SECRET
from easel.runtime import Runtime
from easel.sandboxes.pwinty import PwintySandboxSettings
from easel.settings import Settings
from easel.web.body_limit import BodyLimitMiddleware
from easel.web.server import Parser, uvicorn_options
from easel.widget.cart_signature import sign_cart_item

from ..servers import run_asgi

ITEM = {"code": "MP148A", "choices": {"substrate": "paper", "style": "PF", "frame": "F0092", "size": "S"},
        "quantity": 1, "price": 60}


@pytest.fixture
async def http(demo_runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """The demo app (every surface) in-process, with its lifespan state as a server would pass it."""
    app = create_demo_app(runtime=demo_runtime)
    async with app.router.lifespan_context(app) as state:

        async def with_state(scope: Scope, receive: Receive, send: Send) -> None:
            scope["state"] = dict(state or {})
            await app(scope, receive, send)

        transport = httpx.ASGITransport(app=with_state)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as inner, \
                httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            app.state.demo_order_http = inner
            yield client


def _callback_path(runtime: Runtime, vendor: str = "pwinty") -> str:
    return urlsplit(runtime.dispatch.callback_url(vendor, "sandbox")).path


# --- body limits -------------------------------------------------------------------------------------------

# (path, limit setting, error shape) for one route of each surface.
GUARDED = [
    ("/orders", "max_body_bytes", "order_api"),
    ("/widget/v1/api/cart/item?api_key=demo", "widget_max_body_bytes", "widget"),
    ("/demo/cart", "widget_max_body_bytes", "plain"),
    ("/admin/sign-in", "widget_max_body_bytes", "plain"),
    ("{callback}", "callback_max_body_bytes", "plain"),
    ("/sandbox/pwinty/v3.0/orders", "sandbox_max_body_bytes", "plain"),
]


def _check_413(response: httpx.Response, shape: str) -> None:
    assert response.status_code == 413, response.text
    body = response.json()
    if shape == "order_api":
        assert body["error_code"] == 101 and response.headers["X-Error-Code"] == "101"
    elif shape == "widget":
        assert response.headers["content-type"] == "application/problem+json"
        assert body["status"] == 413 and body["detail"]
    else:
        assert body["status"] == 413 and body["title"]


@pytest.mark.anyio
@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
@pytest.mark.parametrize(("path", "limit", "shape"), GUARDED, ids=[g[2] + ":" + g[0] for g in GUARDED])
async def test_every_route_refuses_a_body_over_its_limit(http: httpx.AsyncClient, demo_runtime: Runtime, path: str,
                                                         limit: str, shape: str, declared: bool) -> None:
    path = path.format(callback=_callback_path(demo_runtime))
    size = getattr(demo_runtime.settings, limit) + 1
    headers = {"Content-Type": "application/json"}
    if path.startswith("/sandbox/pwinty/"):  # signed in, so the sandbox reads the body
        merchant, key = next(iter(PwintySandboxSettings().accounts.items()))
        headers |= {"X-Pwinty-MerchantId": merchant, "X-Pwinty-REST-API-Key": key}
    if path.startswith("/admin/"):  # a form, with the panel's CSRF cookie, so the body is read
        await http.get(path)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if declared:
        response = await http.post(path, content=b"{" + b" " * (size - 2) + b"}", headers=headers)
    else:
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(size // 8192 + 1):
                yield b" " * 8192

        response = await http.post(path, content=chunks(), headers=headers)
    _check_413(response, shape)


def _mirror_app(settings: Settings, seen: list[int]) -> ASGIApp:
    """A route that reads the whole body, as the demo cart path and vendor callbacks do, behind the guard."""

    async def read_all(request: Request) -> Response:
        body = await request.body()
        seen.append(len(body))
        return JSONResponse({"read": len(body)})

    app = Starlette(routes=[Route("/demo/cart", read_all, methods=["POST"]),
                            Route("/vendor-callbacks/x", read_all, methods=["POST"])])
    return BodyLimitMiddleware(app, settings)


def _send_chunked(url: str, path: str, total: int, chunk: int = 65536) -> tuple[int, bytes]:
    """POST `total` bytes chunked over a raw socket; stop at the first answer. (bytes sent, answer)."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=5)
    sent = 0
    answer = b""
    try:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n".encode())
        frame = f"{chunk:x}\r\n".encode() + b"7" * chunk + b"\r\n"
        while sent < total:
            if select.select([sock], [], [], 0)[0]:
                break
            sock.sendall(frame)
            sent += chunk
        answer = sock.recv(65536)
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        sock.close()
    return sent, answer


@pytest.mark.parametrize("path", ["/demo/cart", "/vendor-callbacks/x"])
def test_a_100_mb_chunked_body_costs_little_memory_and_time(path: str) -> None:
    settings = Settings(widget_max_body_bytes=65_536, callback_max_body_bytes=262_144)
    seen: list[int] = []
    with run_asgi(_mirror_app(settings, seen)) as url:
        tracemalloc.start()
        started = time.perf_counter()
        sent, answer = _send_chunked(url, path, 100_000_000)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert seen == []  # the handler never got the body
    assert sent < 20_000_000, f"the server kept reading: {sent} bytes went in"
    assert elapsed < 2.0
    assert peak < 5_000_000, f"{peak} bytes allocated at the peak"
    if answer:  # the answer can be lost to the connection reset that follows it
        assert answer.startswith(b"HTTP/1.1 413 ")


def test_a_declared_length_over_the_limit_is_refused_before_the_handler_runs() -> None:
    seen: list[int] = []
    with run_asgi(_mirror_app(Settings(widget_max_body_bytes=1000), seen)) as url:
        parts = urlsplit(url)
        with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
            sock.sendall(b"POST /demo/cart HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n")
            answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413 ") and seen == []


def test_a_standalone_sandbox_has_one_limit_for_every_path() -> None:
    guard = BodyLimitMiddleware(Starlette(), Settings(sandbox_max_body_bytes=123), default_limit=123)
    assert {guard.limit_for(p).bytes for p in ("/", "/v3.0/orders", "/widget/x", "/demo/cart")} == {123}


# --- header and body deadlines, connection limit -------------------------------------------------------------

def _hello_app() -> ASGIApp:
    async def hello(request: Request) -> Response:
        await request.body()
        return JSONResponse({"ok": True})

    return Starlette(routes=[Route("/", hello, methods=["GET", "POST"])])


PARSERS: list[Parser] = ["httptools", "h11"]


@contextmanager
def _served(parser: Parser, **overrides: Any) -> Iterator[tuple[str, int]]:
    options = uvicorn_options(Settings(**overrides), parser=parser)
    with run_asgi(_hello_app(), **options) as url:
        parts = urlsplit(url)
        assert parts.hostname and parts.port
        yield parts.hostname, parts.port


def _closed_after(sock: socket.socket, trickle: list[bytes], every: float, limit: float) -> tuple[float, bytes]:
    """Send `trickle` one piece per `every` seconds; (seconds until the server closed, what it said)."""
    started = time.monotonic()
    said = b""
    sock.settimeout(every)
    for piece in trickle:
        try:
            sock.sendall(piece)
        except (BrokenPipeError, ConnectionResetError):
            return time.monotonic() - started, said
        try:
            data = sock.recv(4096)
        except TimeoutError:
            continue
        except ConnectionResetError:
            return time.monotonic() - started, said
        said += data
        if not data:
            return time.monotonic() - started, said
        if time.monotonic() - started > limit:
            break
    return time.monotonic() - started, said


TRICKLES = {
    "a silent connection": (b"", b""),
    "headers one line at a time": (b"GET / HTTP/1.1\r\nHost: x\r\n", b"X-Slow: 1\r\n"),
    "a body one byte at a time": (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n", b"7"),
    "a second request after a first": (b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\n", b"X: 1\r\n"),
}


@pytest.mark.parametrize(("opening", "piece"), list(TRICKLES.values()), ids=list(TRICKLES))
@pytest.mark.parametrize("parser", PARSERS)
def test_a_trickling_client_is_cut_off_after_the_deadline(parser: Parser, opening: bytes, piece: bytes) -> None:
    with _served(parser, header_timeout=1, body_timeout=1) as (host, port), \
            socket.create_connection((host, port)) as sock:
        sock.sendall(opening)
        elapsed, said = _closed_after(sock, [piece] * 30, every=0.2, limit=4)
    assert 0.8 < elapsed < 2.5, f"closed after {elapsed:.1f}s"
    assert not said or said.endswith(b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")


@pytest.mark.parametrize("parser", PARSERS)
def test_a_normal_request_still_works_and_idling_between_requests_is_not_slowness(parser: Parser) -> None:
    request = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 8\r\n\r\n{\"a\": 1}"
    with _served(parser, header_timeout=1, body_timeout=1, keepalive_timeout=5) as (host, port), \
            socket.create_connection((host, port), timeout=5) as sock:
        assert _exchange(sock, request).startswith(b"HTTP/1.1 200 ")
        time.sleep(1.3)  # longer than the header deadline, shorter than keep-alive: the connection stays
        assert _exchange(sock, request).startswith(b"HTTP/1.1 200 ")


def _exchange(sock: socket.socket, request: bytes) -> bytes:
    """Send one request and read its whole answer (this app's answers end with ``}``)."""
    sock.sendall(request)
    answer = b""
    while not answer.endswith(b"}"):
        data = sock.recv(4096)
        if not data:
            break
        answer += data
    return answer


@pytest.mark.parametrize("parser", PARSERS)
def test_connections_beyond_the_limit_get_503(parser: Parser) -> None:
    with _served(parser, max_connections=2, header_timeout=5) as (host, port):
        held = [socket.create_connection((host, port)) for _ in range(2)]
        try:
            for sock in held:
                sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # headers never finished
            time.sleep(0.1)
            with socket.create_connection((host, port), timeout=5) as extra:
                extra.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                assert extra.recv(4096).startswith(b"HTTP/1.1 503 ")
            held.pop().close()
            time.sleep(0.1)
            with socket.create_connection((host, port), timeout=5) as allowed:  # the second of two
                allowed.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                assert allowed.recv(4096).startswith(b"HTTP/1.1 200 ")
        finally:
            for sock in held:
                sock.close()


def test_uvicorn_options_carry_the_settings() -> None:
    options = uvicorn_options(Settings(keepalive_timeout=7, max_connections=50))
    assert options["timeout_keep_alive"] == 7 and options["limit_concurrency"] == 51


# --- protection headers ------------------------------------------------------------------------------------

def _directives(response: httpx.Response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split(" ", 1)[0]: part for part in (p.strip() for p in policy.split(";"))}


@pytest.mark.anyio
@pytest.mark.parametrize(("path", "host"), [("/", "testserver"), ("/demo/", "localhost"), ("/demo/cart", "testserver"),
                                            ("/demo/login", "testserver")])
async def test_html_pages_carry_csp_framing_and_referrer_policies(http: httpx.AsyncClient, path: str,
                                                                  host: str) -> None:
    response = await http.get(f"http://{host}{path}", headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    csp = _directives(response)
    assert csp["frame-ancestors"] == "frame-ancestors 'self'" and csp["object-src"] == "object-src 'none'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    nonces = set(re.findall(r'<(?:script|style)\b[^>]*\bnonce="([^"]+)"', response.text))
    inline = re.findall(r"<(?:script|style)\b(?![^>]*\bsrc=)[^>]*>", response.text)
    assert len(nonces) == 1 and all("nonce=" in tag for tag in inline)  # every inline block may run
    assert f"'nonce-{nonces.pop()}'" in csp["script-src"]


@pytest.mark.anyio
async def test_the_demo_store_page_may_load_the_widget_from_its_other_origin(http: httpx.AsyncClient) -> None:
    response = await http.get("http://localhost/demo/")
    csp = _directives(response)
    for directive in ("script-src", "style-src", "img-src", "connect-src"):
        assert "http://127.0.0.1" in csp[directive].split()
    assert 'src="http://127.0.0.1/widget/v1/code.js?api_key=demo"' in response.text


@pytest.mark.anyio
@pytest.mark.parametrize("host", ["evil.example; script-src *", "a b", "x'y"])
async def test_a_hostile_host_header_adds_nothing_to_the_policy(http: httpx.AsyncClient, host: str) -> None:
    response = await http.get("/demo/", headers={"Host": host})
    assert response.status_code < 500
    if "Content-Security-Policy" in response.headers:
        assert "script-src *" not in response.headers["Content-Security-Policy"]
        assert host not in response.headers["Content-Security-Policy"]


WIDGET_EMBEDDED = ["/widget/v1/code.js?api_key=demo", "/widget/v1/api/options?api_key=demo",
                   "/widget/v1/api/search?api_key=demo", "/widget/v1/api/options?api_key=nope"]


@pytest.mark.anyio
@pytest.mark.parametrize("path", WIDGET_EMBEDDED)
async def test_the_widget_stays_embeddable_from_other_origins(http: httpx.AsyncClient, path: str) -> None:
    response = await http.get(path, headers={"Origin": "http://127.0.0.1:8000"})
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    for blocking in ("Content-Security-Policy", "X-Frame-Options", "Cross-Origin-Resource-Policy",
                     "Cross-Origin-Embedder-Policy"):
        assert blocking not in response.headers, f"{blocking} on {path}"


@pytest.mark.anyio
async def test_the_widget_stylesheet_and_images_stay_embeddable(http: httpx.AsyncClient) -> None:
    script = (await http.get("/widget/v1/code.js?api_key=demo")).text
    urls = set(re.findall(r"/widget/v1/(?:assets|thumb)/[^\"' )]+", script))
    search = (await http.get("/widget/v1/api/search?api_key=demo")).json()
    urls |= {urlsplit(found).path for found in re.findall(r'"(http://testserver/widget/v1/thumb/[^"]+)"',
                                                           json.dumps(search))}
    assert urls
    for url in sorted(urls)[:3]:
        response = await http.get(url)
        assert response.status_code == 200, url
        assert "Cross-Origin-Resource-Policy" not in response.headers
        assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.anyio
@pytest.mark.parametrize("path", ["/orders", "/nowhere", "/widget/v1/nowhere", "/demo/nowhere", "/ping"])
async def test_every_answer_says_nosniff(http: httpx.AsyncClient, path: str) -> None:
    assert (await http.get(path)).headers["X-Content-Type-Options"] == "nosniff"


# --- one depth-limited JSON reader ---------------------------------------------------------------------------

HOSTILE_JSON = {
    "5000 nested arrays": b"[" * 5000 + b"]" * 5000,
    "5000 nested in an object": b'{"code": ' + b'{"a":' * 5000 + b"1" + b"}" * 5001,
    "deep inside a string is fine, deep outside is not": b'{"x": "[[[[", "y": ' + b"[" * 100 + b"]" * 100 + b"}",
    "an array": b"[1, 2]",
    "a string": b'"text"',
    "a number": b"12",
    "null": b"null",
    "invalid UTF-8": b'{"code": "\xff\xfe"}',
    "NaN": b'{"price": NaN}',
    "truncated": b'{"code": "MP1',
}
JSON_ROUTES = {
    "widget cart item": ("/widget/v1/api/cart/item?api_key=demo", "widget"),
    "widget projects": ("/widget/v1/api/projects?api_key=demo", "widget"),
    "demo cart": ("/demo/cart", "demo"),
    "pwinty callback": ("{pwinty}", "vendor"),
    "image2art callback": ("{image2art}", "vendor"),
    "pixelz callback": ("{pixelz}", "vendor"),
}


@pytest.mark.anyio
@pytest.mark.parametrize("body", list(HOSTILE_JSON.values()), ids=list(HOSTILE_JSON))
@pytest.mark.parametrize(("path", "surface"), list(JSON_ROUTES.values()), ids=list(JSON_ROUTES))
async def test_hostile_json_bodies_get_a_4xx_in_the_surfaces_shape(http: httpx.AsyncClient, demo_runtime: Runtime,
                                                                    path: str, surface: str, body: bytes) -> None:
    path = path.format(**{v: _callback_path(demo_runtime, v) for v in ("pwinty", "image2art", "pixelz")})
    response = await http.post(path, content=body, headers={"Content-Type": "application/json",
                                                            "X-Customer-Id": "cust-1"})
    assert 400 <= response.status_code < 500, response.text
    if surface == "widget":
        assert response.status_code == 400 and response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"]
    elif surface == "demo":
        assert response.status_code == 400 and response.json()["error"].startswith("Rejected: ")
    elif b"[" * 100 in body or b'{"a":' * 100 in body:  # before a vendor's own checks
        assert response.status_code == 400


# --- non-ASCII where ASCII is expected ------------------------------------------------------------------------

NON_ASCII = ["é" * 64, "ü", "\u2603" * 64, "a" * 63 + "\u00ff"]


@pytest.mark.anyio
@pytest.mark.parametrize("token", NON_ASCII)
@pytest.mark.parametrize("path", ["/widget/v1/api/projects?api_key=demo",
                                  "/widget/v1/api/price?api_key=demo&code=MP148A&auth=pricing"])
async def test_a_non_ascii_customer_token_is_refused_with_401(http: httpx.AsyncClient, path: str, token: str) -> None:
    response = await http.get(path, headers={b"X-Customer-Id": b"cust-1", b"X-Customer-Token": token.encode()})
    assert response.status_code == 401 and response.json()["title"] == "Bad customer token"


@pytest.mark.anyio
@pytest.mark.parametrize("csrf", NON_ASCII)
@pytest.mark.parametrize(("path", "status"), [("/demo/login", 400), ("/demo/logout", 303), ("/demo/cart/remove", 303)])
async def test_a_non_ascii_csrf_value_is_a_failed_check(http: httpx.AsyncClient, path: str, status: int,
                                                        csrf: str) -> None:
    response = await http.post(path, data={"csrf": csrf, "name": "Ann", "email": "ann@example.com", "sku": "x"})
    assert response.status_code == status


@pytest.mark.anyio
@pytest.mark.parametrize("cookie", ["é" * 40, "\u2603.x.y", "a.b.\xff", "."])
async def test_a_non_ascii_session_cookie_is_a_new_visitor(http: httpx.AsyncClient, cookie: str) -> None:
    response = await http.get("/demo/cart", headers={b"Cookie": b"easel_demo=" + cookie.encode()})
    assert response.status_code == 200


@pytest.mark.anyio
@pytest.mark.parametrize("token", NON_ASCII)
async def test_a_relayed_item_with_a_non_ascii_customer_token_is_refused(http: httpx.AsyncClient, token: str) -> None:
    item = (await http.post("/widget/v1/api/cart/item?api_key=demo", json=ITEM)).json()["item"]
    http.cookies.clear()
    response = await http.post("/demo/cart", json={**item, "customer_id": "cust-1", "customer_token": token})
    assert response.status_code == 401


# --- verify_cart_item raises only its documented error --------------------------------------------------------

def _genuine(**changes: object) -> dict[str, object]:
    item: dict[str, object] = {"sku": "473784f02f26d24f", "image_code": "MP148A", "substrate": "paper", "style": "PF",
                               "frame": "F0092", "matte": "none", "size": "S", "quantity": 1, "list_price": 50,
                               "currency": "USD", "expires_at": int(time.time()) + 3600}
    item["signature"] = sign_cart_item(item, DEMO_SECRET)
    return item | changes


JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
                       max_leaves=8)
SIGNED = ["sku", "image_code", "substrate", "style", "frame", "matte", "size", "quantity", "list_price", "currency",
          "expires_at", "signature"]


def _only_documented_errors(item: object, secret: object) -> None:
    with contextlib.suppress(CartSignatureError):  # any other exception fails the test
        verify_cart_item(item, secret)  # type: ignore[arg-type]


def test_a_genuine_item_passes() -> None:
    verify_cart_item(_genuine(), DEMO_SECRET)
    assert issubclass(CartSignatureError, ValueError) and CartSignatureError.__doc__


@hypothesis_settings(max_examples=300, deadline=None)
@given(item=JSONISH, secret=st.one_of(st.text(), st.binary(), st.none(), st.integers()))
def test_verify_cart_item_on_any_value_raises_only_cart_signature_error(item: object, secret: object) -> None:
    _only_documented_errors(item, secret)


@hypothesis_settings(max_examples=300, deadline=None)
@given(field=st.sampled_from(SIGNED), value=JSONISH | st.integers(min_value=10**4000, max_value=10**4001),
       secret=st.one_of(st.just(DEMO_SECRET), st.text(), st.binary()))
def test_verify_cart_item_on_a_changed_field_raises_only_cart_signature_error(field: str, value: object,
                                                                              secret: object) -> None:
    _only_documented_errors(_genuine(**{field: value}), secret)


@hypothesis_settings(max_examples=200, deadline=None)
@given(field=st.sampled_from(SIGNED))
def test_verify_cart_item_on_a_missing_field_raises_cart_signature_error(field: str) -> None:
    item = _genuine()
    del item[field]
    with pytest.raises(CartSignatureError):
        verify_cart_item(item, DEMO_SECRET)


@pytest.mark.parametrize("signature", ["é" * 64, "\u2603" * 64, "A" * 64, "0" * 63 + "\xff", "\ud800" * 64])
def test_verify_cart_item_refuses_a_non_ascii_or_forged_signature(signature: str) -> None:
    with pytest.raises(CartSignatureError):
        verify_cart_item(_genuine(signature=signature), DEMO_SECRET)
