"""Merchants, their widget api keys, the art catalogue and the sku registry.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from easel.storage.types import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "merchants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("email", sa.String(254), server_default="", nullable=False),
        sa.Column("name", sa.String(200), server_default="", nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("currency", sa.String(3), server_default="USD", nullable=False),
        sa.Column("test_mode", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("allowed_origins", sa.JSON(), nullable=False),
        sa.Column("cart_path", sa.String(500), server_default="", nullable=False),
        sa.Column("cart_mode", sa.String(10), server_default="direct", nullable=False),
        sa.Column("login_url", sa.String(2000), server_default="", nullable=False),
        sa.Column("callback_url", sa.String(2000), server_default="", nullable=False),
        sa.Column("markups", sa.JSON(), nullable=False),
        sa.Column("require_customer_token", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("require_timestamp", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_merchants"),
        sa.UniqueConstraint("username", name="uq_merchants_username"),
    )
    op.create_table(
        "api_keys",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"], ondelete="CASCADE",
                                name="fk_api_keys_merchant_id_merchants"),
        sa.PrimaryKeyConstraint("key", name="pk_api_keys"),
    )
    op.create_index("ix_api_keys_merchant_id", "api_keys", ["merchant_id"])
    op.create_table(
        "artworks",
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("artist", sa.String(500), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("width_px", sa.Integer(), nullable=False),
        sa.Column("height_px", sa.Integer(), nullable=False),
        sa.Column("image", sa.String(2000), nullable=False),
        sa.Column("substrates", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_artworks"),
    )
    op.create_table(
        "configurations",
        sa.Column("sku", sa.String(16), nullable=False),
        sa.Column("artwork_code", sa.String(32), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["artwork_code"], ["artworks.code"], ondelete="CASCADE",
                                name="fk_configurations_artwork_code_artworks"),
        sa.PrimaryKeyConstraint("sku", name="pk_configurations"),
    )
    op.create_index("ix_configurations_artwork_code", "configurations", ["artwork_code"])


def downgrade() -> None:
    op.drop_table("configurations")
    op.drop_table("artworks")
    op.drop_index("ix_api_keys_merchant_id", "api_keys")
    op.drop_table("api_keys")
    op.drop_table("merchants")
