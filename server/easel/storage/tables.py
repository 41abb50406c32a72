"""The database schema, in one place. Migrations in ``migrations/`` must produce exactly this."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from .types import UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

merchants = Table(
    "merchants",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("email", String(254), nullable=False, server_default=""),
    Column("name", String(200), nullable=False, server_default=""),
    Column("secret_encrypted", Text, nullable=False),
    Column("currency", String(3), nullable=False, server_default="USD"),
    Column("test_mode", Boolean, nullable=False, server_default="0"),
    Column("allowed_origins", JSON, nullable=False),
    Column("cart_path", String(500), nullable=False, server_default=""),
    Column("cart_mode", String(10), nullable=False, server_default="direct"),
    Column("login_url", String(2000), nullable=False, server_default=""),
    Column("callback_url", String(2000), nullable=False, server_default=""),
    Column("markups", JSON, nullable=False),
    Column("require_customer_token", Boolean, nullable=False, server_default="0"),
    Column("require_timestamp", Boolean, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("merchant_id", Integer, ForeignKey("merchants.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
)

artworks = Table(
    "artworks",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("title", String(500), nullable=False),
    Column("artist", String(500), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("width_px", Integer, nullable=False),
    Column("height_px", Integer, nullable=False),
    Column("image", String(2000), nullable=False),
    Column("substrates", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Every configuration easel has priced, by sku, so a sku (a one-way hash) can be looked up again.
configurations = Table(
    "configurations",
    metadata,
    Column("sku", String(16), primary_key=True),
    Column("artwork_code", String(32), ForeignKey("artworks.code", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("choices", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
