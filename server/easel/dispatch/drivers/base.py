"""What fulfilment needs from each vendor, beyond its HTTP adapter: the interface a driver fills in.

A driver turns a part (a vendor order row) into calls on its vendor's adapter, in an order that is
safe to repeat after a crash at any point, and reads the vendor's view of the part back as a
:class:`Snapshot` that the dispatch layer applies (status only forward, tracking merged).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

from ...storage.orders import StoredOrder
from ...vendors.errors import VendorError, VendorRateLimited, VendorRejected, VendorUnreachable
from ...vendors.routing import VendorAccount
from ..parts import Part
from ..status import Progress


@dataclass(frozen=True)
class Tracking:
    number: str
    method: str = ""
    url: str = ""


@dataclass(frozen=True)
class Snapshot:
    """The vendor's view of a part, as easel understands it."""

    progress: Progress
    vendor_status: str
    cancelled: bool = False
    tracking: tuple[Tracking, ...] = ()
    detail: dict[str, Any] = field(default_factory=dict)
    final: bool = False
    """Nothing more will change at the vendor: stop polling."""


RecordStep = Callable[[str, str | None], Awaitable[None]]
"""Commit ``step`` (and the vendor's id once known) before the call it announces."""


class Driver(Protocol):
    vendor: ClassVar[str]
    live_hosts: ClassVar[frozenset[str]]
    credential_fields: ClassVar[tuple[str, ...]]
    optional_credential_fields: ClassVar[tuple[str, ...]]

    def builtin_sandbox(self, public_url: str) -> VendorAccount:
        """The account of the sandbox easel mounts for this vendor."""
        ...

    async def submit(self, account: VendorAccount, part: Part, order: StoredOrder, record: RecordStep) -> Snapshot:
        """Create (or find) the vendor order, complete it and submit it; safe to call again after a crash."""
        ...

    async def refresh(self, account: VendorAccount, part: Part) -> Snapshot:
        """Re-read the part from the vendor."""
        ...

    def verify_callback(self, account: VendorAccount, body: bytes, headers: Mapping[str, str]) -> None:
        """Raise (a ``VendorError``) unless the callback is signed by the vendor; a no-op for vendors
        that sign nothing (their callbacks are only hints: the secret URL admits them, a re-read decides)."""
        ...

    def callback_refs(self, body: bytes) -> list[str]:
        """The vendor ids an inbound callback is about (raises ValueError when it cannot be read)."""
        ...


@runtime_checkable
class Withdrawing(Protocol):
    """A driver that can take a part back from its vendor, so that the part may go to another vendor."""

    async def withdraw(self, account: VendorAccount, part: Part) -> str:
        """Make sure the vendor holds no live order for ``part``: find it by our reference and cancel it,
        or confirm that there is none. Returns what was done, in a few words. Safe to repeat. Raises a
        ``VendorError`` when that cannot be made sure of (a non-retryable one when the vendor refuses to
        cancel: the order is then live there and must not be placed elsewhere)."""
        ...


DEFINITELY_UNPROCESSED = frozenset({429, 502, 503})
"""Answers that say the request was turned away before it did anything (rate limit, a gateway)."""


def nothing_made(err: VendorError) -> bool:
    """Whether a failed create call certainly created nothing at the vendor: it never reached the vendor,
    was turned away (429, 502, 503), or was refused as it stands (a 4xx other than 408 and 409). A
    timeout, a 500 or a 504 may have created the order: look it up before creating again."""
    if isinstance(err, (VendorUnreachable, VendorRateLimited)) or err.status in DEFINITELY_UNPROCESSED:
        return True
    refused = isinstance(err, VendorRejected) and err.status is not None and 400 <= err.status < 500
    return refused and err.status not in (408, 409)
