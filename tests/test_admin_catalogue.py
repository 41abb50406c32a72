"""The admin panel's catalogue: the grid with search and thumbnails, editing an artwork by the import's
rules, adding one with an uploaded image, importing a file with its per-row report, exporting; owners and
staff read (the catalogue is every shop's), the operator changes it; forms without CSRF are refused."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import threading
from pathlib import Path

import anyio
import httpx
import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from easel.app import create_demo_app
from easel.demo.seed import DEMO_API_KEY
from easel.runtime import Runtime
from easel.storage import catalog as catalog_store

from .admin_helpers import csrf_of, make_user, post_form, sign_in
from .servers import run_asgi
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


async def _widget_codes(client: httpx.AsyncClient) -> set[str]:
    found = await client.get("/widget/v1/api/search", params={"api_key": DEMO_API_KEY, "per_page": "48"})
    return {i["code"] for i in found.json()["items"]}


async def test_owners_and_staff_hide_an_artwork_from_their_shop(client: httpx.AsyncClient,
                                                                demo_runtime: Runtime) -> None:
    code = await _first_code(demo_runtime)
    assert code in await _widget_codes(client)  # the widget's caches hold it now
    await make_user(demo_runtime, "staff@demo.test", role="staff")
    await sign_in(client, "staff@demo.test")
    grid = await client.get("/admin/catalogue")
    assert f'action="/admin/catalogue/{code}/visibility"' in grid.text and "hidden-badge" not in grid.text
    hidden = await client.post(f"/admin/catalogue/{code}/visibility",
                               data={"csrf": csrf_of(grid.text), "hidden": "1", "back": "/admin/catalogue?page=1"})
    assert hidden.status_code == 303 and hidden.headers["location"] == "/admin/catalogue?page=1"
    assert code not in await _widget_codes(client)  # at once in this process
    card = (await client.get("/admin/catalogue")).text.split(f'data-code="{code}"', 1)[1].split("</li>", 1)[0]
    assert '<span class="pill hidden-badge">hidden</span>' in card and 'name="hidden" value="0"' in card
    only_hidden = await client.get("/admin/catalogue", params={"show": "hidden"})
    assert "1 artwork<" in only_hidden.text and f'data-code="{code}"' in only_hidden.text
    assert f'data-code="{code}"' not in (await client.get("/admin/catalogue", params={"show": "shown"})).text
    for bad in ({"hidden": "2"}, {"hidden": "1", "csrf": "forged"}):
        refused = await client.post(f"/admin/catalogue/{code}/visibility", data={"csrf": csrf_of(grid.text), **bad})
        assert refused.status_code in (400, 403)
    missing = await client.post("/admin/catalogue/NOSUCH1/visibility", data={"csrf": csrf_of(grid.text), "hidden": "1"})
    assert missing.status_code == 404
    await client.post("/admin/sign-out", data={"csrf": csrf_of(grid.text)})
    await sign_in(client, "owner@demo.test", "demo")
    page = await client.get(f"/admin/catalogue/{code}")
    assert "Show in my shop" in page.text
    shown = await client.post(f"/admin/catalogue/{code}/visibility",
                              data={"csrf": csrf_of(page.text), "hidden": "0", "back": "https://evil.test/"})
    assert shown.headers["location"] == f"/admin/catalogue/{code}?done=shown"
    assert "is shown in your shop" in (await client.get(shown.headers["location"])).text
    assert code in await _widget_codes(client)
    await client.post("/admin/sign-out", data={"csrf": csrf_of(page.text)})
    await _operator(client, demo_runtime)  # the operator hides from every shop, not from one
    grid = await client.get("/admin/catalogue")
    operator_try = await client.post(f"/admin/catalogue/{code}/visibility", data={"csrf": csrf_of(grid.text), "hidden": "1"})
    assert operator_try.status_code == 403


async def test_the_operator_hides_an_artwork_from_every_shop(client: httpx.AsyncClient,
                                                             demo_runtime: Runtime) -> None:
    code = await _first_code(demo_runtime)
    art = await _artwork(demo_runtime, code)
    assert art is not None and code in await _widget_codes(client)
    await _operator(client, demo_runtime)
    page = f"/admin/catalogue/{code}"
    fields = {"title": art.title, "artist": art.artist, "description": art.description,
              "substrate": list(art.substrates)}
    saved = await client.post(page, data={"csrf": csrf_of((await client.get(page)).text), **fields, "hidden": "1"})
    assert saved.status_code == 303
    assert (await _artwork(demo_runtime, code)) == dataclasses.replace(art, hidden=True)
    assert code not in await _widget_codes(client)
    assert "checked> Hidden from every shop" in (await client.get(page)).text
    listed = await client.get("/admin/catalogue", params={"show": "hidden"})
    assert f'data-code="{code}"' in listed.text and "hidden from every shop</span>" in listed.text
    exported = await client.get("/admin/catalogue/export", params={"format": "csv"})
    assert exported.text.startswith("code,title,artist,description,image,width_px,height_px,substrates,hidden\n")
    assert any(line.startswith(f"{code},") and line.endswith(",true") for line in exported.text.splitlines())
    await client.post(page, data={"csrf": csrf_of((await client.get(page)).text), **fields})  # box unticked
    assert (await _artwork(demo_runtime, code)) == art and code in await _widget_codes(client)


async def test_a_large_import_shows_its_progress_then_the_report(demo_runtime: Runtime) -> None:
    """A real server: the page arrives while the import runs (here, while one image download is held back),
    with "n of N rows" lines, and ends with the per-row report once the rows are written."""
    settings = dataclasses.replace(demo_runtime.settings, callbacks_allow_private=True)
    await make_user(demo_runtime, "ops@host.test", merchant=None, role="operator")
    gate = threading.Event()

    async def held(request: Request) -> Response:
        await anyio.to_thread.run_sync(gate.wait, 20)
        return Response(_jpeg(), media_type="image/jpeg")

    rows = ["code,title,artist,description,image,width_px,height_px,substrates",
            "SLOW1,Slow,Ann,,{url}/slow.jpg,,,paper"]
    rows += [f"R{i:04d},Row {i},Ann,,images/r{i}.jpg,,,paper" for i in range(1999)]  # refused: not a URL
    with run_asgi(Starlette(routes=[Route("/slow.jpg", held)])) as images, \
            run_asgi(create_demo_app(settings=settings)) as url:
        body = "\n".join(rows).replace("{url}", images).encode()
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            assert (await sign_in(http, "ops@host.test")).status_code == 303
            csrf = csrf_of((await http.get("/admin/catalogue")).text)
            seen = ""
            async with http.stream("POST", "/admin/catalogue/import", data={"csrf": csrf},
                                   files={"file": ("big.csv", body, "text/csv")}) as page:
                assert page.status_code == 200 and "content-length" not in page.headers
                chunks = page.aiter_text()
                while "1999 of 2000 rows checked" not in seen:
                    seen += await chunks.__anext__()
                assert "Importing big.csv" in seen and "Import report" not in seen
                assert await _artwork(demo_runtime, "SLOW1") is None  # nothing written while rows are checked
                gate.set()
                async for chunk in chunks:
                    seen += chunk
    lines = re.findall(r"(\d+) of 2000 rows checked", seen)
    assert len(lines) >= 10 and [int(n) for n in lines] == sorted(int(n) for n in lines)
    assert lines[-1] == "2000" and seen.rstrip().endswith("</html>")
    assert "1 added, 0 updated, 1999 refused." in seen and seen.index("2000 of 2000") < seen.index("Import report")
    assert seen.count("must be an http(s) URL") == 1999
    assert await _artwork(demo_runtime, "SLOW1") is not None


async def test_imports_at_once_are_bounded(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    demo_runtime.settings = dataclasses.replace(demo_runtime.settings, admin_imports_at_once=1,
                                                callbacks_allow_private=True)
    await _operator(client, demo_runtime)
    csrf = csrf_of((await client.get("/admin/catalogue")).text)
    gate, asked = threading.Event(), threading.Event()

    async def held(request: Request) -> Response:
        asked.set()
        await anyio.to_thread.run_sync(gate.wait, 20)
        return Response(_jpeg(), media_type="image/jpeg")

    answers: dict[str, httpx.Response] = {}
    with run_asgi(Starlette(routes=[Route("/slow.jpg", held)])) as images:
        first = f"code,title,artist,image\nHELD1,T,A,{images}/slow.jpg\n".encode()

        async def send(name: str, body: bytes) -> None:
            answers[name] = await client.post("/admin/catalogue/import", data={"csrf": csrf},
                                              files={"file": ("c.csv", body, "text/csv")})

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(send, "first", first)
            await anyio.to_thread.run_sync(asked.wait, 20)  # the first import is running
            await send("second", b"code,title,artist,image\nAB1,T,A,x.jpg\n")
            gate.set()
    assert answers["second"].status_code == 429 and "EASEL_ADMIN_IMPORTS_AT_ONCE" in answers["second"].text
    assert answers["first"].status_code == 200 and "1 added, 0 updated, 0 refused." in answers["first"].text
    again = await client.post("/admin/catalogue/import", data={"csrf": csrf},
                              files={"file": ("c.csv", b"code,title,artist,image\nAB1,T,A,x.jpg\n", "text/csv")})
    assert again.status_code == 200 and "0 added, 0 updated, 1 refused." in again.text  # its slot was given back
