"""What Pwinty says about an order before it takes it: each image's status, errors and warnings at a given
sandbox time, and the order's `SubmissionStatus` (general errors included).

Images are never fetched: an image is "downloaded" `download_delay` sandbox seconds after it is added
(or when the order is submitted), and fails with `FileCouldNotBeDownloaded` when its URL contains
`undownloadable_marker` or its host ends with one of `unreachable_hosts` (`.invalid` by default), and
with `InvalidImageFile` when it contains `invalid_image_marker`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from easel.sandboxes.pwinty.catalogue import attributes_valid, find_product
from easel.sandboxes.pwinty.orders import Image, Order
from easel.sandboxes.pwinty.settings import PwintySandboxSettings

FILE_ERRORS = frozenset({"FileCouldNotBeDownloaded", "NoImageFile", "InvalidImageFile"})
ADDRESS_REQUIRED = ("address1", "addressTownOrCity", "postalOrZipCode", "countryCode")


def image_check(settings: PwintySandboxSettings, image: Image, now: datetime) -> tuple[str, list[str], list[str]]:
    """(status, errors, warnings) of an image at `now`."""
    errors: list[str] = []
    warnings: list[str] = []
    if image.url is None:
        status = "AwaitingUrlOrData"
        errors.append("NoImageFile")
    elif now < image.download_at:
        status = "NotYetDownloaded"
        warnings += ["CouldNotValidateImageSize", "CouldNotValidateAspectRatio"]
    elif _undownloadable(settings, image.url):
        status = "FileNotFoundAtUrl"
        errors.append("FileCouldNotBeDownloaded")
    elif settings.invalid_image_marker in image.url:
        status = "Invalid"
        errors.append("InvalidImageFile")
    else:
        status = "Ok"
    if image.copies == 0:
        errors.append("ZeroCopies")
    if not attributes_valid(find_product(image.sku), image.attributes or {}):
        warnings.append("AttributeNotValid")
    return status, errors, warnings


def _undownloadable(settings: PwintySandboxSettings, url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return settings.undownloadable_marker in url or any(
        host.endswith(suffix.lower()) for suffix in settings.unreachable_hosts
    )


def submission(settings: PwintySandboxSettings, order: Order, now: datetime) -> dict[str, Any]:
    """The order's `SubmissionStatus` at `now`."""
    general: list[str] = []
    photos: list[dict[str, Any]] = []
    all_errors: set[str] = set()
    for image in order.images:
        _, errors, warnings = image_check(settings, image, now)
        all_errors.update(errors)
        if errors or warnings:
            photos.append({"id": image.id, "errors": errors, "warnings": warnings})
    if not order.images:
        general.append("NoItemsInOrder")
    if any(not order.fields.get(name) for name in ADDRESS_REQUIRED):
        general.append("PostalAddressNotSet")
    if all_errors:
        general.append("ItemsContainingErrors")
    if all_errors & FILE_ERRORS:
        general.append("ItemsContainingInvalidImages")
    return {"id": str(order.id), "isValid": not general, "generalErrors": general, "photos": photos}
