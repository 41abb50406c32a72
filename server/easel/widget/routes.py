"""The widget's URL map, mounted by the app under ``/widget/v1``."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
