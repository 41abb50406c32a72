"""The migrations build exactly the schema declared in ``storage/tables.py``, on every backend."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from easel.runtime import Runtime
from easel.storage import migrate
from easel.storage.tables import metadata

pytestmark = pytest.mark.anyio


async def test_migrated_schema_matches_the_tables(runtime: Runtime) -> None:
    assert await migrate.is_current(runtime.engine)

    def diff(conn: Connection) -> list[object]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with runtime.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == []
