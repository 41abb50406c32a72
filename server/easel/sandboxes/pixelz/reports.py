"""The account-wide read-outs: GET ProductIds (progress per productId) and GET Invoices (billing).

ProductIds: one `{ProductId, DoneCount, TodoCount}` per productId the account has used, in order of
first use: done = finished (70–80, 100), todo = still on its way (not finished, deleted or rejected).

Invoices: the sandbox bills each finished image at its template's price on the (sandbox) day it first
reached 70, one invoice per day, newest first, 50 per page as the document says. Nothing is ever paid:
`IsPaid` is false and `PaymentUrl` is `/Transactions?key=…` (with `&returnUrl=…` when given), `InvoiceUrl`
`/DownloadInvoice?invoiceNumber=…`, as in the document; neither link is served. `AmountDue` is text with
two decimals, as the document's JSON example writes it.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any
from urllib.parse import quote

from easel.sandboxes.pixelz.state import FINISHED, SandboxImage

INVOICES_PER_PAGE = 50
NOT_TODO = FINISHED | {0, 90, 999}


def product_ids(images: Iterable[SandboxImage]) -> list[dict[str, Any]]:
    stats: dict[str, dict[str, Any]] = {}
    for image in sorted(images, key=lambda i: i.id):
        if not image.product_id:
            continue
        row = stats.setdefault(image.product_id, {"DoneCount": 0, "ProductId": image.product_id, "TodoCount": 0})
        if image.status in FINISHED:
            row["DoneCount"] += 1
        elif image.status not in NOT_TODO:
            row["TodoCount"] += 1
    return list(stats.values())


def invoices(images: Iterable[SandboxImage], contact_id: int, return_url: str | None) -> list[dict[str, Any]]:
    """Every invoice of one account, newest first."""
    by_day: dict[date, float] = defaultdict(float)
    for image in images:
        if image.finished_at is not None:
            by_day[image.finished_at.date()] += image.template.price
    answers = []
    for day in sorted(by_day, reverse=True):
        number = f"INV-{contact_id}{day:%y%m%d}"
        key = hashlib.sha256(f"{number}:{contact_id}".encode()).hexdigest()[:20]
        payment = f"/Transactions?key={key}" + (f"&returnUrl={quote(return_url, safe=':/')}" if return_url else "")
        answers.append({"AmountDue": f"{by_day[day]:.2f}", "CreatedDate": day.isoformat(), "InvoiceId": number,
                        "InvoiceUrl": f"/DownloadInvoice?invoiceNumber={number}", "IsPaid": False,
                        "PaymentUrl": payment})
    return answers
