"""Thumbnails and framed previews: JPEGs at the asked width, cached on disk within a byte budget,
cacheable forever when the URL's version is current, 404 for anything unknown, and a bounded number of
renders in progress."""

from __future__ import annotations

import io
from pathlib import Path

import anyio
import httpx
import pytest
from PIL import Image

from easel.domain.configuration import resolve
from easel.runtime import Runtime
from easel.widget.previews import Previews
from easel.widget.single_flight import Busy, SingleFlight

pytestmark = pytest.mark.anyio


async def _price(client: httpx.AsyncClient, **choices: str) -> dict[str, object]:
    data: dict[str, object] = (await client.get("/widget/v1/api/price", params={"api_key": "demo", **choices})).json()
    return data


async def test_thumbnails(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    item = (await client.get("/widget/v1/api/artworks/V00551", params={"api_key": "demo"})).json()
    for url, width in ((item["thumb"], 240), (item["thumb2x"], 480)):
        response = await client.get(url)
        assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert Image.open(io.BytesIO(response.content)).size == (width, width * 3 // 4)
    cached = list((demo_runtime.settings.data_dir / "cache" / "widget" / "thumbs").glob("V00551-*-240.jpg"))
    assert cached


@pytest.mark.parametrize("choices", [
    {"code": "MP148A", "substrate": "paper", "style": "PF", "frame": "F0420", "matte": "ML002"},
    {"code": "V00551", "substrate": "canvas", "style": "CG", "border_type": "mirror"},
    {"code": "V00551", "substrate": "canvas", "style": "CG", "border_type": "color", "border_color": "hsl(10,50%,50%)"},
    {"code": "AB202P", "substrate": "paper", "style": "PO", "size": "M"},
    {"code": "AB202P", "substrate": "canvas", "style": "CF", "border_type": "blur"},
])
async def test_previews_of_each_style(client: httpx.AsyncClient, choices: dict[str, str]) -> None:
    url = str((await _price(client, **choices))["product"]["preview"])  # type: ignore[index]
    response = await client.get(url)
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(response.content)).size == (600, 600)
    again = await client.get(url)
    assert again.content == response.content


async def test_a_stale_version_gets_the_current_picture_briefly_cached(client: httpx.AsyncClient) -> None:
    url = str((await _price(client, code="MP148A"))["product"]["preview"])  # type: ignore[index]
    parts = url.split("/")
    parts[-2] = "0000000000"
    response = await client.get("/".join(parts))
    assert response.status_code == 200 and response.headers["cache-control"] == "public, max-age=60"


@pytest.mark.parametrize("path", ["/widget/v1/thumb/MP148A/x/999.jpg", "/widget/v1/thumb/NOPE00/x/240.jpg",
                                  "/widget/v1/thumb/..%2F..%2Fetc/x/240.jpg", "/widget/v1/preview/0123456789abcdef/x/600.jpg",
                                  "/widget/v1/preview/NOTASKU/x/600.jpg", "/widget/v1/preview/0123456789abcdef/x/601.jpg"])
async def test_unknown_pictures_are_404(client: httpx.AsyncClient, path: str) -> None:
    assert (await client.get(path)).status_code == 404


async def test_a_preview_url_must_name_the_configuration_of_its_sku(client: httpx.AsyncClient) -> None:
    product = (await _price(client, code="MP148A", style="PF"))["product"]
    assert isinstance(product, dict)
    url = str(product["preview"])
    assert "?code=MP148A&" in url and (await client.get(url)).status_code == 200
    for forged in (url.replace("style=PF", "style=PO"), url.replace("code=MP148A", "code=V00551"),
                   url + "&border_color=" + "x" * 70, url.replace("code=MP148A", "code=..%2F..")):
        assert (await client.get(forged)).status_code == 404, forged


async def test_rendered_pictures_stay_within_the_cache_budget(demo_runtime: Runtime, tmp_path: Path) -> None:
    previews = Previews(tmp_path / "cache", demo_runtime.tables, cache_bytes=150_000)
    artwork = await demo_runtime.products.artwork("V00551")
    paths = []
    for i in range(12):
        resolved = resolve(artwork, {"substrate": "canvas", "style": "CG", "border_type": "color",
                                     "border_color": f"#{i:02x}3040"}, demo_runtime.tables)
        paths.append(await previews.preview(artwork, resolved, 600))
        on_disk = sum(p.stat().st_size for p in (tmp_path / "cache").rglob("*.jpg"))
        assert on_disk <= 150_000
    assert paths[-1].exists() and not paths[0].exists()  # the least recently used went first
    assert previews.rendered == 12


async def test_too_many_renders_at_once_are_refused_not_queued() -> None:
    flights = SingleFlight(max_keys=2)
    release = anyio.Event()
    ran: list[str] = []

    async def slow(key: str) -> None:
        ran.append(key)
        await release.wait()

    async with anyio.create_task_group() as tasks:
        for key in ("a", "b"):
            tasks.start_soon(flights.run, key, lambda: False, lambda k=key: slow(k))
        await anyio.wait_all_tasks_blocked()
        with pytest.raises(Busy):
            await flights.run("c", lambda: False, lambda: slow("c"))
        release.set()
    assert ran == ["a", "b"] and len(flights) == 0
