"""The widget's URL map, mounted by the app under ``/widget/v1``."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from . import api, cart, images, projects, script

_API = ["GET", "OPTIONS"]

routes: list[BaseRoute] = [
    Route("/code.js", script.code_js, methods=["GET"]),
    Route("/assets/{name}", script.asset, methods=["GET"]),
    Route("/thumb/{code}/{version}/{width:int}.jpg", images.thumbnail, methods=["GET"]),
    Route("/preview/{sku}/{version}/{width:int}.{ext}", images.preview, methods=["GET"]),
    Route("/wall/{sku}/{version}/{width:int}.{ext}", images.wall, methods=["GET"]),
    Route("/api/options", api.options, methods=_API),
    Route("/api/search", api.search, methods=_API),
    Route("/api/artworks/{code}", api.artwork, methods=_API),
    Route("/api/price", api.price, methods=_API),
    Route("/api/cart/item", cart.cart_item, methods=["POST", "OPTIONS"]),
    Route("/api/cart/relay", cart.cart_relay, methods=["POST", "OPTIONS"]),
    Route("/api/projects", projects.project_list, methods=["GET", "POST", "OPTIONS"]),
    Route("/api/projects/{project_id:int}", projects.project_item, methods=["PATCH", "DELETE", "OPTIONS"]),
]
