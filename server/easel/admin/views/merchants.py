"""The operator's merchants: the list, creating one (its API secret shown once, as ``easel merchant create``
prints it), a merchant's page with its settings (never its secret), test mode, the order API's rate limit,
and its owner's account (a one-time set-password link, as ``easel admin create-user`` prints it).

Every rule is the services' the CLI calls: ``merchant_directory.create_merchant``, ``merchant_settings``
(``validated`` and the change service, which records who changed what) and ``users.Users``. These pages
are the operator's alone: to a merchant's owner or staff every ``/admin/merchants`` address is a 404, as if
it did not exist (they have no business knowing which shops this easel serves).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ...domain.merchants import Merchant, is_username
from ...services.merchant_directory import MerchantExists, create_merchant
from ...services.merchant_settings import SettingProblem, validated
from ...services.users import OPERATOR, OWNER, UserProblem
from ...storage import merchants as merchant_store
from ..auth import Visitor, sign_in_redirect, visitor_of
from ..context import panel_of, settings_service
from ..forms import posted
from ..pages import render

NEW_FIELDS = ("username", "name", "email", "currency")


def operator_only(view: Callable[[Request, Visitor], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """Signed in as the operator; anyone else signed in gets a 404 (not the 403 other pages give)."""

    async def endpoint(request: Request) -> Response:
        visitor = await visitor_of(request)
        if visitor.user is None:
            return sign_in_redirect(request)
        if visitor.role != OPERATOR:
            raise HTTPException(404)
        return await view(request, visitor)

    endpoint.__name__ = view.__name__
    endpoint.__doc__ = view.__doc__
    return endpoint


async def _list(request: Request, visitor: Visitor, status: int = 200, **extra: object) -> Response:
    async with panel_of(request).runtime.engine.connect() as conn:
        found = await merchant_store.list_merchants(conn)
    return render(request, visitor, "merchants.html", status=status, merchants=found,
                  **{"errors": [], "fields": {"currency": "USD", "test_mode": "1"}, **extra})


@operator_only
async def merchants(request: Request, visitor: Visitor) -> Response:
    """The list, and (POST) a new merchant: its page with the API secret, shown this once."""
    if request.method != "POST":
        return await _list(request, visitor)
    form = await posted(request, visitor.session)
    fields = {k: form.get(k, "").strip() for k in NEW_FIELDS}
    fields["test_mode"] = "1" if form.get("test_mode") else ""
    runtime = panel_of(request).runtime
    try:
        values = validated({"name": fields["name"], "email": fields["email"], "currency": fields["currency"] or "USD",
                            "test_mode": bool(fields["test_mode"])})
        made, secret = await create_merchant(runtime.engine, runtime.secrets, fields["username"], values)
    except SettingProblem as err:
        return await _list(request, visitor, 400, errors=err.problems, fields=fields)
    except (MerchantExists, ValueError) as err:
        return await _list(request, visitor, 400, errors=[str(err)], fields=fields)
    return await _page(request, visitor, made, status=201, secret=secret)


async def _merchant(request: Request) -> Merchant:
    username = str(request.path_params["username"])
    found = None
    if is_username(username):
        async with panel_of(request).runtime.engine.connect() as conn:
            found = await merchant_store.merchant_by_username(conn, username)
    if found is None:
        raise HTTPException(404)
    return found


async def _page(request: Request, visitor: Visitor, merchant: Merchant, status: int = 200, **extra: object) -> Response:
    users = await panel_of(request).users.of_merchant(merchant.id)
    history = await settings_service(request).history(merchant.id, limit=20)
    notice = {"saved": "Saved."}.get(request.query_params.get("done", ""), "")
    return render(request, visitor, "merchant.html", status=status, shop=merchant, users=users, history=history,
                  notice=notice, rate_default=panel_of(request).runtime.settings.rate_limit,
                  **{"errors": [], "secret": "", "link": "", "owner_email": "", **extra})


@operator_only
async def merchant_page(request: Request, visitor: Visitor) -> Response:
    return await _page(request, visitor, await _merchant(request))


@operator_only
async def merchant_settings(request: Request, visitor: Visitor) -> Response:
    """Test mode and the order API's rate limit, through the settings service (the change is recorded)."""
    merchant = await _merchant(request)
    form = await posted(request, visitor.session)
    raw: dict[str, object] = {}
    if "test_mode" in form:
        if form["test_mode"] not in ("0", "1"):
            raise HTTPException(400, "test_mode must be 1 (test) or 0 (live).")
        raw["test_mode"] = form["test_mode"] == "1"
    if "rate_limit" in form:
        raw["rate_limit"] = form["rate_limit"].strip() or "default"
    if not raw:
        raise HTTPException(400, "Nothing to change: send test_mode or rate_limit.")
    assert visitor.user is not None
    try:
        await settings_service(request).change(merchant.id, validated(raw), visitor.user.email)
    except SettingProblem as err:
        return await _page(request, visitor, merchant, status=400, errors=err.problems)
    return RedirectResponse(f"/admin/merchants/{merchant.username}?done=saved", status_code=303)


@operator_only
async def create_owner(request: Request, visitor: Visitor) -> Response:
    """The merchant's owner account, and the one-time link to set its password (shown on this answer only)."""
    merchant = await _merchant(request)
    form = await posted(request, visitor.session)
    email = form.get("email", "").strip()
    panel = panel_of(request)
    try:
        user = await panel.users.create(email, merchant=merchant.username, role=OWNER)
    except UserProblem as err:
        return await _page(request, visitor, merchant, status=400, errors=[str(err)], owner_email=email[:254])
    link = panel.users.set_password_link(user, panel.runtime.settings.resolved_public_url)
    return await _page(request, visitor, merchant, status=201, link=link, owner_email=user.email)
