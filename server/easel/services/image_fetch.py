"""Catalogue images named by URL: fetched once, at import, through the outbound guard, into a local file.

The URL comes from a file someone else may have written, so it is treated like a merchant's callback
URL: no loopback or private addresses (unless ``EASEL_CALLBACKS_ALLOW_PRIVATE``), every redirect
checked again, an overall deadline, and at most ``EASEL_MAX_IMAGE_BYTES`` read.
"""

from __future__ import annotations

from pathlib import Path

import anyio
import httpx

from ..outbound import Outbound, OutboundFailed, OutboundRefused
from ..settings import Settings
from .artwork_images import ImageRejected

FETCH_DEADLINE = 120.0  # seconds for one image, body included: 50 MB at a few MB/s


def image_outbound(http: httpx.AsyncClient, settings: Settings) -> Outbound:
    """The guard for catalogue image URLs, with the image size limit."""
    return Outbound(http, allow_private=settings.callbacks_allow_private, max_bytes=settings.max_image_bytes,
                    deadline=FETCH_DEADLINE)


async def fetch_image(outbound: Outbound, url: str, target: Path, max_bytes: int) -> None:
    """Download ``url`` into ``target``, or :class:`ImageRejected` saying why not."""
    try:
        response = await outbound.get(url, headers={"Accept": "image/*"})
    except OutboundRefused as err:
        raise ImageRejected(f"was refused: {err}") from None
    except OutboundFailed as err:
        hint = f" (EASEL_MAX_IMAGE_BYTES is {max_bytes:,})" if "larger than" in str(err) else ""
        raise ImageRejected(f"could not be fetched: {err}{hint}") from None
    if response.status != 200:
        raise ImageRejected(f"could not be fetched: HTTP {response.status}")
    await anyio.Path(target).write_bytes(response.body)
