"""The database schema, in one place. Migrations in ``migrations/`` must produce exactly this."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
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
    Column("pricing_requires_login", Boolean, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("routing", JSON, nullable=True),  # fulfilment routing rules; NULL means the default rules
    Column("rate_limit", Integer, nullable=True),  # order API requests per action and window; NULL: the setting
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
    Column("hidden", Boolean, nullable=False, server_default=false()),  # hidden by the operator from every shop
)

# Artworks a merchant hides from their own shop (the catalogue is shared; each shop chooses what it shows).
hidden_artworks = Table(
    "hidden_artworks",
    metadata,
    Column("merchant_id", Integer, ForeignKey("merchants.id", ondelete="CASCADE"), primary_key=True),
    Column("artwork_code", String(32), ForeignKey("artworks.code", ondelete="CASCADE"), primary_key=True),
    Column("hidden_at", UTCDateTime, nullable=False),
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

orders = Table(
    "orders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("merchant_id", Integer, ForeignKey("merchants.id"), nullable=False),
    Column("reference", String(32), nullable=False, unique=True),  # easel's own, sent to vendors
    Column("external_order_number", String(100), nullable=True),
    Column("idempotency_key", String(255), nullable=True),
    Column("request_hash", String(64), nullable=False),
    Column("status", String(20), nullable=False),
    Column("status_reason", Text, nullable=False, server_default=""),
    Column("is_test", Boolean, nullable=False),
    Column("notes", Text, nullable=False, server_default=""),
    Column("currency", String(3), nullable=False),
    Column("total_cents", Integer, nullable=False),
    Column("customer", JSON, nullable=False),
    Column("shipping", JSON, nullable=False),
    Column("billing", JSON, nullable=True),
    Column("shipping_method", String(40), nullable=False, server_default=""),
    Column("quote_id", String(40), nullable=True),
    Column("purchase_date", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("merchant_id", "external_order_number", name="uq_orders_merchant_external"),
    UniqueConstraint("merchant_id", "idempotency_key", name="uq_orders_merchant_idempotency"),
    Index("ix_orders_merchant_id", "merchant_id", "id"),
    Index("ix_orders_merchant_status", "merchant_id", "status", "id"),  # the admin panel's status filter
)

order_items = Table(
    "order_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("order_id", Integer, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("sku", String(16), nullable=False),
    Column("gp_sku", String(100), nullable=False),
    Column("artwork_code", String(32), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("choices", JSON, nullable=False),
    Column("specs", JSON, nullable=False),
    Column("image", JSON, nullable=False),
    Column("notes", Text, nullable=False, server_default=""),
    Column("external_item_number", String(100), nullable=False, server_default=""),
    Column("sidemark", String(200), nullable=False, server_default=""),
    Column("unit_retail_cents", Integer, nullable=False),  # the merchant's price (markups applied)
    Column("unit_cents", Integer, nullable=False),  # what easel charges the merchant for one unit
)

order_tracking = Table(
    "order_tracking",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("order_id", Integer, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    Column("number", String(100), nullable=False),
    Column("method", String(100), nullable=False, server_default=""),
    Column("url", String(2000), nullable=False, server_default=""),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("order_id", "number", name="uq_order_tracking_order_id"),
)

order_events = Table(
    "order_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", String(40), nullable=False, unique=True),
    Column("order_id", Integer, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    Column("merchant_id", Integer, nullable=False),
    Column("type", String(40), nullable=False),
    Column("data", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # Delivery to the merchant's callback URL (dispatch/merchant_callbacks.py), one event at a time per order.
    Column("delivery_state", String(10), nullable=False, server_default="pending"),
    Column("delivery_attempts", Integer, nullable=False, server_default="0"),
    Column("delivery_next_at", UTCDateTime, nullable=True),
    Column("delivered_at", UTCDateTime, nullable=True),
    Column("delivery_error", Text, nullable=False, server_default=""),
    Index("ix_order_events_order_id", "order_id", "id"),
)

quotes = Table(
    "quotes",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("merchant_id", Integer, ForeignKey("merchants.id", ondelete="CASCADE"), nullable=False),
    Column("items", JSON, nullable=False),
    Column("shipping_method", String(40), nullable=False),
    Column("total_cents", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# Fixed-window request counters, shared by every process that uses the database.
rate_counters = Table(
    "rate_counters",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("window_start", Integer, primary_key=True),
    Column("count", Integer, nullable=False),
)

# A shopper's saved configurations, per merchant and customer id.
projects = Table(
    "projects",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("merchant_id", Integer, ForeignKey("merchants.id", ondelete="CASCADE"), nullable=False),
    Column("customer_id", String(200), nullable=False),
    Column("name", String(200), nullable=False),
    Column("artwork_code", String(32), nullable=False),
    Column("sku", String(16), nullable=False),
    Column("choices", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_projects_merchant_customer", "merchant_id", "customer_id"),
)

# --- fulfilment (dispatch/) ------------------------------------------------------------------------------

# Durable work: one row per job, claimed with a lease that a heartbeat extends (dispatch/queue.py).
jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("key", String(200), nullable=False, unique=True),  # one live job per key; reused when re-queued
    Column("payload", JSON, nullable=False),
    Column("order_id", Integer, nullable=True, index=True),
    Column("status", String(12), nullable=False),  # queued, running, done, parked, cancelled
    Column("attempts", Integer, nullable=False, server_default="0"),  # failures so far
    Column("runs", Integer, nullable=False, server_default="0"),  # times claimed
    Column("max_attempts", Integer, nullable=False),
    Column("run_after", UTCDateTime, nullable=False),
    Column("locked_by", String(100), nullable=True),
    Column("locked_until", UTCDateTime, nullable=True),
    Column("rerun", Boolean, nullable=False, server_default="0"),  # re-queued while running: run again
    Column("last_error", Text, nullable=False, server_default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_jobs_status_run_after", "status", "run_after"),
)

# Named leases: on SQLite one worker at a time holds "worker" (dispatch/queue.py).
worker_leases = Table(
    "worker_leases",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("holder", String(100), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

# The vendor orders a merchant order became: one per vendor (and step), with what was sent and seen.
vendor_orders = Table(
    "vendor_orders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("order_id", Integer, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("vendor", String(40), nullable=False),
    Column("role", String(10), nullable=False),  # print or retouch
    Column("sandbox", Boolean, nullable=False),
    Column("reference", String(64), nullable=False, unique=True),  # our id at the vendor (merchantOrderId)
    Column("vendor_ref", String(100), nullable=True),  # the vendor's own id, once known
    Column("step", String(20), nullable=False),  # how far submission got (intent recorded before each call)
    Column("progress", Integer, nullable=False, server_default="0"),  # dispatch.status.Progress, never lowered
    Column("cancelled", Boolean, nullable=False, server_default="0"),
    Column("vendor_status", String(40), nullable=False, server_default=""),
    Column("items", JSON, nullable=False),
    Column("detail", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("order_id", "position", name="uq_vendor_orders_order_id"),
    Index("ix_vendor_orders_vendor_ref", "vendor", "vendor_ref"),
)

# Callbacks vendors POSTed to us, stored before they are acknowledged and applied by a job.
vendor_callbacks = Table(
    "vendor_callbacks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("vendor", String(40), nullable=False),
    Column("account", String(40), nullable=False),
    Column("digest", String(64), nullable=False, unique=True),  # sha256 of vendor, account and body
    Column("body", Text, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("processed_at", UTCDateTime, nullable=True),
    Column("outcome", Text, nullable=False, server_default=""),
)

# --- the admin panel (admin/) ------------------------------------------------------------------------------

# People who sign in to the panel: a merchant's owner or staff, or an operator (merchant_id NULL) who runs
# this easel. ``session_version`` is in every session cookie; raising it ends every session of the user.
admin_users = Table(
    "admin_users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(254), nullable=False, unique=True),  # lower-cased
    Column("merchant_id", Integer, ForeignKey("merchants.id", ondelete="CASCADE"), nullable=True, index=True),
    Column("role", String(10), nullable=False),  # owner, staff or operator
    Column("password_hash", Text, nullable=True),  # argon2id; NULL until set through the one-time link
    Column("session_version", Integer, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("last_sign_in_at", UTCDateTime, nullable=True),
)

# Failed sign-ins per account (hashed e-mail) and per client address, for slowing down and locking out.
admin_signin_failures = Table(
    "admin_signin_failures",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", UTCDateTime, nullable=False),
    Column("locked_until", UTCDateTime, nullable=True),
)

# Every change of a merchant's settings (services/merchant_settings.py), written in the same transaction as
# the change: who (a panel user's e-mail, or "cli"), when, which field, old → new. Secrets are never values.
setting_changes = Table(
    "setting_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("merchant_id", Integer, ForeignKey("merchants.id", ondelete="CASCADE"), nullable=False),
    Column("actor", String(254), nullable=False),
    Column("field", String(80), nullable=False),
    Column("old_value", Text, nullable=False),
    Column("new_value", Text, nullable=False),
    Column("changed_at", UTCDateTime, nullable=False),
    Index("ix_setting_changes_merchant_id", "merchant_id", "id"),
)

# A merchant's own account at a vendor, per mode (sandbox or live), in place of the operator's account from
# EASEL_VENDOR_ACCOUNTS. Credentials are a JSON object encrypted like merchant secrets (secret_box.py).
merchant_vendor_accounts = Table(
    "merchant_vendor_accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("merchant_id", Integer, ForeignKey("merchants.id", ondelete="CASCADE"), nullable=False),
    Column("vendor", String(40), nullable=False),
    Column("mode", String(10), nullable=False),  # sandbox or live
    Column("base_url", String(2000), nullable=False),
    Column("credentials_encrypted", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("merchant_id", "vendor", "mode", name="uq_merchant_vendor_accounts_merchant_id"),
)

# Vendor calls and their failures per merchant, vendor and hour: each vendor's recent error rate in the panel.
# Workers add to these counts in batches (not one statement per call), so they are statistics, not a ledger.
vendor_call_counts = Table(
    "vendor_call_counts",
    metadata,
    Column("merchant_id", Integer, ForeignKey("merchants.id", ondelete="CASCADE"), primary_key=True),
    Column("vendor", String(40), primary_key=True),
    Column("hour", UTCDateTime, primary_key=True),
    Column("calls", Integer, nullable=False),
    Column("errors", Integer, nullable=False),
    Column("last_error", Text, nullable=False, server_default=""),
)
