"""The cart relay: easel, not the browser, POSTs a signed item to the merchant's cart receivable path.

The destination is the page's origin (which CORS has already matched against the merchant's registered
origins) plus the merchant's cart path, and the POST goes through :class:`easel.outbound.Outbound`, so it
can only reach those origins and never a loopback, private, link-local or metadata address, redirects
included. The merchant's answer (JSON, or the start of its text) is handed back to the widget.
"""

from __future__ import annotations

import json
from typing import Any

from ..outbound import OutboundFailed, OutboundRefused
from .access import ApiProblem, Caller

ANSWER_TEXT_LIMIT = 2000


async def relay_to_cart(caller: Caller, item: dict[str, Any], customer_id: str | None,
                        customer_token: str) -> dict[str, Any]:
    """``{"ok", "status", "answer", "item"}``; a refused or failed POST is a 502 problem saying why."""
    merchant = caller.merchant
    if not merchant.cart_path:
        raise ApiProblem(409, "No cart path", "this shop has not set its cart receivable path")
    if not caller.origin or caller.origin == "null":
        raise ApiProblem(400, "Page origin needed", "the relay posts to the page's own origin; send Origin")
    payload = {**item, "customer_id": customer_id, "customer_token": customer_token or None}
    try:
        answer = await caller.state.outbound.post(
            caller.origin + merchant.cart_path, content=json.dumps(payload).encode(),
            allowed_origins=merchant.allowed_origins,
            headers={"Content-Type": "application/json", "Accept": "application/json", "User-Agent": "easel-relay"})
    except OutboundRefused as err:
        raise ApiProblem(502, "Cart relay refused", f"easel will not post to this cart: {err}") from None
    except OutboundFailed as err:
        raise ApiProblem(502, "Cart not reached", f"the shop's cart did not answer: {err}") from None
    text = answer.body.decode("utf-8", "replace")
    parsed: Any
    try:
        parsed = json.loads(text) if "json" in answer.headers.get("content-type", "") else text[:ANSWER_TEXT_LIMIT]
    except ValueError:
        parsed = text[:ANSWER_TEXT_LIMIT]
    return {"ok": 200 <= answer.status < 300, "status": answer.status, "answer": parsed, "item": item}
