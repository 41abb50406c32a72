"""Where easel is served, recorded, so every command hands vendors the same public URL.

Print-file URLs and vendor callback URLs must name the host and port easel actually serves at. `easel
serve` and `easel demo` know them, but `easel vendors`, `easel worker` and each process of `easel serve
--workers N` do not: so the two serving commands write `$EASEL_DATA_DIR/served.json` (`{"public_url":
..., "mode": "serve" | "demo"}`) before serving, and :func:`settings_from_env` fills the public URL from it.
`EASEL_PUBLIC_URL` overrides it everywhere (behind a proxy, the only way to name the outside URL). The
mode tells commands beside a demo that its test orders go to the built-in sandboxes.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .settings import Settings

Mode = Literal["serve", "demo"]
FILE_NAME = "served.json"


@dataclass(frozen=True)
class Served:
    public_url: str
    mode: Mode


def served_url(host: str, port: int) -> str:
    """The base URL of a server listening on ``host:port``, as others reach it."""
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 - every interface: hand out loopback
        host = "127.0.0.1"
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def record(settings: Settings, served: Served) -> None:
    """Write what is served, atomically (another process may be reading it)."""
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # holds keys, tokens and addresses
    path = settings.data_dir / FILE_NAME
    partial = path.with_name(f".{FILE_NAME}.{os.getpid()}")
    partial.write_text(json.dumps({"public_url": served.public_url, "mode": served.mode}) + "\n", "utf-8")
    partial.replace(path)


def recorded(data_dir: Path) -> Served | None:
    """What the last `easel serve`/`easel demo` on this data folder recorded, if anything readable."""
    try:
        raw = json.loads((data_dir / FILE_NAME).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("public_url"), str):
        return None
    return Served(raw["public_url"], "demo" if raw.get("mode") == "demo" else "serve")


def settings_from_env(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from the environment, with the recorded public URL unless EASEL_PUBLIC_URL is set."""
    settings = Settings.from_env(environ)
    if settings.public_url.strip():
        return settings
    found = recorded(settings.data_dir)
    return dataclasses.replace(settings, public_url=found.public_url) if found else settings


def demo_recorded(settings: Settings) -> bool:
    """Whether this data folder was last served by `easel demo` (its test orders use built-in sandboxes)."""
    found = recorded(settings.data_dir)
    return found is not None and found.mode == "demo"
