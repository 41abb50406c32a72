"""The demo store's URL map, mounted by the app under ``/demo``."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from . import demo_store

routes: list[BaseRoute] = [
    Route("/", demo_store.store_home, methods=["GET"]),
    Route("/login", demo_store.login_page, methods=["GET", "POST"]),
    Route("/logout", demo_store.logout, methods=["POST"]),
    Route("/cart", demo_store.cart, methods=["GET", "POST"]),
    Route("/cart/remove", demo_store.cart_remove, methods=["POST"]),
    Route("/checkout", demo_store.checkout, methods=["GET", "POST"]),
    Route("/orders/{order_id:int}", demo_store.order_page, methods=["GET"]),
]
