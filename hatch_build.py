"""Wheel build hook: the wheel ships the built widget (``widget_assets/dist``), never a stale one.

A wheel built from a checkout rebuilds the widget with esbuild (``npm ci`` once, then ``npm run build``)
when the build is missing or older than a source; without npm it must already be current (an sdist
carries it). Editable installs serve the checkout's own ``widget_assets/dist`` and skip this.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

BUILT = ("widget.js", "widget.js.map", "widget.css")


def _current(folder: Path) -> bool:
    built = [folder / "dist" / name for name in BUILT]
    if not all(path.is_file() for path in built):
        return False
    sources = [*(folder / "src").glob("*.js"), folder / "widget.css", folder / "build.mjs"]
    oldest = min(path.stat().st_mtime_ns for path in built)
    return all(path.stat().st_mtime_ns <= oldest for path in sources if path.exists())


class WidgetBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        if version == "editable":
            return
        build_data["force_include"][str(root / "widget_assets" / "dist")] = "easel/widget_assets/dist"
        if _current(root / "widget_assets"):
            return
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("widget_assets/dist is missing or older than its sources and npm is not installed; "
                               "install Node.js and run `make widget`")
        if not (root / "node_modules" / ".package-lock.json").is_file():
            subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=root, check=True)  # noqa: S603 (npm, found on PATH)
        subprocess.run([npm, "run", "--silent", "build"], cwd=root, check=True)  # noqa: S603 (npm, found on PATH)
