"""Helpers for the admin panel tests: users, signing in with the form's CSRF token, orders to look at."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select, update

from easel.dispatch import progress
from easel.runtime import Runtime
from easel.services.users import Users
from easel.storage import merchants as merchant_store
from easel.storage.tables import configurations, jobs
from easel.storage.users import User

from .orders_helpers import call, order

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def users_of(runtime: Runtime) -> Users:
    return Users(runtime.engine, runtime.secrets, runtime.settings)


async def make_user(runtime: Runtime, email: str, merchant: str | None = "testing", role: str = "owner",
                    password: str = PASSWORD) -> User:
    users = users_of(runtime)
    user = await users.create(email, merchant=merchant, role=role)
    await users.set_password(user, password)
    found = await users.get(user.id)
    assert found is not None
    return found


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    page = await client.get("/admin/sign-in")
    return await client.post("/admin/sign-in", data={"csrf": csrf_of(page.text), "email": email,
                                                     "password": password, "next": "/admin/"})


async def post_form(client: httpx.AsyncClient, page_path: str, action: str, data: dict[str, str]) -> httpx.Response:
    """Post ``data`` to ``action`` with the CSRF token read from ``page_path``, as a browser would."""
    page = await client.get(page_path)
    return await client.post(action, data={"csrf": csrf_of(page.text), **data})


async def a_sku(runtime: Runtime) -> str:
    async with runtime.engine.connect() as conn:
        rows = (await conn.execute(select(configurations.c.sku, configurations.c.choices)
                                   .order_by(configurations.c.sku))).all()
    return next(r.sku for r in rows if r.choices["style"] == "PF")


async def place_order(client: httpx.AsyncClient, runtime: Runtime, **extra: object) -> int:
    created = await call(client, "POST", "/orders", order([await a_sku(runtime)], **extra))
    assert created.status_code in (200, 201), created.text
    return int(created.json()["order"]["id"])


async def other_merchant(runtime: Runtime, username: str = "othershop") -> int:
    async with runtime.engine.begin() as conn:
        made = await merchant_store.create_merchant(conn, username, runtime.secrets.encrypt("other-secret"),
                                                    {"test_mode": True})
    return made.id


async def park_order(runtime: Runtime, order_id: int, reason: str) -> int:
    """Park the order's dispatch job and put the order On Hold, as the worker does after its last attempt."""
    async with runtime.engine.begin() as conn:
        job_id = int((await conn.execute(select(jobs.c.id).where(jobs.c.order_id == order_id,
                                                                 jobs.c.kind == "dispatch"))).scalar_one())
        await conn.execute(update(jobs).where(jobs.c.id == job_id).values(status="parked", attempts=12,
                                                                           last_error=reason))
        await progress.hold(conn, order_id, reason)
    return job_id
