"""Fulfilment: jobs, worker leases, vendor orders, inbound vendor callbacks, event delivery, routing.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from easel.storage.types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("merchants") as batch:
        batch.add_column(sa.Column("routing", sa.JSON(), nullable=True))
    with op.batch_alter_table("order_events") as batch:
        batch.add_column(sa.Column("delivery_state", sa.String(10), server_default="pending", nullable=False))
        batch.add_column(sa.Column("delivery_attempts", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("delivery_next_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("delivered_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("delivery_error", sa.Text(), server_default="", nullable=False))
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("runs", sa.Integer(), server_default="0", nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", UTCDateTime(), nullable=False),
        sa.Column("locked_by", sa.String(100), nullable=True),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
        sa.Column("rerun", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
        sa.UniqueConstraint("key", name="uq_jobs_key"),
    )
    op.create_index("ix_jobs_order_id", "jobs", ["order_id"])
    op.create_index("ix_jobs_status_run_after", "jobs", ["status", "run_after"])
    op.create_table(
        "worker_leases",
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("holder", sa.String(100), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_worker_leases"),
    )
    op.create_table(
        "vendor_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("vendor", sa.String(40), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("sandbox", sa.Boolean(), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("vendor_ref", sa.String(100), nullable=True),
        sa.Column("step", sa.String(20), nullable=False),
        sa.Column("progress", sa.Integer(), server_default="0", nullable=False),
        sa.Column("cancelled", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("vendor_status", sa.String(40), server_default="", nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], ondelete="CASCADE",
                                name="fk_vendor_orders_order_id_orders"),
        sa.PrimaryKeyConstraint("id", name="pk_vendor_orders"),
        sa.UniqueConstraint("reference", name="uq_vendor_orders_reference"),
        sa.UniqueConstraint("order_id", "position", name="uq_vendor_orders_order_id"),
    )
    op.create_index("ix_vendor_orders_vendor_ref", "vendor_orders", ["vendor", "vendor_ref"])
    op.create_table(
        "vendor_callbacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vendor", sa.String(40), nullable=False),
        sa.Column("account", sa.String(40), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("processed_at", UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_vendor_callbacks"),
        sa.UniqueConstraint("digest", name="uq_vendor_callbacks_digest"),
    )


def downgrade() -> None:
    op.drop_table("vendor_callbacks")
    op.drop_index("ix_vendor_orders_vendor_ref", "vendor_orders")
    op.drop_table("vendor_orders")
    op.drop_table("worker_leases")
    op.drop_index("ix_jobs_status_run_after", "jobs")
    op.drop_index("ix_jobs_order_id", "jobs")
    op.drop_table("jobs")
    with op.batch_alter_table("order_events") as batch:
        for name in ("delivery_error", "delivered_at", "delivery_next_at", "delivery_attempts", "delivery_state"):
            batch.drop_column(name)
    with op.batch_alter_table("merchants") as batch:
        batch.drop_column("routing")
