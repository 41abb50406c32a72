"""The panel's URL map, in one screen, and the sub-application mounted at ``/admin``.

It is a Starlette app of its own so that its errors (403, 404, 405, 500) are pages in the panel's look,
not the order API's error object; the outer app's middleware (body limit, CSP with nonces, access log)
still wraps it.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .context import HOST_APP
from .pages import error_page, server_error
from .views import api_settings, catalogue, dashboard, merchants, orders, prices, signin, team, vendors, widget_settings

routes = [
    Route("/", dashboard.dashboard, name="admin:dashboard"),
    Route("/sign-in", signin.sign_in, methods=["GET", "POST"]),
    Route("/sign-out", signin.sign_out, methods=["POST"]),
    Route("/set-password", signin.set_password, methods=["GET", "POST"]),
    Route("/account", signin.account, methods=["GET", "POST"]),
    Route("/orders", orders.orders_list),
    Route("/orders/{order_id:int}", orders.order_page),
    Route("/orders/{order_id:int}/shipping", orders.order_shipping, methods=["POST"]),
    Route("/orders/{order_id:int}/jobs/{job_id:int}/retry", orders.retry_job, methods=["POST"]),
    Route("/orders/{order_id:int}/hold", orders.hold, methods=["POST"]),
    Route("/orders/{order_id:int}/release", orders.release, methods=["POST"]),
    Route("/orders/{order_id:int}/cancel", orders.cancel, methods=["POST"]),
    Route("/orders/{order_id:int}/events/{event_id}/resend", orders.resend, methods=["POST"]),
    Route("/catalogue", catalogue.catalogue),
    Route("/catalogue/add", catalogue.add, methods=["POST"]),
    Route("/catalogue/import", catalogue.import_file, methods=["POST"]),
    Route("/catalogue/export", catalogue.export),
    Route("/catalogue/{code}", catalogue.artwork_page, methods=["GET", "POST"]),
    Route("/catalogue/{code}/visibility", catalogue.visibility, methods=["POST"]),
    Route("/team", team.team, methods=["GET", "POST"]),
    Route("/prices", prices.prices_page, methods=["GET", "POST"]),
    Route("/prices/preview", prices.preview, methods=["POST"]),
    Route("/api", api_settings.api_page, methods=["GET", "POST"]),
    Route("/api/rotate-secret", api_settings.rotate_secret, methods=["POST"]),
    Route("/api/test-event", api_settings.test_event, methods=["POST"]),
    Route("/widget", widget_settings.widget_page, methods=["GET", "POST"]),
    Route("/widget/keys", widget_settings.keys, methods=["POST"]),
    Route("/widget/test-item", widget_settings.test_item, methods=["POST"]),
    Route("/vendors", vendors.vendors_page),
    Route("/vendors/accounts", vendors.set_account, methods=["POST"]),
    Route("/vendors/accounts/remove", vendors.remove_account, methods=["POST"]),
    Route("/vendors/routing", vendors.routing, methods=["POST"]),
    Route("/merchants", merchants.merchants, methods=["GET", "POST"]),
    Route("/merchants/{username}", merchants.merchant_page),
    Route("/merchants/{username}/settings", merchants.merchant_settings, methods=["POST"]),
    Route("/merchants/{username}/owner", merchants.create_owner, methods=["POST"]),
]


class _KeepHost:
    """Keeps the app the panel is mounted in (``scope["app"]`` before the panel's own app replaces it), so
    a settings change can tell that app's widget caches (``context.host_widget_state``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if "app" in scope:
            scope[HOST_APP] = scope["app"]
        await self.app(scope, receive, send)


def admin_app() -> ASGIApp:
    handlers = {400: error_page, 403: error_page, 404: error_page, 405: error_page, 409: error_page, 429: error_page,
                500: server_error}
    return _KeepHost(Starlette(routes=routes, exception_handlers=handlers))  # type: ignore[arg-type]
