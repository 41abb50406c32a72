"""Images (issue 10, "Cheap refusals before expensive work" and "The operator's first hour"): the pixel
limit at import, reduced decoding at request time, one render per picture, per-client limits on the
picture routes, price requests that store nothing, and catalogue image URLs fetched at import behind
the outbound guard. Hostile inputs are data; big-pixel PNGs are written by hand (1-bit, all zeros),
so a 200-Mpx image costs a few kilobytes and a few milliseconds to make."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from easel.app import create_app
from easel.demo.seed import seed_demo
from easel.runtime import Runtime
from easel.services.catalog_files import ImportReport, import_catalog
from easel.settings import Settings
from easel.storage import catalog as catalog_store
from easel.storage.tables import configurations
from easel.widget.state import WidgetState

from ..servers import run_asgi

pytestmark = pytest.mark.anyio
HEADER = "code,title,artist,description,image,width_px,height_px,substrates\n"


def big_png(width: int, height: int) -> bytes:
    """A valid 1-bit greyscale PNG of zeros: the header claims ``width`` x ``height``, the file is tiny."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer = zlib.compressobj(9)
    row = bytes(1 + (width + 7) // 8)
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))


def encoded(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def jpeg(size: tuple[int, int] = (1800, 1200)) -> bytes:
    return encoded(Image.new("RGB", size, "olive"), "JPEG")


@asynccontextmanager
async def runtime_with(settings: Settings, tmp_path: Path, **changes: Any) -> AsyncIterator[Runtime]:
    """A runtime on the test's database with its own data folder and the given settings changed."""
    runtime = Runtime.create(dataclasses.replace(settings, data_dir=tmp_path / "data", **changes))
    try:
        yield runtime
    finally:
        await runtime.close()


async def import_rows(runtime: Runtime, folder: Path, rows: str) -> ImportReport:
    (folder / "cat.csv").write_text(HEADER + rows)
    return await import_catalog(runtime, folder / "cat.csv")


Clients = Callable[..., httpx.AsyncClient]


@asynccontextmanager
async def widget(runtime: Runtime) -> AsyncIterator[tuple[Clients, Starlette]]:
    """The app, running, and a maker of in-process clients calling from a given address."""
    app = create_app(runtime=runtime)
    async with app.router.lifespan_context(app) as state:

        async def with_state(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
            scope["state"] = dict(state or {})
            await app(scope, receive, send)  # type: ignore[arg-type]

        def client(address: str = "127.0.0.1") -> httpx.AsyncClient:
            transport = httpx.ASGITransport(app=with_state, client=(address, 40000))  # type: ignore[arg-type]
            return httpx.AsyncClient(transport=transport, base_url="http://testserver")

        yield client, app


def widget_state_of(app: Starlette) -> WidgetState:
    state: WidgetState = app.state.easel_widget
    return state


# --- 1. the pixel limit at import ---------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "content", "sizes", "reason"), [
    ("bomb-200mpx.png", big_png(20_000, 10_000), ",", "EASEL_MAX_IMAGE_PIXELS"),  # Pillow's own bomb error
    ("square-144mpx.png", big_png(12_000, 12_000), ",", "EASEL_MAX_IMAGE_PIXELS"),  # Pillow's bomb warning
    ("just-over.png", big_png(9_000, 9_000), ",", "81,000,000 pixels, over the limit of 80,000,000"),
    ("declared-over.jpg", jpeg(), "10000,9000", "over the limit of 80,000,000 pixels (EASEL_MAX_IMAGE_PIXELS)"),
    ("truncated.png", big_png(4_000, 3_000)[:120], ",", "cannot be decoded"),
    ("text.png", b"<html>not a picture</html>", ",", "is not an image Pillow can read"),
    ("animated.gif", encoded(Image.new("P", (1800, 1200)), "GIF"), ",", "is a GIF image; use JPEG, PNG, TIFF or WebP"),
], ids=["bomb-200mpx", "144mpx", "81mpx", "declared-90mpx", "truncated", "text", "gif"])
async def test_the_pixel_limit_rejects_the_row_and_imports_the_rest(
        settings: Settings, tmp_path: Path, name: str, content: bytes, sizes: str, reason: str) -> None:
    (tmp_path / name).write_bytes(content)
    (tmp_path / "good.jpg").write_bytes(jpeg())
    async with runtime_with(settings, tmp_path) as runtime:
        started = time.perf_counter()
        report = await import_rows(runtime, tmp_path, f"BAD01,Bad,Ann,,{name},{sizes},paper\n"
                                                      "GOOD1,Good,Ann,,good.jpg,,,paper\n")
        elapsed = time.perf_counter() - started
        async with runtime.engine.connect() as conn:
            stored = [a.code for a in await catalog_store.all_artworks(conn)]
    assert stored == ["GOOD1"] and report.inserted == 1
    assert [(line, code) for line, code, _ in report.rejected] == [(2, "BAD01")]
    why = report.rejected[0][2]
    assert reason in why and (name in why or why.startswith("width_px/height_px")), why
    assert elapsed < 3.0
    assert not (tmp_path / "data" / "images" / "BAD01.png").exists()


# --- 2. thumbnails and previews decode with reduction ----------------------------------------------------

# Rendering measured in a fresh process: in this one, memory freed by earlier tests (and by the import's
# own decode) would be reused without raising the peak, hiding a full decode.
RENDER = """
import asyncio, json, re, sys, time
from pathlib import Path
from PIL import Image
from easel.domain.catalog import Artwork
from easel.domain.configuration import resolve
from easel.domain.options import load_option_tables
from easel.widget.previews import Previews

def status(field):
    return int(re.search(field + r":\\s+(\\d+) kB", Path("/proc/self/status").read_text()).group(1)) * 1024

async def main():
    tables = load_option_tables()
    previews = Previews(Path(sys.argv[1]), tables)
    Image.new("RGB", (64, 64)).save(Path(sys.argv[1]) / "warm.jpg")  # libraries loaded before measuring
    for code, image, width, height in json.loads(sys.argv[2]):
        artwork = Artwork(code, code, "Ann", "", width, height, image, ("paper",))
        for what in ("thumbnail", "preview"):
            Path("/proc/self/clear_refs").write_text("5")
            before, started = status("VmRSS"), time.perf_counter()
            if what == "thumbnail":
                await previews.thumbnail(artwork, 480)
            else:
                await previews.preview(artwork, resolve(artwork, {"style": "PF"}, tables), 1200)
            print(json.dumps([code, what, status("VmHWM") - before, time.perf_counter() - started]))

asyncio.run(main())
"""


def render_in_fresh_process(folder: Path, artworks: list[tuple[str, str, int, int]]) -> list[list[Any]]:
    if not Path("/proc/self/clear_refs").exists():
        pytest.skip("needs Linux /proc/self/clear_refs to measure peak memory")
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([sys.executable, "-c", RENDER, str(folder), json.dumps(artworks)], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


async def test_the_first_pictures_of_a_large_image_are_cheap(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "large.png").write_bytes(big_png(8_000, 8_000))  # 64 Mpx: within the limit, 150 MB to decode
    (tmp_path / "legacy.png").write_bytes(big_png(12_000, 12_000))  # over the limit, never imported
    async with runtime_with(settings, tmp_path) as runtime:
        report = await import_rows(runtime, tmp_path, "LARGE1,Large,Ann,,large.png,,,paper\n")
        async with runtime.engine.connect() as conn:
            large = await catalog_store.artwork_by_code(conn, "LARGE1")
    assert report.inserted == 1 and large is not None, report.rejected
    measured = render_in_fresh_process(tmp_path / "cache", [
        ("LARGE1", large.image, 8_000, 8_000),
        ("LEGACY", str(tmp_path / "legacy.png"), 12_000, 12_000),  # a row from before the limit: a stand-in
    ])
    assert len(measured) == 4
    for code, what, rise, seconds in measured:
        assert rise < 40_000_000, (code, what, rise)  # decoding the master costs 150 MB or more
        assert seconds < 1.0, (code, what, seconds)


# --- 2b. one render per picture at a time -----------------------------------------------------------------

async def test_concurrent_requests_for_one_picture_render_it_once(demo_runtime: Runtime) -> None:
    async with widget(demo_runtime) as (client, app), client() as http:
        price = (await http.get("/widget/v1/api/price", params={
            "api_key": "demo", "code": "V00551", "substrate": "canvas", "style": "CG", "border_type": "color",
            "border_color": f"#{time.time_ns() % 0xFFFFFF:06x}"})).json()  # a preview no earlier test rendered
        url = price["product"]["preview"].replace("/600.jpg", "/1200.jpg")
        previews = widget_state_of(app).previews
        before = previews.rendered
        answers = await asyncio.gather(*(http.get(url) for _ in range(8)))
        assert {a.status_code for a in answers} == {200}
        assert len({a.content for a in answers}) == 1
        assert previews.rendered == before + 1


# --- 3. the picture routes are limited per client address -------------------------------------------------

@pytest.mark.demo_data
@pytest.mark.parametrize("path", ["/widget/v1/thumb/MP148A/v/240.jpg", "/widget/v1/thumb/NOPE00/v/240.jpg",
                                  "/widget/v1/preview/0123456789abcdef/v/600.jpg?code=MP148A"])
async def test_picture_routes_are_rate_limited_per_client(settings: Settings, tmp_path: Path, path: str) -> None:
    async with runtime_with(settings, tmp_path, image_rate_limit=5, image_rate_window=60) as runtime:
        await seed_demo(runtime, images=False)
        async with widget(runtime) as (client, _), client("203.0.113.7") as attacker, \
                client("198.51.100.2") as other:
            statuses = [(await attacker.get(path)).status_code for _ in range(5)]
            refused = await attacker.get(path)
            assert (await other.get("/widget/v1/thumb/MP148A/v/240.jpg")).status_code == 200
    assert 429 not in statuses
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["status"] == 429 and refused.json()["detail"]


# --- 4. anonymous price requests store nothing ------------------------------------------------------------

async def test_anonymous_price_requests_add_no_rows(demo_runtime: Runtime) -> None:
    async def rows() -> int:
        async with demo_runtime.engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(configurations))).scalar_one())

    before = await rows()
    async with widget(demo_runtime) as (client, _):
        for address in range(4):  # four shoppers, so the per-page read limit (300 at once) is not the point
            async with client(f"192.0.2.{address + 1}") as http:
                for i in range(250):
                    response = await http.get("/widget/v1/api/price", params={
                        "api_key": "demo", "code": "V00551", "substrate": "canvas", "style": "CG",
                        "border_type": "color", "border_color": f"#{address:02x}{i:04x}"})
                    assert response.status_code == 200, response.text
    assert await rows() == before
    async with widget(demo_runtime) as (client, _), client() as http:  # a cart item is stored: orders need its sku
        item = (await http.post("/widget/v1/api/cart/item", params={"api_key": "demo"}, json={
            "code": "V00551", "choices": {"substrate": "canvas", "style": "CG", "border_type": "color",
                                          "border_color": "#000102"}})).json()["item"]
        preview = await http.get(item["preview"].replace("http://testserver", ""))
    assert preview.status_code == 200
    assert await rows() == before + 1


# --- 5. image URLs are fetched at import, behind the outbound guard -----------------------------------------

@contextmanager
def hostile_image_server() -> Iterator[tuple[str, list[str]]]:
    asked: list[str] = []
    answers: dict[str, Response] = {
        "good.jpg": Response(jpeg((2400, 1800)), media_type="image/jpeg"),
        "huge-body.jpg": Response(jpeg((1800, 1200)) + bytes(300_000), media_type="image/jpeg"),
        "bomb.png": Response(big_png(20_000, 10_000), media_type="image/png"),
        "page.jpg": Response("<html>hello</html>", media_type="text/html"),
        "missing.jpg": Response("no", status_code=404),
    }

    async def serve(request: Request) -> Response:
        asked.append(request.path_params["name"])
        return answers[request.path_params["name"]]

    with run_asgi(Starlette(routes=[Route("/{name}", serve)])) as url:
        yield url, asked


@pytest.mark.parametrize(("name", "reason"), [
    ("huge-body.jpg", "EASEL_MAX_IMAGE_BYTES is 200,000"),
    ("bomb.png", "EASEL_MAX_IMAGE_PIXELS"),
    ("page.jpg", "is not an image Pillow can read"),
    ("missing.jpg", "could not be fetched: HTTP 404"),
])
async def test_image_urls_are_fetched_and_kept_locally(settings: Settings, tmp_path: Path, name: str,
                                                       reason: str) -> None:
    with hostile_image_server() as (url, _):
        async with runtime_with(settings, tmp_path, callbacks_allow_private=True, max_image_bytes=200_000) as runtime:
            report = await import_rows(runtime, tmp_path, f"GOOD1,Good,Ann,,{url}/good.jpg,,,paper\n"
                                                          f"BAD01,Bad,Ann,,{url}/{name},,,paper\n")
            async with runtime.engine.connect() as conn:
                good = await catalog_store.artwork_by_code(conn, "GOOD1")
    assert good is not None and (good.width_px, good.height_px) == (2400, 1800)
    assert good.image == str((tmp_path / "data" / "images" / "GOOD1.jpg").resolve())
    assert await anyio.Path(good.image).read_bytes() == jpeg((2400, 1800))  # what pictures and vendors use
    assert [(code, reason in why) for _, code, why in report.rejected] == [("BAD01", True)], report.rejected


@pytest.mark.parametrize("image", [
    "{url}/good.jpg",  # a server on loopback
    "http://localhost:{port}/good.jpg",
    "http://[::1]:{port}/good.jpg",
    "http://169.254.169.254/latest/meta-data/iam",
    "http://10.1.2.3/art.jpg",
    "http://[::ffff:127.0.0.1]:{port}/good.jpg",
    "http://127.1:{port}/good.jpg",
    "http://user:secret@{host}/good.jpg",
    "file:///etc/passwd",
    "gopher://{host}/good.jpg",
])
async def test_private_image_urls_are_refused_by_default(settings: Settings, tmp_path: Path, image: str) -> None:
    with hostile_image_server() as (url, asked):
        host = url.removeprefix("http://")
        named = image.format(url=url, port=host.rsplit(":", 1)[1], host=host)
        async with runtime_with(settings, tmp_path) as runtime:
            assert not runtime.settings.callbacks_allow_private
            report = await import_rows(runtime, tmp_path, f"PRIV01,Private,Ann,,{named},1800,1200,paper\n")
    assert report.inserted == 0 and len(report.rejected) == 1
    why = report.rejected[0][2]
    assert why.startswith("image: ") and ("refused" in why or "must be a file path or an http(s) URL" in why), why
    assert asked == []
