"""The widget's static files (``widget_assets/widget.js`` and ``widget.css``), ready to serve.

Read once, minified, compressed and named by content (``widget.<hash>.css``) so they can be cached
forever; read again when a file changes on disk, which makes editing them during development painless.
``widget.js`` ends with the placeholder ``__EASEL_CONFIG__``, which :mod:`easel.widget.script` replaces
with a merchant's settings.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .http_cache import Encoded
from .minify import minify_css, minify_js

CONFIG_MARKER = "__EASEL_CONFIG__"


@dataclass(frozen=True, slots=True)
class Bundle:
    script_head: str
    script_tail: str
    css: Encoded
    css_name: str


class WidgetAssets:
    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._stamp: tuple[int, int] | None = None
        self._bundle: Bundle | None = None

    def _files(self) -> tuple[Path, Path]:
        return self._folder / "widget.js", self._folder / "widget.css"

    def bundle(self) -> Bundle:
        js, css = self._files()
        stamp = (js.stat().st_mtime_ns, css.stat().st_mtime_ns)
        if self._bundle is None or stamp != self._stamp:
            self._bundle = self._build(js.read_text("utf-8"), css.read_text("utf-8"))
            self._stamp = stamp
        return self._bundle

    @staticmethod
    def _build(js_source: str, css_source: str) -> Bundle:
        script = minify_js(js_source)
        head, marker, tail = script.partition(CONFIG_MARKER)
        if not marker:
            raise RuntimeError(f"widget.js has no {CONFIG_MARKER} placeholder")
        css = minify_css(css_source).encode()
        name = f"widget.{hashlib.sha256(css).hexdigest()[:12]}.css"
        return Bundle(head, tail, Encoded.of(css), name)
