"""The demo merchant store under ``/demo/``: a small shop built the way the document tells merchants to.

Its home page embeds the widget with the document's snippet (api_key ``demo``), sets options and a
``setPrice`` with a visible markup, and binds the widget's events. The shop has its own sign-in (a
session cookie signed with itsdangerous), the cart receivable path ``/demo/cart`` that checks easel's
signature on every item before keeping it, a cart page, and a checkout that places the order through
the signed order API with :class:`easel.client.AsyncImage2ArtClient`, as a merchant's back end would.

Carts live in this process only (a dict on the app, by session or by signed-in customer): enough for a
demo, lost on restart. The widget is loaded from ``127.0.0.1`` when the shop is opened as
``localhost`` (same port), so the shop and the widget are on two origins, as in production.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from ..client import (  # as a merchant's back end would
    AsyncImage2ArtClient,
    CartSignatureError,
    Image2ArtError,
    customer_token,
    verify_cart_item,
)
from ..demo.seed import DEMO_API_KEY, DEMO_SECRET, DEMO_USERNAME
from ..storage import catalog as catalog_store
from ..widget.customer_token import verify_customer_token
from .json_body import JsonBodyError, parse_json_object
from .security_headers import allow_sources
from .state import runtime_of
from .templates import make_templates

_templates = make_templates()
COOKIE = "easel_demo"
SESSION_DAYS = 7
MARKUP_PERCENT = 20
_LINE_FIELDS = ("sku", "title", "artist", "image_code", "preview", "substrate", "style", "frame", "matte", "size",
                "outer_size", "price", "list_price", "currency", "url", "gp_sku", "border_type", "border_color")


@dataclass
class Session:
    sid: str
    customer: dict[str, str] | None = None
    orders: list[int] = field(default_factory=list)

    @property
    def cart_key(self) -> str:
        return f"c:{self.customer['id']}" if self.customer else f"s:{self.sid}"


@dataclass
class DemoShop:
    """What the shop keeps in this process: its cookie key and the carts."""

    serializer: URLSafeTimedSerializer
    csrf_key: bytes
    carts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _shop(request: Request) -> DemoShop:
    shop: DemoShop | None = getattr(request.app.state, "easel_demo_shop", None)
    if shop is None:
        settings = runtime_of(request).settings
        key = settings.secret_key
        key_file = settings.data_dir / "secret.key"
        if not key and key_file.exists():
            key = key_file.read_text().strip()
        base = hashlib.sha256(b"easel-demo-shop|" + (key or secrets.token_hex(32)).encode()).digest()
        shop = DemoShop(URLSafeTimedSerializer(base, salt="easel-demo-session"),
                        hmac.new(base, b"csrf", hashlib.sha256).digest())
        request.app.state.easel_demo_shop = shop
    return shop


def _session(request: Request) -> Session:
    raw = request.cookies.get(COOKIE, "")
    if raw:
        try:
            data = _shop(request).serializer.loads(raw, max_age=SESSION_DAYS * 86400)
            return Session(str(data["sid"]), data.get("customer"), [int(i) for i in data.get("orders", [])])
        except (BadSignature, KeyError, TypeError, ValueError):
            pass
    return Session(secrets.token_urlsafe(16))


def _keep(request: Request, response: Response, session: Session) -> Response:
    value = _shop(request).serializer.dumps({"sid": session.sid, "customer": session.customer,
                                             "orders": session.orders[-20:]})
    response.set_cookie(COOKIE, value, max_age=SESSION_DAYS * 86400, path="/demo", httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")
    return response


def _csrf(request: Request, session: Session) -> str:
    return hmac.new(_shop(request).csrf_key, session.sid.encode(), hashlib.sha256).hexdigest()


async def _form(request: Request, session: Session) -> dict[str, str] | None:
    """The posted form, or None when its CSRF token is not this session's (any text, non-ASCII included)."""
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    sent = values.get("csrf", "").encode("utf-8", "surrogatepass")  # compare_digest refuses non-ASCII str
    return values if hmac.compare_digest(sent, _csrf(request, session).encode("ascii")) else None


def widget_origin(request: Request) -> str:
    """Where the widget's script comes from: ``127.0.0.1`` when the shop is opened as ``localhost``."""
    base = request.base_url
    if base.hostname == "localhost":
        base = base.replace(hostname="127.0.0.1")
    return str(base).rstrip("/")


def _cart(request: Request, session: Session) -> list[dict[str, Any]]:
    return _shop(request).carts.setdefault(session.cart_key, [])


def _count(lines: list[dict[str, Any]]) -> int:
    return sum(int(line["quantity"]) for line in lines)


def _page(request: Request, name: str, session: Session, status: int = 200, **context: Any) -> Response:
    allow_sources(request, widget_origin(request))  # the widget's script, previews and API, in every page's CSP
    lines = _cart(request, session)
    response = _templates.TemplateResponse(request, f"demo/{name}", {
        "session": session, "csrf": _csrf(request, session), "cart_count": _count(lines), **context},
        status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return _keep(request, response, session)


# --- pages ---------------------------------------------------------------------------------------------

async def store_home(request: Request) -> Response:
    session = _session(request)
    async with runtime_of(request).engine.connect() as conn:
        artworks = await catalog_store.all_artworks(conn)
    artworks.sort(key=lambda a: (a.code not in ("MP148A", "V00551"), a.code))  # the document's two first
    customer_id = session.customer["id"] if session.customer else None
    return _page(request, "index.html", session, artworks=artworks[:8], widget_origin=widget_origin(request),
                 api_key=DEMO_API_KEY, customer_id=customer_id, markup=MARKUP_PERCENT,
                 customer_token=customer_token(customer_id, DEMO_SECRET) if customer_id else None,
                 login_url=f"{request.base_url}demo/login")


def _safe_redirect(request: Request, target: str) -> str:
    """Only back to this shop (same origin), never to another site."""
    parts = urlsplit(target)
    if not target or "\\" in target or (parts.netloc and parts.netloc != request.url.netloc) or \
            (parts.scheme and parts.scheme != request.url.scheme):
        return "/demo/"
    if not parts.netloc and not target.startswith("/"):
        return "/demo/"
    if target.startswith("//"):
        return "/demo/"
    return target


async def login_page(request: Request) -> Response:
    session = _session(request)
    redirect = _safe_redirect(request, request.query_params.get("redirect_url", ""))
    if request.method == "GET":
        return _page(request, "login.html", session, redirect_url=redirect, error="")
    form = await _form(request, session)
    if form is None:
        return _page(request, "login.html", session, status=400, redirect_url=redirect,
                     error="Your session expired; please try again.")
    name, email = form.get("name", "").strip()[:100], form.get("email", "").strip().lower()[:200]
    redirect = _safe_redirect(request, form.get("redirect_url", ""))
    if not name or "@" not in email:
        return _page(request, "login.html", session, status=400, redirect_url=redirect,
                     error="Please give your name and email address.")
    guest_lines = _cart(request, session)
    session.customer = {"id": "cust-" + hashlib.sha256(email.encode()).hexdigest()[:12], "name": name,
                        "email": email}
    if guest_lines:
        _cart(request, session).extend(guest_lines)
        _shop(request).carts.pop(f"s:{session.sid}", None)
    return _keep(request, RedirectResponse(redirect, status_code=303), session)


async def logout(request: Request) -> Response:
    session = _session(request)
    if await _form(request, session) is not None:
        session.customer = None
    return _keep(request, RedirectResponse("/demo/", status_code=303), session)


# --- the cart receivable path ----------------------------------------------------------------------------

async def cart(request: Request) -> Response:
    """``POST /demo/cart``: an item from the widget (direct) or from easel's relay; ``GET``: the cart page."""
    session = _session(request)
    if request.method == "GET":
        lines = _cart(request, session)
        total = sum(float(line["price"]) * int(line["quantity"]) for line in lines)
        return _page(request, "cart.html", session, lines=lines, total=total, message="")
    try:  # the body's size was bounded before it was read (EASEL_WIDGET_MAX_BODY_BYTES)
        item = parse_json_object(await request.body(), runtime_of(request).settings.max_json_depth)
        verify_cart_item(item, DEMO_SECRET)
    except (JsonBodyError, CartSignatureError) as err:
        return JSONResponse({"error": f"Rejected: {err}"}, status_code=400)
    if "customer_id" in item and request.cookies.get(COOKIE) is None:  # from easel's relay, not a browser
        relayed_for, token = item.get("customer_id"), item.get("customer_token")
        if not isinstance(relayed_for, str) or not isinstance(token, str) or \
                not verify_customer_token(relayed_for, token, DEMO_SECRET):
            return JSONResponse({"error": "Sign in to this shop to add items to your cart"}, status_code=401)
        session = Session("relay", {"id": relayed_for, "name": "", "email": ""})
    lines = _cart(request, session)
    quantity = int(item["quantity"])
    line: dict[str, Any] = {k: item.get(k) for k in _LINE_FIELDS} | {"quantity": quantity}
    same = next((existing for existing in lines if existing["sku"] == line["sku"]), None)
    if same:
        same["quantity"] = min(99, int(same["quantity"]) + quantity)
        same["price"] = line["price"]
    else:
        lines.append(line)
    response = JSONResponse({"ok": True, "count": _count(lines), "cart_url": "/demo/cart"})
    return response if session.sid == "relay" else _keep(request, response, session)


async def cart_remove(request: Request) -> Response:
    session = _session(request)
    form = await _form(request, session)
    if form is not None:
        lines = _cart(request, session)
        lines[:] = [line for line in lines if line["sku"] != form.get("sku")]
    return _keep(request, RedirectResponse("/demo/cart", status_code=303), session)


# --- checkout: the order goes through the signed order API ------------------------------------------------

_ADDRESS = ("name", "email", "phone", "address", "city", "state", "zip", "country")


def _order_client(request: Request) -> AsyncImage2ArtClient:
    http: httpx.AsyncClient = getattr(request.app.state, "demo_order_http", None) or runtime_of(request).http
    return AsyncImage2ArtClient(str(request.base_url).rstrip("/"), DEMO_USERNAME, DEMO_SECRET, http=http)


async def checkout(request: Request) -> Response:
    session = _session(request)
    lines = _cart(request, session)
    total = sum(float(line["price"]) * int(line["quantity"]) for line in lines)
    customer = session.customer or {}
    defaults = {"name": customer.get("name", ""), "email": customer.get("email", ""), "phone": "512-555-0100",
                "address": "2101 E St Elmo Rd", "city": "Austin", "state": "TX", "zip": "78744", "country": "US"}
    if not lines:
        return RedirectResponse("/demo/cart", status_code=303)
    if request.method == "GET":
        return _page(request, "checkout.html", session, lines=lines, total=total, values=defaults, error="")
    form = await _form(request, session)
    if form is None:
        return _page(request, "checkout.html", session, status=400, lines=lines, total=total, values=defaults,
                     error="Your session expired; please try again.")
    values = {k: form.get(k, "").strip() for k in _ADDRESS}
    address = {k: values[k] for k in ("name", "address", "city", "state", "zip", "country")}
    order = {
        "customer": {**address, "email": values["email"], "phone": values["phone"]},
        "shipping": address,
        "items": [{"sku": line["sku"], "quantity": int(line["quantity"])} for line in lines],
        "notes": "Placed from the easel demo store",
    }
    try:
        created = await _order_client(request).create_order(order)
    except Image2ArtError as err:
        return _page(request, "checkout.html", session, status=400, lines=lines, total=total, values=values,
                     error=f"The order was not accepted: {err.long_message or err.short_message}")
    except httpx.HTTPError as err:
        return _page(request, "checkout.html", session, status=502, lines=lines, total=total, values=values,
                     error=f"The order service could not be reached ({type(err).__name__}); please try again.")
    order_id = int(created["order"]["id"])
    session.orders.append(order_id)
    lines.clear()
    return _keep(request, RedirectResponse(f"/demo/orders/{order_id}", status_code=303), session)


async def order_page(request: Request) -> Response:
    session = _session(request)
    order_id = int(request.path_params["order_id"])
    if order_id not in session.orders:
        return _page(request, "order.html", session, status=404, order=None, error="This order is not yours.")
    try:
        order = await _order_client(request).get_order(order_id)
    except (Image2ArtError, httpx.HTTPError) as err:
        return _page(request, "order.html", session, status=502, order=None, error=f"Could not read the order: {err}")
    tracking = [{"number": t.get("number", ""), "carrier": t.get("method", ""),  # a link only to a web page
                 "url": t["url"] if str(t.get("url", "")).startswith(("https://", "http://")) else ""}
                for t in order.get("shipping", {}).get("tracking", [])]
    return _page(request, "order.html", session, order=order, tracking=tracking, error="")
