"""Fresh, migrated databases for tests: SQLite copied from a migrated template file, PostgreSQL one
migrated database emptied before each test, so each test starts clean and fast."""

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
    """One migrated PostgreSQL database per session, emptied before each test.

    ``TRUNCATE … RESTART IDENTITY`` takes a few milliseconds where ``CREATE DATABASE … TEMPLATE`` took
    over half a second, which made the PostgreSQL half of the suite several minutes long. Connections a
    previous test left behind (a killed worker's, say) are terminated first, so nothing can leak across.
    """

    def __init__(self, admin_url: str):
        self.admin_url = _plain(admin_url)
        self.name = f"easel_test_{os.getpid()}"
        self.url = _with_database(self.admin_url, self.name)
        asyncio.run(self._create())

    async def _admin(self, *statements: str, url: str | None = None) -> None:
        conn = await asyncpg.connect(url or self.admin_url)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    async def _create(self) -> None:
        await self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)', f'CREATE DATABASE "{self.name}"')
        await _migrate(self.url)

    def fresh(self, folder: Path) -> str:
        from easel.storage.tables import metadata

        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        asyncio.run(self._admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()",
            f"TRUNCATE {names} RESTART IDENTITY CASCADE",
            url=self.url,
        ))
        return self.url

    def drop(self, url: str) -> None:
        pass

    def close(self) -> None:
        asyncio.run(self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
