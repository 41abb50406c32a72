"""The widget's settings (owner only: keys, origins and the cart are how a shop takes money, so staff are
refused like on Prices and API): widget keys, allowed origins, the cart path and mode with a test item,
the login URL and login requirements, the snippet to paste, and the widget itself, live on the page.

"Send a test item" signs an item with the widget's own function (``widget.cart.signed_item``); in relay
mode it goes through the widget's relay (``widget.relay.relay_to_cart``: the same outbound guard, the
same allowed origins), in direct mode the page shows the item the shopper's browser would post.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ...domain.merchants import Merchant
from ...services.merchant_settings import SettingProblem
from ...services.users import OWNER
from ...widget.access import ApiProblem, Caller
from ...widget.cart import signed_item
from ...widget.relay import relay_to_cart
from ...widget.state import widget_state
from ..auth import Visitor, merchant_of, signed_in
from ..context import host_widget_state, panel_of, settings_service
from ..forms import posted, save_settings
from ..pages import render
from .prices import first_artwork

HISTORY_FIELDS = ("allowed_origins", "cart_path", "cart_mode", "login_url", "pricing_requires_login",
                  "require_customer_token", "widget api_key")


def _values(merchant: Merchant) -> dict[str, Any]:
    return {"allowed_origins": "\n".join(merchant.allowed_origins), "cart_path": merchant.cart_path,
            "cart_mode": merchant.cart_mode, "login_url": merchant.login_url,
            "pricing_requires_login": merchant.pricing_requires_login,
            "require_customer_token": merchant.require_customer_token}


def _test_origins(request: Request, merchant: Merchant) -> list[str]:
    """Origins to offer for the test item: this page's own (when allowed) and every exact one registered."""
    own = f"{request.url.scheme}://{request.url.netloc}"
    return list(dict.fromkeys([own] if merchant.origin_allowed(own) else []) |
                dict.fromkeys(o for o in merchant.allowed_origins if not o.endswith(":*")))


async def _page(request: Request, visitor: Visitor, *, status: int = 200, errors: list[str] | None = None,
                values: dict[str, Any] | None = None, test: dict[str, Any] | None = None, notice: str = "") -> Response:
    merchant = merchant_of(visitor)
    hardware = request.query_params.get("hardware", "on") != "off"
    return render(request, visitor, "widget.html", status=status, errors=errors or [],
                  values=values or _values(merchant), test=test, notice=notice, hardware=hardware,
                  key=merchant.api_keys[0] if merchant.api_keys else "", origins=_test_origins(request, merchant),
                  history=await settings_service(request).history(merchant.id, HISTORY_FIELDS))


@signed_in(OWNER)
async def widget_page(request: Request, visitor: Visitor) -> Response:
    if request.method == "GET":
        notice = {"1": "The widget settings were saved.", "key": "A widget key was added.",
                  "revoked": "The widget key was revoked."}.get(request.query_params.get("done", ""), "")
        return await _page(request, visitor, notice=notice)
    form = await posted(request, visitor.session)
    values: dict[str, Any] = {"allowed_origins": form.get("allowed_origins", ""),
                              "cart_path": form.get("cart_path", ""), "cart_mode": form.get("cart_mode", ""),
                              "login_url": form.get("login_url", ""),
                              "pricing_requires_login": form.get("pricing_requires_login") == "on",
                              "require_customer_token": form.get("require_customer_token") == "on"}
    problems = await save_settings(request, visitor, values)
    if problems:
        return await _page(request, visitor, status=400, errors=problems, values=values)
    return RedirectResponse("/admin/widget?done=1", status_code=303)


@signed_in(OWNER)
async def keys(request: Request, visitor: Visitor) -> Response:
    """Add a widget key, or revoke one of this merchant's (another's key is "no active api_key")."""
    form = await posted(request, visitor.session)
    service = settings_service(request)
    merchant = merchant_of(visitor)
    assert visitor.user is not None
    try:
        if form.get("action") == "add":
            await service.add_api_key(merchant.id, visitor.user.email)
            return RedirectResponse("/admin/widget?done=key#keys", status_code=303)
        await service.revoke_api_key(merchant.id, form.get("key", ""), visitor.user.email)
    except SettingProblem as err:
        return await _page(request, visitor, status=400, errors=err.problems)
    return RedirectResponse("/admin/widget?done=revoked#keys", status_code=303)


@signed_in(OWNER)
async def test_item(request: Request, visitor: Visitor) -> Response:
    """Sign a sample item as the widget does; relay it (relay mode) or show it (direct mode)."""
    form = await posted(request, visitor.session)
    merchant = merchant_of(visitor)
    origin = form.get("origin", "")
    test: dict[str, Any] = {"mode": merchant.cart_mode, "origin": origin}
    if not merchant.origin_allowed(origin):
        return await _page(request, visitor, status=400,
                           errors=[f"{origin[:80]!r} is not one of the shop's allowed origins"])
    state = host_widget_state(request) or widget_state(request)
    caller = Caller(merchant, origin, state)
    try:
        code = await first_artwork(panel_of(request).runtime)
        if not code:
            raise ApiProblem(409, "No artwork", "the catalogue has no artwork to make a test item of")
        item = await signed_item(request, caller, {"code": code, "choices": {}, "quantity": 1})
        test["item"] = json.dumps(item, indent=2)
        if merchant.cart_mode == "relay":
            result = await relay_to_cart(caller, item, None, "")
            test.update(status=result["status"], ok=result["ok"],
                        answer=json.dumps(result["answer"], indent=2)[:2000])
    except ApiProblem as err:
        test.update(ok=False, problem=str(err))
    return await _page(request, visitor, test=test)
