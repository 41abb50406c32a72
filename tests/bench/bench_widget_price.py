"""``GET /widget/v1/api/price`` as each option click sends it (anonymous, the demo widget key), through
uvicorn, against a bare Starlette endpoint answering the same JSON under the same uvicorn, in one run.

The requests cycle through the standard configurations of one demo artwork (every click is another
configuration), so nothing is answered from a cache of answers. Figures: requests per second of each and
their ratio (aim ≥ 0.6), and easel's median and 95th-percentile time under that load (16 connections).
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
from .servers import requests_per_second, uvicorn_process

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
               "EASEL_IN_PROCESS_WORKER": "false", "EASEL_VENDOR_ACCOUNTS": accounts}
        cycle = itertools.cycle(queries)

        def click() -> tuple[str, str, dict[str, str], bytes | None]:
            return ("GET", next(cycle), {}, None)

        latencies: list[float] = []
        with uvicorn_process("tests.bench.widget_price_app:easel", env=env) as base:
            body = httpx.get(base + queries[0]).raise_for_status().content
            requests_per_second(base, click, seconds=1)  # warm up
            easel = requests_per_second(base, click, seconds=seconds, latencies=latencies)
        (Path(folder) / "price.json").write_bytes(body)
        with uvicorn_process("tests.bench.widget_price_app:bare",
                             env={"BENCH_PRICE_BODY": str(Path(folder) / "price.json")}) as base:
            requests_per_second(base, lambda: ("GET", PATH, {}, None), seconds=1)
            bare = requests_per_second(base, lambda: ("GET", PATH, {}, None), seconds=seconds)
    return {"bare_starlette_rps": round(bare), "easel_price_rps": round(easel), "ratio": round(easel / bare, 2),
            "target_ratio": 0.6, "easel_median_ms": round(statistics.median(latencies) * 1000, 1),
            "easel_p95_ms": round(_p(latencies, 0.95) * 1000, 1), "body_bytes": len(body)}
