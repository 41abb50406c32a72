"""The JSON the sandbox writes about an order: the order, its images and shipments, the order list and
the callback payload, with the live API's field names, `null`s, prices per destination and timestamp
style, as recorded from the live sandbox: every order carries `tag` and `packingSlipUrl`; an image's
`attributes` is `{}` in order views (only the answer to adding it echoes them); an image's `md5Hash` is
filled once it is downloaded; a listed order not yet submitted has `shippingInfo` `{"price": 0,
"shipments": []}`; a list has `count`, `content` and a `summary` of `{label, value}`."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from easel.sandboxes.pwinty.catalogue import SHIPPING, TRACKING_URLS, find_product, local_price
from easel.sandboxes.pwinty.orders import Image, Order, Shipment, families
from easel.sandboxes.pwinty.settings import PwintySandboxSettings
from easel.sandboxes.pwinty.submission import image_check


def ts(when: datetime, *, z: bool = False) -> str:
    """ISO 8601 as the live API writes it: milliseconds without trailing zeros, `Z` only sometimes."""
    when = when.astimezone(UTC)
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    millis = f"{when.microsecond // 1000:03d}".rstrip("0")
    return text + (f".{millis}" if millis else "") + ("Z" if z else "")


def _midnight(when: datetime, shift_seconds: int = 0) -> datetime:
    day = when.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day + timedelta(seconds=shift_seconds)


def _tracking_url(sh: Shipment) -> str | None:
    if sh.tracking_number is None or sh.carrier not in TRACKING_URLS:
        return None
    return TRACKING_URLS[sh.carrier].format(sh.tracking_number)


def order_json(
    settings: PwintySandboxSettings, order: Order, now: datetime, *, listing: bool = False
) -> dict[str, Any]:
    f = order.fields
    if listing and order.status == "NotYetSubmitted":
        shipping_info: dict[str, Any] = {"price": 0, "shipments": []}
    else:
        shipments = shipments_json(settings, order, now)
        shipping_info = {"price": _shipping_price(order, len(shipments)), "shipments": shipments}
    items_price = sum(local_price(find_product(i.sku).price_gbp, order.country) * i.copies for i in order.images)
    return {
        "id": order.id,
        "address1": f["address1"],
        "address2": f["address2"],
        "postalOrZipCode": f["postalOrZipCode"],
        "countryCode": f["countryCode"],
        "addressTownOrCity": f["addressTownOrCity"],
        "recipientName": f["recipientName"],
        "stateOrCounty": f["stateOrCounty"],
        "status": order.status,
        "payment": f["payment"],
        "paymentUrl": order.payment_url,
        "price": items_price + _shipping_price(order, len(families(order.images))),
        "shippingInfo": shipping_info,
        "images": [image_json(settings, order, i, now, in_order=True) for i in order.images],
        "merchantOrderId": f["merchantOrderId"],
        "preferredShippingMethod": f["preferredShippingMethod"],
        "mobileTelephone": f["mobileTelephone"],
        "created": ts(order.created),
        "lastUpdated": ts(order.last_updated),
        "canCancel": order.cancellable,
        "canHold": order.cancellable,
        "canUpdateShipping": order.cancellable,
        "canUpdateImages": order.status == "NotYetSubmitted",
        "errorMessage": None,
        "invoiceAmountNet": f["invoiceAmountNet"] or 0,
        "invoiceTax": f["invoiceTax"] or 0,
        "invoiceCurrency": f["invoiceCurrency"],
        "tag": f["tag"],
        "packingSlipUrl": f["packingSlipUrl"],
    }


def _shipping_price(order: Order, shipments: int) -> int:
    return local_price(SHIPPING[order.method][0], order.country) * shipments


SUMMARY_STATUSES = ("NotYetSubmitted", "AwaitingPayment", "Submitted", "Complete", "Cancelled")


def order_list_json(
    settings: PwintySandboxSettings, orders: list[Order], page: list[Order], now: datetime
) -> dict[str, Any]:
    """A list answer: `count` of all `orders`, the `page` as `content`, and a `summary` of `{label, value}`
    (the sandbox's summary counts the orders per status; the live API's labels are not documented)."""
    by_status = Counter(o.status for o in orders)
    return {
        "count": len(orders),
        "content": [order_json(settings, o, now, listing=True) for o in page],
        "summary": [{"label": status, "value": by_status[status]} for status in SUMMARY_STATUSES],
    }


def shipments_json(settings: PwintySandboxSettings, order: Order, now: datetime) -> list[dict[str, Any]]:
    _, earliest, latest, tracked = SHIPPING[order.method]
    if order.shipments:
        planned = [(sh, sh.ship_at) for sh in order.shipments]
    else:
        ship_at = now + timedelta(seconds=max(settings.ship_delay, settings.allocate_delay))
        planned = [(Shipment(f, ids, now, ship_at), ship_at) for f, ids in families(order.images).items()]
    return [
        {
            "carrier": sh.carrier,
            "photoIds": sh.photo_ids,
            "shipmentId": sh.id,
            "trackingNumber": sh.tracking_number,
            "trackingUrl": _tracking_url(sh),
            "isTracked": tracked,
            "earliestEstimatedArrivalDate": ts(_midnight(ship_at + timedelta(days=earliest))),
            "latestEstimatedArrivalDate": ts(_midnight(ship_at + timedelta(days=latest + 1), -1)),
            "shippedOn": ts(sh.shipped_on, z=True) if sh.shipped_on else None,
        }
        for sh, ship_at in planned
    ]


def image_json(
    settings: PwintySandboxSettings, order: Order, image: Image, now: datetime, *, in_order: bool = False
) -> dict[str, Any]:
    """An image as the answer to adding it (attributes echoed) or `in_order` views (attributes `{}`)."""
    status, _, _ = image_check(settings, image, now)
    ready = status == "Ok"
    downloaded = status in ("Ok", "Invalid")
    return {
        "id": image.id,
        "sku": image.sku,
        "url": image.url,
        "status": status,
        "copies": image.copies,
        "sizing": image.sizing,
        "priceToUser": image.price_to_user,
        "price": local_price(find_product(image.sku).price_gbp, order.country),
        "md5Hash": _md5(image) if downloaded else image.md5_hash,
        "previewUrl": f"https://sandbox-images.pwinty.com/{image.id}/preview.jpg" if ready else None,
        "thumbnailUrl": f"https://sandbox-images.pwinty.com/{image.id}/thumb.jpg" if ready else None,
        "attributes": {} if in_order else dict(image.attributes or {}),
        "errorMessage": None,
    }


def _md5(image: Image) -> str:
    """The hash of the 'downloaded' file: the one given, else one derived from the URL (nothing is fetched)."""
    return image.md5_hash or hashlib.md5((image.url or "").encode(), usedforsecurity=False).hexdigest()


def callback_payload(order: Order, when: datetime) -> dict[str, Any]:
    """What a status or shipment change POSTs to the callback URL."""
    return {
        "orderId": order.id,
        "environment": "SANDBOX",
        "timestamp": ts(when, z=True),
        "status": order.status,
        "shipments": [
            {
                "items": sh.photo_ids,
                "status": "Shipped" if sh.shipped_on else "InProgress",
                "trackingNumber": sh.tracking_number,
                "trackingUrl": _tracking_url(sh),
            }
            for sh in order.shipments
            if sh.id
        ],
    }
