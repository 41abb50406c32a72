"""Pixelz as a fulfilment driver: one retouch part per image, retouched before the image is printed.

Exactly once: the image goes to Pixelz with ``customerImageId`` = the part's reference, and
``ensure_image`` looks that id up before posting, so a crash between Pixelz's answer and our commit
does not retouch (and bill) the image twice. The part is finished when Pixelz says the file is ready;
its URL (``retouched_url``) then replaces the original in the print part. Pixelz's webhook is
verified with the account's application secret before it is stored, and only names the ticket to
re-read.

Behind a firewall: when the image is one of easel's own print masters and easel's public URL is not
reachable from the internet (its host is, or resolves to, a loopback, private, link-local or otherwise
non-public address, or does not resolve at all), Pixelz could not fetch it, so the master is read from
disk (``print_masters.LocalMasters``) and sent through Pixelz's presigned upload instead. The account's
``upload_files`` credential overrides the guess: ``auto`` (the default), ``always`` or ``never``.
A URL a merchant named is never read by easel: it goes to Pixelz as it is.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Mapping
from typing import ClassVar
from urllib.parse import urlsplit

import httpx

from ...outbound import Outbound, Resolver, refusal, system_resolver
from ...storage.orders import StoredOrder
from ...vendors.base import DEFAULT_RETRY, DEFAULT_TIMEOUT, RetryPolicy, pinned
from ...vendors.errors import VendorRejected
from ...vendors.pixelz import ImageStatus, ImageUpload, PixelzAdapter, parse_webhook
from ...vendors.routing import VendorAccount
from ..parts import Part
from ..print_masters import LocalMasters
from ..status import Progress
from .base import RecordStep, Snapshot

# The sandbox's first account and template (the document's example key and template).
SANDBOX_CREDENTIALS = {"contact_email": "sandbox@pixelz.example", "api_key": "44979dfe-5aa7-44ea-b3dd-7fae33bc37e9",
                       "secret": "MY_APPLICATION_SECRET_CODE", "template_id": "21032576"}
UPLOAD_MODES = ("auto", "always", "never")


async def publicly_reachable(url: str, resolver: Resolver = system_resolver) -> bool:
    """Whether the internet could reach ``url``'s host: every address it names or resolves to is public."""
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        return False
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            addresses = [ipaddress.ip_address(a) for a in await resolver(host, parts.port or 443)]
        except (OSError, ValueError):
            return False
    return bool(addresses) and all(refusal(a) is None for a in addresses)


class PixelzDriver:
    vendor: ClassVar[str] = "pixelz"
    live_hosts: ClassVar[frozenset[str]] = PixelzAdapter.live_hosts
    credential_fields: ClassVar[tuple[str, ...]] = PixelzAdapter.credential_fields
    optional_credential_fields: ClassVar[tuple[str, ...]] = PixelzAdapter.optional_credential_fields

    def __init__(self, http: httpx.AsyncClient, *, timeout: httpx.Timeout = DEFAULT_TIMEOUT,
                 retry: RetryPolicy = DEFAULT_RETRY, masters: LocalMasters | None = None,
                 resolver: Resolver = system_resolver, guard: Outbound | None = None) -> None:
        self.http = http
        self.guard = guard  # for merchants' own accounts: their base URLs are checked and pinned per call
        self.timeout = timeout
        self.retry = retry
        self.masters = masters
        """easel's own print masters; ``build_dispatch`` sets it (without it, nothing is ever uploaded)."""
        self.resolver = resolver

    def builtin_sandbox(self, public_url: str) -> VendorAccount:
        return VendorAccount(self.vendor, "sandbox", f"{public_url.rstrip('/')}/sandbox/pixelz/REST.svc/JSON",
                             SANDBOX_CREDENTIALS)

    def adapter(self, account: VendorAccount) -> PixelzAdapter:
        c = account.credentials
        made = PixelzAdapter(self.http, contact_email=c.get("contact_email", ""), api_key=c.get("api_key", ""),
                             secret=c.get("secret", ""), base_url=account.base_url, sandbox=account.sandbox,
                             developer_api_key=c.get("developer_api_key"), partner_secret=c.get("partner_secret"),
                             timeout=self.timeout, retry=self.retry)
        return pinned(made, account.owner, self.guard)

    def snapshot(self, adapter: PixelzAdapter, status: ImageStatus) -> Snapshot:
        name = status.status_name or status.status.description
        if status.status.failed:
            return Snapshot(Progress.SENDING, name[:40], cancelled=True, final=True, detail={"failed": name})
        if status.status.finished:
            urls = adapter.final_image_urls(status)
            if urls:
                return Snapshot(Progress.IN_PRODUCTION, name[:40], final=True, detail={"retouched_url": urls[0]})
        return Snapshot(Progress.SENDING, name[:40])

    async def submit(self, account: VendorAccount, part: Part, order: StoredOrder, record: RecordStep) -> Snapshot:
        adapter = self.adapter(account)
        [item] = part.items
        template = account.credentials.get("template_id")
        if part.step == "planned":
            await record("creating", None)
        status = await adapter.ensure_image(item["image_url"], customer_image_id=part.reference,
                                            template_id=int(template) if template else None,
                                            callback_url=part.detail.get("callback_url") or None,
                                            upload=await self.upload_for(account, item["image_url"]))
        await record("submitted", status.image_ticket)
        return self.snapshot(adapter, status)

    async def upload_for(self, account: VendorAccount, url: str) -> Callable[[], Awaitable[ImageUpload]] | None:
        """How to upload ``url``'s file when Pixelz cannot fetch it (None: send the URL as it is)."""
        mode = account.credentials.get("upload_files", "auto")
        if mode not in UPLOAD_MODES:
            raise VendorRejected(self.vendor, "submit_image", f"upload_files is {mode!r}; use auto, always or never",
                                 status=None)
        masters = self.masters
        if masters is None or mode == "never" or not masters.is_ours(url):
            return None
        if mode == "auto" and await publicly_reachable(url, self.resolver):
            return None

        async def upload() -> ImageUpload:
            master = await masters.read(url)
            if master is None:
                raise VendorRejected(self.vendor, "upload_file", "the print master is not on this server",
                                     status=None)
            return ImageUpload(master.name, master.path)

        return upload

    async def refresh(self, account: VendorAccount, part: Part) -> Snapshot:
        if part.vendor_ref is None:
            return Snapshot(Progress.SENDING, "")
        adapter = self.adapter(account)
        return self.snapshot(adapter, await adapter.get_status(part.vendor_ref))

    def verify_callback(self, account: VendorAccount, body: bytes, headers: Mapping[str, str]) -> None:
        """Raises (``WebhookUnverified``) unless the webhook carries this account's signature."""
        self.adapter(account).verify_webhook(body, headers)

    def callback_refs(self, body: bytes) -> list[str]:
        try:
            return [parse_webhook(body).image_ticket]
        except ValueError as err:
            raise ValueError(f"not a Pixelz webhook: {str(err).splitlines()[0]}") from None
