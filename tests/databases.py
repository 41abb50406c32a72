"""Fresh, migrated databases for tests: SQLite copied from a migrated template file, PostgreSQL one
migrated database emptied before each test, so each test starts clean and fast.

Either can also hand out a database that already holds seeded rows (the demo data): the seed runs once per
session on the template, and each test gets a copy, the same rows the seed would have written (seeding
took about half a second a test, most of it resolving thousands of configurations).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from easel.settings import async_database_url
from easel.storage import migrate
from easel.storage.engine import create_engine
from easel.storage.tables import metadata

Seed = Callable[[str], Awaitable[None]]
"""Fills the database at a URL (run once per session per template)."""


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
        self.seeded: Path | None = None
        asyncio.run(_migrate(f"sqlite:///{self.template}"))

    def fresh(self, folder: Path, seed: Seed | None = None) -> str:
        """A copy of the migrated template, or (with ``seed``) of the template as ``seed`` filled it."""
        if seed is not None and self.seeded is None:
            self.seeded = self._seed(seed)
        target = folder / f"{uuid.uuid4().hex[:8]}.sqlite3"
        shutil.copyfile(self.template if seed is None else self.seeded, target)  # type: ignore[arg-type]
        return f"sqlite:///{target}"

    def _seed(self, seed: Seed) -> Path:
        seeded = self.template.with_name("seeded.sqlite3")
        shutil.copyfile(self.template, seeded)
        asyncio.run(seed(f"sqlite:///{seeded}"))
        # The engine's last connection checkpoints the WAL on close: the file alone must hold the rows.
        wal = seeded.with_name(seeded.name + "-wal")
        assert not wal.exists() or wal.stat().st_size == 0, "the seeded template still has a write-ahead log"
        return seeded

    def drop(self, url: str) -> None:
        pass


class PostgresTemplate:
    """One migrated PostgreSQL database per session, emptied before each test.

    Emptying (``DELETE`` from every table, children first, and every sequence set back to 1) takes a few
    milliseconds, where ``CREATE DATABASE … TEMPLATE`` took over half a second and ``TRUNCATE`` of every
    table about a tenth (it makes new files for each table). Connections a previous test left behind (a
    killed worker's, say) are terminated first, so nothing can leak across. Commits do not wait for the
    disk (``synchronous_commit = off`` on this throwaway database only; what a transaction sees is the
    same). Seeded rows are kept in a schema of their own (:data:`SEED_SCHEMA`, tables without
    constraints) and copied back, with the sequences where the seed left them.
    """

    SEED_SCHEMA = "easel_seed"

    def __init__(self, admin_url: str):
        self.admin_url = _plain(admin_url)
        self.name = f"easel_test_{os.getpid()}"
        self.url = _with_database(self.admin_url, self.name)
        self.restore: str | None = None
        self.sequences: list[str] = []
        asyncio.run(self._create())

    async def _admin(self, *statements: str, url: str | None = None) -> None:
        conn = await asyncpg.connect(url or self.admin_url)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    async def _create(self) -> None:
        await self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)', f'CREATE DATABASE "{self.name}"',
                          f'ALTER DATABASE "{self.name}" SET synchronous_commit = off')
        await _migrate(self.url)
        conn = await asyncpg.connect(self.url)
        try:
            self.sequences = [r[0] for r in await conn.fetch(
                "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' ORDER BY sequencename")]
        finally:
            await conn.close()

    def _empty(self) -> str:
        return "; ".join([
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()",
            *(f'DELETE FROM public."{t.name}"' for t in reversed(metadata.sorted_tables)),
            *(f"SELECT setval('public.\"{name}\"', 1, false)" for name in self.sequences),
        ])

    def fresh(self, folder: Path, seed: Seed | None = None) -> str:
        """The session's database emptied, or (with ``seed``) holding what ``seed`` wrote into it."""
        if seed is not None and self.restore is None:
            self.restore = asyncio.run(self._seed(seed))
        statements = [self._empty()] + ([self.restore] if seed is not None and self.restore else [])
        asyncio.run(self._admin("; ".join(statements), url=self.url))
        return self.url

    async def _seed(self, seed: Seed) -> str:
        """Seed the emptied database once, keep its rows aside, and return the SQL that puts them back."""
        await self._admin(self._empty(), url=self.url)
        await seed(self.url)
        schema = self.SEED_SCHEMA
        restore: list[str] = []
        conn = await asyncpg.connect(self.url)
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}"')
            for table in metadata.sorted_tables:  # parents before children: the foreign keys hold as rows go in
                await conn.execute(f'CREATE TABLE "{schema}"."{table.name}" AS TABLE public."{table.name}"')
                if await conn.fetchval(f'SELECT count(*) FROM "{schema}"."{table.name}"'):
                    restore.append(f'INSERT INTO public."{table.name}" OVERRIDING SYSTEM VALUE '
                                   f'SELECT * FROM "{schema}"."{table.name}"')
            for name, value in await conn.fetch(
                    "SELECT sequencename, last_value FROM pg_sequences "
                    "WHERE schemaname = 'public' AND last_value IS NOT NULL"):
                restore.append(f"SELECT setval('public.\"{name}\"', {int(value)})")
        finally:
            await conn.close()
        return "; ".join(restore)

    def drop(self, url: str) -> None:
        pass

    def close(self) -> None:
        asyncio.run(self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
