"""The history of merchants' settings: who changed which field, when, from what to what.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from easel.storage.types import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "setting_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), sa.ForeignKey("merchants.id", ondelete="CASCADE",
                                                             name="fk_setting_changes_merchant_id_merchants"),
                  nullable=False),
        sa.Column("actor", sa.String(254), nullable=False),
        sa.Column("field", sa.String(80), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=False),
        sa.Column("new_value", sa.Text(), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_setting_changes"),
    )
    op.create_index("ix_setting_changes_merchant_id", "setting_changes", ["merchant_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_setting_changes_merchant_id", table_name="setting_changes")
    op.drop_table("setting_changes")
