"""Everything a Pwinty sandbox can be told at start-up: accounts, callback URL, timings, markers, faults."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from easel.sandboxes.faults import FaultSettings


class PwintySandboxSettings(BaseModel):
    """Everything a Pwinty sandbox can be told at start-up; delays are in sandbox-clock seconds."""

    model_config = ConfigDict(extra="forbid")

    accounts: dict[str, str] = Field(
        default_factory=lambda: {"sandbox-merchant": "sandbox-key"}, description="MerchantId -> REST API key."
    )
    callback_url: str | None = Field(
        default=None, description="Where status callbacks are POSTed for an account without one of its own."
    )
    callback_urls: dict[str, str] = Field(
        default_factory=dict, description="MerchantId -> its callback URL (set in the dashboard at real Pwinty)."
    )
    control_token: str = Field(default="", description="Bearer token of /_control; empty refuses every request.")
    callbacks_allow_private: bool = Field(
        default=False, description="Let callbacks reach loopback and private addresses (development only)."
    )
    download_delay: float = Field(default=1.0, ge=0, description="Time until an added image is 'downloaded'.")
    allocate_delay: float = Field(default=300.0, ge=0, description="Submission to shipment allocation.")
    ship_delay: float = Field(default=86400.0, ge=0, description="Submission to the first shipment shipping.")
    ship_stagger: float = Field(default=3600.0, ge=0, description="Gap between shipments of one order.")
    callback_retry_base: float = Field(default=10.0, gt=0, description="First retry gap; doubles each time.")
    callback_max_attempts: int = Field(default=15, ge=1, description="Attempts before a callback is given up.")
    callback_timeout: float = Field(default=5.0, gt=0, description="Real seconds to wait for the receiver.")
    tick_seconds: float = Field(default=0.05, gt=0, description="Real seconds between background ticks.")
    undownloadable_marker: str = Field(
        default="undownloadable", description="An image URL containing this fails with FileCouldNotBeDownloaded."
    )
    invalid_image_marker: str = Field(
        default="invalid-image", description="An image URL containing this fails with InvalidImageFile."
    )
    unreachable_hosts: list[str] = Field(
        default_factory=lambda: [".invalid"], description="Host suffixes the 'download' always fails for."
    )
    strict: bool = Field(
        default=False,
        description="Answer order lists as the live API was recorded: newest first in pages of 100 whatever "
        "`count` asks, with no `merchantOrderId` filter (off: `count` and that filter are honoured).",
    )
    first_order_id: int = Field(default=1065, description="Id of the first order created.")
    first_image_id: int = Field(default=520151, description="Id of the first image added.")
    first_shipment_id: int = Field(default=506332, description="Id of the first shipment allocated.")
    clock_speed: float = Field(default=1.0, ge=0, description="Sandbox seconds per real second at start.")
    faults: FaultSettings = Field(default_factory=FaultSettings, description="Faults injected from start-up.")
