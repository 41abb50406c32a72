"""Pixelz: the retouching vendor client, on the shared `VendorAdapter` sequence.

An item's image is retouched before it is printed when the merchant's routing asks for it. The calls
for one image, each safe to repeat after a crash:
`ensure_image` (find by `customerImageId` = easel's item reference, else POST Image with the template
and `imageCallbackURL`) → Pixelz moves the image through the document's status table → a signed webhook
arrives (`verify_webhook`), or `get_status` polling (the fallback) finds it finished → `final_image_urls`
and `fetch_image` hand the retouched file to the print step.

A file Pixelz cannot fetch (easel behind a firewall) goes up first, as Pixelz's official client sends
local files: `RequestPresignUrls` gives an `UploadUrl` and a `DownloadUrl`, the bytes are PUT to the
first (`application/octet-stream`) and the second becomes POST Image's `imageURL` (`upload_file`;
`ensure_image(..., upload=...)` does it only when the image is not already at Pixelz).

Pixelz answers application errors inside HTTP 200 as `{"ErrorCode": <name>, "Message": ...}`, with
`"NoError"` (or `0`, as the document's DELETE example shows) on success. The document names no error
codes, so `ERROR_STATUS` lists the ones easel's sandbox uses and maps each to the HTTP status the base
class turns into a `VendorError`; an unknown code is a non-retryable `VendorRejected` that names it.

Webhooks are verified with the document's recipe: base64(HMAC-SHA256(application secret, raw body)) in
`HTTP_X_PXZ_CUSTOMER_HMAC_SHA256`, and, when a developer (partner) key is configured, the partner
secret's digest in `HTTP_X_PXZ_PARTNER_HMAC_SHA256`. Header names match however a server spells them
(`HTTP_X_PXZ_…` as the document does, or plain `X-PXZ-…`, any case). Anything unverified raises
`WebhookUnverified` and is logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, quote

import anyio
import httpx
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_pascal

from easel.vendors.base import (
    DEFAULT_RETRY,
    DEFAULT_TIMEOUT,
    RetryPolicy,
    VendorAdapter,
    VendorRequest,
)
from easel.vendors.errors import (
    VendorAuthError,
    VendorError,
    VendorNotFound,
    VendorProtocolError,
    VendorRejected,
)

log = logging.getLogger("easel.vendors.pixelz")

CUSTOMER_HEADER = "HTTP_X_PXZ_CUSTOMER_HMAC_SHA256"
PARTNER_HEADER = "HTTP_X_PXZ_PARTNER_HMAC_SHA256"
NON_TICKET = "nonticket"
"""The document's placeholder ticket for addressing an image by its customerImageId."""


# -- the document's status table --------------------------------------------------------------------


class PixelzStatus(IntEnum):
    """The image statuses of the document's "Image status explanation" table, by id."""

    DELETED_BY_USER = 0
    NEW = 10
    DOWNLOAD_FAILED = 12
    WAITING_FOR_PAYMENT = 20
    READY_FOR_PRODUCTION = 30
    RETURNED_FOR_PRODUCTION = 40
    IN_PRODUCTION = 60
    ASSIGNED_TO_EDITOR = 62
    DOWNLOADED_BY_EDITOR = 64
    QUALITY_ASSURANCE = 66
    PRODUCTION_FINISHED = 70
    FIRST_DELIVERY_FAILED = 72
    SECOND_DELIVERY_FAILED = 74
    THIRD_DELIVERY_FAILED = 76
    DELIVERY_FAILED = 78
    DELIVERED = 80
    REJECTED_BY_PIXELZ = 90
    AWAITING_YOUR_REPLY = 95
    CLOSED = 100
    DELETED_BY_CLEANUP = 999

    @property
    def description(self) -> str:
        """The document's wording for this status."""
        return STATUS_DESCRIPTIONS[self]

    @property
    def finished(self) -> bool:
        """The retouched file exists and can be downloaded (whether or not the webhook got through)."""
        return self in _FINISHED

    @property
    def failed(self) -> bool:
        """Pixelz will not deliver this image: send it again or tell a person."""
        return self in _FAILED


STATUS_DESCRIPTIONS: dict[PixelzStatus, str] = {
    PixelzStatus.DELETED_BY_USER: "Deleted by user",
    PixelzStatus.NEW: "New images",
    PixelzStatus.DOWNLOAD_FAILED: "New images – download failed",
    PixelzStatus.WAITING_FOR_PAYMENT: "Deprecated! New images – waiting for payment",
    PixelzStatus.READY_FOR_PRODUCTION: "Ready for production",
    PixelzStatus.RETURNED_FOR_PRODUCTION: "Returned for production (by you)",
    PixelzStatus.IN_PRODUCTION: "In production",
    PixelzStatus.ASSIGNED_TO_EDITOR: "Assigned to editor",
    PixelzStatus.DOWNLOADED_BY_EDITOR: "Downloaded by editor",
    PixelzStatus.QUALITY_ASSURANCE: "Quality Assurance",
    PixelzStatus.PRODUCTION_FINISHED: "Production finished – ready for download",
    PixelzStatus.FIRST_DELIVERY_FAILED: "Production finished – 1st delivery attempt failed",
    PixelzStatus.SECOND_DELIVERY_FAILED: "Production finished – 2nd delivery attempt failed",
    PixelzStatus.THIRD_DELIVERY_FAILED: "Production finished – 3rd delivery attempt failed",
    PixelzStatus.DELIVERY_FAILED: "Production finished – Delivery failed",
    PixelzStatus.DELIVERED: "Delivered",
    PixelzStatus.REJECTED_BY_PIXELZ: "Rejected by Pixelz",
    PixelzStatus.AWAITING_YOUR_REPLY: "Awaiting your reply",
    PixelzStatus.CLOSED: "Closed",
    PixelzStatus.DELETED_BY_CLEANUP: "Deleted by cleanup service",
}
_FINISHED = frozenset(PixelzStatus(s) for s in (70, 72, 74, 76, 78, 80, 100))
_FAILED = frozenset(PixelzStatus(s) for s in (0, 12, 90, 999))

ERROR_STATUS: dict[str, int] = {
    "AuthenticationFailed": 401,
    "InvalidDeveloperAPIkey": 401,
    "ImageNotFound": 404,
    "TemplateNotFound": 404,
    "MissingParameter": 400,
    "InvalidParameter": 400,
    "InvalidDeadline": 400,
    "InvalidRequest": 400,
    "CannotDeleteImage": 409,
    "CannotRejectImage": 409,
    "PresignNotEnabled": 403,
    "EndpointNotFound": 404,
    "MethodNotAllowed": 405,
    "ServerError": 503,
}
"""`ErrorCode` → the HTTP status it amounts to (401 auth, 404 not found, 4xx refused, 5xx retry later)."""

_SUCCESS_CODES: tuple[object, ...] = (None, "", "NoError", 0, "0")


# -- answers ----------------------------------------------------------------------------------------


def _none_if_empty(value: Any) -> Any:
    return None if value is None or value == "" else value


def _empty_if_null(value: Any) -> Any:
    return [] if value is None else value


OptionalText = Annotated[str | None, BeforeValidator(_none_if_empty)]


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_pascal, populate_by_name=True, coerce_numbers_to_str=True, extra="ignore", frozen=True
    )


class Price(_Model):
    amount: float
    currency: str
    currency_id: int | None = None


class TemplateSummary(_Model):
    """One entry of GET Templates."""

    template_id: int
    template_name: str
    contact_id: int | None = None
    prices: Annotated[list[Price], BeforeValidator(_empty_if_null)] = Field(default_factory=list)


class Template(_Model):
    """GET Template/{id}: what Pixelz will do with an image sent with this template."""

    id: int
    name: str
    output_format: str | None = None
    delivery_time_in_hours: int | None = None
    callback_url: OptionalText = None
    background_type: int | None = None
    is_deleted: bool = False
    price: Price | None = None


class SubmittedImage(_Model):
    """POST Image's answer. `IsTrial` comes as the string "false" and `CustomerImageId` as a number."""

    image_ticket: str = Field(min_length=1)
    is_trial: bool = False
    customer_image_id: OptionalText = None


class ImageStatus(_Model):
    """GET Status (and each entry of GET Images). `StatusName` is kept as received; `status` is the id."""

    image_ticket: str = Field(min_length=1)
    status: PixelzStatus = Field(alias="StatusId")
    status_name: str | None = None
    customer_image_id: OptionalText = None
    product_id: OptionalText = None
    is_paid: bool | None = None
    final_images_url: Annotated[list[str], BeforeValidator(_empty_if_null)] = Field(
        default_factory=list, alias="FinalImagesURL"
    )
    thumbnail_image_url: OptionalText = Field(default=None, alias="ThumbnailImageURL")


class PresignedUrl(_Model):
    """One entry of RequestPresignUrls' answer (a bare JSON list, not an `ErrorCode` object)."""

    upload_url: str = Field(min_length=1)
    download_url: str = Field(min_length=1)


class _PresignAnswer(BaseModel):
    urls: list[PresignedUrl]


@dataclass(frozen=True)
class ImageUpload:
    """A file to send through RequestPresignUrls: its name at Pixelz and its bytes, or the file to
    stream them from (a print master can be large)."""

    name: str
    source: bytes | Path


class _StatusAnswer(_Model):
    image_status: ImageStatus


class _ImagesAnswer(_Model):
    images: Annotated[list[ImageStatus], BeforeValidator(_empty_if_null)]


class _TemplatesAnswer(_Model):
    templates: Annotated[list[TemplateSummary], BeforeValidator(_empty_if_null)]


class _TemplateAnswer(_Model):
    template: Template


class PixelzWebhook(BaseModel):
    """The "image-has-been-processed" notification, read from JSON or form data."""

    model_config = ConfigDict(coerce_numbers_to_str=True, extra="ignore", frozen=True)

    image_ticket: str = Field(alias="imageTicket", min_length=1)
    processed_image_url: str = Field(alias="processedImageURL", min_length=1)
    template_id: Annotated[int | None, BeforeValidator(_none_if_empty)] = Field(default=None, alias="templateId")
    customer_image_id: OptionalText = Field(default=None, alias="customerImageId")


_WEBHOOK_FIELDS = {name.lower(): name for name in ("imageTicket", "processedImageURL", "templateId", "customerImageId")}


@dataclass(frozen=True)
class DeliveredImage:
    """A retouched file as downloaded: ready to hand to the print step."""

    url: str
    content_type: str
    content: bytes


# -- webhooks ---------------------------------------------------------------------------------------


class WebhookUnverified(VendorError):
    """A webhook whose signature is missing or wrong: refuse it (401) and do not act on it."""

    def __init__(self, reason: str) -> None:
        super().__init__("pixelz", "webhook", False, None, reason)
        self.reason = reason


def webhook_signature(body: bytes, secret: str) -> str:
    """The document's recipe: base64 of HMAC-SHA256 over the full raw body, keyed with the secret's UTF-8."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _header_key(name: str) -> str:
    """`HTTP_X_PXZ_CUSTOMER_HMAC_SHA256`, `X-PXZ-Customer-HMAC-SHA256`, ... → `x-pxz-customer-hmac-sha256`."""
    key = name.strip().lower().replace("_", "-")
    return key.removeprefix("http-")


_CUSTOMER_KEY = _header_key(CUSTOMER_HEADER)
_PARTNER_KEY = _header_key(PARTNER_HEADER)


def _signatures(headers: Mapping[str, str] | Iterable[tuple[str, str]], key: str) -> list[str]:
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return [value for name, value in pairs if _header_key(name) == key]


def _check(kind: str, values: list[str], secret: str, body: bytes) -> None:
    if not values:
        raise WebhookUnverified(f"no {kind} signature header")
    expected = webhook_signature(body, secret).encode("ascii")
    # Every copy of the header must match: a forged extra copy is as bad as a forged only copy.
    if not all(hmac.compare_digest(value.strip().encode("utf-8"), expected) for value in values):
        raise WebhookUnverified(f"{kind} signature does not match the body")


def parse_webhook(body: bytes) -> PixelzWebhook:
    """The webhook's fields from JSON or form data, names matched case-insensitively."""
    text = body.decode("utf-8")
    raw: Any
    if text.lstrip().startswith("{"):
        raw = json.loads(text)
        if not isinstance(raw, dict):
            raise ValueError("webhook body is not a JSON object")
    else:
        raw = dict(parse_qsl(text, keep_blank_values=True, strict_parsing=True))
    return PixelzWebhook.model_validate({_WEBHOOK_FIELDS.get(str(k).lower(), k): v for k, v in raw.items()})


def verify_webhook(
    body: bytes,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    *,
    customer_secret: str,
    partner_secret: str | None = None,
) -> PixelzWebhook:
    """Check the customer signature (always) and the partner one (when `partner_secret` is given), in
    constant time, then read the body. Raises `WebhookUnverified` (logged) or `VendorProtocolError`."""
    try:
        _check("customer", _signatures(headers, _CUSTOMER_KEY), customer_secret, body)
        if partner_secret is not None:
            _check("partner", _signatures(headers, _PARTNER_KEY), partner_secret, body)
    except WebhookUnverified as err:
        log.warning("pixelz webhook refused: %s", err.reason)
        raise
    try:
        return parse_webhook(body)
    except (ValueError, ValidationError) as err:
        raise VendorProtocolError("pixelz", "webhook", f"signed webhook cannot be read: {err}") from err


# -- the adapter ------------------------------------------------------------------------------------


async def _read_chunks(path: Path, size: int = 1 << 20) -> AsyncIterator[bytes]:
    async with await anyio.open_file(path, "rb") as file:
        while chunk := await file.read(size):
            yield chunk


def _files_root(base_url: str) -> str:
    """Where relative `FinalImagesURL` paths resolve by default: the API URL without `/REST.svc/JSON`."""
    for suffix in ("/REST.svc/JSON", "/REST.svc"):
        if base_url.lower().endswith(suffix.lower()):
            return base_url[: -len(suffix)]
    return base_url


class PixelzAdapter(VendorAdapter):
    """The Pixelz JSON REST API; one instance per Pixelz contact (email, API key, application secret).

    Pixelz has no separate test environment, so `base_url` and `sandbox` are always given explicitly.
    """

    vendor = "pixelz"
    live_hosts = frozenset({"api.pixelz.com"})
    credential_fields = ("contact_email", "api_key", "secret")
    optional_credential_fields = ("developer_api_key", "partner_secret", "template_id", "upload_files")
    """``template_id`` and ``upload_files`` (auto, always, never) are read by the fulfilment driver."""
    LIVE_URL = "https://api.pixelz.com/REST.svc/JSON"

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        contact_email: str,
        api_key: str,
        secret: str,
        base_url: str,
        sandbox: bool,
        developer_api_key: str | None = None,
        partner_secret: str | None = None,
        files_base_url: str | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        super().__init__(client, base_url=base_url, sandbox=sandbox, timeout=timeout, retry=retry, sleep=sleep)
        if (developer_api_key is None) != (partner_secret is None):
            raise ValueError("pixelz: developer_api_key and partner_secret go together")
        self._email = contact_email
        self._api_key = api_key
        self._secret = secret
        self._developer_api_key = developer_api_key
        self._partner_secret = partner_secret
        self.files_base_url = (files_base_url or _files_root(self.base_url)).rstrip("/")

    def auth_headers(self) -> Mapping[str, str]:
        """Pixelz authenticates by body/query fields; the header is the one the document requires."""
        return {"Content-Type": "application/json; charset=UTF-8"}

    def _auth(self) -> dict[str, str]:
        return {"contactEmail": self._email, "contactAPIkey": self._api_key}

    def unwrap(self, call: str, status: int, body: Any) -> Any:
        """Raise the error a 200 answer carries in `ErrorCode`; pass successful bodies through."""
        if not isinstance(body, dict):
            return body
        code = body.get("ErrorCode")
        if code in _SUCCESS_CODES:
            return body
        message = f"{code}: {body.get('Message') or 'no message'}"
        raise self.error_for(call, ERROR_STATUS.get(str(code), 400), message)

    def error_for(self, call: str, status: int, message: str, retry_after: float | None = None) -> VendorError:
        """As the base class, except that a path the API does not have is a configuration problem (a wrong
        `base_url`), never "this image does not exist" (which `find_image` would take for "not sent yet")."""
        if message.startswith(("EndpointNotFound", "MethodNotAllowed")):
            return VendorProtocolError(self.vendor, call, f"{message} (is base_url {self.base_url} right?)",
                                       status=status)
        return super().error_for(call, status, message, retry_after)

    def error_message(self, response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return super().error_message(response)
        if isinstance(body, dict) and (body.get("Message") or body.get("ErrorCode")):
            return f"{body.get('ErrorCode')}: {body.get('Message') or 'no message'}"
        return super().error_message(response)

    # -- images -----------------------------------------------------------------------------------

    async def submit_image(
        self,
        image_url: str,
        *,
        customer_image_id: str,
        template_id: int | None = None,
        callback_url: str | None = None,
        product_id: str | None = None,
        deadline: datetime | None = None,
    ) -> SubmittedImage:
        """POST Image. Not repeated on a timeout (Pixelz would retouch, and bill, twice): use `ensure_image`."""
        body: dict[str, str] = {**self._auth(), "imageURL": image_url, "customerImageId": customer_image_id}
        if self._developer_api_key:
            body["developerAPIkey"] = self._developer_api_key
        if template_id is not None:
            body["templateId"] = str(template_id)
        if callback_url:
            body["imageCallbackURL"] = callback_url
        if product_id:
            body["productId"] = product_id
        if deadline is not None:
            body["imageDeadlineDateTimeUTC"] = deadline.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        request = VendorRequest("submit_image", "POST", "/Image/", json=body)
        return await self.call(request, SubmittedImage.model_validate)

    async def request_presign_urls(self, names: list[str]) -> list[PresignedUrl]:
        """RequestPresignUrls: one upload/download URL pair per file name, in order. Safe to repeat (an
        unused pair costs nothing)."""
        body = {**self._auth(), "imageNames": list(names)}
        request = VendorRequest("request_presign_urls", "POST", "/RequestPresignUrls/", json=body, idempotent=True)
        urls = await self.call(request, lambda data: _PresignAnswer(urls=data).urls)
        if len(urls) != len(names):
            raise VendorProtocolError(self.vendor, request.call, f"{len(urls)} URL pairs for {len(names)} names")
        return urls

    async def upload_file(self, upload: ImageUpload) -> str:
        """Send one file through a presigned URL; returns the `DownloadUrl` to give POST Image."""
        [presigned] = await self.request_presign_urls([upload.name])
        call = "upload_file"
        content: bytes | AsyncIterator[bytes]
        if isinstance(upload.source, Path):
            size, content = (await anyio.Path(upload.source).stat()).st_size, _read_chunks(upload.source)
        else:
            size, content = len(upload.source), upload.source
        # As the official client: octet-stream, and a length (S3 refuses a presigned PUT without one).
        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size)}
        response = await self.exchange(call, self.client.put(presigned.upload_url, content=content,
                                                             timeout=self.timeout, headers=headers))
        self._raise_for_status(call, response)
        return presigned.download_url

    async def get_status(self, ticket: str) -> ImageStatus:
        """GET Status by ticket."""
        request = VendorRequest(
            "get_status", "GET", f"/Image/{quote(ticket, safe='')}/", params=self._auth(), idempotent=True
        )
        return await self.call(request, lambda data: _StatusAnswer.model_validate(data).image_status)

    async def find_image(self, customer_image_id: str) -> ImageStatus | None:
        """The image sent with this customerImageId (the document's "nonticket" lookup), or None."""
        params = {**self._auth(), "customerImageId": customer_image_id}
        request = VendorRequest("find_image", "GET", f"/Image/{NON_TICKET}/", params=params, idempotent=True)
        try:
            return await self.call(request, lambda data: _StatusAnswer.model_validate(data).image_status)
        except VendorNotFound:
            return None

    async def ensure_image(
        self,
        image_url: str,
        *,
        customer_image_id: str,
        template_id: int | None = None,
        callback_url: str | None = None,
        product_id: str | None = None,
        deadline: datetime | None = None,
        upload: Callable[[], Awaitable[ImageUpload]] | None = None,
    ) -> ImageStatus:
        """The image for `customer_image_id`, POSTed only if Pixelz holds none that is still alive.

        With `upload`, the file it returns is sent through RequestPresignUrls first and Pixelz fetches
        that copy instead of `image_url` (which it cannot reach); nothing is read or sent when the image
        is already at Pixelz."""
        existing = await self.find_image(customer_image_id)
        gone = (PixelzStatus.DELETED_BY_USER, PixelzStatus.DELETED_BY_CLEANUP)
        if existing is not None and existing.status not in gone:
            return existing
        if upload is not None:
            image_url = await self.upload_file(await upload())
        submitted = await self.submit_image(
            image_url,
            customer_image_id=customer_image_id,
            template_id=template_id,
            callback_url=callback_url,
            product_id=product_id,
            deadline=deadline,
        )
        return await self.get_status(submitted.image_ticket)

    async def delete_image(self, ticket: str) -> None:
        """DELETE Image (refused once in production); an image already deleted counts as done."""
        body = {**self._auth(), "imageTicket": ticket}
        path = f"/Image/{quote(ticket, safe='')}/"
        request = VendorRequest("delete_image", "DELETE", path, json=body, idempotent=True)
        try:
            await self.call(request, lambda data: None)
        except VendorRejected as err:
            if isinstance(err, (VendorNotFound, VendorAuthError)):
                raise
            if (await self.get_status(ticket)).status is not PixelzStatus.DELETED_BY_USER:
                raise

    async def list_images(
        self, *, status: PixelzStatus | None = None, product_id: str | None = None, page: int = 1, per_page: int = 100
    ) -> list[ImageStatus]:
        """One page of GET Images, sorted by id."""
        params: dict[str, str | int] = {**self._auth(), "page": page, "imagesPerPage": per_page, "sortBy": "id"}
        if status is not None:
            params["imageStatus"] = int(status)
        if product_id:
            params["productId"] = product_id
        request = VendorRequest("list_images", "GET", "/Images/", params=params, idempotent=True)
        return await self.call(request, lambda data: _ImagesAnswer.model_validate(data).images)

    # -- templates --------------------------------------------------------------------------------

    async def list_templates(self) -> list[TemplateSummary]:
        request = VendorRequest("list_templates", "GET", "/Templates/", params=self._auth(), idempotent=True)
        return await self.call(request, lambda data: _TemplatesAnswer.model_validate(data).templates)

    async def get_template(self, template_id: int) -> Template:
        request = VendorRequest(
            "get_template", "GET", f"/Template/{int(template_id)}/", params=self._auth(), idempotent=True
        )
        return await self.call(request, lambda data: _TemplateAnswer.model_validate(data).template)

    # -- the retouched file -----------------------------------------------------------------------

    def final_image_urls(self, status: ImageStatus) -> list[str]:
        """Absolute URLs of the retouched files; the relative paths Pixelz lists resolve on `files_base_url`."""
        return [self.absolute_url(url) for url in status.final_images_url]

    def absolute_url(self, url: str) -> str:
        parsed = httpx.URL(url)
        if parsed.scheme in ("http", "https") and parsed.host:
            return url
        return f"{self.files_base_url}/{url.lstrip('/')}"

    async def fetch_image(self, url: str) -> DeliveredImage:
        """Download a retouched file. Not retried here: a failure goes up as a retryable `VendorError`."""
        call = "fetch_image"
        target = httpx.URL(self.absolute_url(url))
        response = await self.exchange(call, self.client.get(target, timeout=self.timeout))
        self._raise_for_status(call, response)
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if not content_type.startswith("image/") or not response.content:
            reason = f"{target} is not an image ({content_type or 'no type'})"
            raise VendorProtocolError(self.vendor, call, reason, status=response.status_code)
        return DeliveredImage(str(target), content_type, response.content)

    # -- webhooks ---------------------------------------------------------------------------------

    def verify_webhook(self, body: bytes, headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> PixelzWebhook:
        """This contact's webhook, verified (partner header too when a developer key is configured)."""
        return verify_webhook(body, headers, customer_secret=self._secret, partner_secret=self._partner_secret)


__all__ = [
    "CUSTOMER_HEADER",
    "ERROR_STATUS",
    "PARTNER_HEADER",
    "STATUS_DESCRIPTIONS",
    "DeliveredImage",
    "ImageStatus",
    "ImageUpload",
    "PixelzAdapter",
    "PixelzStatus",
    "PixelzWebhook",
    "PresignedUrl",
    "Price",
    "SubmittedImage",
    "Template",
    "TemplateSummary",
    "WebhookUnverified",
    "parse_webhook",
    "verify_webhook",
    "webhook_signature",
]
