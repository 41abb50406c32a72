"""The widget's built files, ready to serve: ``widget_assets/dist/`` (``widget.js``, ``widget.js.map``,
``widget.css``), which esbuild makes from ``widget_assets/src/*.js`` and ``widget.css`` (``make widget``).

Read once, compressed and named by content (``widget.<hash>.css``, ``widget.<hash>.js.map``) so they can be
cached forever, and read again when the build changes on disk. A build that is missing or older than its
sources is an error (:class:`WidgetBuildError`, raised at start-up and by :meth:`WidgetAssets.bundle`),
never a silently stale script. ``widget.js`` ends with the placeholder ``__EASEL_CONFIG__`` on its last
line, after everything the source map describes, so :mod:`easel.widget.script` puts each merchant's
settings there and one map serves every merchant. A wheel ships ``dist/`` alone: no sources to compare.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

from .http_cache import Encoded

CONFIG_MARKER = "__EASEL_CONFIG__"
BUILT = ("widget.js", "widget.js.map", "widget.css")
_HINT = "run `make widget` (npm ci && npm run build) in the easel checkout"
_RECHECK_SECONDS = 1.0


class WidgetBuildError(ValueError):
    """The built widget is missing or older than its sources (one sentence for the command line)."""


@dataclass(frozen=True, slots=True)
class Bundle:
    script_head: str
    script_tail: str
    css: Encoded
    css_name: str
    source_map: Encoded
    map_name: str


def _sources(folder: Path) -> list[Path]:
    return [*sorted((folder / "src").glob("*.js")), folder / "widget.css", folder / "build.mjs"]


def check_build(folder: Path) -> tuple[int, ...]:
    """The built files' modification times; :class:`WidgetBuildError` if one is missing or stale."""
    built = [folder / "dist" / name for name in BUILT]
    try:
        stamps = tuple(path.stat().st_mtime_ns for path in built)
    except FileNotFoundError as err:
        raise WidgetBuildError(f"the widget is not built ({err.filename} is missing); {_HINT}") from None
    for source in _sources(folder):
        try:
            changed = source.stat().st_mtime_ns
        except FileNotFoundError:
            continue  # an installed wheel ships the build alone
        if changed > min(stamps):
            raise WidgetBuildError(f"the built widget is older than {source.relative_to(folder)}; {_HINT}")
    return stamps


class WidgetAssets:
    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._stamp: tuple[int, ...] | None = None
        self._checked = float("-inf")
        self._bundle: Bundle | None = None

    def bundle(self) -> Bundle:
        """The current build; the sources are compared with it at most once a second."""
        now = time.monotonic()
        if self._bundle is None or now - self._checked >= _RECHECK_SECONDS:
            stamp = check_build(self._folder)
            self._checked = now
            if self._bundle is None or stamp != self._stamp:
                dist = self._folder / "dist"
                self._bundle = self._build(*(((dist / name).read_text("utf-8")) for name in BUILT))
                self._stamp = stamp
        return self._bundle

    @staticmethod
    def _build(script: str, source_map: str, css_source: str) -> Bundle:
        head, marker, tail = script.rstrip("\n").rpartition(CONFIG_MARKER)
        if not marker or "\n" in tail:
            raise WidgetBuildError(f"the built widget.js does not end with its {CONFIG_MARKER} placeholder; {_HINT}")
        map_bytes = source_map.encode()
        map_name = f"widget.{hashlib.sha256(map_bytes).hexdigest()[:12]}.js.map"
        css = css_source.encode()
        css_name = f"widget.{hashlib.sha256(css).hexdigest()[:12]}.css"
        tail += f"\n//# sourceMappingURL=assets/{map_name}\n"
        return Bundle(head, tail, Encoded.of(css), css_name, Encoded.of(map_bytes), map_name)
