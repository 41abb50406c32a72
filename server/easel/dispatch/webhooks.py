"""Inbound vendor callbacks: authenticated, stored before they are acknowledged, applied by a job.

``POST /vendor-callbacks/{vendor}/{account}/{token}``. Pwinty signs nothing, so the URL is the secret:
the token is derived from the server key per vendor and account (``easel vendors`` prints the URL to
register), and a callback only names an order that is then re-read from the vendor with easel's own
credentials, so a forged one can at most cause a re-read. A merchant's own account has its own URL
(``{account}`` is ``sandbox-12``: merchant 12's sandbox account), verified with that account's secret and
applied only to that merchant's orders. Vendors that sign (Pixelz) are verified with
their adapter's verifier before anything is stored. Storing is idempotent (a digest of the body), so a
callback delivered twice is applied once, and the answer is 200 only after the row is committed.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from ..vendors.errors import VendorError
from ..vendors.routing import parse_callback_name
from ..web.json_body import JsonBodyError, check_depth
from ..web.state import runtime_of
from .vendor_files import serve_master

log = logging.getLogger("easel.dispatch.webhooks")


async def vendor_callback(request: Request) -> Response:
    dispatch = runtime_of(request).dispatch
    vendor = request.path_params["vendor"]
    account = request.path_params["account"]
    named = parse_callback_name(account)
    if vendor not in dispatch.drivers or named is None or not dispatch.callback_token_ok(
            vendor, account, request.path_params["token"]):
        return PlainTextResponse("Not Found", 404)
    mode, owner = named
    body = await request.body()  # its size was bounded before it was read (EASEL_CALLBACK_MAX_BODY_BYTES)
    try:  # before any vendor parser sees it: json.loads recurses once per bracket
        check_depth(body, runtime_of(request).settings.max_json_depth)
    except JsonBodyError as err:
        log.warning("%s callback refused: %s", vendor, err)
        return PlainTextResponse("Bad Request", 400)
    driver = dispatch.drivers[vendor]
    if owner is None:
        found = dispatch.accounts.get(vendor, mode)
    else:  # a merchant's own account
        found = await dispatch.own_accounts.get(owner, vendor, mode)
    if found is None:  # no such account here: nothing to verify the callback with, nothing to re-read
        return PlainTextResponse("Not Found", 404)
    try:
        driver.verify_callback(found, body, request.headers)
    except VendorError as err:
        log.warning("%s callback refused: %s", vendor, err)
        return PlainTextResponse("Unauthorized", 401)
    try:
        refs = driver.callback_refs(body)
    except ValueError as err:
        log.warning("%s callback refused: %s", vendor, err)
        return PlainTextResponse("Bad Request", 400)
    new = await dispatch.receive_callback(vendor, account, body)
    log.info("%s callback for %s (%s)", vendor, ", ".join(refs), "new" if new else "repeat")
    return PlainTextResponse("OK")


routes: list[BaseRoute] = [
    Mount("/vendor-callbacks", routes=[Route("/{vendor}/{account}/{token}", vendor_callback, methods=["POST"])]),
    Mount("/vendor-files", routes=[Route("/{code}/{name}", serve_master, methods=["GET", "HEAD"])]),
]
