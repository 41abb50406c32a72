"""Orders as the Image2ART document describes them: the request a merchant sends, validated, and the
statuses an order moves through.

Validation reports every problem at once, each as ``path: message`` (``items[0].sku: unknown sku …``).
The request models are also what ``/openapi.json`` is generated from, so the spec and the validation
cannot drift apart.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

SHIPPING_METHODS: dict[str, str] = {
    "fedex": "Fed-Ex",
    "fedex 2day": "Fed-Ex 2 Day",
    "fedex 3day": "Fed-Ex 3 Day",
    "fedex express": "Fed-Ex Express",
    "fedex freight": "Fed-Ex Freight",
    "fedex ground": "Fed-Ex Ground",
    "fedex overnight": "Fed-Ex Overnight",
    "ups": "UPS",
    "ups ground": "UPS Ground",
    "ups overnight": "UPS Overnight",
    "usps": "USPS",
}
DEFAULT_SHIPPING_METHOD = "best way"
"""The document's default shipping method: what an order that names none is stored with."""
MAX_ITEMS = 100
MAX_QUANTITY = 1000


class OrderStatus(StrEnum):
    """The statuses the document names, in the order an order moves through them."""

    PENDING = "Pending"  # accepted, not yet sent to a vendor
    PROCESSING = "Processing"  # being sent to the vendors that make it
    IN_PRODUCTION = "In Production"  # every part accepted by its vendor
    IN_TRANSIT = "In Transit"  # shipped, with tracking
    DELIVERED = "Delivered"
    CANCELLED = "Cancelled"
    ON_HOLD = "On Hold"  # stopped by a problem that needs a person; status_reason says which


STATUS_MEANINGS: dict[OrderStatus, str] = {
    OrderStatus.PENDING: "Accepted by easel; not yet sent to production. The shipping address can still change.",
    OrderStatus.PROCESSING: "Being sent to the vendors that make it.",
    OrderStatus.IN_PRODUCTION: "Every part was accepted by its vendor and is being printed and framed.",
    OrderStatus.IN_TRANSIT: "Shipped; tracking numbers are under shipping.tracking.",
    OrderStatus.DELIVERED: "Delivered to the shipping address.",
    OrderStatus.CANCELLED: "Cancelled; nothing more will happen.",
    OrderStatus.ON_HOLD: "Stopped by a problem that needs attention; status_reason says which.",
}
EDITABLE_STATUSES = frozenset({OrderStatus.PENDING, OrderStatus.ON_HOLD})

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
RequiredText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Country = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{2}$")]
Url = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000,
                                       pattern=r"^https?://[^\s/$.?#][^\s]*$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Address(_Strict):
    """An address, as the document's Addresses object."""

    name: RequiredText
    company: Text = ""
    address: RequiredText
    address2: Text = ""
    city: RequiredText
    state: RequiredText
    zip: RequiredText
    country: Country


class Customer(Address):
    """A customer: an address plus the email and phone the document requires."""

    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254,
                                            pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    phone: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=40)]


class ShippingAddress(Address):
    method: str = Field(DEFAULT_SHIPPING_METHOD, description="One of the document's shipping methods, or "
                        f"{DEFAULT_SHIPPING_METHOD!r} (the default; empty means it too).")
    packing_slip: Url | Literal[""] = Field("", description="URL of a custom packing slip; kept with the "
                                            "order and sent to vendors that take one (Pwinty's packingSlipUrl).")

    @field_validator("method")
    @classmethod
    def _known_method(cls, value: str) -> str:
        method = " ".join(value.split()).lower() or DEFAULT_SHIPPING_METHOD
        if method != DEFAULT_SHIPPING_METHOD and method not in SHIPPING_METHODS:
            allowed = ", ".join([DEFAULT_SHIPPING_METHOD, *SHIPPING_METHODS])
            raise ValueError(f"unknown shipping method {value!r} (allowed: {allowed})")
        return method


class BillingAddress(_Strict):
    """Billing is optional and every field in it is too (the document marks them NO)."""

    name: Text = ""
    company: Text = ""
    address: Text = ""
    address2: Text = ""
    city: Text = ""
    state: Text = ""
    zip: Text = ""
    country: Country | Literal[""] = ""


class ItemImage(_Strict):
    type: Literal["newera", "external"] = "newera"
    code: Text = ""
    url: Url | Literal[""] = ""
    edition: Text = ""


class ItemBorder(_Strict):
    type: Literal["mirror", "blur", "color"] | None = None
    size: int | None = Field(None, description="Border width in inches.")
    color: Text = ""


class OrderItemRequest(_Strict):
    sku: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[0-9a-fA-F]{16}$")]
    quantity: int = Field(1, ge=1, le=MAX_QUANTITY)
    image: ItemImage | None = None
    border: ItemBorder | None = None
    notes: LongText = ""
    external_item_number: Text = ""
    security_hardware: bool | None = None
    sidemark: Text = ""


class OrderRequest(_Strict):
    """The body of ``POST /orders`` (``username`` and ``signature`` are taken off first)."""

    external_order_number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    customer: Customer
    shipping: ShippingAddress
    billing: BillingAddress | None = None
    items: list[OrderItemRequest] = Field(min_length=1, max_length=MAX_ITEMS)
    notes: LongText = ""
    is_test: bool | None = Field(None, description="true marks a test order (never sent to a paying vendor).")
    quote_id: Text | None = Field(None, description="A quote from POST /quotes whose prices this order keeps.")
    timestamp: int | None = Field(None, description="Unix time, signed, for merchants that require it.")


class ShippingUpdate(_Strict):
    """The body of ``PUT /orders/:id``: any of the shipping address fields."""

    name: Text | None = None
    company: Text | None = None
    address: Text | None = None
    address2: Text | None = None
    city: Text | None = None
    state: Text | None = None
    zip: Text | None = None
    country: Country | None = None


class OrderUpdateRequest(_Strict):
    shipping: ShippingUpdate
    timestamp: int | None = None


class QuoteItemRequest(_Strict):
    sku: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[0-9a-fA-F]{16}$")]
    quantity: int = Field(1, ge=1, le=MAX_QUANTITY)
    border: ItemBorder | None = None
    security_hardware: bool | None = None


class QuoteRequest(_Strict):
    """The body of ``POST /quotes``."""

    items: list[QuoteItemRequest] = Field(min_length=1, max_length=MAX_ITEMS)
    country: Country = "US"
    timestamp: int | None = None


_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a field of this object",
    "string_type": "must be a string",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be a whole number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dict_type": "must be an object",
}


def field_path(loc: tuple[int | str, ...]) -> str:
    """``("items", 0, "sku")`` → ``items[0].sku``; union branches pydantic adds are dropped."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif re.match(r"^(literal\[|function-|str$|constrained-str|int$|bool$|none$|[A-Z])", part):
            continue
        else:
            path += ("." if path else "") + part
    return path or "body"


def describe_validation_error(err: ValidationError) -> list[tuple[str, str]]:
    """(field path, message) for every problem, one per field, in a readable form."""
    seen: dict[str, str] = {}
    for problem in err.errors(include_url=False):
        path = field_path(tuple(problem["loc"]))
        kind = problem["type"]
        if kind in _MESSAGES:
            message = _MESSAGES[kind]
        elif kind == "string_pattern_mismatch":
            message = _pattern_message(path, problem.get("input"))
        elif kind == "literal_error":
            message = f"must be one of {problem['ctx']['expected']}"
        elif kind == "string_too_short":
            least = problem["ctx"]["min_length"]
            message = "must not be empty" if least == 1 else f"must have at least {least} characters"
        elif kind == "string_too_long":
            message = f"must have at most {problem['ctx']['max_length']} characters"
        elif kind == "too_short":
            message = f"must have at least {problem['ctx']['min_length']} item(s)"
        elif kind == "too_long":
            message = f"must have at most {problem['ctx']['max_length']} items"
        elif kind == "greater_than_equal":
            message = f"must be at least {problem['ctx']['ge']}"
        elif kind == "less_than_equal":
            message = f"must be at most {problem['ctx']['le']}"
        elif kind == "value_error":
            message = str(problem["ctx"]["error"])
        else:
            message = problem["msg"]
        if path not in seen:
            seen[path] = message
    return list(seen.items())


def _pattern_message(path: str, value: Any) -> str:
    shown = repr(value)[:60]
    if path.endswith("sku"):
        return f"{shown} is not a sku (16 hexadecimal characters)"
    if path.endswith("country"):
        return f"{shown} is not a two-letter country code"
    if path.endswith("email"):
        return f"{shown} is not an email address"
    if path.endswith("url") or path.endswith("packing_slip"):
        return f"{shown} is not an absolute http(s) URL"
    return f"{shown} has the wrong format"
