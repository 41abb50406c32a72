"""Clients of the print and retouching vendors easel hands orders to.

`base.py` holds the call sequence (request, send, parse, error mapping, retries) shared by every vendor,
`errors.py` the one error family they raise, and each other module one vendor (`pwinty.py`: Pwinty v3).

Adding a vendor: one module here subclassing `VendorAdapter` (auth headers, envelope, error body),
pydantic models for its answers, recorded answers under `tests/fixtures/<vendor>/`, and one faithful
sandbox in `easel.sandboxes` that the adapter's tests talk to over HTTP.
"""

from easel.vendors.base import RetryPolicy, VendorAdapter, VendorRequest
from easel.vendors.errors import (
    VendorAuthError,
    VendorError,
    VendorNotFound,
    VendorOrderInvalid,
    VendorProtocolError,
    VendorRateLimited,
    VendorRejected,
    VendorTimeout,
    VendorUnavailable,
    VendorUnreachable,
)

__all__ = [
    "RetryPolicy",
    "VendorAdapter",
    "VendorAuthError",
    "VendorError",
    "VendorNotFound",
    "VendorOrderInvalid",
    "VendorProtocolError",
    "VendorRateLimited",
    "VendorRejected",
    "VendorRequest",
    "VendorTimeout",
    "VendorUnavailable",
    "VendorUnreachable",
]
