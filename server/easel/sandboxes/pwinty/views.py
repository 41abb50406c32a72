"""The JSON the sandbox writes about an order: the order, its images and shipments, and the callback
payload, with the live API's field names, `null`s, prices per destination and timestamp style."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from easel.sandboxes.pwinty.catalogue import CATALOGUE, SHIPPING, TRACKING_URLS, local_price
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
    shipments = shipments_json(settings, order, now)
    ship_price = local_price(SHIPPING[order.method][0], order.country) * len(shipments)
    items_price = sum(local_price(CATALOGUE[i.sku].price_gbp, order.country) * i.copies for i in order.images)
    hide_shipping = listing and order.status == "NotYetSubmitted"
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
        "price": items_price + ship_price,
        "shippingInfo": None if hide_shipping else {"price": ship_price, "shipments": shipments},
        "images": [image_json(settings, order, i, now) for i in order.images],
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


def image_json(settings: PwintySandboxSettings, order: Order, image: Image, now: datetime) -> dict[str, Any]:
    status, _, _ = image_check(settings, image, now)
    ready = status == "Ok"
    return {
        "id": image.id,
        "sku": image.sku,
        "url": image.url,
        "status": status,
        "copies": image.copies,
        "sizing": image.sizing,
        "priceToUser": image.price_to_user,
        "price": local_price(CATALOGUE[image.sku].price_gbp, order.country),
        "md5Hash": image.md5_hash,
        "previewUrl": f"https://sandbox-images.pwinty.com/{image.id}/preview.jpg" if ready else None,
        "thumbnailUrl": f"https://sandbox-images.pwinty.com/{image.id}/thumb.jpg" if ready else None,
        "attributes": image.attributes,
        "errorMessage": None,
    }


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
