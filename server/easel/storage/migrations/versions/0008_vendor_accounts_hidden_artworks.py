"""Merchants' own vendor accounts, vendor call counts for error rates, and hidden artworks.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from easel.storage.types import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "merchant_vendor_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(),
                  sa.ForeignKey("merchants.id", ondelete="CASCADE",
                                name="fk_merchant_vendor_accounts_merchant_id_merchants"), nullable=False),
        sa.Column("vendor", sa.String(40), nullable=False),
        sa.Column("mode", sa.String(10), nullable=False),
        sa.Column("base_url", sa.String(2000), nullable=False),
        sa.Column("credentials_encrypted", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_merchant_vendor_accounts"),
        sa.UniqueConstraint("merchant_id", "vendor", "mode", name="uq_merchant_vendor_accounts_merchant_id"),
    )
    op.create_table(
        "vendor_call_counts",
        sa.Column("merchant_id", sa.Integer(),
                  sa.ForeignKey("merchants.id", ondelete="CASCADE",
                                name="fk_vendor_call_counts_merchant_id_merchants"), nullable=False),
        sa.Column("vendor", sa.String(40), nullable=False),
        sa.Column("hour", UTCDateTime(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("merchant_id", "vendor", "hour", name="pk_vendor_call_counts"),
    )
    op.create_table(
        "hidden_artworks",
        sa.Column("merchant_id", sa.Integer(),
                  sa.ForeignKey("merchants.id", ondelete="CASCADE",
                                name="fk_hidden_artworks_merchant_id_merchants"), nullable=False),
        sa.Column("artwork_code", sa.String(32),
                  sa.ForeignKey("artworks.code", ondelete="CASCADE",
                                name="fk_hidden_artworks_artwork_code_artworks"), nullable=False),
        sa.Column("hidden_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("merchant_id", "artwork_code", name="pk_hidden_artworks"),
    )
    with op.batch_alter_table("artworks") as batch:
        batch.add_column(sa.Column("hidden", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("artworks") as batch:
        batch.drop_column("hidden")
    op.drop_table("hidden_artworks")
    op.drop_table("vendor_call_counts")
    op.drop_table("merchant_vendor_accounts")
