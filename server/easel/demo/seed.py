"""Load the demo catalogue and the document's test merchant, once (`easel demo` calls this every start)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from ..domain.catalog import Artwork
from ..domain.configuration import resolve, standard_choices
from ..runtime import Runtime
from ..storage import catalog as catalog_store
from ..storage import merchants as merchant_store
from .images import write_artwork_image

DEMO_USERNAME = "testing"
DEMO_SECRET = "$2y$08$tEwCIc9DxDNKRvzHhfRRlOHxDbu.MyIk5EnzEmZVEJ/GeuHXa.tki"  # noqa: S105 (the document's public test secret)
DEMO_API_KEY = "demo"
DEMO_RATE_LIMIT = 100_000
"""Order API requests per endpoint and action a day for the demo merchant: the document calls the test
account's limit "very liberal", and development should not run into it."""


def demo_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(
        resources.files("easel.demo").joinpath("artworks.json").read_text("utf-8"))
    return rows


def demo_artworks(images_dir: Path) -> list[tuple[Artwork, str]]:
    return [
        (Artwork(r["code"], r["title"], r["artist"], r["description"], r["w"], r["h"],
                 str(images_dir / f"{r['code']}.jpg"), tuple(r["substrates"].split(","))), r["motif"])
        for r in demo_rows()
    ]


def write_demo_images(images_dir: Path) -> None:
    for artwork, motif in demo_artworks(images_dir):
        write_artwork_image(Path(artwork.image), artwork.code, motif, artwork.width_px, artwork.height_px)


async def seed_demo(runtime: Runtime, images: bool = True) -> bool:
    """Load demo data if the demo merchant is absent; returns whether anything was loaded."""
    images_dir = (runtime.settings.data_dir / "images").resolve()
    if images:
        write_demo_images(images_dir)
    async with runtime.engine.begin() as conn:
        existing = await merchant_store.merchant_by_username(conn, DEMO_USERNAME)
        if existing is not None:
            if existing.rate_limit is None:  # a demo database from before merchants had their own limit
                await merchant_store.update_merchant(conn, existing.id, {"rate_limit": DEMO_RATE_LIMIT})
            return False
        artworks = [a for a, _ in demo_artworks(images_dir)]
        await catalog_store.upsert_artworks(conn, artworks)
        await catalog_store.register_configurations(
            conn, [resolve(a, c, runtime.tables) for a in artworks for c in standard_choices(a, runtime.tables)])
        await merchant_store.create_merchant(
            conn, DEMO_USERNAME, runtime.secrets.encrypt(DEMO_SECRET),
            {"email": "testing@newerahd.com", "name": "Easel demo gallery", "test_mode": True,
             "allowed_origins": ["http://127.0.0.1:*", "http://localhost:*"], "cart_path": "/demo/cart",
             "cart_mode": "direct", "login_url": "/demo/login", "rate_limit": DEMO_RATE_LIMIT},
            api_key=DEMO_API_KEY,
        )
    return True
