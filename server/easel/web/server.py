"""How uvicorn serves easel: keep-alive, connection limit, and header and body deadlines.

uvicorn closes idle keep-alive connections and answers 503 over ``limit_concurrency``, but it has no
deadline for reading a request: a client that sends one header byte every few seconds (slowloris) holds
its connection forever, and a few hundred such clients hold every slot. :class:`DeadlineHttpToolsProtocol`
(and :class:`DeadlineH11Protocol`) are uvicorn's protocols with two deadlines: the request's headers must
be complete within ``header_timeout`` seconds of the connection opening (or of the first byte of a
following request on a kept-alive connection), and its body within ``body_timeout`` seconds of the
headers. A connection that misses one is closed (after a 408 when no response was under way).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any, Literal

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ..settings import Settings

_REQUEST_TIMEOUT = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
Parser = Literal["httptools", "h11"]


class _Deadlines:
    """The deadline both protocols share: one timer, for the headers or for the body being received."""

    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    logger: logging.Logger
    header_timeout: float
    body_timeout: float
    _deadline: asyncio.TimerHandle | None = None
    _waiting_for: str = ""  # "headers", "body" or "" (no request is being received)

    def __init__(self, *args: Any, header_timeout: float = 10.0, body_timeout: float = 30.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout, self.body_timeout = header_timeout, body_timeout

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]  # the protocol class after this one
        self._wait_for("headers")

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]

    def _wait_for(self, what: str) -> None:
        """Start the deadline for ``what`` unless it is already running (trickled bytes do not extend it)."""
        if self._waiting_for != what:
            self._disarm()
            self._waiting_for = what
            seconds = self.header_timeout if what == "headers" else self.body_timeout
            self._deadline = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = None
        self._waiting_for = ""

    def _answering(self) -> bool:
        """Whether a response is on its way (a 408 must not be written into it)."""
        raise NotImplementedError

    def _expired(self) -> None:
        waiting_for = self._waiting_for
        self._deadline, self._waiting_for = None, ""
        if self.transport.is_closing():
            return
        self.logger.info("Closing a connection that sent its request %s too slowly.", waiting_for)
        if waiting_for == "headers" and not self._answering():
            self.transport.write(_REQUEST_TIMEOUT)
        self.transport.close()


class DeadlineH11Protocol(_Deadlines, H11Protocol):
    """uvicorn's h11 protocol, closing connections that send a request's headers or body too slowly."""

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow_request()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.conn.their_state is h11.IDLE and self.conn.trailing_data[0]:
            self._follow_request()  # a pipelined request has already begun

    def _follow_request(self) -> None:
        """Move the deadline along with h11's view of the request being received."""
        state = self.conn.their_state
        if state is h11.IDLE:
            self._wait_for("headers")
        elif state is h11.SEND_BODY:
            self._wait_for("body")
        else:
            self._disarm()

    def _answering(self) -> bool:
        return self.conn.our_state is not h11.IDLE


class DeadlineHttpToolsProtocol(_Deadlines, HttpToolsProtocol):
    """uvicorn's httptools protocol (its faster parser) with the same deadlines."""

    def on_message_begin(self) -> None:  # the first byte of a request
        super().on_message_begin()
        self._wait_for("headers")

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._wait_for("body")

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()

    def _answering(self) -> bool:
        cycle = getattr(self, "cycle", None)
        return cycle is not None and not cycle.response_complete


def uvicorn_options(settings: Settings, *, parser: Parser = "httptools") -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run``/``uvicorn.Config`` that apply easel's connection settings.

    ``parser`` is httptools (what uvicorn's "auto" picks; ``uvicorn[standard]`` brings it) or h11. uvicorn
    counts the connection being judged among the open ones, so ``limit_concurrency`` is one more than
    ``EASEL_MAX_CONNECTIONS``: that many connections are served and the next one gets 503.
    """
    protocol = DeadlineHttpToolsProtocol if parser == "httptools" else DeadlineH11Protocol
    return {
        "http": functools.partial(protocol, header_timeout=float(settings.header_timeout),
                                  body_timeout=float(settings.body_timeout)),
        "timeout_keep_alive": settings.keepalive_timeout,
        "limit_concurrency": settings.max_connections + 1,
    }
