"""The records the sandbox keeps per merchant: orders, their images and their planned shipments."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from easel.sandboxes.pwinty.catalogue import find_product


@dataclass
class Image:
    id: int
    sku: str
    url: str | None
    copies: int
    sizing: str
    price_to_user: int | None
    md5_hash: str | None
    attributes: dict[str, str] | None
    download_at: datetime


@dataclass
class Shipment:
    family: str
    photo_ids: list[int]
    allocate_at: datetime
    ship_at: datetime
    id: str | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    shipped_on: datetime | None = None


@dataclass
class Order:
    id: int
    merchant: str
    fields: dict[str, Any]
    created: datetime
    last_updated: datetime
    status: str = "NotYetSubmitted"
    payment_url: str | None = None
    images: list[Image] = field(default_factory=list)
    shipments: list[Shipment] = field(default_factory=list)

    @property
    def country(self) -> str:
        return str(self.fields["countryCode"])

    @property
    def method(self) -> str:
        return str(self.fields["preferredShippingMethod"])

    @property
    def cancellable(self) -> bool:
        """Until the lab takes it, i.e. before the first shipment is allocated."""
        if self.status in ("NotYetSubmitted", "AwaitingPayment"):
            return True
        return self.status == "Submitted" and not any(s.id for s in self.shipments)


def families(images: list[Image]) -> dict[str, list[int]]:
    """Image ids per product family: each family ships as one shipment."""
    grouped: dict[str, list[int]] = {}
    for image in images:
        grouped.setdefault(find_product(image.sku).family, []).append(image.id)
    return grouped
