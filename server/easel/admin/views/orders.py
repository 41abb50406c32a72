"""The orders list (search, filters, pages) and an order's page (items, addresses, timeline, actions)."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ...dispatch.order_actions import Refused
from ...domain.orders import OrderUpdateRequest
from ...services.order_desk import STATUSES
from ...services.orders import NotEditable
from ...storage.order_search import OrderFilter
from ..auth import MERCHANT_ROLES, Visitor, merchant_of, signed_in
from ..context import panel_of
from ..forms import posted, printable
from ..pages import render

NOTICES = {"shipping": "The shipping address was changed.", "retried": "The job was queued again.",
           "held": "The order is on hold; nothing more goes to a vendor until it is released.",
           "released": "The order was released and queued to go to its vendors again.",
           "cancelled": "The order was cancelled.",
           "resent": "The event was queued to go to the callback URL again."}
MAX_ID = 2**31 - 1  # ids beyond any row (and beyond a PostgreSQL integer): not found, not an error
SHIPPING_FIELDS = ("name", "company", "address", "address2", "city", "state", "zip", "country")


def _date(text: str, name: str, problems: list[str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(f"“{name}” must be a date such as 2026-12-31.")
        return None


def _filter(query: dict[str, str], problems: list[str]) -> OrderFilter:
    status = query.get("status", "")
    if status and status not in STATUSES:
        problems.append(f"There is no status “{status}”.")
        status = ""
    mode = query.get("mode", "")
    if mode not in ("", "test", "live"):
        problems.append("Mode must be test or live.")
        mode = ""
    return OrderFilter(text=query.get("q", "")[:200], status=status, mode=mode,
                       since=_date(query.get("from", ""), "from", problems),
                       until=_date(query.get("to", ""), "to", problems))


@signed_in(*MERCHANT_ROLES)
async def orders_list(request: Request, visitor: Visitor) -> Response:
    query = {k: v.strip() for k, v in request.query_params.items()}
    problems: list[str] = []
    for key in [k for k, v in query.items() if not printable(v)]:
        problems.append(f"“{key[:40]}” holds a control character (such as NUL); it was left out.")
        del query[key]
    wanted = _filter(query, problems)
    page = int(query["page"]) if query.get("page", "").isdigit() and 0 < len(query["page"]) < 7 else 1
    page = max(page, 1)
    settings = panel_of(request).runtime.settings
    size, counted = settings.admin_page_size, max(1, settings.admin_count_max)
    rows, total, exact = await panel_of(request).desk.search(merchant_of(visitor), wanted, page, size, counted)
    pages = max(1, -(-total // size)) + (not exact)  # more than counted: "more than N", and the pager goes on
    kept = {k: v for k, v in query.items() if k in ("q", "status", "from", "to", "mode") and v}

    def link(n: int) -> str:
        return "/admin/orders?" + urlencode({**kept, "page": n})

    return render(request, visitor, "orders.html", status=400 if problems else 200, rows=rows,
                  total=total, more=not exact, page=page, pages=pages, link=link, query=query, statuses=STATUSES,
                  problems=problems)


async def _timeline(request: Request, visitor: Visitor) -> Any:
    order_id = int(request.path_params["order_id"])
    timeline = None
    if order_id <= MAX_ID:
        timeline = await panel_of(request).desk.timeline(merchant_of(visitor), order_id)
    if timeline is None:
        raise HTTPException(404)
    return timeline


@signed_in(*MERCHANT_ROLES)
async def order_page(request: Request, visitor: Visitor) -> Response:
    timeline = await _timeline(request, visitor)
    notice = NOTICES.get(request.query_params.get("done", ""), "")
    return render(request, visitor, "order.html", t=timeline, order=timeline.order, notice=notice, errors=[],
                  values=timeline.order.shipping)


@signed_in(*MERCHANT_ROLES)
async def order_shipping(request: Request, visitor: Visitor) -> Response:
    """The shipping address form: the same function and rules as ``PUT /orders/:id``."""
    timeline = await _timeline(request, visitor)
    form = await posted(request, visitor.session)
    values = {k: form.get(k, "").strip() for k in SHIPPING_FIELDS}
    errors: list[str] = []
    try:
        update = OrderUpdateRequest.model_validate({"shipping": values})
        await panel_of(request).desk.update_shipping(merchant_of(visitor), timeline.order.id, update)
    except ValidationError as err:
        errors = [f"{'.'.join(str(p) for p in e['loc'][1:]) or 'shipping'}: {e['msg']}" for e in err.errors()]
    except NotEditable as err:
        errors = [f"The address can no longer change: the order is {err}."]
    if errors:
        return render(request, visitor, "order.html", status=400, t=timeline, order=timeline.order, notice="",
                      errors=errors, values=values)
    return RedirectResponse(f"/admin/orders/{timeline.order.id}?done=shipping#shipping", status_code=303)


@signed_in(*MERCHANT_ROLES)
async def retry_job(request: Request, visitor: Visitor) -> Response:
    """Queue a parked job again, as ``easel jobs retry`` does."""
    timeline = await _timeline(request, visitor)
    await posted(request, visitor.session)
    job_id = int(request.path_params["job_id"])
    if job_id > MAX_ID or job_id not in {j.id for j in timeline.jobs}:
        raise HTTPException(404)
    if await panel_of(request).desk.retry_job(merchant_of(visitor), job_id) is None:
        raise HTTPException(409, "This job is not parked any more; reload the order's page.")
    return RedirectResponse(f"/admin/orders/{timeline.order.id}?done=retried", status_code=303)


def _back(order_id: int, done: str, anchor: str = "") -> Response:
    return RedirectResponse(f"/admin/orders/{order_id}?done={done}{anchor}", status_code=303)


async def _refused(request: Request, visitor: Visitor, order_id: int, messages: list[str],
                   done: list[str] | None = None) -> Response:
    """The order's page again (409), saying what was refused (and what was done meanwhile)."""
    timeline = await panel_of(request).desk.timeline(merchant_of(visitor), order_id)
    assert timeline is not None
    return render(request, visitor, "order.html", status=409, t=timeline, order=timeline.order, notice="",
                  errors=[], values=timeline.order.shipping, action_errors=messages, action_done=done or [])


@signed_in(*MERCHANT_ROLES)
async def hold(request: Request, visitor: Visitor) -> Response:
    """Put the order on hold with the reason typed (``OrderActions.hold``)."""
    timeline = await _timeline(request, visitor)
    form = await posted(request, visitor.session)
    try:
        await panel_of(request).desk.hold(merchant_of(visitor), timeline.order.id, form.get("reason", ""))
    except Refused as err:
        return await _refused(request, visitor, timeline.order.id, [str(err)])
    return _back(timeline.order.id, "held")


@signed_in(*MERCHANT_ROLES)
async def release(request: Request, visitor: Visitor) -> Response:
    timeline = await _timeline(request, visitor)
    await posted(request, visitor.session)
    try:
        await panel_of(request).desk.release(merchant_of(visitor), timeline.order.id)
    except Refused as err:
        return await _refused(request, visitor, timeline.order.id, [str(err)])
    return _back(timeline.order.id, "released")


@signed_in(*MERCHANT_ROLES)
async def cancel(request: Request, visitor: Visitor) -> Response:
    """Cancel at the vendors that allow it; the order is Cancelled only when every vendor order is."""
    timeline = await _timeline(request, visitor)
    form = await posted(request, visitor.session)
    if form.get("confirm") != "yes":
        return await _refused(request, visitor, timeline.order.id,
                              ["Tick “Yes, cancel this order” to cancel it: it cannot be undone."])
    try:
        outcome = await panel_of(request).desk.cancel(merchant_of(visitor), timeline.order.id,
                                                      form.get("reason", ""))
    except Refused as err:
        return await _refused(request, visitor, timeline.order.id, [str(err)])
    assert outcome is not None  # _timeline found the order
    if not outcome.cancelled:
        return await _refused(request, visitor, timeline.order.id,
                              ["The order was not cancelled: " + "; ".join(outcome.refused) + "."], outcome.done)
    return _back(timeline.order.id, "cancelled")


@signed_in(*MERCHANT_ROLES)
async def resend(request: Request, visitor: Visitor) -> Response:
    """Deliver one of the order's events to the callback URL again."""
    timeline = await _timeline(request, visitor)
    await posted(request, visitor.session)
    event_id = str(request.path_params["event_id"])
    if event_id not in {d.event_id for d in timeline.deliveries}:
        raise HTTPException(404)
    try:
        await panel_of(request).desk.resend(merchant_of(visitor), timeline.order.id, event_id)
    except Refused as err:
        return await _refused(request, visitor, timeline.order.id, [str(err)])
    return _back(timeline.order.id, "resent", "#timeline")
