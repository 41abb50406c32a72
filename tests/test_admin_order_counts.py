"""The orders list's fast paths give the same answers as the plain ones: a search looks in the customer's
JSON text first (ASCII case ignored; other needles in the fields alone), and matches of a search, dates
or a mode are counted only up to ``EASEL_ADMIN_COUNT_MAX`` past the page ("more than N"), or not at all on the
list's last page; a status (or no filter) is counted exactly, by an index."""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from easel.runtime import Runtime

from .admin_helpers import place_order, sign_in
from .orders_helpers import CUSTOMER

pytestmark = pytest.mark.anyio


async def _ids(client: httpx.AsyncClient, placed: list[int], **params: str) -> set[int]:
    page = await client.get("/admin/orders", params=params)
    assert page.status_code == 200, page.text
    return {i for i in placed if f'href="/admin/orders/{i}"' in page.text}


async def test_searching_names_with_accents_quotes_and_any_case(client: httpx.AsyncClient,
                                                                demo_runtime: Runtime) -> None:
    names = ["José Ñúñez", 'Dwayne "The Rock" Johnson', "Zoë O'Brien"]
    placed = [await place_order(client, demo_runtime, customer={**CUSTOMER, "name": n, "email": f"c{i}@example.org"})
              for i, n in enumerate(names)]
    assert (await sign_in(client, "owner@demo.test", "demo")).status_code == 303
    assert await _ids(client, placed, q="josé") == {placed[0]}  # stored as \u00e9 in the JSON text
    assert await _ids(client, placed, q="jos") == {placed[0]}
    assert await _ids(client, placed, q='"the rock"') == {placed[1]}  # escaped as \" in the JSON text
    assert await _ids(client, placed, q="O'BRIEN") == {placed[2]}
    assert await _ids(client, placed, q="city") == set()  # a key of the JSON, not a name or an e-mail
    assert await _ids(client, placed, q="C1@EXAMPLE") == {placed[1]}


async def test_counts_stop_at_the_setting_and_the_pager_goes_on(client: httpx.AsyncClient,
                                                                demo_runtime: Runtime) -> None:
    placed = [await place_order(client, demo_runtime) for _ in range(7)]
    assert (await sign_in(client, "owner@demo.test", "demo")).status_code == 303
    demo_runtime.settings = dataclasses.replace(demo_runtime.settings, admin_page_size=2, admin_count_max=3)

    unfiltered = (await client.get("/admin/orders")).text
    assert 'id="result-count">7 orders; page 1 of 4<' in unfiltered, unfiltered.split('result-count">')[1][:80]
    first = await client.get("/admin/orders", params={"mode": "test"})
    assert 'id="result-count">More than 3 orders; page 1<' in first.text and 'rel="next"' in first.text
    third = await client.get("/admin/orders", params={"page": "3", "mode": "test"})  # counted up to 4 + 3 = 7: all of them
    assert 'id="result-count">7 orders; page 3 of 4<' in third.text
    last = await client.get("/admin/orders", params={"page": "4", "mode": "test"})
    assert 'id="result-count">7 orders; page 4 of 4<' in last.text and 'rel="next"' not in last.text
    assert f'/admin/orders/{placed[0]}"' in last.text
    beyond = await client.get("/admin/orders", params={"page": "9", "mode": "test"})
    assert 'id="result-count">7 orders; page 9 of 4<' in beyond.text

    demo_runtime.settings = dataclasses.replace(demo_runtime.settings, admin_count_max=1_000)
    assert 'id="result-count">7 orders; page 1 of 4<' in (await client.get("/admin/orders", params={"mode": "test"})).text
