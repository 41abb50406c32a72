"""The wheel ships the package data, and `easel --help` works from a clean virtual environment."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_installs_and_runs(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True)
    wheel = next(tmp_path.glob("easel-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "easel/templates/demo/index.html" in names
    assert "easel/data/options.json" in names and "easel/data/prices.json" in names
    assert "easel/storage/migrations/versions/0001_initial.py" in names
    assert "easel/demo/artworks.json" in names
    # The widget as esbuild built it (so installing needs no Node.js), without its sources.
    assert {"easel/widget_assets/dist/widget.js", "easel/widget_assets/dist/widget.js.map",
            "easel/widget_assets/dist/widget.css"} <= names
    assert not any(n.startswith("easel/widget_assets/src/") for n in names)

    venv = tmp_path / "venv"
    # The new environment sees this one's dependencies (no network needed) but not its editable easel.
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    site = next((venv / "lib").glob("python*/site-packages"))
    deps = [p for p in sys.path if p.endswith("site-packages")]
    (site / "deps.pth").write_text("\n".join(deps) + "\n")
    subprocess.run([str(venv / "bin" / "pip"), "install", "--no-deps", "-q", str(wheel)], check=True,
                   capture_output=True)
    out = subprocess.run([str(venv / "bin" / "easel"), "--help"], check=True, capture_output=True, text=True,
                         cwd=tmp_path)
    assert "Usage: easel" in out.stdout
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import easel, easel.web.templates as t, easel.widget.assets as a; print(easel.__file__);"
         " print(t.resource_dir('templates')); a.check_build(t.resource_dir('widget_assets'))"],
        check=True, capture_output=True, text=True, cwd=tmp_path,
    ).stdout.split()
    assert str(venv) in where[0] and str(venv) in where[1]
