"""The sandbox's images and how they move through the document's statuses on the sandbox clock.

An image POSTed at time t is planned at once: New (10) → Ready for production (30) after
`download_delay` → In production (60) → Assigned to editor (62) → Downloaded by editor (64) → Quality
Assurance (66) → Production finished (70) at `finish_delay`, when its webhook is queued. An imageURL
that cannot be "downloaded" ends at 12, one carrying `reject_marker` at 90. Deleting (allowed before
production) sets 0; rejecting a finished image (the deprecated PUT Image/Reject) returns it to 40 and
plans production again. Outside files are never fetched (the URL alone decides); an imageURL that is
one of the sandbox's own presigned DownloadUrls is checked when the download is due (30): nothing
uploaded by then means 12.

StackImage parts with the same productId, posted within `stack_window` of the stack's first part, are
one stack: each new part re-plans every part from its own posting, so they finish together, and they
deliver one picture. Delivered files are linked with a signature (see `signing.py`).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx

from easel.outbound import Outbound
from easel.sandboxes.clock import SandboxClock, ticking
from easel.sandboxes.faults import FaultInjector
from easel.sandboxes.pixelz.files import file_name
from easel.sandboxes.pixelz.settings import Account, PixelzSandboxSettings, TemplateSpec
from easel.sandboxes.pixelz.signing import SIGNATURE, UrlSigner
from easel.sandboxes.pixelz.uploads import UploadStore
from easel.sandboxes.pixelz.webhooks import WebhookSender, build_webhook, guard
from easel.tls import client_context

# The document's table; 70 is named as its JSON examples name it ("Production Finished").
STATUS_NAMES: dict[int, str] = {
    0: "Deleted by user", 10: "New images", 12: "New images – download failed",
    20: "Deprecated! New images – waiting for payment", 30: "Ready for production",
    40: "Returned for production (by you)", 60: "In production", 62: "Assigned to editor",
    64: "Downloaded by editor", 66: "Quality Assurance", 70: "Production Finished",
    72: "Production finished – 1st delivery attempt failed", 74: "Production finished – 2nd delivery attempt failed",
    76: "Production finished – 3rd delivery attempt failed", 78: "Production finished – Delivery failed",
    80: "Delivered", 90: "Rejected by Pixelz", 95: "Awaiting your reply", 100: "Closed",
    999: "Deleted by cleanup service",
}  # fmt: skip
FINISHED = frozenset({70, 72, 74, 76, 78, 80, 100})
DELETABLE = frozenset({10, 12, 30, 40})
NOT_DOWNLOADED = frozenset({0, 10, 12})
PRODUCTION_ORDER = (10, 30, 60, 62, 64, 66, 70)


@dataclass
class SandboxImage:
    id: int
    ticket: str
    account: Account
    template: TemplateSpec
    image_url: str
    callback_url: str | None
    customer_image_id: str | None
    product_id: str | None
    partner: Account | None
    deadline: datetime | None
    created: datetime
    public_root: str
    status: int = 10
    plan: list[tuple[datetime, int]] = field(default_factory=list)
    webhooks: int = 0
    kind: str = "image"
    stack: int | None = None
    colorways: tuple[int, ...] = ()
    finished_at: datetime | None = None

    @property
    def name(self) -> str:
        return file_name(self.image_url, self.template.output_format)

    def file_path(self, kind: str) -> str:
        return f"/{self.account.contact_id}/{self.id}/{kind}/{self.name}"


@dataclass(frozen=True)
class Colorway:
    """A colour swatch registered with AddColorLibrary; POST Image may name it in `colorwayIds`."""

    id: int
    owner: str
    image_url: str


class PixelzSandbox:
    """The state and behaviour behind the routes; one per app."""

    def __init__(
        self, settings: PixelzSandboxSettings, clock: SandboxClock, faults: FaultInjector,
        outbound: Outbound | None = None,
    ) -> None:  # fmt: skip
        self.settings = settings
        self.clock = clock
        self.faults = faults
        self.images: dict[str, SandboxImage] = {}
        self.webhooks = WebhookSender(settings, faults, self._delivered, outbound)
        self.signer = UrlSigner()
        self.uploads = UploadStore(settings, clock, self.signer)
        self.colorways: dict[int, Colorway] = {}
        self._ids = itertools.count(settings.first_image_id)
        self._colorway_ids = itertools.count(7001)
        self._tick_lock = anyio.Lock()

    # -- lifecycle --------------------------------------------------------------------------------

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Own an outbound guard for webhooks (unless given one) and tick in the background while inside."""
        async with AsyncExitStack() as stack:
            if self.webhooks.outbound is None:
                client = await stack.enter_async_context(
                    httpx.AsyncClient(timeout=self.settings.callback_timeout, verify=client_context()))
                self.webhooks.outbound = guard(client, self.settings)
                stack.callback(setattr, self.webhooks, "outbound", None)
            async with ticking(self.tick, self.settings.tick_seconds, "pixelz sandbox"):
                yield

    async def tick(self) -> None:
        """Move images on to the clock's now, then send the webhooks that are due."""
        async with self._tick_lock:
            now = self.clock.now()
            self.progress(now)
            await self.webhooks.send_due(now)

    # -- lookups ----------------------------------------------------------------------------------

    def account(self, email: str, api_key: str) -> Account | None:
        for account in self.settings.accounts:
            if account.email.lower() == email.strip().lower() and account.api_key == api_key:
                return account
        return None

    def partner(self, api_key: str) -> Account | None:
        return next((a for a in self.settings.accounts if a.api_key == api_key), None)

    def template(self, template_id: int) -> TemplateSpec | None:
        return next((t for t in self.settings.templates if t.id == template_id), None)

    def find(self, account: Account, ticket: str, customer_image_id: str | None) -> SandboxImage | None:
        """By ticket, or for "nonticket" the newest image with that customerImageId (alive ones first)."""
        if ticket.lower() != "nonticket":
            image = self.images.get(ticket.lower())
            return image if image is not None and image.account.api_key == account.api_key else None
        mine = [i for i in self.images.values() if i.account.api_key == account.api_key
                and customer_image_id is not None and i.customer_image_id == customer_image_id]  # fmt: skip
        alive = [i for i in mine if i.status not in (0, 999)]
        return max(alive or mine, key=lambda i: i.id, default=None)

    def mine(self, account: Account) -> list[SandboxImage]:
        return [i for i in self.images.values() if i.account.api_key == account.api_key]

    # -- changes ----------------------------------------------------------------------------------

    def add(self, account: Account, template: TemplateSpec, *, image_url: str, callback_url: str | None,
            customer_image_id: str | None, product_id: str | None, partner: Account | None,
            deadline: datetime | None, public_root: str, kind: str = "image",
            colorways: tuple[int, ...] = ()) -> SandboxImage:  # fmt: skip
        now = self.clock.now()
        self.progress(now)
        image = SandboxImage(
            next(self._ids), str(uuid.uuid4()), account, template, image_url, callback_url, customer_image_id,
            product_id, partner, deadline, now, public_root, kind=kind, colorways=colorways,
        )  # fmt: skip
        image.plan = self._plan(image, now, returned=False)
        self.images[image.ticket] = image
        if kind == "stack":
            self._join_stack(image, now)
        return image

    def _join_stack(self, image: SandboxImage, now: datetime) -> None:
        """Join the open stack of this productId (or start one) and re-plan its parts to finish together."""
        window = timedelta(seconds=self.settings.stack_window)
        first = min((i for i in self.mine(image.account) if i.kind == "stack" and i is not image
                     and image.product_id and i.product_id == image.product_id and i.stack == i.id
                     and now - i.created <= window), key=lambda i: i.id, default=None)  # fmt: skip
        image.stack = first.id if first is not None else image.id
        for part in self.images.values():
            if part is not image and part.stack == image.stack and part.status in PRODUCTION_ORDER[:-1]:
                done = PRODUCTION_ORDER.index(part.status)
                part.plan = [(w, st) for w, st in self._plan(part, now, returned=False)
                             if st not in PRODUCTION_ORDER or PRODUCTION_ORDER.index(st) > done]  # fmt: skip

    def add_colorway(self, account: Account, image_url: str) -> Colorway:
        colorway = Colorway(next(self._colorway_ids), account.api_key, image_url)
        self.colorways[colorway.id] = colorway
        return colorway

    def _plan(self, image: SandboxImage, start: datetime, *, returned: bool) -> list[tuple[datetime, int]]:
        s = self.settings

        def at(seconds: float) -> datetime:
            return start + timedelta(seconds=seconds)

        steps: list[tuple[datetime, int]] = []
        if not returned:
            if not self.uploads.looks_presigned(image.image_url) and self._undownloadable(image.image_url):
                return [(at(s.download_delay), 12)]
            steps.append((at(s.download_delay), 30))
        if s.reject_marker in image.image_url:
            return [*steps, (at(s.production_delay), 90)]
        span = s.finish_delay - s.production_delay
        steps += [(at(s.production_delay + span * f), st) for f, st in ((0, 60), (0.25, 62), (0.5, 64), (0.75, 66))]
        return [*steps, (at(s.finish_delay), 70)]

    def _undownloadable(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return self.settings.undownloadable_marker in url or any(
            host.endswith(suffix.lower()) for suffix in self.settings.unreachable_hosts
        )

    def progress(self, now: datetime) -> None:
        """Apply every planned step due by `now`, in time order; a step to 70 queues the webhook."""
        due = sorted(((when, image.id, image, status) for image in self.images.values()
                      for when, status in image.plan if when <= now), key=lambda d: (d[0], d[1]))  # fmt: skip
        for when, _, image, status in due:
            if (when, status) not in image.plan:
                continue  # an earlier step changed the plan (a presigned download that found nothing)
            image.plan = [(w, st) for w, st in image.plan if w > when]
            self.set_status(image, status, when)

    def set_status(self, image: SandboxImage, status: int, when: datetime) -> None:
        if status == 30 and self.uploads.looks_presigned(image.image_url):
            upload = self.uploads.source(image.image_url)
            if upload is None or upload.content is None:
                status, image.plan = 12, []  # the presigned download found nothing
        image.status = status
        if status == 70:
            image.finished_at = image.finished_at or when
            self._finished(image, when)

    def file_link(self, image: SandboxImage, kind: str) -> str:
        """The path of a delivered file with its signature: what GET Status and the webhook hand out."""
        path = image.file_path(kind)
        return f"{path}?{SIGNATURE}={self.signer.sign('GET', path)}"

    def file_seed(self, image: SandboxImage) -> str:
        """What the delivered picture is drawn from: the stack (one result for all its parts) or the ticket."""
        return f"stack-{image.stack}" if image.stack is not None else image.ticket

    def _finished(self, image: SandboxImage, when: datetime) -> None:
        url = image.callback_url or image.template.callback_url
        if not url:
            return  # no webhook: the image waits at 70, ready for download
        payload: dict[str, Any] = {
            "imageTicket": image.ticket,
            "processedImageURL": image.public_root + self.file_link(image, "final"),
            "templateId": image.template.id,
        }
        if image.customer_image_id is not None:
            payload["customerImageId"] = image.customer_image_id
        image.webhooks += 1
        webhook = build_webhook(self.settings, image.ticket, url, payload, image.account, image.partner)
        self.webhooks.queue(webhook, when)

    def _delivered(self, ticket: str, ok: bool, attempt: int, last: bool) -> None:
        image = self.images.get(ticket)
        if image is None or image.status not in (70, 72, 74, 76):
            return  # deleted, returned or forced meanwhile: the outcome changes nothing
        if ok:
            image.status = 80
        else:
            image.status = 78 if last else min(70 + 2 * attempt, 76)

    def delete(self, image: SandboxImage) -> bool:
        self.progress(self.clock.now())
        if image.status not in DELETABLE:
            return False
        image.status, image.plan = 0, []
        return True

    def return_for_production(self, image: SandboxImage) -> bool:
        now = self.clock.now()
        self.progress(now)
        if image.status not in FINISHED:
            return False
        image.status = 40
        image.plan = self._plan(image, now, returned=True)
        return True

    def force(self, image: SandboxImage, status: int) -> None:
        """The control surface's override: this status now, nothing more planned."""
        image.plan = []
        self.set_status(image, status, self.clock.now())

    # -- JSON views -------------------------------------------------------------------------------

    def status_json(self, image: SandboxImage, *, leading_slash: bool = True) -> dict[str, Any]:
        """An ImageStatus object. GET Status writes file paths with a leading slash, GET Images without,
        as the document's two examples do."""

        def path(kind: str) -> str:
            value = self.file_link(image, kind)
            return value if leading_slash else value.lstrip("/")

        return {
            "CustomerImageId": image.customer_image_id or "",
            "FinalImagesURL": [path("final")] if image.status in FINISHED else [],
            "ImageTicket": image.ticket,
            "IsPaid": False,
            "ProductId": image.product_id or "",
            "StatusId": image.status,
            "StatusName": STATUS_NAMES[image.status],
            "ThumbnailImageURL": None if image.status in NOT_DOWNLOADED else path("thumbnail"),
        }
