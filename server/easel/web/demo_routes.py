"""The demo store's URL map, mounted by the app under ``/demo``."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from .demo_store import store_home

routes: list[BaseRoute] = [Route("/", store_home, methods=["GET"])]
