"""Everything a Pixelz sandbox can be told at start-up: accounts, templates, timings, webhook style."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from easel.sandboxes.faults import FaultSettings

OutputFormat = Literal["JPG", "JPEG", "PNG", "TIF", "TIFF"]


class Account(BaseModel):
    """A Pixelz contact: email and API key identify it, `secret` (the application secret) signs webhooks."""

    model_config = ConfigDict(extra="forbid")

    email: str
    api_key: str
    secret: str
    contact_id: int
    company: str = "Easel sandbox"
    person: str = "Sandbox"
    presign_enabled: bool = Field(
        default=True, description="Whether RequestPresignUrls works (real Pixelz enables it per account)."
    )


class TemplateSpec(BaseModel):
    """A retouching template every account of the sandbox may use."""

    model_config = ConfigDict(extra="forbid")

    id: int
    name: str
    output_format: OutputFormat = "JPG"
    delivery_hours: int = 24
    price: float = 1.0
    callback_url: str | None = Field(default=None, description="Used when an image has no imageCallbackURL.")


def _accounts() -> list[Account]:
    # The document's example keys; the secret is the document's placeholder.
    return [
        Account(email="sandbox@pixelz.example", api_key="44979dfe-5aa7-44ea-b3dd-7fae33bc37e9",
                secret="MY_APPLICATION_SECRET_CODE", contact_id=1000003),  # noqa: S106
        Account(email="partner@pixelz.example", api_key="5ea1a104-f31f-4de1-b7f8-e4444e38e32a",
                secret="PARTNER_APPLICATION_SECRET_CODE", contact_id=4667360, company="Easel partner"),  # noqa: S106
    ]  # fmt: skip


def _templates() -> list[TemplateSpec]:
    # The three templates of the document's GET Templates example.
    return [
        TemplateSpec(id=21032576, name="JPEG MANNEQUIN", output_format="JPG", price=2.00),
        TemplateSpec(id=203863, name="PNG", output_format="PNG", price=1.50),
        TemplateSpec(id=20635295, name="Flats", output_format="JPG", price=1.00),
    ]


class PixelzSandboxSettings(BaseModel):
    """Delays are sandbox-clock seconds from the moment an image is POSTed (or returned by you)."""

    model_config = ConfigDict(extra="forbid")

    accounts: list[Account] = Field(default_factory=_accounts)
    templates: list[TemplateSpec] = Field(default_factory=_templates, min_length=1)
    download_delay: float = Field(default=30.0, ge=0, description="New (10) to Ready for production (30).")
    production_delay: float = Field(default=600.0, ge=0, description="To In production (60).")
    finish_delay: float = Field(
        default=4 * 3600.0, ge=0, description="To Production finished (70); 62, 64, 66 fall evenly before it."
    )
    webhook_retry_gaps: list[float] = Field(
        default_factory=lambda: [300.0, 3600.0, 18000.0],
        description="Waits before the 2nd, 3rd and 4th webhook try (the document: +5 min, +1 h, +5 h).",
    )
    webhook_encoding: Literal["json", "form"] = Field(
        default="json", description="How the webhook body is written (the document does not say)."
    )
    webhook_header_style: Literal["document", "plain"] = Field(
        default="document", description="`HTTP_X_PXZ_…_HMAC_SHA256` as the document names them, or `X-PXZ-…`."
    )
    callback_timeout: float = Field(default=5.0, gt=0, description="Real seconds to wait for a webhook receiver.")
    tick_seconds: float = Field(default=0.05, gt=0, description="Real seconds between background ticks.")
    minimum_deadline_hours: float = Field(default=24.0, ge=0, description="Shortest imageDeadlineDateTimeUTC.")
    undownloadable_marker: str = Field(
        default="undownloadable", description="An imageURL containing this ends in 12 (download failed)."
    )
    unreachable_hosts: list[str] = Field(
        default_factory=lambda: [".invalid"], description="Host suffixes whose images always fail to download."
    )
    reject_marker: str = Field(
        default="pixelz-reject", description="An imageURL containing this is Rejected by Pixelz (90)."
    )
    first_image_id: int = Field(default=2000000, description="Id of the first image (in its file paths).")
    public_url: str | None = Field(
        default=None, description="Base URL clients reach the sandbox at; default: taken from each request."
    )
    stack_window: float = Field(
        default=300.0, ge=0, description="StackImage parts of one productId posted this close together: one stack."
    )
    presign_expiry: float = Field(
        default=7 * 86400.0, gt=0, description="Sandbox seconds an UploadUrl of RequestPresignUrls stays valid."
    )
    max_presign_names: int = Field(default=100, ge=1, description="Most imageNames (and imagesUrl) in one request.")
    upload_store_bytes: int = Field(
        default=256_000_000, ge=0, description="Uploaded bytes kept in memory; the oldest uploads go first."
    )
    max_uploads: int = Field(default=10_000, ge=1, description="Presigned objects kept; the oldest go first.")
    max_json_depth: int = Field(default=64, ge=1, description="Deepest nesting accepted in a JSON body.")
    clock_speed: float = Field(default=1.0, ge=0, description="Sandbox seconds per real second at start.")
    faults: FaultSettings = Field(default_factory=FaultSettings, description="Faults injected from start-up.")
    control_token: str = Field(default="", description="Bearer token of /_control; empty refuses every request.")
    callbacks_allow_private: bool = Field(
        default=False, description="Let webhooks reach loopback and private addresses (development only)."
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.download_delay <= self.production_delay <= self.finish_delay:
            raise ValueError("download_delay <= production_delay <= finish_delay")
        return self
