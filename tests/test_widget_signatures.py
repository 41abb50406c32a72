"""Cart item signatures and customer tokens: sign, verify, tamper, expire, and the PHP snippets the
docs give merchants produce and accept the same values."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from typing import Any

import pytest

import easel.widget.cart_signature as cart_signature
import easel.widget.customer_token as customer_token_module
from easel.api.signing import compute_signature
from easel.widget.cart_signature import SIGNED_FIELDS, CartSignatureError, sign_cart_item, verify_cart_item
from easel.widget.customer_token import customer_token, verify_customer_token

SECRET = "$2y$08$tEwCIc9DxDNKRvzHhfRRlOHxDbu.MyIk5EnzEmZVEJ/GeuHXa.tki"


def _item(**changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "artist": "Maxine Price", "title": "Dancing on the Water", "sku": "473784f02f26d24f", "image_code": "MP148A",
        "substrate": "paper", "style": "PF", "frame": "F0092", "matte": "ML000", "size": "S", "quantity": 1,
        "list_price": 39, "price": 48.75, "currency": "USD", "expires_at": int(time.time()) + 600,
    }
    item["signature"] = sign_cart_item(item, SECRET)
    item.update(changes)
    return item


def test_a_signed_item_verifies() -> None:
    verify_cart_item(_item(), SECRET)
    verify_cart_item(json.loads(json.dumps(_item(list_price=39.0) | {"signature": _item()["signature"]})), SECRET)


@pytest.mark.parametrize("field", SIGNED_FIELDS)
def test_changing_any_signed_field_breaks_the_signature(field: str) -> None:
    item = _item()
    item[field] = item[field] + 1 if isinstance(item[field], int) else item[field] + "x"
    with pytest.raises(CartSignatureError):
        verify_cart_item(item, SECRET)


def test_unsigned_fields_are_the_merchants_business() -> None:
    verify_cart_item(_item(price=1, title="anything", url="https://x.example"), SECRET)


@pytest.mark.parametrize("changes", [{"signature": ""}, {"signature": None}, {"quantity": True}, {"sku": "a|b"},
                                     {"list_price": -1}, {"expires_at": "soon"}])
def test_malformed_items_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(CartSignatureError):
        verify_cart_item(_item(**changes), SECRET)


def test_an_expired_item_is_refused() -> None:
    item = _item()
    with pytest.raises(CartSignatureError, match="expired"):
        verify_cart_item(item, SECRET, now=item["expires_at"] + 1)


def test_another_secret_does_not_verify() -> None:
    with pytest.raises(CartSignatureError):
        verify_cart_item(_item(), SECRET + "x")


def test_signatures_are_kept_apart_from_order_api_signatures() -> None:
    item = _item()
    assert cart_signature.canonical_string(item).startswith("easel-cart-v1|")
    assert customer_token("orders", SECRET) != compute_signature(SECRET, "orders", {}, None)


def test_customer_tokens() -> None:
    token = customer_token("cust-42", SECRET)
    assert re.fullmatch(r"[0-9a-f]{64}", token)
    assert verify_customer_token("cust-42", token.upper(), SECRET)
    assert not verify_customer_token("cust-43", token, SECRET)
    assert not verify_customer_token("cust-42", token, SECRET + "x")


def _php_snippet(docstring: str) -> str:
    lines = docstring.split("::", 1)[1].strip("\n").splitlines()
    code = [line[4:] for line in lines if line.startswith("    ")]
    return "\n".join(code)


def _php(code: str, stdin: str = "") -> str:
    php = shutil.which("php")
    assert php, "php-cli is needed (make system-deps installs it)"
    return subprocess.run([php, "-r", code], input=stdin, capture_output=True, text=True, check=True).stdout


def test_the_documented_php_check_accepts_genuine_items_and_refuses_tampered_ones() -> None:
    assert cart_signature.__doc__ is not None
    check = _php_snippet(cart_signature.__doc__)
    program = (f"$item = json_decode(stream_get_contents(STDIN), true); $secret = '{SECRET}';\n{check}\n"
               "echo $ok ? 'ok' : 'refused';")
    assert _php(program, json.dumps(_item())) == "ok"
    assert _php(program, json.dumps(_item(list_price=1))) == "refused"
    assert _php(program, json.dumps(_item(expires_at=1) | {"signature": sign_cart_item(_item(expires_at=1), SECRET)})) \
        == "refused"


def test_the_documented_php_token_matches() -> None:
    assert customer_token_module.__doc__ is not None
    snippet = _php_snippet(customer_token_module.__doc__)
    program = f"$customerId = 'cust-42'; $secret = '{SECRET}';\n{snippet}\necho $token;"
    assert _php(program) == customer_token("cust-42", SECRET)
