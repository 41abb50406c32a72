"""`easel catalog import|export`: valid rows in one transaction, a report for the rest, round trips."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from PIL import Image

from easel.cli import main
from easel.runtime import Runtime
from easel.settings import Settings
from easel.storage import catalog as catalog_store

HEADER = "code,title,artist,description,image,width_px,height_px,substrates\n"


@pytest.fixture
def env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    data = tmp_path / "data"
    return {"EASEL_DATA_DIR": str(data), "DATABASE_URL": settings.database_url,
            "EASEL_SECRET_KEY": settings.secret_key}


def easel(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def codes(settings: Settings, env: dict[str, str]) -> list[str]:
    async def read() -> list[str]:
        runtime = Runtime.create(Settings(database_url=env["DATABASE_URL"], secret_key=settings.secret_key))
        try:
            async with runtime.engine.connect() as conn:
                return [a.code for a in await catalog_store.all_artworks(conn)]
        finally:
            await runtime.close()

    return asyncio.run(read())


def test_valid_rows_import_and_bad_rows_are_reported(tmp_path: Path, env: dict[str, str], settings: Settings) -> None:
    Image.new("RGB", (3000, 2000), "teal").save(tmp_path / "sea.jpg")
    (tmp_path / "cat.csv").write_text(
        HEADER
        + "SEA01,The Sea,Ann Artist,Blue,sea.jpg,,,\"paper,canvas\"\n"
        + "WEB01,From the web,Bo Painter,,https://images.example/w.jpg,4000,3000,paper\n"
        + "BAD01,,Nobody,,https://images.example/b.jpg,4000,3000,paper\n"
        + "TINY1,Tiny,Ann Artist,,https://images.example/t.jpg,600,400,paper\n"
        + "SEA01,Again,Ann Artist,,https://images.example/s.jpg,4000,3000,paper\n"
        + "MET01,Metal,Ann Artist,,https://images.example/m.jpg,4000,3000,metal\n"
    )
    result = easel(env, "catalog", "import", str(tmp_path / "cat.csv"))
    assert result.exit_code == 0, result.output
    assert "imported 2 new and 0 updated artworks; rejected 4 rows" in result.output
    assert "rejected line 4 (BAD01): title: is required" in result.output
    assert "rejected line 5 (TINY1): width_px/height_px: 600x400 is too small" in result.output
    assert "rejected line 6 (SEA01): code: SEA01 already appears on line 2" in result.output
    assert "rejected line 7 (MET01): substrates: metal not allowed (allowed: paper, canvas)" in result.output
    assert codes(settings, env) == ["SEA01", "WEB01"]
    assert (Path(env["EASEL_DATA_DIR"]) / "images" / "SEA01.jpg").is_file()


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
             "image": f"https://x.test/{i}.jpg", "width_px": 4000 + i, "height_px": 3000, "substrates": "paper"}
            for i in range(5)]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert easel(env, "catalog", "import", str(tmp_path / "in.jsonl")).exit_code == 0
    for fmt in ("csv", "jsonl"):
        out = tmp_path / f"out.{fmt}"
        assert easel(env, "catalog", "export", "--format", fmt, "-o", str(out)).exit_code == 0
        again = easel(env, "catalog", "import", str(out))
        assert "imported 0 new and 5 updated artworks; rejected 0 rows" in again.output, again.output
    exported = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert exported == rows
