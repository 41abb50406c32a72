"""Reading requests as the live (.NET) API binds them: JSON or form bodies, case-insensitive field names,
and the field checks that answer 400 before anything changes."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request

from easel.sandboxes.pwinty.catalogue import COUNTRIES, find_product
from easel.sandboxes.pwinty.envelope import PwintyApiError
from easel.sandboxes.pwinty.orders import Order

SHIPPING_METHODS = ("Budget", "Standard", "Express", "Overnight")
SIZINGS = ("Crop", "ShrinkToFit", "ShrinkToExactFit")
PAYMENTS = ("InvoiceMe", "InvoiceRecipient")
STRING_FIELDS = (
    "merchantOrderId", "recipientName", "address1", "address2", "addressTownOrCity", "stateOrCounty",
    "postalOrZipCode", "mobileTelephone", "telephone", "email", "invoiceCurrency", "tag",
)  # fmt: skip


async def read_body(request: Request) -> Any:
    """JSON, or form data as the document's curl examples send (even under a JSON content type)."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        pass
    try:
        pairs = parse_qsl(raw.decode(), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError) as err:
        raise PwintyApiError(400, "The request is invalid.") from err
    return dict(pairs)


def lower_keys(body: dict[str, Any]) -> dict[str, Any]:
    """Field names are matched case-insensitively, as the live (.NET) API binds them."""
    return {str(k).lower(): v for k, v in body.items()}


def int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise PwintyApiError(400, f"The value '{raw}' is not valid for {name}.")
    return value


def _string(body: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = body.get(name.lower())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if value is not None and not isinstance(value, str):
        raise PwintyApiError(400, f"The value for {name} is not valid.")
    if required and not value:
        raise PwintyApiError(400, f"The {name} field is required.")
    return value


def _integer(body: dict[str, Any], name: str, *, required: bool = False) -> int | None:
    value = body.get(name.lower())
    if value is None or value == "":
        if required:
            raise PwintyApiError(400, f"The {name} field is required.")
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if isinstance(value, (bool, float)) or number < 0:
        raise PwintyApiError(400, f"The value '{value}' is not valid for {name}.")
    return number


def _choice(body: dict[str, Any], name: str, options: Iterable[str], default: str | None = None) -> str:
    value = _string(body, name, required=default is None) or default
    for option in options:
        if value is not None and value.lower() == option.lower():
            return option
    raise PwintyApiError(400, f"{value} is not a valid value for {name}.")


def order_fields(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise PwintyApiError(400, "The request body must be an order object")
    b = lower_keys(body)
    fields: dict[str, Any] = {name: _string(b, name) for name in STRING_FIELDS}
    _string(b, "recipientName", required=True)
    country = (_string(b, "countryCode", required=True) or "").upper()
    if country not in COUNTRIES:
        raise PwintyApiError(400, f"Country code {country} is not valid")
    fields["countryCode"] = country
    fields["preferredShippingMethod"] = _choice(b, "preferredShippingMethod", SHIPPING_METHODS)
    fields["payment"] = _choice(b, "payment", PAYMENTS, default="InvoiceMe")
    fields["invoiceAmountNet"] = _integer(b, "invoiceAmountNet")
    fields["invoiceTax"] = _integer(b, "invoiceTax")
    slip = _string(b, "packingSlipUrl") or None
    if slip is not None and not absolute_url(slip):
        raise PwintyApiError(400, f"Url {slip} is not a valid http or https absolute url")
    fields["packingSlipUrl"] = slip
    return fields


def image_fields(body: Any, order: Order) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise PwintyApiError(400, "Each image must be an object")
    b = lower_keys(body)
    product = find_product(_string(b, "sku", required=True) or "")
    url = _string(b, "url") or None
    if url is not None and not absolute_url(url):
        raise PwintyApiError(400, f"Url {url} is not a valid http or https absolute url")
    price_to_user = _integer(b, "priceToUser")
    if price_to_user is not None and order.fields["payment"] != "InvoiceRecipient":
        raise PwintyApiError(400, "priceToUser can only be set when payment is InvoiceRecipient")
    attributes = b.get("attributes")
    if attributes is not None and not isinstance(attributes, dict):
        raise PwintyApiError(400, "attributes must be an object")
    return {
        "sku": product.sku,
        "url": url,
        "copies": _integer(b, "copies", required=True),
        "sizing": _choice(b, "sizing", SIZINGS, default="Crop"),  # optional: the live API defaults it
        "price_to_user": price_to_user,
        "md5_hash": _string(b, "md5Hash"),
        "attributes": {str(k): str(v) for k, v in attributes.items()} if attributes else None,
    }


def absolute_url(url: object) -> bool:
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)
