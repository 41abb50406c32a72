"""Projects: a signed-in shopper's saved configurations (save, list, rename, reopen, delete).

The shopper is the page's ``CustomerId`` (with ``CustomerToken`` when the merchant requires it; see
:mod:`easel.widget.customer_token`). Without a token, anyone who knows a customer id can read and
change that customer's projects; that is what the document's id-only design implies.
"""

from __future__ import annotations

import contextlib
import unicodedata
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..domain.configuration import resolve
from ..storage import catalog as catalog_store
from . import project_store
from .access import ApiProblem, Caller, Customer, customer_of, json_object, widget_endpoint
from .api import no_store, price_choices
from .cart import parse_choices
from .payloads import thumb_url, widget_base

MAX_NAME = 200


async def _customer(request: Request, caller: Caller) -> Customer:
    customer = await customer_of(request, caller)
    if customer is None:
        raise ApiProblem(401, "Sign in required", "projects belong to a signed-in shopper (CustomerId)")
    return customer


def _name(body: dict[str, Any]) -> str:
    raw = body.get("name")
    if not isinstance(raw, str):
        raise ApiProblem(400, "Bad name", "name must be text")
    name = "".join(ch for ch in raw if not unicodedata.category(ch).startswith("C")).strip()
    if not name or len(name) > MAX_NAME:
        raise ApiProblem(400, "Bad name", f"name must be 1 to {MAX_NAME} characters")
    return name


async def _describe(request: Request, caller: Caller, found: list[project_store.Project]) -> list[dict[str, Any]]:
    base = widget_base(request)
    tables = caller.state.runtime.tables
    out = []
    async with caller.state.runtime.engine.connect() as conn:
        for p in found:
            artwork = await catalog_store.artwork_by_code(conn, p.artwork_code)
            route, title, thumb = f"/product/edit/{p.artwork_code}", p.artwork_code, None
            if artwork is not None:
                title, thumb = artwork.title, thumb_url(base, artwork)
                with contextlib.suppress(ValueError):
                    route = resolve(artwork, p.choices, tables).route
            out.append({"id": p.id, "name": p.name, "code": p.artwork_code, "sku": p.sku, "title": title,
                        "thumb": thumb, "route": route, "created_at": p.created_at.isoformat(),
                        "updated_at": p.updated_at.isoformat()})
    return out


@widget_endpoint("write")
async def project_list(request: Request, caller: Caller) -> Response:
    """``GET /api/projects`` lists the shopper's projects; ``POST`` saves ``{name, code, choices}``."""
    customer = await _customer(request, caller)
    merchant_id = caller.merchant.id
    if request.method == "POST":
        body = await json_object(request)
        name = _name(body)
        product = await price_choices(caller, str(body.get("code") or ""), parse_choices(body))
        async with caller.state.runtime.engine.begin() as conn:
            if await project_store.count_projects(conn, merchant_id, customer.id) >= project_store.MAX_PER_CUSTOMER:
                raise ApiProblem(409, "Too many projects",
                                 f"delete some first (at most {project_store.MAX_PER_CUSTOMER})")
            created = await project_store.create_project(
                conn, merchant_id, customer.id, name, product.artwork.code, product.resolved.sku,
                product.resolved.configuration.as_choices())
        return no_store({"project": (await _describe(request, caller, [created]))[0]}, status=201)
    async with caller.state.runtime.engine.connect() as conn:
        found = await project_store.list_projects(conn, merchant_id, customer.id)
    return no_store({"projects": await _describe(request, caller, found)})


@widget_endpoint("write")
async def project_item(request: Request, caller: Caller) -> Response:
    """``PATCH /api/projects/{id}`` renames (``{name}``); ``DELETE`` removes."""
    customer = await _customer(request, caller)
    project_id = int(request.path_params["project_id"])
    merchant_id = caller.merchant.id
    if request.method == "DELETE":
        async with caller.state.runtime.engine.begin() as conn:
            gone = await project_store.delete_project(conn, merchant_id, customer.id, project_id)
        if not gone:
            raise ApiProblem(404, "Unknown project", "no such project for this shopper")
        return Response(status_code=204, headers={"Cache-Control": "no-store"})
    name = _name(await json_object(request))
    async with caller.state.runtime.engine.begin() as conn:
        if not await project_store.rename_project(conn, merchant_id, customer.id, project_id, name):
            raise ApiProblem(404, "Unknown project", "no such project for this shopper")
        project = await project_store.get_project(conn, merchant_id, customer.id, project_id)
    assert project is not None
    return no_store({"project": (await _describe(request, caller, [project]))[0]})
