"""Load the demo catalogue and the document's test merchant, once (`easel demo` calls this every start)."""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.catalog import Artwork
from ..domain.configuration import resolve, standard_choices
from ..runtime import Runtime
from ..storage import catalog as catalog_store
from ..storage import merchants as merchant_store
from ..storage import users as user_store
from .images import write_artwork_image

DEMO_USERNAME = "testing"
DEMO_SECRET = "$2y$08$tEwCIc9DxDNKRvzHhfRRlOHxDbu.MyIk5EnzEmZVEJ/GeuHXa.tki"  # noqa: S105 (the document's public test secret)
DEMO_API_KEY = "demo"
DEMO_RATE_LIMIT = 100_000
"""Order API requests per endpoint and action a day for the demo merchant: the document calls the test
account's limit "very liberal", and development should not run into it."""
DEMO_OWNER_EMAIL = "owner@demo.test"
DEMO_OWNER_PASSWORD = "demo"  # noqa: S105 (the demo's published admin password; `easel serve` never creates it)


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
            await _seed_demo_owner(conn, existing.id)  # a demo database from before the admin panel
            return False
        artworks = [a for a, _ in demo_artworks(images_dir)]
        await catalog_store.upsert_artworks(conn, artworks)
        await catalog_store.register_configurations(
            conn, [resolve(a, c, runtime.tables) for a in artworks for c in standard_choices(a, runtime.tables)])
        demo_merchant = await merchant_store.create_merchant(
            conn, DEMO_USERNAME, runtime.secrets.encrypt(DEMO_SECRET),
            {"email": "testing@newerahd.com", "name": "Easel demo gallery", "test_mode": True,
             "allowed_origins": ["http://127.0.0.1:*", "http://localhost:*"], "cart_path": "/demo/cart",
             "cart_mode": "direct", "login_url": "/demo/login", "rate_limit": DEMO_RATE_LIMIT},
            api_key=DEMO_API_KEY,
        )
        await _seed_demo_owner(conn, demo_merchant.id)
    return True


@functools.cache
def _demo_owner_hash() -> str:
    """Hashed once per process (argon2 is slow on purpose; tests seed many databases)."""
    from argon2 import PasswordHasher

    return PasswordHasher().hash(DEMO_OWNER_PASSWORD)


async def _seed_demo_owner(conn: AsyncConnection, merchant_id: int) -> None:
    """The demo merchant's owner for the admin panel, with the published password (demo only)."""
    if await user_store.user_by_email(conn, DEMO_OWNER_EMAIL) is None:
        user_id = await user_store.insert_user(conn, DEMO_OWNER_EMAIL, merchant_id, "owner")
        await user_store.set_password_hash(conn, user_id, _demo_owner_hash())
