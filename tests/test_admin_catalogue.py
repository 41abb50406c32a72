"""The admin panel's catalogue: the grid with search and thumbnails, editing an artwork by the import's
rules, adding one with an uploaded image, importing a file with its per-row report, exporting; owners and
staff read (the catalogue is every shop's), the operator changes it; forms without CSRF are refused."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import httpx
import pytest
from PIL import Image

from easel.runtime import Runtime
from easel.storage import catalog as catalog_store

from .admin_helpers import csrf_of, make_user, post_form, sign_in
from .test_catalog_files import image_server

pytestmark = pytest.mark.anyio


def _jpeg(size: tuple[int, int] = (3000, 2000), color: str = "teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


async def _operator(client: httpx.AsyncClient, runtime: Runtime) -> None:
    await make_user(runtime, "ops@host.test", merchant=None, role="operator")
    assert (await sign_in(client, "ops@host.test")).status_code == 303


async def _artwork(runtime: Runtime, code: str) -> catalog_store.Artwork | None:
    async with runtime.engine.connect() as conn:
        return await catalog_store.artwork_by_code(conn, code)


async def _first_code(runtime: Runtime) -> str:
    async with runtime.engine.connect() as conn:
        return (await catalog_store.all_artworks(conn))[0].code


async def test_owners_and_staff_see_the_grid_search_and_export_but_cannot_change(
        client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    code = await _first_code(demo_runtime)
    art = await _artwork(demo_runtime, code)
    assert art is not None
    await make_user(demo_runtime, "staff@demo.test", role="staff")
    for email, password in (("owner@demo.test", "demo"), ("staff@demo.test", "correct horse battery")):
        await sign_in(client, email, password)
        grid = await client.get("/admin/catalogue")
        assert grid.status_code == 200 and f'href="/admin/catalogue/{code}"' in grid.text
        assert f'src="/widget/v1/thumb/{code}/' in grid.text and "Add an artwork" not in grid.text
        thumb = grid.text.split(f'src="/widget/v1/thumb/{code}/', 1)[1].split('"', 1)[0]
        picture = await client.get(f"/widget/v1/thumb/{code}/{thumb}")
        assert picture.status_code == 200 and picture.headers["content-type"] == "image/jpeg"
        found = await client.get("/admin/catalogue", params={"q": art.title[:6].lower()})
        assert f'href="/admin/catalogue/{code}"' in found.text
        assert "0 artworks" in (await client.get("/admin/catalogue", params={"q": "no such art zz"})).text
        page = await client.get(f"/admin/catalogue/{code}")
        assert page.status_code == 200 and art.artist in page.text and 'name="title"' not in page.text
        refused = await client.post(f"/admin/catalogue/{code}", data={"csrf": csrf_of(page.text), "title": "Mine"})
        assert refused.status_code == 403 and "operator" in refused.text
        for action in ("add", "import"):
            assert (await client.post(f"/admin/catalogue/{action}", data={"csrf": csrf_of(page.text)})).status_code \
                == 403
        exported = await client.get("/admin/catalogue/export", params={"format": "jsonl"})
        rows = [json.loads(line) for line in exported.text.splitlines()]
        assert exported.headers["content-disposition"] == 'attachment; filename="catalogue.jsonl"'
        assert any(r["code"] == code and r["image"] == f"images/{code}.jpg" for r in rows)
        await client.post("/admin/sign-out", data={"csrf": csrf_of(page.text)})
    assert (await _artwork(demo_runtime, code)) == art


async def test_the_operator_edits_an_artwork_by_the_import_rules(client: httpx.AsyncClient,
                                                                  demo_runtime: Runtime) -> None:
    code = await _first_code(demo_runtime)
    await _operator(client, demo_runtime)
    page = f"/admin/catalogue/{code}"
    bad = await post_form(client, page, page, {"title": "", "artist": "A. Painter", "description": "",
                                                "substrate": "paper"})
    assert bad.status_code == 400 and "title: is required" in bad.text
    none = await post_form(client, page, page, {"title": "T", "artist": "A"})
    assert none.status_code == 400 and "substrates: none given not allowed" in none.text
    saved = await post_form(client, page, page, {"title": "Harbour at dawn", "artist": "A. Painter",
                                                  "description": "Oil on board", "substrate": "canvas"})
    assert saved.status_code == 303 and saved.headers["location"].endswith("done=saved")
    art = await _artwork(demo_runtime, code)
    assert art is not None and (art.title, art.artist, art.description, art.substrates) == \
        ("Harbour at dawn", "A. Painter", "Oil on board", ("canvas",))
    assert (await client.get("/admin/catalogue/NOSUCH1")).status_code == 404
    no_csrf = await client.post(page, data={"title": "X", "artist": "Y", "substrate": "paper"})
    assert no_csrf.status_code == 403 and "security token" in no_csrf.text


async def test_the_operator_adds_an_artwork_with_an_uploaded_image(client: httpx.AsyncClient,
                                                                   demo_runtime: Runtime) -> None:
    await _operator(client, demo_runtime)
    csrf = csrf_of((await client.get("/admin/catalogue")).text)
    fields = {"csrf": csrf, "code": "up01", "title": "Uploaded", "artist": "Ann Artist", "description": "",
              "substrate": ["paper", "canvas"]}
    added = await client.post("/admin/catalogue/add", data=fields,
                              files={"image": ("../../etc/whatever.jpg", _jpeg(), "image/jpeg")})
    assert added.status_code == 303 and added.headers["location"] == "/admin/catalogue/UP01?done=saved"
    art = await _artwork(demo_runtime, "UP01")
    assert art is not None and (art.width_px, art.height_px, art.substrates) == (3000, 2000, ("paper", "canvas"))
    images = (demo_runtime.settings.data_dir / "images").resolve()
    assert art.image == str(images / "UP01.jpg") and (images / ".work" / "UP01.jpg.jpg").is_file()
    again = await client.post("/admin/catalogue/add", data=fields, files={"image": ("a.jpg", _jpeg(), "image/jpeg")})
    assert again.status_code == 400 and "UP01 already exists" in again.text
    tiny = await client.post("/admin/catalogue/add", data={**fields, "code": "TINY2"},
                             files={"image": ("t.jpg", _jpeg((600, 400)), "image/jpeg")})
    assert tiny.status_code == 400 and "600x400 is too small" in tiny.text
    not_image = await client.post("/admin/catalogue/add", data={**fields, "code": "TEXT1"},
                                  files={"image": ("t.jpg", b"hello", "image/jpeg")})
    assert not_image.status_code == 400 and await _artwork(demo_runtime, "TEXT1") is None
    demo_runtime.settings = dataclasses.replace(demo_runtime.settings, admin_upload_max_bytes=1000)
    big = await client.post("/admin/catalogue/add", data={**fields, "code": "BIG01"},
                            files={"image": ("b.jpg", _jpeg(), "image/jpeg")})
    assert big.status_code == 400 and "EASEL_ADMIN_UPLOAD_MAX_BYTES" in big.text
    assert await _artwork(demo_runtime, "BIG01") is None


async def test_the_operator_imports_a_file_and_reads_the_report(client: httpx.AsyncClient, demo_runtime: Runtime,
                                                                tmp_path: Path) -> None:
    demo_runtime.settings = dataclasses.replace(demo_runtime.settings, callbacks_allow_private=True)
    secret = tmp_path / "local.jpg"
    secret.write_bytes(_jpeg())
    await _operator(client, demo_runtime)
    csrf = csrf_of((await client.get("/admin/catalogue")).text)
    with image_server({"w.jpg": _jpeg((4000, 3000), "navy")}) as (url, asked):
        body = ("code,title,artist,description,image,width_px,height_px,substrates\n"
                f"WEB02,From the web,Bo Painter,,{url}/w.jpg,,,paper\n"
                f"LOC01,Local,Bo Painter,,{secret},,,paper\n"
                f"NOT01,,Nobody,,{url}/w.jpg,,,paper\n")
        imported = await client.post("/admin/catalogue/import", data={"csrf": csrf},
                                     files={"file": ("cat.csv", body.encode(), "text/csv")})
    assert imported.status_code == 200
    assert "1 added, 0 updated, 2 refused." in imported.text
    assert "must be an http(s) URL" in imported.text and "title: is required" in imported.text
    assert asked == ["/w.jpg"]
    assert await _artwork(demo_runtime, "WEB02") is not None and await _artwork(demo_runtime, "LOC01") is None
    broken = await client.post("/admin/catalogue/import", data={"csrf": csrf},
                               files={"file": ("cat.jsonl", b"{not json\n", "application/x-ndjson")})
    assert broken.status_code == 400 and "Nothing was imported" in broken.text and "is not JSON" in broken.text
    no_csrf = await client.post("/admin/catalogue/import", files={"file": ("c.csv", body.encode(), "text/csv")})
    assert no_csrf.status_code == 403
