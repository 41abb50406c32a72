"""The ``httpx.AsyncClient`` easel's runtime shares: vendor calls, merchants' callbacks, catalogue fetches.

It differs from httpx's default client in two ways, both for the dispatch worker, where the HTTP client
is a third of the CPU an order costs:

* It keeps no cookies. One client serves every merchant, so a cookie that one merchant's vendor account
  (or callback server) set would otherwise be sent with other merchants' calls to the same host. httpx
  also runs every answer through ``http.cookiejar``, which costs more than parsing the answer.
* Its connections are httpcore's anyio streams with two costs removed. Before each request the pool
  asks every idle connection whether its socket is readable (a server that closed it); anyio answers by
  building a dict of socket attributes (with a ``getpeername`` call) each time, so the raw socket is
  looked up once per connection instead. And a request's head and body are written with one ``send``
  rather than two: a write is held until the next write (sent with it) or the read of the answer.

Nothing else changes: timeouts, limits, TLS verification, proxies from the environment, redirects.
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import typing

import httpcore
import httpx

from .tls import client_context

_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)
"""httpx's defaults."""


class _NoCookies(httpx.Cookies):
    """An always empty jar: answers' ``Set-Cookie`` are not read, and nothing may be put in it."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None

    def set(self, name: str, value: str, domain: str = "", path: str = "/") -> None:
        raise TypeError("easel's shared HTTP client keeps no cookies; pass them per request")


class SharedClient(httpx.AsyncClient):
    """An ``httpx.AsyncClient`` whose jar stays empty (cookies given to one request are still sent)."""

    _no_cookies = _NoCookies()

    @property
    def cookies(self) -> httpx.Cookies:
        return self._no_cookies

    @cookies.setter
    def cookies(self, cookies: typing.Any) -> None:
        raise TypeError("easel's shared HTTP client keeps no cookies")


class _Stream(httpcore.AsyncNetworkStream):
    """httpcore's anyio stream, with the raw socket looked up once and each write held until the next
    write or read (so at most one is held: a request's head goes out with its body, a large body as it comes)."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket: socket.socket | None = inner.get_extra_info("socket")
        self._poll: select.poll | None = None
        self._held = b""

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109 (httpcore's API)
        if self._held:
            held, self._held = self._held, b""
            # As httpcore does with a failed write: the server may have answered before closing; the read tells.
            with contextlib.suppress(httpcore.WriteError):
                await self._inner.write(held, timeout)
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        if not self._held:
            self._held = buffer
            return
        held, self._held = self._held, b""
        await self._inner.write(held + buffer, timeout)

    async def aclose(self) -> None:
        self._held = b""
        await self._inner.aclose()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None,  # noqa: ASYNC109
                        ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> typing.Any:
        if info == "is_readable":
            return self._readable()
        return self._inner.get_extra_info(info)

    def _readable(self) -> bool:
        """Whether a read would not wait: on an idle connection, the server closed it (as httpcore's check)."""
        if self._socket is None or self._socket.fileno() < 0:
            return True
        if not hasattr(select, "poll"):  # Windows
            return bool(select.select([self._socket], [], [], 0)[0])
        if self._poll is None:
            self._poll = select.poll()
            self._poll.register(self._socket, select.POLLIN)
        return bool(self._poll.poll(0))


class _Backend(httpcore.AsyncNetworkBackend):
    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,  # noqa: ASYNC109
                          local_address: str | None = None,
                          socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
                          ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._inner.connect_tcp(host, port, timeout, local_address, socket_options))

    async def connect_unix_socket(self, path: str, timeout: float | None = None,  # noqa: ASYNC109
                                  socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
                                  ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._inner.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def shared_client(*, timeout: httpx.Timeout = _TIMEOUT, verify: ssl.SSLContext | None = None,
                  limits: httpx.Limits = _LIMITS) -> SharedClient:
    """The runtime's client (``verify``: the TLS context, by default :func:`easel.tls.client_context`)."""
    context = verify or client_context()
    transport = httpx.AsyncHTTPTransport(verify=context, limits=limits)
    # httpx takes no network backend, so its pool is made again with ours (same arguments as httpx's).
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=context, max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections, keepalive_expiry=limits.keepalive_expiry,
        network_backend=_Backend())
    return SharedClient(timeout=timeout, follow_redirects=False, headers={"User-Agent": "easel"}, verify=context,
                        limits=limits, transport=transport)
