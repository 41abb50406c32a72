"""Alembic environment: migrations run on a connection handed in by :mod:`easel.storage.migrate`."""

from __future__ import annotations

from alembic import context

from easel.storage.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `easel db upgrade`, not the alembic command")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
