"""The runtime's shared HTTP client (``easel.http_client``) over real sockets: it keeps no cookie between
merchants' calls, and its connections (raw socket looked up once, a request's head sent with its body)
carry every kind of request whole, notice a connection the server closed, and verify TLS as before."""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import json
import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from starlette.types import Receive, Scope, Send

from easel.http_client import SharedClient, _Backend, shared_client
from easel.vendors.pwinty import PwintyAdapter

from .servers import run_asgi

pytestmark = pytest.mark.anyio

ORDER = {"id": 7, "status": "NotYetSubmitted"}


async def echo(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers what it got: method, path, headers, body length and digest, the client's port; with a
    ``Set-Cookie`` on ``/orders/7`` (what a vendor's load balancer might add), in Pwinty's envelope."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    seen = {"method": scope["method"], "path": scope["path"], "port": scope["client"][1],
            "headers": {k.decode().lower(): v.decode() for k, v in scope["headers"]},
            "length": len(body), "sha256": hashlib.sha256(body).hexdigest()}
    headers = [(b"content-type", b"application/json")]
    if scope["path"] == "/orders/7":
        headers.append((b"set-cookie", b"lb=merchant-a; Path=/"))
    payload = {"statusCode": 200, "statusTxt": "OK", "data": {**ORDER, "tag": json.dumps(seen)}}
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": json.dumps(payload).encode()})


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with run_asgi(echo) as base:
        yield base


@pytest.fixture
async def client() -> AsyncIterator[SharedClient]:
    async with shared_client() as http:
        yield http


def _seen(response: httpx.Response) -> dict[str, Any]:
    return dict(json.loads(json.loads(response.content)["data"]["tag"]))


async def test_a_cookie_one_merchants_call_got_is_not_sent_with_the_next(server: str, client: SharedClient) -> None:
    first = PwintyAdapter(client, merchant_id="a", api_key="key-a", base_url=server)
    second = PwintyAdapter(client, merchant_id="b", api_key="key-b", base_url=server)
    assert (await first.get_order(7)).id == 7  # answered with Set-Cookie
    seen = json.loads((await second.get_order(8)).tag or "{}")
    assert seen["headers"]["x-pwinty-merchantid"] == "b"
    assert "cookie" not in seen["headers"]
    assert not client.cookies
    with pytest.raises(TypeError):
        client.cookies.set("lb", "x")
    # What it guards against: httpx's own client sends the cookie on.
    async with httpx.AsyncClient() as plain:
        await PwintyAdapter(plain, merchant_id="a", api_key="key-a", base_url=server).get_order(7)
        leaked = await PwintyAdapter(plain, merchant_id="b", api_key="key-b", base_url=server).get_order(8)
        assert json.loads(leaked.tag or "{}")["headers"].get("cookie") == "lb=merchant-a"


async def test_every_kind_of_request_arrives_whole(server: str, client: SharedClient) -> None:
    big = bytes(range(256)) * 1200  # ~300 KB: more than one write

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 50_000):
            await anyio.lowlevel.checkpoint()
            yield big[start:start + 50_000]

    async def check(n: int) -> None:
        kind = n % 4
        if kind == 0:
            response = await client.get(f"{server}/get/{n}")
            expected = b""
        elif kind == 1:
            response = await client.post(f"{server}/json/{n}", json={"n": n, "pad": "x" * n})
            expected = response.request.content
        elif kind == 2:
            response = await client.post(f"{server}/big/{n}", content=big)
            expected = big
        else:
            response = await client.post(f"{server}/chunked/{n}", content=chunks())
            expected = big
        seen = _seen(response)
        assert (seen["method"], seen["path"]) == ("GET" if kind == 0 else "POST", f"/{response.url.path.split('/')[1]}/{n}")
        assert (seen["length"], seen["sha256"]) == (len(expected), hashlib.sha256(expected).hexdigest())

    async with anyio.create_task_group() as group:
        for n in range(40):
            group.start_soon(check, n)


async def test_a_connection_the_server_closed_while_idle_is_not_reused() -> None:
    with run_asgi(echo, timeout_keep_alive=0.2) as base:
        async with shared_client() as http:
            first = _seen(await http.get(f"{base}/one"))
            again = _seen(await http.get(f"{base}/two"))
            assert again["port"] == first["port"]  # kept alive
            await anyio.sleep(0.6)  # the server closes it meanwhile
            last = _seen(await http.get(f"{base}/three"))
            assert last["port"] != first["port"]


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


async def test_tls_is_verified_and_its_connections_are_reused(tmp_path: Path) -> None:
    cert_file, key_file = _certificate(tmp_path)
    with run_asgi(echo, ssl_certfile=str(cert_file), ssl_keyfile=str(key_file)) as base:
        url = base.replace("http://127.0.0.1", "https://localhost")
        trusting = ssl.create_default_context(cafile=str(cert_file))
        async with shared_client(verify=trusting) as http:
            first = _seen(await http.post(f"{url}/one", json={"a": 1}))
            again = _seen(await http.get(f"{url}/two"))
            assert again["port"] == first["port"] and first["length"] == 7
        async with shared_client() as http:  # the usual bundle does not know this certificate
            with pytest.raises(httpx.ConnectError):
                await http.get(f"{url}/three")


async def test_the_pool_uses_easels_connections() -> None:
    """The client swaps httpx's pool for one with easel's network backend (httpx takes none): if a new
    httpx stops using ``_pool``, this fails rather than the savings going silently."""
    async with shared_client() as http:
        transport = http._transport
        assert isinstance(transport, httpx.AsyncHTTPTransport)
        assert isinstance(transport._pool._network_backend, _Backend)  # type: ignore[union-attr]
