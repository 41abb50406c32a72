"""The panel's services, built once per app from the runtime the lifespan made."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request

from ..domain.merchants import Merchant
from ..runtime import Runtime
from ..services.merchant_settings import MerchantSettings
from ..services.order_desk import OrderDesk
from ..services.users import Users
from ..web.state import runtime_of
from ..widget.state import WidgetState, widget_state
from .sessions import SessionCodec


@dataclass(frozen=True)
class Panel:
    runtime: Runtime
    users: Users
    desk: OrderDesk
    sessions: SessionCodec


def panel_of(request: Request) -> Panel:
    runtime = runtime_of(request)
    panel: Panel | None = getattr(request.app.state, "easel_admin", None)
    if panel is None or panel.runtime is not runtime:
        settings = runtime.settings
        panel = Panel(runtime, Users(runtime.engine, runtime.secrets, settings),
                      OrderDesk(runtime.orders, runtime.dispatch),
                      SessionCodec(runtime.secrets, settings.admin_session_ttl))
        request.app.state.easel_admin = panel
    return panel


HOST_APP = "easel.admin.host_app"
"""The scope key where ``routes.admin_app`` keeps the app the panel is mounted in (see ``host_widget_state``)."""


def host_widget_state(request: Request) -> WidgetState | None:
    """The widget's per-process state of the app the panel is mounted in (its caches, its outbound guard),
    or None when the panel runs alone (then there is no widget in this process to tell)."""
    host = request.scope.get(HOST_APP)
    if host is None:
        return None
    return widget_state(Request({**request.scope, "app": host}))


def forget_in_this_process(request: Request) -> Callable[[Merchant], None]:
    """A settings service's ``on_change`` hook: this process's caches (the order API's merchant directory
    and the widget's merchants by key) forget a merchant the moment its settings change."""
    runtime = panel_of(request).runtime
    widget = host_widget_state(request)

    def forget(merchant: Merchant) -> None:
        runtime.merchants.forget(merchant.username)
        if widget is not None:
            widget.forget()

    return forget


def settings_service(request: Request) -> MerchantSettings:
    """The settings service, with this process's caches told of every change."""
    runtime = panel_of(request).runtime
    return MerchantSettings(runtime.engine, runtime.secrets, on_change=[forget_in_this_process(request)])
