"""An index for the admin panel's orders filtered by status (and the dashboard's On Hold list): with
100,000 orders, counting one merchant's orders in a status read every order row without it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_orders_merchant_status", "orders", ["merchant_id", "status", "id"])


def downgrade() -> None:
    op.drop_index("ix_orders_merchant_status", table_name="orders")
