"""Real HTTP servers for tests that must cross a socket (timeouts, callbacks, client adapters).

`run_asgi(app)` serves an ASGI app with uvicorn on a free 127.0.0.1 port in a background thread,
lifespan included, and yields its base URL; leaving the block stops it. Most tests should stay
in-process with `httpx.ASGITransport`; use this only where the network is the point.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.types import ASGIApp


@contextmanager
def run_asgi(app: ASGIApp, *, startup_timeout: float = 5.0, **options: Any) -> Iterator[str]:
    """Serve `app` until the block ends; yields e.g. "http://127.0.0.1:54321".

    `options` are more `uvicorn.Config` arguments (e.g. `easel.web.server.uvicorn_options(settings)`).
    """
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets that say they are TCP, and
    # without it every answer waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config_args: dict[str, Any] = dict(
        loop="asyncio",
        http="h11",
        ws="none",
        lifespan="on",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=1,
    ) | options
    config = uvicorn.Config(app, **config_args)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("test server did not start")
        time.sleep(0.005)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()
