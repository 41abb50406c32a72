"""Preview rendering and serving, each next to a baseline measured in the same run:

- ``front_ms``: a 600 px front view rendered cold (a new renderer with an empty cache, a configuration
  not rendered before: decode the working copy, draw, encode the JPEG, write it) against
  ``baseline_resize_ms``, Pillow opening the same working copy and resizing it to 600 px (aim ≤ 3×);
- ``wall_ms``: the same for the 600 px wall view (aim ≤ 4×); ``front_webp_ms`` for the WebP;
- ``cached_rps``: a rendered preview served again by ``easel demo``'s app in uvicorn, against
  ``static_rps``, the same bytes as a static file from a bare Starlette ``StaticFiles`` app in uvicorn
  with the same settings (aim ≥ 0.8×). Load comes from ``wrk`` (Debian's package, ``/usr/bin/wrk``, which
  ``make bench`` installs) when there is one, else from the in-Python load loop of :mod:`servers`
  (``load`` says which, and where the wrk came from).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
from PIL import Image
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from easel.demo.images import write_artwork_image
from easel.demo.seed import demo_artworks, seed_demo
from easel.domain.configuration import parse_route, resolve
from easel.domain.options import load_option_tables
from easel.previews.views import forget_caches
from easel.runtime import Runtime
from easel.secret_box import new_key
from easel.services.artwork_images import working_copy_path
from easel.settings import Settings
from easel.storage import migrate
from easel.widget.previews import Previews

from .servers import requests_per_second, uvicorn_process

ROUNDS = 11
CODE = "V00551"


def static_app() -> Starlette:
    """A bare Starlette app serving ``$BENCH_STATIC_DIR`` as static files (the serving baseline)."""
    return Starlette(routes=[Route("/ping", lambda _: PlainTextResponse("ok")),
                             Mount("/static", StaticFiles(directory=os.environ["BENCH_STATIC_DIR"]))])


def _baseline_ms(source: Path) -> float:
    started = time.perf_counter()
    with Image.open(source) as image:
        w, h = image.size
        image.resize((600, round(600 * h / w)) if w >= h else (round(600 * w / h), 600), Image.Resampling.LANCZOS)
    return (time.perf_counter() - started) * 1000


def _render_ms(runtime: Runtime, folder: Path, i: int, view: str, extension: str = "jpg") -> float:
    """One cold render: a new renderer (empty caches) and a configuration not rendered before."""
    artwork = next(a for a, _ in demo_artworks(runtime.settings.data_dir / "images") if a.code == CODE)
    frames = runtime.tables.frame_codes_for("PF")
    mattes = runtime.tables.matte_codes_for("PF")
    resolved = resolve(artwork, {"substrate": "paper", "style": "PF", "frame": frames[i % len(frames)],
                                 "matte": mattes[(i // 2) % len(mattes)]}, runtime.tables)
    previews = Previews(folder / f"{view}-{extension}-{i}", runtime.tables)
    forget_caches()  # nothing cached, not even the wall's light
    started = time.perf_counter()
    asyncio.run(previews.preview(artwork, resolved, 600, view=view, extension=extension))
    return (time.perf_counter() - started) * 1000


def _renders(runtime: Runtime, folder: Path, source: Path) -> dict[str, float]:
    """Medians over ROUNDS; each round measures the baseline and each render one after the other, so a
    busy moment of a shared machine slows both sides of a ratio."""
    times: dict[str, list[float]] = {"baseline": [], "front": [], "wall": [], "webp": []}
    for i in range(ROUNDS):
        times["baseline"].append(_baseline_ms(source))
        times["front"].append(_render_ms(runtime, folder, i, "front"))
        times["wall"].append(_render_ms(runtime, folder, i, "wall"))
        times["webp"].append(_render_ms(runtime, folder, i, "front", "webp"))
    return {name: statistics.median(values) for name, values in times.items()}


def _find_wrk() -> str | None:
    """wrk on the PATH, else Debian's (``/usr/bin/wrk``: ``make bench`` runs with a venv's PATH too)."""
    found = shutil.which("wrk") or "/usr/bin/wrk"
    return found if os.access(found, os.X_OK) else None


WRK = _find_wrk()


def _wrk(url: str, seconds: float) -> float:
    assert WRK
    out = subprocess.run([WRK, "-t1", "-c16", f"-d{seconds:.0f}s", url], capture_output=True, text=True,
                         check=True).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not found or "Non-2xx" in out:
        raise RuntimeError(f"wrk: {out[-400:]}")
    return float(found.group(1))


def _rate(base: str, path: str, seconds: float) -> float:
    if WRK:
        _wrk(base + path, 1)
        return _wrk(base + path, seconds)
    request: tuple[str, str, dict[str, str], bytes | None] = ("GET", path, {}, None)
    requests_per_second(base, lambda: request, seconds=1)
    return requests_per_second(base, lambda: request, seconds=seconds)


async def _prepare(settings: Settings) -> None:
    runtime = Runtime.create(settings)
    try:
        await migrate.upgrade(runtime.engine)
        await seed_demo(runtime, images=False)
    finally:
        await runtime.close()


def _preview_path(settings: Settings) -> str:
    """The widget's preview URL of the artwork's default configuration (as ``/api/price`` would give it)."""
    tables = load_option_tables()
    artwork = next(a for a, _ in demo_artworks(settings.data_dir.resolve() / "images") if a.code == CODE)
    resolved = resolve(artwork, {}, tables)
    code, choices = parse_route(resolved.route)
    query = urlencode({"code": code, **{k: str(v) for k, v in choices.items()}})
    return f"/widget/v1/preview/{resolved.sku}/{Previews.version(artwork)}/600.jpg?{query}"


def run(seconds: float = 5.0) -> dict[str, float | str]:
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        settings = Settings(data_dir=data, secret_key=new_key(), image_rate_limit=10**9)
        asyncio.run(_prepare(settings))
        artwork, motif = next((a, m) for a, m in demo_artworks(data / "images") if a.code == CODE)
        write_artwork_image(Path(artwork.image), artwork.code, motif, artwork.width_px, artwork.height_px)
        source = working_copy_path(Path(artwork.image))
        runtime = Runtime.create(settings)
        try:
            _renders(runtime, data / "warm-up", source)  # imports, numpy's first calls
            measured = _renders(runtime, data / "bench", source)
        finally:
            asyncio.run(runtime.close())
        env = {"EASEL_DATA_DIR": str(data), "EASEL_SECRET_KEY": settings.secret_key, "EASEL_LOG_LEVEL": "warning",
               "EASEL_IMAGE_RATE_LIMIT": str(10**9), "EASEL_WORKER": "false"}
        with uvicorn_process("easel.app:create_app", env=env) as base:
            url = base + _preview_path(settings)
            path = url.removeprefix(base)
            picture = httpx.get(url)
            assert picture.status_code == 200
            cached = _rate(base, path, seconds)
        static = data / "static"
        static.mkdir()
        (static / "preview.jpg").write_bytes(picture.content)
        with uvicorn_process("tests.bench.bench_previews:static_app", env={"BENCH_STATIC_DIR": str(static)}) as base:
            static_rps = _rate(base, "/static/preview.jpg", seconds)
    baseline, front, wall = measured["baseline"], measured["front"], measured["wall"]
    return {
        "front_ms": round(front, 1), "wall_ms": round(wall, 1), "front_webp_ms": round(measured["webp"], 1),
        "baseline_resize_ms": round(baseline, 1),
        "front_ratio": round(front / baseline, 2), "wall_ratio": round(wall / baseline, 2),
        "cached_rps": round(cached), "static_rps": round(static_rps), "serve_ratio": round(cached / static_rps, 2),
        "bytes": len(picture.content),
        "load": f"wrk ({WRK}, 1 thread, 16 connections)" if WRK else "python load loop (no wrk installed)",
    }
