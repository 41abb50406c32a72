"""Fresh, migrated databases for tests: SQLite copied from a migrated template file, PostgreSQL cloned
from a migrated template database (``CREATE DATABASE … TEMPLATE``), so each test starts clean and fast."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from easel.settings import async_database_url
from easel.storage import migrate
from easel.storage.engine import create_engine


def postgres_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def _plain(url: str) -> str:
    """asyncpg wants postgresql://, not postgresql+asyncpg://."""
    _, _, rest = url.partition("://")
    return "postgresql://" + rest


async def _migrate(url: str) -> None:
    engine = create_engine(async_database_url(url))
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


class SqliteTemplate:
    def __init__(self, folder: Path):
        self.template = folder / "template.sqlite3"
        asyncio.run(_migrate(f"sqlite:///{self.template}"))

    def fresh(self, folder: Path) -> str:
        target = folder / f"{uuid.uuid4().hex[:8]}.sqlite3"
        shutil.copyfile(self.template, target)
        return f"sqlite:///{target}"

    def drop(self, url: str) -> None:
        pass


class PostgresTemplate:
    def __init__(self, admin_url: str):
        self.admin_url = _plain(admin_url)
        self.name = f"easel_tpl_{os.getpid()}"
        asyncio.run(self._create_template())

    async def _admin(self, *statements: str) -> None:
        conn = await asyncpg.connect(self.admin_url)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    async def _create_template(self) -> None:
        await self._admin(f'DROP DATABASE IF EXISTS "{self.name}"', f'CREATE DATABASE "{self.name}"')
        await _migrate(_with_database(self.admin_url, self.name))

    def fresh(self, folder: Path) -> str:
        name = f"easel_t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        asyncio.run(self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.name}"'))
        return _with_database(self.admin_url, name)

    def drop(self, url: str) -> None:
        name = urlsplit(url).path.lstrip("/")
        asyncio.run(self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        asyncio.run(self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
