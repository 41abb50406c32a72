"""easel with its order read check turned off, for the order API benchmark: every signed ``GET /orders/:id``
then reads the order in full (no kept answer, nothing answered in front of the stack), as before the check
existed; on PostgreSQL, the baseline the check's one-statement probe is measured against."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from easel.app import create_app
from easel.storage.data_version import DataVersion


def full_read() -> Any:
    async def unknown(self: DataVersion, merchant_id: int, order_id: int) -> Hashable | None:
        return None

    DataVersion.order = unknown  # type: ignore[method-assign]
    return create_app()
