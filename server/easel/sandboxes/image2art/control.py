"""The upstream sandbox's control surface (every request needs the control token, see `control_auth`).

`GET/POST /_control/clock`, `GET/POST/DELETE /_control/faults`, `POST /_control/tick` (progress orders
now), `GET /_control/orders` (every order with status and tracking, and counts per
`external_order_number` to prove exactly-once), and `POST /_control/orders/{id}` to change one order:
`{}` advances it one step (Pending → In Production → In Transit → Delivered), `{"status": "On Hold",
"reason": "..."}` sets any status, `"tracking": [{"number": "...", "method": "...", "url": "..."}]`
adds tracking numbers (merged; shipping without any adds a generated one).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from easel.domain.orders import OrderStatus
from easel.sandboxes.image2art.upstream import Image2ArtSandbox
from easel.storage.tables import order_tracking, orders


class TrackingEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: str = Field(min_length=1, max_length=100)
    method: str = ""
    url: str = ""


class OrderChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: OrderStatus | None = None
    reason: str = ""
    tracking: list[TrackingEntry] = Field(default_factory=list)


class Control:
    def __init__(self, sandbox: Image2ArtSandbox) -> None:
        self.sandbox = sandbox

    async def tick(self, request: Request) -> Response:
        await self.sandbox.tick()
        return JSONResponse({"now": self.sandbox.clock.now().isoformat()})

    async def orders(self, request: Request) -> Response:
        runtime = await self.sandbox.ready()
        await self.sandbox.tick()
        async with runtime.engine.connect() as conn:
            rows = (await conn.execute(select(orders).order_by(orders.c.id))).all()
            tracks = (await conn.execute(select(order_tracking).order_by(order_tracking.c.id))).all()
        tracking: dict[int, list[dict[str, Any]]] = {}
        for t in tracks:
            tracking.setdefault(t.order_id, []).append({"number": t.number, "method": t.method, "url": t.url})
        listed = [
            {"id": r.id, "merchantId": r.merchant_id, "externalOrderNumber": r.external_order_number,
             "status": r.status, "statusReason": r.status_reason, "tracking": tracking.get(r.id, [])}
            for r in rows
        ]  # fmt: skip
        counts = Counter(r.external_order_number for r in rows if r.external_order_number is not None)
        return JSONResponse({"orders": listed, "countsByExternalOrderNumber": dict(counts)})

    async def change(self, request: Request) -> Response:
        try:
            change = OrderChange.model_validate(json.loads(await request.body() or b"{}"))
        except (ValueError, ValidationError) as err:
            detail = err.errors(include_url=False) if isinstance(err, ValidationError) else str(err)
            return JSONResponse({"error": detail}, 400)
        order_id = int(request.path_params["order_id"])
        tracking = [t.model_dump() for t in change.tracking]
        try:
            found = await self.sandbox.change(order_id, change.status, tracking, change.reason)
        except ValueError as err:
            return JSONResponse({"error": str(err)}, 409)
        if not found:
            return JSONResponse({"error": f"no order {order_id}"}, 404)
        return await self.orders(request)
