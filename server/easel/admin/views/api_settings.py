"""The order API's settings (owner only): the username, a new secret (shown once), test mode, signed
timestamps, the callback URL with a test event, and the last 50 deliveries with their answers."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ...services.callback_check import TestAnswer, recent_deliveries, send_test_event
from ...services.users import OWNER
from ..auth import Visitor, merchant_of, signed_in
from ..context import panel_of, settings_service
from ..forms import posted, save_settings
from ..pages import render

HISTORY_FIELDS = ("test_mode", "require_timestamp", "callback_url", "api secret")


async def _page(request: Request, visitor: Visitor, *, status: int = 200, errors: list[str] | None = None,
                values: dict[str, Any] | None = None, secret: str = "", test: TestAnswer | None = None) -> Response:
    merchant = merchant_of(visitor)
    callbacks = panel_of(request).runtime.dispatch.callbacks
    shown = values or {"test_mode": merchant.test_mode, "require_timestamp": merchant.require_timestamp,
                       "callback_url": merchant.callback_url}
    return render(request, visitor, "api.html", status=status, errors=errors or [], values=shown, secret=secret,
                  test=test, deliveries=await recent_deliveries(callbacks, merchant.id),
                  history=await settings_service(request).history(merchant.id, HISTORY_FIELDS),
                  done=request.query_params.get("done") == "1")


@signed_in(OWNER)
async def api_page(request: Request, visitor: Visitor) -> Response:
    if request.method == "GET":
        return await _page(request, visitor)
    form = await posted(request, visitor.session)
    values = {"test_mode": form.get("test_mode") == "on", "require_timestamp": form.get("require_timestamp") == "on",
              "callback_url": form.get("callback_url", "")}
    problems = await save_settings(request, visitor, values)
    if problems:
        return await _page(request, visitor, status=400, errors=problems, values=values)
    return RedirectResponse("/admin/api?done=1", status_code=303)


@signed_in(OWNER)
async def rotate_secret(request: Request, visitor: Visitor) -> Response:
    """A new secret, on this answer only (no-store; a reload does not show it again)."""
    await posted(request, visitor.session)
    assert visitor.user is not None
    secret = await settings_service(request).rotate_secret(merchant_of(visitor).id, visitor.user.email)
    return await _page(request, visitor, secret=secret)


@signed_in(OWNER)
async def test_event(request: Request, visitor: Visitor) -> Response:
    await posted(request, visitor.session)
    answer = await send_test_event(panel_of(request).runtime.dispatch.callbacks, merchant_of(visitor))
    return await _page(request, visitor, test=answer)
