"""Outbound HTTP to URLs that merchants (or their shoppers' pages) name, guarded against SSRF.

easel posts to merchants' servers (the cart relay, order status callbacks) and fetches the image URLs
of catalogue files. Whoever names such a URL could point it at easel's own network, so every request here:

- is only made to an allowed origin when the caller gives a list (``allowed_origins``);
- resolves the host itself and refuses loopback, private, link-local (cloud metadata), multicast,
  reserved, unspecified and other non-global addresses, including IPv4 hidden in IPv6 (mapped, 6to4,
  Teredo, NAT64); if any address of the name is refused, the name is refused;
- connects to the address it checked (the URL is rewritten to the IP; ``Host`` and TLS SNI keep the
  name, so certificates are still verified against the name), so DNS cannot change between check and use;
- follows at most a few redirects itself, checking every hop again (307/308 repeat the POST,
  301/302/303 continue as GET, as browsers do);
- has a connect timeout and an overall deadline, and refuses answers larger than ``max_bytes``.

``allow_private=True`` skips the address checks; only tests pass it (to reach a server on loopback).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import anyio
import httpx

from .domain.merchants import origin_matches
from .redact import redact_text, redact_url

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

_REDIRECTS = (301, 302, 303, 307, 308)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class OutboundRefused(Exception):
    """The destination is not allowed (an origin not registered, a private address): never retry."""


class OutboundFailed(Exception):
    """The destination was allowed but did not answer usefully (network, timeout, size): may retry."""


@dataclass(frozen=True, slots=True)
class OutboundResponse:
    status: int
    headers: httpx.Headers
    body: bytes
    url: str


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _embedded(address: Address) -> list[Address]:
    """The address and any IPv4 address an IPv6 address carries."""
    found: list[Address] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        for inner in (address.ipv4_mapped, address.sixtofour):
            if inner is not None:
                found.append(inner)
        if address.teredo is not None:
            found.extend(address.teredo)
        if address in _NAT64:
            found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def refusal(address: Address) -> str | None:
    """Why an address may not be contacted (``"loopback"``, ``"private"``, …), or ``None`` if it is public."""
    for candidate in reversed(_embedded(address)):  # the IPv4 inside first: it names the real reason
        for reason, flag in (("loopback", candidate.is_loopback), ("link-local", candidate.is_link_local),
                             ("multicast", candidate.is_multicast), ("unspecified", candidate.is_unspecified),
                             ("reserved", candidate.is_reserved), ("private", candidate.is_private)):
            if flag:
                return reason
        if isinstance(candidate, ipaddress.IPv6Address) and candidate.is_site_local:
            return "site-local"
        if not candidate.is_global:
            return "non-global"
    return None


@dataclass(frozen=True, slots=True)
class _Target:
    scheme: str
    host: str
    port: int
    host_header: str
    address: str


def _origin(scheme: str, host: str, port: int | None) -> str:
    shown = f"[{host}]" if ":" in host else host
    default = 80 if scheme == "http" else 443
    return f"{scheme}://{shown}" + (f":{port}" if port is not None and port != default else "")


class Outbound:
    """POSTs (and the GETs of redirects) to guarded destinations over a shared ``httpx.AsyncClient``."""

    def __init__(self, http: httpx.AsyncClient, *, allow_private: bool = False, resolver: Resolver | None = None,
                 deadline: float = 10.0, connect_timeout: float = 3.0, max_bytes: int = 256 * 1024,
                 max_redirects: int = 3) -> None:
        self._http = http
        self._allow_private = allow_private
        self._resolve = resolver or system_resolver
        self._deadline = deadline
        self._timeout = httpx.Timeout(deadline, connect=connect_timeout)
        self._max_bytes = max_bytes
        self._max_redirects = max_redirects

    async def post(self, url: str, *, content: bytes, allowed_origins: Sequence[str] | None,
                   headers: Mapping[str, str] | None = None) -> OutboundResponse:
        """POST ``content`` to ``url``; ``allowed_origins`` (patterns as merchants register them) limits
        where it, and every redirect, may go; ``None`` allows any public host."""
        return await self._follow("POST", url, content, allowed_origins, headers)

    async def get(self, url: str, *, allowed_origins: Sequence[str] | None = None,
                  headers: Mapping[str, str] | None = None) -> OutboundResponse:
        """GET ``url`` (a catalogue image), with the same checks on it and on every redirect as :meth:`post`."""
        return await self._follow("GET", url, b"", allowed_origins, headers)

    async def _follow(self, method: str, url: str, body: bytes, allowed_origins: Sequence[str] | None,
                      headers: Mapping[str, str] | None) -> OutboundResponse:
        try:
            with anyio.fail_after(self._deadline):
                for _ in range(self._max_redirects + 1):
                    target = await self.check(url, allowed_origins)
                    response = await self._send(method, url, target, body, headers or {})
                    location = response.headers.get("location")
                    if response.status not in _REDIRECTS or not location:
                        return response
                    url = urljoin(url, location)
                    if response.status in (301, 302, 303):
                        method, body = "GET", b""
        except TimeoutError:
            raise OutboundFailed(f"no answer within {self._deadline:g} s") from None
        raise OutboundFailed(f"more than {self._max_redirects} redirects")

    async def check(self, url: str, allowed_origins: Sequence[str] | None) -> _Target:
        """Where ``url`` would connect, or :class:`OutboundRefused` saying why it may not."""
        try:
            parts = urlsplit(url)
            port_given = parts.port
        except ValueError:
            raise OutboundRefused(f"{redact_url(url[:200])!r} is not a valid URL") from None
        scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
        if scheme not in ("http", "https") or not host:
            raise OutboundRefused(f"{redact_url(url[:200])!r} is not an http(s) URL")
        if parts.username is not None or parts.password is not None:
            raise OutboundRefused("URLs with credentials are not allowed")
        origin = _origin(scheme, host, port_given)
        if allowed_origins is not None and not origin_matches(origin, list(allowed_origins)):
            raise OutboundRefused(f"{origin} is not one of the registered origins")
        port = port_given or (80 if scheme == "http" else 443)
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            try:
                addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in await self._resolve(host, port)]
            except (OSError, ValueError) as err:
                raise OutboundFailed(f"cannot resolve {host}: {err}") from None
        if not addresses:
            raise OutboundFailed(f"{host} has no address")
        if not self._allow_private:
            for address in addresses:
                reason = refusal(address)
                if reason:
                    raise OutboundRefused(f"{host} resolves to {address}, a {reason} address")
        netloc_host = f"[{host}]" if ":" in host else host
        host_header = netloc_host + (f":{port_given}" if port_given is not None else "")
        return _Target(scheme, host, port, host_header, str(addresses[0]))

    async def _send(self, method: str, url: str, target: _Target, body: bytes,
                    headers: Mapping[str, str]) -> OutboundResponse:
        parts = urlsplit(url)
        request_url = httpx.URL(url).copy_with(host=target.address, port=target.port)
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        sent = {**headers, "Host": target.host_header}
        if method == "GET":
            sent = {k: v for k, v in sent.items() if k.lower() != "content-type"}
        try:
            async with self._http.stream(method, request_url, content=body or None, headers=sent,
                                         timeout=self._timeout, extensions=extensions) as response:
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > self._max_bytes:
                        raise OutboundFailed(f"the answer is larger than {self._max_bytes} bytes")
                    chunks.append(chunk)
                return OutboundResponse(response.status_code, response.headers, b"".join(chunks),
                                        parts.geturl())
        except httpx.HTTPError as err:
            raise OutboundFailed(redact_text(f"{type(err).__name__}: {err}".rstrip(": "))) from None
