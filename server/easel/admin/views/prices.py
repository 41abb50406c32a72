"""Prices (owner only): the wholesale table the shop buys at, its markups and fixed prices, what a shopper
sees for a sample configuration, and every change made to them.

Saving goes through ``services/merchant_settings`` (the rules ``easel merchant set --markup/--price`` use).
The sample is priced with the markups as typed, saved or not: without script the "Preview" button posts
the form back; with it, ``/admin/prices/preview`` answers JSON as the merchant types.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from ...domain.configuration import ConfigurationError
from ...domain.merchants import Merchant
from ...domain.pricing import Markups
from ...runtime import Runtime
from ...services.merchant_settings import SettingProblem, amount, markups_with, percent
from ...services.products import UnknownArtwork
from ...services.users import OWNER
from ...storage import catalog as catalog_store
from ..auth import Visitor, merchant_of, signed_in
from ..context import panel_of, settings_service
from ..forms import posted
from ..pages import render

SAMPLE_FIELDS = ("code", "style", "frame", "matte", "size")
NEW_SKU_ROWS = 2
HISTORY_FIELDS = ("markup ", "price ")


@dataclass(frozen=True)
class Sample:
    """What a shopper would see for one configuration, with the markups as typed."""

    title: str
    sku: str
    choices: dict[str, Any]
    list_cents: int
    price_cents: int
    fixed: bool
    markup: str


def _typed(form: dict[str, str], styles: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """The markups and fixed prices as the form carries them (``markup_PF``, ``sku_0``/``price_0``)."""
    by_style = {s: form.get(f"markup_{s}", "") for s in styles}
    rows = sorted(int(k[4:]) for k in form if k.startswith("sku_") and k[4:].isdigit() and len(k) < 12)
    by_sku = {form[f"sku_{n}"]: form.get(f"price_{n}", "") for n in rows if form[f"sku_{n}"].strip()}
    return by_style, by_sku


def _trial(form: dict[str, str], styles: list[str]) -> Markups:
    """The markups as typed (a blank markup or price removes it), checked by the service's rules."""
    by_style, by_sku = _typed(form, styles)
    return markups_with(Markups(), by_style, by_sku, styles)


async def first_artwork(runtime: Runtime) -> str:
    """The catalogue's first artwork (by title): the sample when none was picked; "" for an empty catalogue."""
    async with runtime.engine.connect() as conn:
        found, _ = await catalog_store.search_artworks(conn, limit=1)
    return found[0].code if found else ""


async def _sample(request: Request, merchant: Merchant, markups: Markups, form: dict[str, str]) -> Sample | None:
    runtime = panel_of(request).runtime
    choices = {k: form[k] for k in SAMPLE_FIELDS[1:] if form.get(k)}
    code = form.get("code", "") or await first_artwork(runtime)
    if not code:
        return None
    try:
        artwork = await runtime.products.artwork(code)
        product = runtime.products.offered(replace(merchant, markups=markups), artwork, choices)
    except UnknownArtwork:
        raise SettingProblem([f"there is no artwork {code[:40]!r}"]) from None
    except ConfigurationError as err:
        raise SettingProblem([f"that configuration cannot be made: {err}"]) from None
    config = product.resolved.configuration
    bp = markups.style_basis_points.get(config.style)
    return Sample(artwork.title, product.resolved.sku, config.as_choices(), product.list_cents, product.price_cents,
                  product.resolved.sku in markups.sku_cents, percent(bp) or "0")


async def _page(request: Request, visitor: Visitor, form: dict[str, str], *, status: int = 200,
                errors: list[str] | None = None, sample: Sample | None = None, notice: str = "") -> Response:
    merchant = merchant_of(visitor)
    runtime = panel_of(request).runtime
    tables = runtime.tables
    async with runtime.engine.connect() as conn:
        artworks, _ = await catalog_store.search_artworks(conn, limit=50)
    sku_rows = [(k, amount(v)) for k, v in merchant.markups.sku_cents.items()]
    if form:
        sku_rows = list(_typed(form, list(tables.style_by_code))[1].items())
    sku_rows += [("", "")] * NEW_SKU_ROWS
    markup_values = {s: form.get(f"markup_{s}", percent(merchant.markups.style_basis_points.get(s)))
                     for s in tables.style_by_code}
    history = await settings_service(request).history(merchant.id, HISTORY_FIELDS)
    return render(request, visitor, "prices.html", status=status, table=runtime.prices, tables=tables,
                  markup_values=markup_values, sku_rows=sku_rows, artworks=artworks, form=form, errors=errors or [],
                  sample=sample, notice=notice, history=history, currency=merchant.currency)


@signed_in(OWNER)
async def prices_page(request: Request, visitor: Visitor) -> Response:
    merchant = merchant_of(visitor)
    styles = list(panel_of(request).runtime.tables.style_by_code)
    if request.method == "GET":
        form = {k: v for k, v in request.query_params.items() if k in SAMPLE_FIELDS}
        try:
            sample = await _sample(request, merchant, merchant.markups, form)
        except SettingProblem as err:
            return await _page(request, visitor, {}, status=400, errors=err.problems)
        notice = "The prices were saved." if request.query_params.get("done") == "1" else ""
        return await _page(request, visitor, {}, sample=sample, notice=notice)
    form = await posted(request, visitor.session)
    try:
        trial = _trial(form, styles)
        if form.get("action") == "save":
            assert visitor.user is not None
            await settings_service(request).change(merchant.id, {"markups": trial}, visitor.user.email)
            query = urlencode({"done": 1, **{k: form[k] for k in SAMPLE_FIELDS if form.get(k)}})
            return RedirectResponse(f"/admin/prices?{query}#sample", status_code=303)
        sample = await _sample(request, merchant, trial, form)
    except SettingProblem as err:
        return await _page(request, visitor, form, status=400, errors=err.problems)
    return await _page(request, visitor, form, sample=sample, notice="Preview only: nothing was saved yet.")


@signed_in(OWNER)
async def preview(request: Request, visitor: Visitor) -> Response:
    """The sample's price with the markups as typed, for the page's script (nothing is saved)."""
    merchant = merchant_of(visitor)
    form = await posted(request, visitor.session)
    try:
        sample = await _sample(request, merchant, _trial(form, list(panel_of(request).runtime.tables
                                                                              .style_by_code)), form)
    except SettingProblem as err:
        return JSONResponse({"errors": err.problems}, status_code=400, headers={"Cache-Control": "no-store"})
    if sample is None:
        return JSONResponse({"errors": ["the catalogue has no artwork to price"]}, status_code=409,
                            headers={"Cache-Control": "no-store"})
    return JSONResponse({"title": sample.title, "sku": sample.sku, "choices": sample.choices,
                         "list_price": amount(sample.list_cents), "price": amount(sample.price_cents),
                         "fixed": sample.fixed, "markup": sample.markup, "currency": merchant.currency},
                        headers={"Cache-Control": "no-store"})
