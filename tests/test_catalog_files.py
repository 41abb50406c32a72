"""`easel catalog import|export`: valid rows in one transaction, a report for the rest, images fetched and
kept locally, exports that import elsewhere, and an export into a closed pipe that ends quietly."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from easel.cli import main
from easel.domain.catalog import Artwork
from easel.runtime import Runtime
from easel.settings import Settings
from easel.storage import catalog as catalog_store

from .databases import SqliteTemplate
from .servers import run_asgi

HEADER = "code,title,artist,description,image,width_px,height_px,substrates\n"


@pytest.fixture
def env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    data = tmp_path / "data"
    return {"EASEL_DATA_DIR": str(data), "DATABASE_URL": settings.database_url,
            "EASEL_SECRET_KEY": settings.secret_key, "EASEL_CALLBACKS_ALLOW_PRIVATE": "1"}


def easel(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def artworks(settings: Settings, env: dict[str, str]) -> list[Artwork]:
    async def read() -> list[Artwork]:
        runtime = Runtime.create(Settings(database_url=env["DATABASE_URL"], secret_key=settings.secret_key))
        try:
            async with runtime.engine.connect() as conn:
                return await catalog_store.all_artworks(conn)
        finally:
            await runtime.close()

    return asyncio.run(read())


def codes(settings: Settings, env: dict[str, str]) -> list[str]:
    return [a.code for a in artworks(settings, env)]


def picture(path: Path, size: tuple[int, int] = (1800, 1200), color: str = "teal") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path)
    return path


@contextmanager
def image_server(files: dict[str, bytes]) -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server answering ``/NAME`` with ``files[NAME]``; yields its URL and the paths asked for."""
    asked: list[str] = []

    async def serve(request: Request) -> Response:
        asked.append(request.url.path)
        body = files.get(request.path_params["name"])
        return Response(body, media_type="image/jpeg") if body is not None else Response("no", status_code=404)

    with run_asgi(Starlette(routes=[Route("/{name}", serve)])) as url:
        yield url, asked


def test_valid_rows_import_and_bad_rows_are_reported(tmp_path: Path, env: dict[str, str], settings: Settings) -> None:
    picture(tmp_path / "sea.jpg", (3000, 2000))
    web = io.BytesIO()
    Image.new("RGB", (4000, 3000), "navy").save(web, "JPEG")
    with image_server({"w.jpg": web.getvalue()}) as (url, asked):
        (tmp_path / "cat.csv").write_text(
            HEADER
            + "SEA01,The Sea,Ann Artist,Blue,sea.jpg,,,\"paper,canvas\"\n"
            + f"WEB01,From the web,Bo Painter,,{url}/w.jpg,4000,3000,paper\n"
            + f"BAD01,,Nobody,,{url}/b.jpg,4000,3000,paper\n"
            + f"TINY1,Tiny,Ann Artist,,{url}/t.jpg,600,400,paper\n"
            + f"SEA01,Again,Ann Artist,,{url}/s.jpg,4000,3000,paper\n"
            + f"MET01,Metal,Ann Artist,,{url}/m.jpg,4000,3000,metal\n"
            + f"GONE1,Gone,Ann Artist,,{url}/gone.jpg,4000,3000,paper\n"
            + "MIS01,Mismatch,Ann Artist,,sea.jpg,4000,3000,paper\n"
        )
        result = easel(env, "catalog", "import", str(tmp_path / "cat.csv"))
    assert result.exit_code == 0, result.output
    assert "imported 2 new and 0 updated artworks; rejected 6 rows" in result.output
    assert "rejected line 4 (BAD01): title: is required" in result.output
    assert "rejected line 5 (TINY1): width_px/height_px: 600x400 is too small" in result.output
    assert "rejected line 6 (SEA01): code: SEA01 already appears on line 2" in result.output
    assert "rejected line 7 (MET01): substrates: metal not allowed (allowed: paper, canvas)" in result.output
    assert f"rejected line 8 (GONE1): image: '{url}/gone.jpg' could not be fetched: HTTP 404" in result.output
    assert "rejected line 9 (MIS01): width_px/height_px: the row says 4000x3000 but the image is 3000x2000" \
        in result.output
    assert sorted(asked) == ["/gone.jpg", "/w.jpg"]  # a row with other faults costs no download
    found = {a.code: a for a in artworks(settings, env)}
    assert sorted(found) == ["SEA01", "WEB01"]
    images = (Path(env["EASEL_DATA_DIR"]) / "images").resolve()
    assert found["WEB01"].image == str(images / "WEB01.jpg") and found["SEA01"].image == str(images / "SEA01.jpg")
    for code in found:
        with Image.open(images / ".work" / f"{code}.jpg.jpg") as work:
            assert max(work.size) == 1200
    assert not [p for p in images.rglob("*") if ".importing" in p.name or ".fetching" in p.name]


def test_a_broken_file_imports_nothing(tmp_path: Path, env: dict[str, str], settings: Settings) -> None:
    (tmp_path / "cat.jsonl").write_text(
        json.dumps({"code": "OK001", "title": "Fine", "artist": "A", "image": "https://x.test/a.jpg",
                    "width_px": 4000, "height_px": 3000}) + "\n{not json\n")
    result = easel(env, "catalog", "import", str(tmp_path / "cat.jsonl"))
    assert result.exit_code == 1
    assert "nothing imported: cat.jsonl line 2 is not JSON" in result.output
    (tmp_path / "cols.csv").write_text("code,title,price\nA1,B,3\n")
    result = easel(env, "catalog", "import", str(tmp_path / "cols.csv"))
    assert result.exit_code == 1 and "unknown columns: price" in result.output
    (tmp_path / "latin.csv").write_bytes(HEADER.encode() + "X1,Caf\xe9,A,,u.jpg,1,1,paper\n".encode("latin-1"))
    assert "is not UTF-8" in easel(env, "catalog", "import", str(tmp_path / "latin.csv")).output
    assert codes(settings, env) == []


def test_export_round_trips(tmp_path: Path, env: dict[str, str], settings: Settings) -> None:
    rows = [{"code": f"RT{i:03d}", "title": f"Title, \"{i}\" ünïcode", "artist": "Zoë", "description": "line\nbreak",
             "image": f"art/{i}.jpg", "width_px": 1800 + i, "height_px": 1200, "substrates": "paper"}
            for i in range(3)]
    for row in rows:
        picture(tmp_path / str(row["image"]), (int(row["width_px"]), 1200))  # type: ignore[call-overload]
    rows[1]["hidden"] = True  # hidden from every shop; the other rows leave the optional column out
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert easel(env, "catalog", "import", str(tmp_path / "in.jsonl")).exit_code == 0
    for fmt in ("csv", "jsonl"):
        out = tmp_path / "out" / f"out.{fmt}"
        out.parent.mkdir(exist_ok=True)
        assert easel(env, "catalog", "export", "--format", fmt, "-o", str(out)).exit_code == 0
        again = easel(env, "catalog", "import", str(out))
        assert "imported 0 new and 3 updated artworks; rejected 0 rows" in again.output, again.output
        assert [a.hidden for a in artworks(settings, env)] == [False, True, False]
    exported = [json.loads(line) for line in (tmp_path / "out" / "out.jsonl").read_text().splitlines()]
    assert exported == [{"hidden": False, **r, "image": f"images/{r['code']}.jpg"} for r in rows]
    table = list(csv.DictReader(io.StringIO((tmp_path / "out" / "out.csv").read_text())))
    assert [(r["code"], r["hidden"]) for r in table] == [("RT000", "false"), ("RT001", "true"), ("RT002", "false")]
    shutil.copytree(tmp_path / "out" / "images", tmp_path / "images", dirs_exist_ok=True)

    def write(name: str, columns: list[str], items: list[dict[str, str]]) -> str:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(items)
        (tmp_path / name).write_text(out.getvalue())
        return easel(env, "catalog", "import", str(tmp_path / name)).output

    old = [c for c in table[0] if c != "hidden"]  # a file from before the column: it keeps what each had
    assert "0 new and 3 updated" in write("old.csv", old, table)
    assert [a.hidden for a in artworks(settings, env)] == [False, True, False]
    assert "0 new and 1 updated" in write("shown.csv", [*old, "hidden"], [{**table[1], "hidden": "no"}])
    assert not any(a.hidden for a in artworks(settings, env))
    assert "hidden: must be true or false, got 'maybe'" in write("bad.csv", [*old, "hidden"],
                                                                 [{**table[1], "hidden": "maybe"}])


def test_an_export_imports_elsewhere(tmp_path: Path, env: dict[str, str], settings: Settings,
                                     sqlite_template: SqliteTemplate) -> None:
    picture(tmp_path / "src" / "a.png", (2400, 1800), "red")
    picture(tmp_path / "src" / "b.jpg", (1800, 2400), "blue")
    (tmp_path / "src" / "cat.csv").write_text(HEADER + "PNG01,Red,Ann,,a.png,,,paper\nJPG01,Blue,Bo,,b.jpg,,,paper\n")
    assert easel(env, "catalog", "import", str(tmp_path / "src" / "cat.csv")).exit_code == 0
    assert easel(env, "catalog", "export", "-o", str(tmp_path / "A" / "catalog.csv")).exit_code == 0
    assert "PNG01,Red,Ann,,images/PNG01.png,2400,1800,paper" in (tmp_path / "A" / "catalog.csv").read_text()
    shutil.copytree(tmp_path / "A", tmp_path / "B")
    shutil.rmtree(tmp_path / "A")
    elsewhere = {**env, "EASEL_DATA_DIR": str(tmp_path / "other-data"),
                 "DATABASE_URL": sqlite_template.fresh(tmp_path)}
    result = easel(elsewhere, "catalog", "import", str(tmp_path / "B" / "catalog.csv"))
    assert "imported 2 new and 0 updated artworks; rejected 0 rows" in result.output, result.output
    moved = {a.code: a for a in artworks(settings, elsewhere)}
    assert moved["PNG01"].image == str((tmp_path / "other-data" / "images" / "PNG01.png").resolve())
    with Image.open(moved["PNG01"].image) as copied:
        assert copied.size == (2400, 1800)


def test_export_into_a_closed_pipe_ends_quietly(env: dict[str, str], settings: Settings) -> None:
    async def fill() -> None:
        runtime = Runtime.create(Settings(database_url=env["DATABASE_URL"], secret_key=settings.secret_key))
        try:
            async with runtime.engine.begin() as conn:
                await catalog_store.upsert_artworks(conn, [
                    Artwork(f"PIPE{i:04d}", "x" * 400, "Ann", "y" * 2000, 4000, 3000, f"/img/{i}.jpg", ("paper",))
                    for i in range(100)])  # ~250 KB of CSV: more than a pipe holds
        finally:
            await runtime.close()

    asyncio.run(fill())
    command = [sys.executable, "-c", "from easel.cli import main; main()", "catalog", "export"]
    reader = subprocess.Popen(["head", "-c", "100"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    assert reader.stdin is not None
    writer = subprocess.run(command, stdout=reader.stdin, stderr=subprocess.PIPE, env={**os.environ, **env},
                            timeout=60, check=False)
    reader.stdin.close()
    reader.wait(timeout=10)
    assert writer.stderr == b""
    assert writer.returncode == 141  # the pipe did break (the reader left early), and quietly
