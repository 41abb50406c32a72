"""The sandbox's own `/_control` endpoints, which tests and demos drive (the clock's and the fault
injector's endpoints are their own).

Control (every request needs the control token, see `easel.sandboxes.control_auth`):
`GET/POST /_control/clock`, `GET/POST/DELETE /_control/faults`, `GET /_control/orders` (orders and counts
per merchantOrderId; `?summary=1`: only how many orders are in each status, for pollers that need no
more), `GET/POST /_control/callbacks` (callback URLs and delivery log; POST `{"merchantId": ..., "url": ...}`
sets one account's URL, as its owner would in Pwinty's dashboard, and without `merchantId` the URL of every
account without its own), `POST /_control/tick` (progress orders and send due callbacks now).
"""

from __future__ import annotations

from collections import Counter

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from easel.sandboxes.pwinty.parsing import absolute_url, read_body
from easel.sandboxes.pwinty.state import PwintySandbox


class Control:
    def __init__(self, sandbox: PwintySandbox) -> None:
        self.sandbox = sandbox

    async def orders(self, request: Request) -> Response:
        orders = self.sandbox.orders.values()
        if request.query_params.get("summary"):
            return JSONResponse({"total": len(orders), "countsByStatus": dict(Counter(o.status for o in orders))})
        counts = Counter(o.fields["merchantOrderId"] for o in orders if o.fields["merchantOrderId"])
        rows = [
            {
                "id": o.id,
                "merchantId": o.merchant,
                "merchantOrderId": o.fields["merchantOrderId"],
                "status": o.status,
                "images": len(o.images),
            }
            for o in orders
        ]
        return JSONResponse({"orders": rows, "countsByMerchantOrderId": dict(counts)})

    async def callbacks(self, request: Request) -> Response:
        sender = self.sandbox.callbacks
        if request.method == "POST":
            body = await read_body(request)
            url = body.get("url") if isinstance(body, dict) else None
            merchant = body.get("merchantId") if isinstance(body, dict) else None
            if url is not None and not absolute_url(url):
                return JSONResponse({"error": "url must be an absolute http(s) URL or null"}, 400)
            if merchant is not None and merchant not in self.sandbox.settings.accounts:
                return JSONResponse({"error": "merchantId must name an account of this sandbox"}, 400)
            if merchant is None:
                sender.url = url
                if url is None:
                    sender.drop_pending()
            else:
                self.sandbox.set_callback_url(merchant, url)
        return JSONResponse({"url": sender.url, "urls": sender.urls, "pending": sender.pending,
                             "deliveries": sender.deliveries})

    async def tick(self, request: Request) -> Response:
        await self.sandbox.tick()
        return JSONResponse({"now": self.sandbox.clock.now().isoformat()})
