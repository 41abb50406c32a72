"""Start the servers the browser tests and benchmarks need, on free ports.

- :func:`start_easel`: easel (``python -m e2e.serve``) in a subprocess with its own data folder and key;
- :func:`start_site`: a small merchant site in a thread, on another port, so the widget runs cross-origin
  for real: pages registered by tests, a cart receivable path that checks easel's signatures, a login.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from tests.servers import run_asgi

from easel.demo.seed import DEMO_SECRET
from easel.secret_box import new_key
from easel.widget.cart_signature import CartSignatureError, verify_cart_item

from .serve import RELAY_SECRET, TOKEN_SECRET

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def start_easel(data_dir: Path, *, plain: bool = False) -> Iterator[str]:
    """easel with the demo data on a free port; yields its base URL (``http://127.0.0.1:PORT``).

    By default it is ``python -m e2e.serve`` (the demo plus test merchants); ``plain`` runs the real
    ``easel demo`` command instead (for screenshots of the demo as a newcomer sees it).
    """
    port = free_port()
    env = {**os.environ, "EASEL_DATA_DIR": str(data_dir), "EASEL_SECRET_KEY": new_key(), "DATABASE_URL": "",
           "EASEL_LOG_LEVEL": os.environ.get("E2E_LOG_LEVEL", "warning"), "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "server")])}
    log = (data_dir / "easel.log").open("w")
    command = [str(Path(sys.executable).parent / "easel"), "demo"] if plain else [sys.executable, "-m", "e2e.serve"]
    proc = subprocess.Popen([*command, "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"easel exited: {(data_dir / 'easel.log').read_text()[-2000:]}")
            try:
                if httpx.get(url + "/ping", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("easel did not start within 60 s")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@dataclass
class Site:
    """The merchant's site: pages by path, and what its cart path received."""

    url: str = ""
    pages: dict[str, str] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    cart_status: int = 200

    def page(self, path: str, html: str) -> str:
        self.pages[path] = html
        return self.url + path


def _site_app(site: Site) -> Starlette:
    secrets = [DEMO_SECRET, RELAY_SECRET, TOKEN_SECRET]

    async def page(request: Request) -> Response:
        html = site.pages.get(request.url.path)
        return HTMLResponse(html) if html is not None else HTMLResponse("not found", status_code=404)

    async def cart(request: Request) -> Response:
        item = json.loads(await request.body())
        for secret in secrets:
            try:
                verify_cart_item(item, secret)
            except CartSignatureError as err:
                reason = str(err)
                continue
            if site.cart_status != 200:
                return JSONResponse({"error": "the cart is closed today"}, status_code=site.cart_status)
            site.received.append(item)
            return JSONResponse({"ok": True, "count": len(site.received)})
        site.rejected.append(reason)
        return JSONResponse({"error": reason}, status_code=400)

    async def login(request: Request) -> Response:
        return HTMLResponse("<!doctype html><link rel=icon href='data:,'><title>Merchant login</title><h1>Merchant login</h1>")

    async def ping(request: Request) -> Response:
        return JSONResponse({"n": len(site.received)})

    return Starlette(routes=[Route("/merchant/cart", cart, methods=["POST"]), Route("/merchant/login", login),
                             Route("/merchant/ping", ping), Route("/{path:path}", page)])


@contextmanager
def start_site() -> Iterator[Site]:
    site = Site()
    with run_asgi(_site_app(site)) as url:
        site.url = url
        yield site
