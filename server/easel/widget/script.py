"""``GET /widget/v1/code.js?api_key=KEY``: the widget, with the merchant's settings, its CSS and source map.

The script is the esbuild build of ``widget_assets/src`` (see :mod:`easel.widget.assets`) with the
merchant's settings and the option tables in place of its ``__EASEL_CONFIG__`` placeholder; it is cached
for five minutes and revalidated by ETag, in gzip or brotli, and names its source map, which (like the
CSS) has a content-hashed name under ``assets/`` and is cached forever: one map for every merchant.
A missing or unknown key, or a database that does not answer, gets a small script that logs one console
error, shows a notice in ``#box_widget`` and defines a do-nothing ``image2art`` so the page's own calls
(``setOptions``, ``$(window).on``) do not throw as well. Never a 500.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import Response

from ..domain.merchants import Merchant
from ..settings import SettingsError
from .assets import Bundle, WidgetBuildError
from .http_cache import cached_response
from .state import WidgetState, widget_state

logger = logging.getLogger("easel.widget")

SCRIPT_TYPE = "text/javascript; charset=utf-8"
SCRIPT_CACHE = "public, max-age=300, stale-while-revalidate=86400"
_CSS_NAME = re.compile(r"^widget\.[0-9a-f]{12}\.css$")
_MAP_NAME = re.compile(r"^widget\.[0-9a-f]{12}\.js\.map$")
_FOREVER = "public, max-age=31536000, immutable"

_NOTICE = """(function(w,d,m){
console.error("easel widget: "+m);
var n=function(){return q},q={on:n,off:n,one:n,trigger:n};
w.image2art=w.image2art||{$:n,widget:{setOptions:n,setPrice:function(p){return p.price},initialize:n}};
function show(){var b=d.getElementById("box_widget");if(!b)return;var p=d.createElement("p");
p.setAttribute("role","alert");p.className="nep-notice";
p.textContent="The art gallery cannot be shown here: "+m;b.appendChild(p)}
d.readyState==="loading"?d.addEventListener("DOMContentLoaded",show):show()})(window,document,%s);
"""


def js_literal(value: Any) -> str:
    """JSON that is also safe inside an HTML ``<script>`` and a JS string (no ``</``, U+2028/9)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def notice_script(message: str) -> Response:
    body = _NOTICE % js_literal(message)
    return Response(body, media_type=SCRIPT_TYPE, headers={"Cache-Control": "no-store", "X-Easel-Widget": "notice"})


def widget_config(state: WidgetState, merchant: Merchant, api_key: str, bundle: Bundle) -> dict[str, Any]:
    """What the widget knows about its merchant: nothing secret, all of it visible in the page anyway."""
    return {
        "key": api_key,
        "css": f"assets/{bundle.css_name}",
        "currency": merchant.currency,
        "cart": {"mode": merchant.cart_mode, "path": merchant.cart_path},
        "login": merchant.login_url,
        "origins": list(merchant.allowed_origins),
        "token": merchant.require_customer_token,
        "tables": widget_tables(state.tables_json(merchant)),
    }


def widget_tables(tables: dict[str, Any]) -> dict[str, Any]:
    """The option tables cut to what the widget reads to offer only what combines (a smaller script)."""
    def pick(rows: list[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
        return [{k: row[k] for k in keys} for row in rows]

    border = tables["border"]
    return {
        "substrates": pick(tables["substrates"], "code", "name"),
        "styles": pick(tables["styles"], "code", "substrate", "name", "border_types", "stretcher_bars", "hardware",
                       "sizes", "framed", "print_margin"),
        "frames": pick(tables["frames"], "code", "name", "color", "styles", "width"),
        "mattes": pick(tables["mattes"], "code", "name", "color", "styles", "width"),
        "border": {k: border[k] for k in ("min_width", "max_width", "min_width_for_bar")},
        "preview_formats": tables["preview_formats"],
    }


async def code_js(request: Request) -> Response:
    state = widget_state(request)
    api_key = request.query_params.get("api_key", "").strip()
    if not api_key:
        return notice_script("the script tag has no api_key (code.js?api_key=YOUR_KEY)")
    try:
        merchant = await state.merchant(api_key)
    except (SQLAlchemyError, OSError, SettingsError) as err:
        logger.error("code.js: cannot look up the api_key: %s", err)
        return notice_script("the service is unavailable right now; please try again later")
    if merchant is None:
        return notice_script(f"unknown api_key {api_key[:64]!r}; check the key in the script tag")
    request.scope.setdefault("state", {})["merchant"] = merchant.username
    try:
        bundle = state.assets.bundle()
    except WidgetBuildError as err:
        logger.error("code.js: %s", err)
        return notice_script("the widget is not built on this server; its log says how to build it")
    body = bundle.script_head + js_literal(widget_config(state, merchant, api_key, bundle)) + bundle.script_tail
    return cached_response(request, state.scripts.get(body.encode()), SCRIPT_TYPE, SCRIPT_CACHE)


async def asset(request: Request) -> Response:
    """``GET /widget/v1/assets/widget.<hash>.css`` and ``….js.map``: forever-cacheable when the hash is current.

    A stale CSS name still gets the current CSS, briefly cached (a cached script may name it); a stale
    map name is a 404, since another build's map would point at the wrong code."""
    name = request.path_params["name"]
    is_css, is_map = bool(_CSS_NAME.match(name)), bool(_MAP_NAME.match(name))
    if not (is_css or is_map):
        return _not_found()
    try:
        bundle = widget_state(request).assets.bundle()
    except WidgetBuildError as err:
        logger.error("%s: %s", name, err)
        return Response("the widget is not built on this server", status_code=503, media_type="text/plain",
                        headers={"Cache-Control": "no-store"})
    if is_map:
        if name != bundle.map_name:
            return _not_found()
        return cached_response(request, bundle.source_map, "application/json", _FOREVER)
    cache = _FOREVER if name == bundle.css_name else "public, max-age=60"
    return cached_response(request, bundle.css, "text/css; charset=utf-8", cache)



def _not_found() -> Response:
    return Response("not found", status_code=404, media_type="text/plain", headers={"Cache-Control": "max-age=60"})

