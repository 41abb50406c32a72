"""What an anonymous client can make the order API spend: a hostile 1 MB body (numbers, nesting, strings
full of escapes) with a known and an unknown username, against one ``json.loads`` of the same body and a
normal signed request; and ``/ping`` latency through uvicorn, quiet and from the start of a bounded
burst of such requests (the issue's six at once) for a few seconds (aim: within 3× the quiet median).

The costs are measured in this process by calling the app as the server would (no HTTP client in the
way); the latency through a real uvicorn in a subprocess, loaded from threads of this process.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from easel.app import create_app
from easel.client import sign_request
from easel.demo.seed import DEMO_SECRET, DEMO_USERNAME, seed_demo
from easel.runtime import Runtime
from easel.secret_box import new_key
from easel.settings import Settings
from easel.storage import migrate

from .servers import uvicorn_process

SIGNATURE = "0" * 64


def hostile_body(kind: str, username: str) -> bytes:
    """About 1 MB (under EASEL_MAX_BODY_BYTES) of what costs a value-by-value reader most."""
    if kind == "numbers":
        filler = ",".join("1.50" if i % 2 else str(i * 7919) for i in range(130_000))
    elif kind == "nesting":
        filler = ",".join(['{"a":[{"b":[1,{"c":"x"}]}],"d":{}}'] * 28_000)
    else:
        filler = ",".join(['"' + 'a\\/b\\u00e9\\n\\"q\\\\ \u00e9 /x\\ud83d\\ude00' * 10 + '"'] * 2_750)
    return f'{{"username":{json.dumps(username)},"a":[{filler}],"signature":"{SIGNATURE}"}}'.encode()


async def _serve(app: Any, method: str, path: str, body: bytes) -> tuple[int, float]:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
             "client": ("127.0.0.1", 1), "server": ("bench", 80)}
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    status = 0

    async def receive() -> dict[str, Any]:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    started = time.perf_counter()
    await app(scope, receive, send)
    return status, time.perf_counter() - started


def _best(seconds: list[float]) -> float:
    return round(min(seconds) * 1000, 2)


async def _costs(settings: Settings, runs: int = 5) -> dict[str, Any]:
    runtime = Runtime.create(settings)
    await migrate.upgrade(runtime.engine)
    await seed_demo(runtime, images=False)
    app = create_app(runtime=runtime)
    figures: dict[str, Any] = {}
    async with app.router.lifespan_context(app) as state:

        async def with_state(scope: dict[str, Any], receive: Any, send: Any) -> None:
            scope["state"] = dict(state or {})
            await app(scope, receive, send)

        normal = json.dumps(sign_request("orders", {"start": 0, "rows": 20}, DEMO_USERNAME, DEMO_SECRET)).encode()
        figures["normal_signed_list_ms"] = _best([(await _serve(with_state, "POST", "/orders", normal))[1]
                                                  for _ in range(runs)])
        for kind in ("numbers", "nesting", "strings"):
            for who, name in (("known", DEMO_USERNAME), ("unknown", "nobody-at-all")):
                body = hostile_body(kind, name)
                loads = []
                for _ in range(runs):
                    started = time.perf_counter()
                    json.loads(body)
                    loads.append(time.perf_counter() - started)
                served = []
                for _ in range(runs):
                    status, seconds = await _serve(with_state, "POST", "/orders", body)
                    assert status == 401, status
                    served.append(seconds)
                figures[f"{kind}_{who}_ms"] = _best(served)
                figures[f"{kind}_json_loads_ms"] = _best(loads)
                figures[f"{kind}_{who}_ratio"] = round(min(served) / min(loads), 2)
    await runtime.close()
    return figures


def _pings(base: str, count: int = 0, until: float = 0.0) -> list[float]:
    """Sequential ``GET /ping`` latencies: ``count`` of them, or as many as fit before ``until``."""
    times: list[float] = []
    with httpx.Client(base_url=base, timeout=60) as http:
        while len(times) < count or time.perf_counter() < until:
            started = time.perf_counter()
            assert http.get("/ping").status_code == 200
            times.append(time.perf_counter() - started)
            time.sleep(0.005)
    return times


def _ping_under_burst(settings: Settings, burst: int = 6, window: float = 3.0) -> dict[str, Any]:
    """The issue's burst: ``burst`` hostile requests sent at once (six pushed /ping to a 1.4 s median
    before); /ping is measured from the burst's start for ``window`` seconds, while it is served."""
    env = {"EASEL_DATA_DIR": str(settings.data_dir), "EASEL_SECRET_KEY": settings.secret_key,
           "EASEL_LOG_LEVEL": "warning", "EASEL_WORKER": "false"}
    bodies = [hostile_body(kind, name) for kind in ("numbers", "nesting", "strings")
              for name in (DEMO_USERNAME, "nobody-at-all")]
    with uvicorn_process("easel.app:create_app", env=env) as base:
        _pings(base, 50)  # warm up
        quiet = _pings(base, 300)
        served: list[float] = []

        def attacker(body: bytes) -> None:
            with httpx.Client(base_url=base, timeout=120, headers={"Content-Type": "application/json"}) as http:
                assert http.post("/orders", content=body).status_code == 401
                served.append(time.perf_counter() - started)

        started = time.perf_counter()
        threads = [threading.Thread(target=attacker, args=(bodies[n % len(bodies)],)) for n in range(burst)]
        for thread in threads:
            thread.start()
        during = _pings(base, until=started + window)
        for thread in threads:
            thread.join()
    quiet_median, burst_median = statistics.median(quiet), statistics.median(during)
    return {"ping_quiet_median_ms": round(quiet_median * 1000, 2), "ping_burst_median_ms": round(burst_median * 1000, 2),
            "ping_ratio": round(burst_median / quiet_median, 2), "target_ping_ratio": 3,
            "ping_burst_max_ms": round(max(during) * 1000, 1),
            "burst": f"{burst} hostile 1 MB requests at once, all answered within {max(served):.2f} s; "
                     f"{len(during)} pings in {window:.0f} s"}


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), secret_key=new_key())
        figures = asyncio.run(_costs(settings))
        figures["target_ratio"] = 5
        figures.update(_ping_under_burst(settings))
    return figures
