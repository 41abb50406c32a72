"""The Pwinty v3.0 routes: authentication by merchant headers, then orders, images, submission status,
status changes, countries and catalogue prices, each answered in the live API's envelope."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from easel.sandboxes.pwinty.catalogue import CATALOGUE_NAME, COUNTRIES, find_product, local_price
from easel.sandboxes.pwinty.envelope import PwintyApiError, Unauthorized, envelope
from easel.sandboxes.pwinty.orders import Image, Order
from easel.sandboxes.pwinty.parsing import image_fields, int_param, lower_keys, order_fields, read_body
from easel.sandboxes.pwinty.settings import PwintySandboxSettings
from easel.sandboxes.pwinty.state import PwintySandbox
from easel.sandboxes.pwinty.submission import submission
from easel.sandboxes.pwinty.views import image_json, order_json, order_list_json

SETTABLE_STATUSES = ("Cancelled", "AwaitingPayment", "Submitted")
LIVE_PAGE = 100
"""Orders per list page: the document's default, and what the live API answered whatever `count` asked."""

Handler = Callable[[Request], Awaitable[Response]]


class PwintyApi:
    def __init__(self, sandbox: PwintySandbox) -> None:
        self.sandbox = sandbox

    @property
    def settings(self) -> PwintySandboxSettings:
        return self.sandbox.settings

    def routes(self) -> list[tuple[str, Handler, list[str]]]:
        """(path, endpoint, methods) of every API route."""
        return [
            ("/orders", self.list_orders, ["GET"]),
            ("/orders", self.create_order, ["POST"]),
            ("/orders/{id:int}", self.get_order, ["GET"]),
            ("/orders/{id:int}", self.update_order, ["PUT"]),
            ("/orders/{id:int}/images", self.add_image, ["POST"]),
            ("/orders/{id:int}/images/batch", self.add_images, ["POST"]),
            ("/orders/{id:int}/SubmissionStatus", self.submission_status, ["GET"]),
            ("/orders/{id:int}/status", self.set_status, ["POST"]),
            ("/countries", self.countries, ["GET"]),
            ("/catalogue/{catalogue}/destination/{country}/prices", self.prices, ["POST"]),
        ]

    # -- request plumbing -------------------------------------------------------------------------

    def _merchant(self, request: Request) -> str:
        merchant = request.headers.get("X-Pwinty-MerchantId", "")
        key = request.headers.get("X-Pwinty-REST-API-Key", "")
        if not merchant or self.settings.accounts.get(merchant) != key:
            raise Unauthorized()
        return merchant

    def _order(self, request: Request, merchant: str) -> Order:
        order_id: int = request.path_params["id"]
        order = self.sandbox.orders.get(order_id)
        if order is None or order.merchant != merchant:
            raise PwintyApiError(404, f"Order {order_id} not found")
        return order

    def _begin(self, request: Request) -> tuple[str, datetime]:
        merchant = self._merchant(request)
        now = self.sandbox.clock.now()
        self.sandbox.progress(now)
        return merchant, now

    # -- orders -----------------------------------------------------------------------------------

    async def create_order(self, request: Request) -> Response:
        merchant, now = self._begin(request)
        order = self.sandbox.create_order(merchant, order_fields(await read_body(request)), now)
        return envelope(order_json(self.settings, order, now))

    async def get_order(self, request: Request) -> Response:
        merchant, now = self._begin(request)
        return envelope(order_json(self.settings, self._order(request, merchant), now))

    async def list_orders(self, request: Request) -> Response:
        """Newest first from `offset`. Strict (as the live API was recorded): pages of 100 whatever `count`
        asks, and no filter by `merchantOrderId` (the document has none). Otherwise `count` (at most 250)
        and the `merchantOrderId` filter are honoured, as a convenience a client must not rely on."""
        merchant, now = self._begin(request)
        offset = int_param(request, "offset", 0)
        mine = sorted((o for o in self.sandbox.orders.values() if o.merchant == merchant),
                      key=lambda o: o.id, reverse=True)
        if self.settings.strict:
            count = LIVE_PAGE
            listed = mine
        else:
            count = min(int_param(request, "count", LIVE_PAGE), 250)
            wanted = request.query_params.get("merchantOrderId")
            listed = [o for o in mine if wanted is None or o.fields["merchantOrderId"] == wanted]
        return envelope(order_list_json(self.settings, listed, listed[offset : offset + count], now))

    async def update_order(self, request: Request) -> Response:
        merchant, now = self._begin(request)
        order = self._order(request, merchant)
        fields = order_fields(await read_body(request))
        if order.status != "NotYetSubmitted":
            raise PwintyApiError(403, "Only orders in state NotYetSubmitted can be updated")
        order.fields = fields
        order.last_updated = now
        return envelope(order_json(self.settings, order, now))

    # -- images -----------------------------------------------------------------------------------

    async def add_image(self, request: Request) -> Response:
        merchant, now = self._begin(request)
        order = self._order(request, merchant)
        body = await read_body(request)
        if not isinstance(body, dict):
            raise PwintyApiError(400, "The request body must be an image object")
        return envelope(image_json(self.settings, order, self._add_images(order, [body], now)[0], now))

    async def add_images(self, request: Request) -> Response:
        merchant, now = self._begin(request)
        order = self._order(request, merchant)
        body = await read_body(request)
        if not isinstance(body, list) or not body:
            raise PwintyApiError(400, "The request body must be a non-empty array of images")
        images = self._add_images(order, body, now)
        return envelope({"items": [image_json(self.settings, order, i, now) for i in images]})

    def _add_images(self, order: Order, bodies: list[Any], now: datetime) -> list[Image]:
        """Validate every image first, so a batch is all or nothing."""
        if order.status != "NotYetSubmitted":
            raise PwintyApiError(403, f"Images cannot be added to an order in status {order.status}")
        return self.sandbox.add_images(order, [image_fields(b, order) for b in bodies], now)

    # -- validation and status --------------------------------------------------------------------

    async def submission_status(self, request: Request) -> Response:
        merchant, now = self._begin(request)
        return envelope(submission(self.settings, self._order(request, merchant), now))

    async def set_status(self, request: Request) -> Response:
        merchant, now = self._begin(request)
        order = self._order(request, merchant)
        body = await read_body(request)
        target = lower_keys(body).get("status") if isinstance(body, dict) else None
        if target not in SETTABLE_STATUSES:
            raise PwintyApiError(
                400, f"Status {target} is not valid. Valid values are Cancelled, AwaitingPayment or Submitted"
            )
        self.sandbox.change_status(order, target, now)
        return envelope({})

    # -- reference data ---------------------------------------------------------------------------

    async def countries(self, request: Request) -> Response:
        self._merchant(request)
        return envelope([{"name": name, "isoCode": code} for code, (name, _, _) in COUNTRIES.items()])

    async def prices(self, request: Request) -> Response:
        self._merchant(request)
        if request.path_params["catalogue"].lower() != CATALOGUE_NAME:
            raise PwintyApiError(404, f"Catalogue {request.path_params['catalogue']} not found")
        country = request.path_params["country"].upper()
        if country not in COUNTRIES:
            raise PwintyApiError(400, f"Country code {country} is not valid")
        body = await read_body(request)
        skus = lower_keys(body).get("skus") if isinstance(body, dict) else None
        if not isinstance(skus, list) or not skus or not all(isinstance(s, str) for s in skus):
            raise PwintyApiError(400, "skus must be a non-empty array of strings")
        currency = COUNTRIES[country][1]
        return envelope(
            {
                "prices": [
                    {"sku": p.sku, "price": local_price(p.price_gbp, country), "currency": currency}
                    for p in (find_product(s) for s in skus)
                ]
            }
        )
