"""The preview routes: the front and wall views in 300/600/1200 px, as JPEG, WebP or AVIF by the URL's
extension, cacheable forever at a current version, the old ``.jpg`` form unchanged, and a 404 that names
what was wrong."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image

from easel.previews.encoding import FORMATS
from easel.runtime import Runtime

pytestmark = pytest.mark.anyio
FOREVER = "public, max-age=31536000, immutable"
PILLOW_NAMES = {"jpg": "JPEG", "webp": "WEBP", "avif": "AVIF"}


async def _preview_url(client: httpx.AsyncClient, **choices: str) -> str:
    data = (await client.get("/widget/v1/api/price", params={"api_key": "demo", **choices})).json()
    return str(data["product"]["preview"])


def _as(url: str, width: int, extension: str, view: str = "preview") -> str:
    """The same configuration's picture at another width, format or view."""
    path, _, query = url.partition("?")
    parts = path.split("/")
    parts[-1] = f"{width}.{extension}"
    parts[-4] = view
    return "/".join(parts) + "?" + query


async def test_every_width_of_the_front_view(client: httpx.AsyncClient) -> None:
    url = await _preview_url(client, code="MP148A", style="PF", frame="F0101", matte="ML002")
    for width in (300, 600, 1200):
        response = await client.get(_as(url, width, "jpg"))
        assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
        assert response.headers["cache-control"] == FOREVER
        assert Image.open(io.BytesIO(response.content)).size == (width, width)


async def test_every_format_this_pillow_encodes(client: httpx.AsyncClient) -> None:
    assert {"jpg", "webp"} <= set(FORMATS)
    url = await _preview_url(client, code="V00551", substrate="canvas", style="CG", border_type="blur")
    sizes = {}
    for extension, fmt in FORMATS.items():
        response = await client.get(_as(url, 300, extension))
        assert response.status_code == 200 and response.headers["content-type"] == fmt.media_type
        assert response.headers["cache-control"] == FOREVER and "vary" not in response.headers
        picture = Image.open(io.BytesIO(response.content))
        assert picture.format == PILLOW_NAMES[extension] and picture.size == (300, 300)
        sizes[extension] = len(response.content)
    assert sizes["webp"] < sizes["jpg"]


async def test_the_old_url_form_still_serves_the_jpeg(client: httpx.AsyncClient) -> None:
    url = await _preview_url(client, code="MP148A")
    assert "/preview/" in url and url.split("?")[0].endswith("/600.jpg")
    response = await client.get(url)
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"


async def test_the_wall_view(client: httpx.AsyncClient) -> None:
    url = await _preview_url(client, code="MP148A", style="PF", frame="F0420", matte="ML020", size="L")
    for width in (300, 600):
        response = await client.get(_as(url, width, "webp", "wall"))
        assert response.status_code == 200 and response.headers["content-type"] == "image/webp"
        assert response.headers["cache-control"] == FOREVER
        assert Image.open(io.BytesIO(response.content)).size == (width, width * 3 // 4)
    white = (await client.get(_as(url, 300, "jpg", "wall"))).content
    sage = await client.get(_as(url, 300, "jpg", "wall") + "&wall=sage&ref=person")
    assert sage.status_code == 200 and sage.content != white


@pytest.mark.parametrize(("change", "named"), [
    (("600.jpg", "600.gif"), "no picture format 'gif' (allowed: jpg, webp"),
    (("?", "?wall=purple&"), "no wall colour 'purple' (allowed: white, greige, sage, charcoal)"),
    (("?", "?ref=dog&"), "no scale reference 'dog' (allowed: sofa, person)"),
])
async def test_a_wrong_picture_parameter_is_a_404_naming_it(client: httpx.AsyncClient, change: tuple[str, str],
                                                            named: str) -> None:
    url = _as(await _preview_url(client, code="MP148A"), 600, "jpg", "wall").replace(*change)
    response = await client.get(url)
    assert response.status_code == 404 and named in response.text


async def test_a_stale_wall_view_is_cached_briefly(client: httpx.AsyncClient) -> None:
    parts = _as(await _preview_url(client, code="MP148A"), 300, "webp", "wall").split("/")
    parts[-2] = "0000000000"
    response = await client.get("/".join(parts))
    assert response.status_code == 200 and response.headers["cache-control"] == "public, max-age=60"


async def test_a_picture_just_served_comes_from_memory_with_its_etag(client: httpx.AsyncClient,
                                                                     demo_runtime: Runtime) -> None:
    url = _as(await _preview_url(client, code="AB202P", style="PF", frame="F0211"), 300, "webp")
    first = await client.get(url)
    assert first.status_code == 200
    on_disk = list((demo_runtime.settings.data_dir / "cache" / "widget" / "previews").rglob("*-front-300.webp"))
    assert on_disk
    for path in on_disk:
        path.unlink()  # gone from disk: only the in-memory copy can answer now
    again = await client.get(url)
    assert again.status_code == 200 and again.content == first.content
    assert again.headers["etag"] == first.headers["etag"]
    unchanged = await client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert unchanged.status_code == 304 and unchanged.headers["cache-control"] == FOREVER
