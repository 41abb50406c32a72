"""The one error family for vendor calls.

Every failure of a vendor call, whatever the vendor, surfaces as a `VendorError` that says which vendor,
which call and whether trying again later can help. The dispatch layer needs nothing else to decide
between "retry this job" and "stop and tell a human"; the original exception stays on `__cause__`.
"""

from __future__ import annotations

from collections.abc import Sequence


class VendorError(Exception):
    """A vendor call failed; `retryable` tells whether repeating it later can succeed."""

    def __init__(
        self,
        vendor: str,
        call: str,
        retryable: bool,
        status: int | None,
        message: str,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{vendor}.{call}: {message}")
        self.vendor = vendor
        self.call = call
        self.retryable = retryable
        self.status = status
        self.message = message
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(vendor={self.vendor!r}, call={self.call!r}, retryable={self.retryable}, "
            f"status={self.status!r}, message={self.message!r}, retry_after={self.retry_after!r})"
        )


class VendorUnavailable(VendorError):
    """The vendor could not be reached or answered 5xx: try again later (after `retry_after` if given)."""

    def __init__(
        self, vendor: str, call: str, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(vendor, call, True, status, message, retry_after)


class VendorUnreachable(VendorUnavailable):
    """The request never reached the vendor (connection refused, connect timeout): always safe to repeat."""


class VendorTimeout(VendorUnavailable):
    """No answer in time. The vendor may still have acted: look before repeating a non-idempotent call."""


class VendorRateLimited(VendorError):
    """429: the vendor asks us to wait `retry_after` seconds (None when it did not say)."""

    def __init__(self, vendor: str, call: str, message: str, *, retry_after: float | None) -> None:
        super().__init__(vendor, call, True, 429, message, retry_after)


class VendorRejected(VendorError):
    """The vendor refused the request as it stands (4xx); repeating it unchanged cannot help."""

    def __init__(self, vendor: str, call: str, message: str, *, status: int | None) -> None:
        super().__init__(vendor, call, False, status, message)


class VendorAuthError(VendorRejected):
    """The credentials were refused (401): a configuration problem, not a transient one."""


class VendorNotFound(VendorRejected):
    """The vendor does not know the resource (404)."""


class VendorOrderInvalid(VendorRejected):
    """The vendor's own validation says the order cannot be submitted; `problems` names each reason."""

    def __init__(self, vendor: str, call: str, problems: Sequence[str], *, order: str | None = None) -> None:
        subject = f"order {order}" if order else "order"
        super().__init__(vendor, call, f"{subject} cannot be submitted: " + "; ".join(problems), status=None)
        self.problems = tuple(problems)
        self.order = order


class VendorProtocolError(VendorError):
    """The vendor answered something we cannot read (bad JSON, unexpected shape).

    Not retryable: an unexpected shape usually means the API changed, which needs a human.
    """

    def __init__(self, vendor: str, call: str, message: str, *, status: int | None = None) -> None:
        super().__init__(vendor, call, False, status, message)
