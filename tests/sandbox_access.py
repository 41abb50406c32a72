"""What tests need to drive a sandbox: its control token and an outbound guard that may reach test servers.

Sandboxes refuse `/_control` without the token and send callbacks only through `easel.outbound.Outbound`;
tests build them with :data:`CONTROL_TOKEN` and, for callbacks to in-process or loopback receivers,
:func:`loopback_outbound` (private addresses allowed explicitly; any host name resolves to 127.0.0.1, so
an `httpx.ASGITransport` receiver can keep a made-up name such as `receiver`).
"""

from __future__ import annotations

import httpx

from easel.outbound import Outbound
from easel.sandboxes.control_auth import control_headers

CONTROL_TOKEN = "test-control-token"
CONTROL = control_headers(CONTROL_TOKEN)


async def _loopback(host: str, port: int) -> list[str]:
    return ["127.0.0.1"]


def loopback_outbound(http: httpx.AsyncClient, **options: float) -> Outbound:
    """An outbound guard that allows private addresses, as `EASEL_CALLBACKS_ALLOW_PRIVATE` would."""
    return Outbound(http, allow_private=True, resolver=_loopback, **options)  # type: ignore[arg-type]
