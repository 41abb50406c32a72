"""``GET /widget/v1/api/price`` as each option click sends it (anonymous, the demo widget key), through
uvicorn, against a bare Starlette endpoint answering the same JSON under the same uvicorn, in one run.

The requests cycle through the standard configurations of one demo artwork that the sandbox vendor can
make (every click is another configuration; as across a shop's shoppers, they repeat, so after the first
round they are answered from the per-merchant answers the price route keeps for EASEL_CACHE_TTL
seconds: what a cold configuration costs is the ``configurations`` bench). The two servers are measured
in alternating slices (see servers.alternating_rps). Figures: requests per second of each and their ratio
(aim ≥ 0.6), each one's time under that load (16 connections): easel's median and 95th percentile, and
each server's CPU time per request (which other work on a shared machine moves far less).
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import tempfile
from pathlib import Path
from urllib.parse import urlencode

import httpx

from easel.demo.seed import DEMO_API_KEY, demo_artworks, seed_demo
from easel.domain.configuration import standard_choices
from easel.domain.options import load_option_tables
from easel.runtime import Runtime
from easel.secret_box import new_key
from easel.settings import Settings
from easel.storage import migrate

from ..dispatch_helpers import write_accounts
from .servers import alternating_rps, uvicorn_process

PATH = "/widget/v1/api/price"


async def _prepare(settings: Settings) -> None:
    runtime = Runtime.create(settings)
    try:
        await migrate.upgrade(runtime.engine)
        await seed_demo(runtime, images=False)
    finally:
        await runtime.close()


def _queries() -> list[str]:
    tables = load_option_tables()
    artwork = next(a for a, _ in demo_artworks(Path("images")))
    return [f"{PATH}?" + urlencode({"api_key": DEMO_API_KEY, "code": artwork.code, **choices})
            for choices in standard_choices(artwork, tables)[:400]]


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(seconds: float = 5.0) -> dict[str, float | str]:
    queries = _queries()
    with tempfile.TemporaryDirectory() as folder:
        accounts = write_accounts(Path(folder), "http://127.0.0.1:9")  # makes items offered; never called
        settings = Settings(data_dir=Path(folder), secret_key=new_key(), vendor_accounts=accounts)
        asyncio.run(_prepare(settings))
        env = {"EASEL_DATA_DIR": folder, "EASEL_SECRET_KEY": settings.secret_key, "EASEL_LOG_LEVEL": "warning",
               "EASEL_WORKER": "false", "EASEL_VENDOR_ACCOUNTS": accounts}
        latencies: list[list[float]] = [[], []]
        with uvicorn_process("tests.bench.widget_price_app:easel", env=env) as base:
            with httpx.Client(base_url=base) as http:  # the configurations the sandbox vendor can make
                queries = [q for q in queries if http.get(q).status_code == 200]
                body = http.get(queries[0]).raise_for_status().content
            cycle = itertools.cycle(queries)

            def click() -> tuple[str, str, dict[str, str], bytes | None]:
                return ("GET", next(cycle), {}, None)

            (Path(folder) / "price.json").write_bytes(body)
            with uvicorn_process("tests.bench.widget_price_app:bare",
                                 env={"BENCH_PRICE_BODY": str(Path(folder) / "price.json")}) as bare_base:
                targets = [(bare_base, lambda: ("GET", PATH, {}, None)), (base, click)]
                alternating_rps(targets, seconds=2)  # warm up
                cpu: list[float] = []
                bare, easel = alternating_rps(targets, seconds=seconds, latencies=latencies, cpu_us=cpu)
    return {"bare_starlette_rps": round(bare), "easel_price_rps": round(easel), "ratio": round(easel / bare, 2),
            "target_ratio": 0.6, "easel_median_ms": round(statistics.median(latencies[1]) * 1000, 1),
            "easel_p95_ms": round(_p(latencies[1], 0.95) * 1000, 1),
            "bare_p95_ms": round(_p(latencies[0], 0.95) * 1000, 1), "bare_cpu_us_per_request": round(cpu[0], 1),
            "easel_cpu_us_per_request": round(cpu[1], 1), "cpu_ratio": round(cpu[0] / cpu[1], 2), "body_bytes": len(body),
            "configurations": len(queries)}
