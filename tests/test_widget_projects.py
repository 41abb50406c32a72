"""Projects: save, list, rename, reopen (route), delete; one shopper cannot touch another's; merchants
that require a CustomerToken get no projects without a valid one."""

from __future__ import annotations

import httpx
import pytest

from easel.demo.seed import DEMO_SECRET
from easel.runtime import Runtime
from easel.storage import merchants as merchant_store
from easel.widget.customer_token import customer_token

pytestmark = pytest.mark.anyio
PROJECTS = "/widget/v1/api/projects?api_key=demo"
SAVE = {"name": "Hallway", "code": "V00551", "choices": {"substrate": "paper", "style": "PF", "matte": "ML002"}}


def _who(customer: str, token: str | None = None) -> dict[str, str]:
    headers = {"X-Customer-Id": customer}
    if token:
        headers["X-Customer-Token"] = token
    return headers


async def test_save_list_rename_and_delete(client: httpx.AsyncClient) -> None:
    created = await client.post(PROJECTS, json=SAVE, headers=_who("ann"))
    assert created.status_code == 201
    project = created.json()["project"]
    assert project["name"] == "Hallway" and project["title"] == "Starry Night"
    assert project["route"] == "/product/edit/V00551/paper/PF/F0092/S?matte=ML002"
    listed = (await client.get(PROJECTS, headers=_who("ann"))).json()["projects"]
    assert [p["id"] for p in listed] == [project["id"]]
    item = f"/widget/v1/api/projects/{project['id']}?api_key=demo"
    renamed = await client.patch(item, json={"name": "  Over the sofa\u0000 "}, headers=_who("ann"))
    assert renamed.json()["project"]["name"] == "Over the sofa"
    assert (await client.delete(item, headers=_who("ann"))).status_code == 204
    assert (await client.get(PROJECTS, headers=_who("ann"))).json()["projects"] == []
    assert (await client.delete(item, headers=_who("ann"))).status_code == 404


async def test_one_shopper_cannot_see_or_change_anothers(client: httpx.AsyncClient) -> None:
    project = (await client.post(PROJECTS, json=SAVE, headers=_who("ann"))).json()["project"]
    item = f"/widget/v1/api/projects/{project['id']}?api_key=demo"
    assert (await client.get(PROJECTS, headers=_who("bob"))).json()["projects"] == []
    assert (await client.patch(item, json={"name": "mine"}, headers=_who("bob"))).status_code == 404
    assert (await client.delete(item, headers=_who("bob"))).status_code == 404


@pytest.mark.parametrize("body", [{**SAVE, "name": ""}, {**SAVE, "name": "x" * 201}, {**SAVE, "name": 5},
                                  {**SAVE, "code": "NOPE00"}, {**SAVE, "choices": {"style": "ZZ"}}])
async def test_bad_projects_are_refused(client: httpx.AsyncClient, body: dict[str, object]) -> None:
    response = await client.post(PROJECTS, json=body, headers=_who("ann"))
    assert 400 <= response.status_code < 500


async def test_projects_need_a_shopper(client: httpx.AsyncClient) -> None:
    assert (await client.get(PROJECTS)).status_code == 401
    assert (await client.post(PROJECTS, json=SAVE)).status_code == 401


async def test_a_token_when_sent_must_match(client: httpx.AsyncClient) -> None:
    good = await client.post(PROJECTS, json=SAVE, headers=_who("ann", customer_token("ann", DEMO_SECRET)))
    assert good.status_code == 201
    assert (await client.get(PROJECTS, headers=_who("ann", "0" * 64))).status_code == 401


async def test_merchants_may_require_tokens(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    async with demo_runtime.engine.begin() as conn:
        merchant = await merchant_store.merchant_by_api_key(conn, "demo")
        assert merchant is not None
        await merchant_store.update_merchant(conn, merchant.id, {"require_customer_token": True})
    refused = await client.get(PROJECTS, headers=_who("ann"))
    assert refused.status_code == 401 and "CustomerToken" in refused.json()["detail"]
    token = customer_token("ann", DEMO_SECRET)
    assert (await client.post(PROJECTS, json=SAVE, headers=_who("ann", token))).status_code == 201
    assert len((await client.get(PROJECTS, headers=_who("ann", token))).json()["projects"]) == 1


async def test_customer_ids_are_uri_encoded_and_checked(client: httpx.AsyncClient) -> None:
    created = await client.post(PROJECTS, json=SAVE, headers=_who("%C3%A9lodie%20b"))
    assert created.status_code == 201
    assert len((await client.get(PROJECTS, headers=_who("%C3%A9lodie%20b"))).json()["projects"]) == 1
    assert (await client.get(PROJECTS, headers=_who("x" * 201))).status_code == 400
