"""The operator's list of merchants (the host of this easel manages merchants; more actions come later)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ...services.users import OPERATOR
from ...storage import merchants as merchant_store
from ..auth import Visitor, signed_in
from ..context import panel_of
from ..pages import render


@signed_in(OPERATOR)
async def merchants(request: Request, visitor: Visitor) -> Response:
    async with panel_of(request).runtime.engine.connect() as conn:
        found = await merchant_store.list_merchants(conn)
    return render(request, visitor, "merchants.html", merchants=found)
