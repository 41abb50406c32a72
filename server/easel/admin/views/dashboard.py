"""The dashboard: orders today and this week by status, what needs a person, the last 30 days."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ...services.order_desk import STATUSES
from ..auth import MERCHANT_ROLES, Visitor, merchant_of, signed_in
from ..chart import orders_chart
from ..context import panel_of
from ..pages import render


@signed_in(*MERCHANT_ROLES)
async def dashboard(request: Request, visitor: Visitor) -> Response:
    merchant = merchant_of(visitor)
    board = await panel_of(request).desk.dashboard(merchant)
    chart = orders_chart(board.days, revenue=visitor.sees_money, money=merchant.currency)
    return render(request, visitor, "dashboard.html", board=board, statuses=STATUSES, chart=chart)
