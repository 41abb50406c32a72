"""The order API's URL map, declared once: the app's routes and ``/openapi.json`` both come from it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..domain.orders import OrderRequest, OrderUpdateRequest, QuoteRequest
from . import docs, endpoints


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # in the document's style, e.g. /orders/:id
    handler: Callable[[Request], Awaitable[Response]]
    summary: str
    body: type[BaseModel] | None = None
    query: tuple[str, ...] = ()
    signed: bool = True
    in_document: bool = False  # listed by the Image2ART document's GET /
    statuses: tuple[int, ...] = field(default=(200,))

    @property
    def starlette_path(self) -> str:
        return "/".join("{" + p[1:].replace("id", "order_id") + "}" if p.startswith(":") else p
                        for p in self.path.split("/"))


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/orders", endpoints.list_orders, "List your orders, oldest first.", query=("start", "rows"),
             in_document=True),
    Endpoint("GET", "/orders/:id", endpoints.get_order, "Read one order.", in_document=True, statuses=(200, 404)),
    Endpoint("POST", "/orders", endpoints.create_order,
             "Create an order (201; a repeat of the same order returns it with 200). With only the signature "
             "in the data, lists orders as GET /orders does (the document's curl example).",
             body=OrderRequest, in_document=True, statuses=(201, 200, 400, 409)),
    Endpoint("PUT", "/orders/:id", endpoints.update_order, "Change the shipping address before production.",
             body=OrderUpdateRequest, in_document=True, statuses=(200, 404, 409)),
    Endpoint("DELETE", "/orders/:id", endpoints.delete_order, "Not available: answers 501 as documented.",
             in_document=True, statuses=(501, 404)),
    Endpoint("POST", "/orders/:id", endpoints.post_order,
             "Read one order, for clients that send the signed JSON with curl -d (a POST).", statuses=(200, 404)),
    Endpoint("GET", "/orders/:id/events", endpoints.order_events,
             "Every status event of an order, oldest first (the same events easel posts to your callback URL).",
             statuses=(200, 404)),
    Endpoint("GET", "/catalog", endpoints.catalog,
             "Artworks and options, each artwork with the standard configurations your vendors can make, their "
             "skus and your prices; code= gives one artwork.",
             query=("start", "rows", "code")),
    Endpoint("GET", "/products/:sku", endpoints.product, "What a sku is: artwork, configuration, sizes, price.",
             statuses=(200, 404)),
    Endpoint("POST", "/quotes", endpoints.create_quote,
             "Price items and shipping; POST /orders with quote_id keeps these prices for 24 hours.",
             body=QuoteRequest, statuses=(201, 400)),
    Endpoint("GET", "/", docs.home, "This documentation as HTML, or the endpoint list as JSON (by Accept).",
             signed=False, in_document=True),
    Endpoint("GET", "/ping", endpoints.ping, "Health check; with a signature, also who you are.", signed=False,
             in_document=True),
    Endpoint("POST", "/ping", endpoints.ping, "As GET /ping, for clients that send the signed JSON with curl -d.",
             signed=False),
    Endpoint("GET", "/openapi.json", docs.openapi, "This API as OpenAPI 3.1.", signed=False),
)


def _routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for e in ENDPOINTS:
        routes.append(Route(e.starlette_path, e.handler, methods=[e.method], name=f"{e.method} {e.path}"))
    return routes


routes: list[BaseRoute] = _routes()
