"""Admin panel sign-in: argon2 hashes, signed session cookies that expire and are revoked, CSRF on every
form, slowing down and locking out repeated failures, one-time set-password links, the CLI and the demo."""

from __future__ import annotations

import html
import time
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import pytest
from click.testing import CliRunner
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from easel.admin.sessions import COOKIE, Session, SessionCodec
from easel.app import create_app
from easel.cli import main
from easel.demo.seed import DEMO_OWNER_EMAIL
from easel.runtime import Runtime
from easel.services.signin_throttle import SigninThrottle
from easel.settings import Settings
from easel.storage import users as user_store
from easel.storage.tables import admin_signin_failures
from easel.storage.types import utcnow

from .admin_helpers import PASSWORD, csrf_of, make_user, post_form, sign_in, users_of
from .asgi_client import in_process

pytestmark = pytest.mark.anyio


async def test_passwords_are_hashed_with_argon2id_and_checked(client: httpx.AsyncClient,
                                                             demo_runtime: Runtime) -> None:
    user = await make_user(demo_runtime, "Ann@Shop.test")
    assert user.email == "ann@shop.test" and user.password_hash and user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    wrong = await sign_in(client, "ann@shop.test", "not the password")
    assert wrong.status_code == 401 and "e-mail address or password is not right" in wrong.text
    right = await sign_in(client, "ANN@shop.test")
    assert right.status_code == 303 and right.headers["location"] == "/admin/"
    assert "ann@shop.test" in (await client.get("/admin/")).text


async def test_unknown_accounts_get_the_same_answer(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    answer = await sign_in(client, "nobody@shop.test", "whatever")
    assert answer.status_code == 401 and "e-mail address or password is not right" in answer.text


async def test_session_cookie_is_httponly_strict_and_secure_on_https(client: httpx.AsyncClient,
                                                                     demo_runtime: Runtime) -> None:
    signed = await sign_in(client, DEMO_OWNER_EMAIL, "demo")
    cookie = signed.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/admin" in cookie
    assert "secure" not in cookie
    async with httpx.AsyncClient(transport=client._transport, base_url="https://testserver") as secure:
        over_https = await secure.get("/admin/sign-in")
    assert "secure" in over_https.headers["set-cookie"].lower()


async def test_sessions_expire(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    user = await make_user(demo_runtime, "ann@shop.test")
    codec = SessionCodec(demo_runtime.secrets, demo_runtime.settings.admin_session_ttl)
    old = Session("seed", user.id, user.session_version, time.time() - demo_runtime.settings.admin_session_ttl - 1)
    client.cookies.set(COOKIE, codec.encode(old), path="/admin")
    expired = await client.get("/admin/")
    assert expired.status_code == 303 and expired.headers["location"].startswith("/admin/sign-in")
    fresh = Session("seed", user.id, user.session_version, time.time())
    client.cookies.set(COOKIE, codec.encode(fresh), path="/admin")
    assert (await client.get("/admin/")).status_code == 200


async def test_sign_out_revokes_the_session_even_if_the_cookie_is_kept(client: httpx.AsyncClient,
                                                                       demo_runtime: Runtime) -> None:
    await sign_in(client, DEMO_OWNER_EMAIL, "demo")
    kept = client.cookies[COOKIE]
    out = await post_form(client, "/admin/", "/admin/sign-out", {})
    assert out.status_code == 303 and out.headers["location"] == "/admin/sign-in"
    client.cookies.set(COOKIE, kept, path="/admin")  # an attacker replaying the old cookie
    assert (await client.get("/admin/orders")).status_code == 303


async def test_changing_the_password_ends_other_sessions(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    await make_user(demo_runtime, "ann@shop.test")
    await sign_in(client, "ann@shop.test")
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with other:
        await sign_in(other, "ann@shop.test")
        assert (await other.get("/admin/")).status_code == 200
        wrong = await post_form(client, "/admin/account", "/admin/account",
                                {"current": "nope", "new": "a new password", "confirm": "a new password"})
        assert wrong.status_code == 400 and "current password is not right" in wrong.text
        short = await post_form(client, "/admin/account", "/admin/account",
                                {"current": PASSWORD, "new": "short", "confirm": "short"})
        assert short.status_code == 400 and "at least 8 characters" in short.text
        changed = await post_form(client, "/admin/account", "/admin/account",
                                  {"current": PASSWORD, "new": "a new password", "confirm": "a new password"})
        assert changed.status_code == 303
        assert (await client.get("/admin/")).status_code == 200  # this session was renewed
        assert (await other.get("/admin/")).status_code == 303  # the other one ended
        assert (await sign_in(other, "ann@shop.test", "a new password")).status_code == 303


@pytest.mark.parametrize("action", ["/admin/sign-in", "/admin/sign-out", "/admin/account"])
async def test_forms_without_the_csrf_token_are_refused(client: httpx.AsyncClient, demo_runtime: Runtime,
                                                        action: str) -> None:
    await sign_in(client, DEMO_OWNER_EMAIL, "demo")
    for data in ({"email": DEMO_OWNER_EMAIL, "password": "demo"}, {"csrf": "forged", "current": "demo"}):
        refused = await client.post(action, data=data)
        assert refused.status_code == 403 and "security token" in refused.text
        assert refused.headers["content-type"].startswith("text/html")
    assert (await client.get("/admin/")).status_code == 200  # still signed in: sign-out was refused too


async def test_a_token_from_another_session_is_refused(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    stranger = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with stranger:
        token = csrf_of((await stranger.get("/admin/sign-in")).text)
    await client.get("/admin/sign-in")
    refused = await client.post("/admin/sign-in", data={"csrf": token, "email": DEMO_OWNER_EMAIL, "password": "demo"})
    assert refused.status_code == 403


async def test_repeated_failures_are_slowed_down_even_for_the_right_password(client: httpx.AsyncClient,
                                                                            demo_runtime: Runtime) -> None:
    slow_after = demo_runtime.settings.admin_signin_slow_after
    for _ in range(slow_after):
        assert (await sign_in(client, DEMO_OWNER_EMAIL, "wrong")).status_code == 401
    slowed = await sign_in(client, DEMO_OWNER_EMAIL, "demo")
    assert slowed.status_code == 401 and "Too many failed sign-ins: wait 1 second" in slowed.text


async def test_a_locked_account_is_refused_and_says_for_how_long(client: httpx.AsyncClient,
                                                                 demo_runtime: Runtime) -> None:
    from easel.services.signin_throttle import account_key

    async with demo_runtime.engine.begin() as conn:
        await user_store.save_failures(conn, account_key(DEMO_OWNER_EMAIL), user_store.Failures(
            10, utcnow(), utcnow() + timedelta(minutes=15)))
    locked = await sign_in(client, DEMO_OWNER_EMAIL, "demo")
    assert locked.status_code == 401 and "This account is locked for 15 minutes" in locked.text


async def test_throttle_slows_then_locks_accounts_and_addresses(demo_runtime: Runtime) -> None:
    now = [utcnow()]
    settings = demo_runtime.settings
    throttle = SigninThrottle(demo_runtime.engine, settings, clock=lambda: now[0])
    email, client = "ann@shop.test", "192.0.2.7"
    waits = []
    for n in range(1, settings.admin_signin_lock_after + 1):
        refusal = await throttle.refusal(email, client)
        if refusal is not None:
            waits.append(refusal.retry_after)
            now[0] += timedelta(seconds=refusal.retry_after)
            assert await throttle.refusal(email, client) is None
        caused = await throttle.failed(email, client)
        assert (caused is not None) == (n == settings.admin_signin_lock_after)
    assert waits == [2 ** k for k in range(settings.admin_signin_lock_after - settings.admin_signin_slow_after)]
    locked = await throttle.refusal(email, client)
    assert locked is not None and "account is locked for 15 minutes" in locked.message
    assert await throttle.refusal("bob@shop.test", "192.0.2.8") is None  # others are not affected
    now[0] += timedelta(seconds=settings.admin_signin_lock + 1)
    assert await throttle.refusal(email, client) is None  # the lock ends and the failures are forgotten
    for n in range(settings.admin_signin_client_lock_after):  # one address trying many accounts
        await throttle.failed(f"user{n}@shop.test", "198.51.100.1")
    by_address = await throttle.refusal("new@shop.test", "198.51.100.1")
    assert by_address is not None and "from your address are locked" in by_address.message


async def test_old_failures_leave_no_rows_behind(demo_runtime: Runtime) -> None:
    now = [utcnow()]
    settings = demo_runtime.settings
    throttle = SigninThrottle(demo_runtime.engine, settings, clock=lambda: now[0])
    for n in range(50):  # sign-ins sprayed over many e-mails and addresses
        await throttle.failed(f"spray{n}@shop.test", f"203.0.113.{n}")
    now[0] += timedelta(seconds=settings.admin_signin_lock + 1)
    await throttle.failed("late@shop.test", "203.0.113.250")
    async with demo_runtime.engine.connect() as conn:
        left = (await conn.execute(select(func.count()).select_from(admin_signin_failures))).scalar_one()
    assert left == 2  # the late account and its address: the others' locks had ended


async def test_set_password_links_work_once_and_expire(client: httpx.AsyncClient, demo_runtime: Runtime,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    users = users_of(demo_runtime)
    user = await users.create("new@shop.test", merchant="testing", role="staff")
    parts = urlsplit(users.set_password_link(user, "http://testserver"))
    link = f"{parts.path}?{parts.query}"
    assert (await client.get(link)).status_code == 200
    differ = await post_form(client, link, link, {"password": "long enough 1", "confirm": "long enough 2"})
    assert differ.status_code == 400 and "differ" in differ.text
    done = await post_form(client, link, link, {"password": "long enough 1", "confirm": "long enough 1"})
    assert done.status_code == 303
    used = await client.get(link)
    assert used.status_code == 404 and "expired or been used" in used.text
    token = parts.query.split("=", 1)[1]
    assert caplog.records and not any(token in r.getMessage() for r in caplog.records)  # the access log shows ***
    assert (await sign_in(client, "new@shop.test", "long enough 1")).status_code == 303
    stale = URLSafeTimedSerializer("x")  # a link signed with another key is not genuine either
    assert (await client.get("/admin/set-password", params={"token": stale.dumps({"u": user.id, "p": "x"})})
            ).status_code == 404
    assert (await client.get("/admin/set-password")).status_code == 404
    later = await users.create("later@shop.test", merchant="testing", role="staff")
    with pytest.MonkeyPatch.context() as patch:  # a link made longer ago than EASEL_ADMIN_LINK_TTL
        patch.setattr(TimestampSigner, "get_timestamp",
                      lambda self: int(time.time()) - demo_runtime.settings.admin_link_ttl - 5)
        expired = users.set_password_link(later, "http://testserver")
    assert (await client.get(expired)).status_code == 404


def test_cli_creates_users_and_prints_a_one_time_link(settings: Settings) -> None:
    env = {"EASEL_DATA_DIR": str(settings.data_dir), "DATABASE_URL": settings.database_url,
           "EASEL_SECRET_KEY": settings.secret_key, "EASEL_PUBLIC_URL": "https://easel.example"}
    runner = CliRunner()
    assert runner.invoke(main, ["merchant", "create", "testing"], env=env).exit_code == 0
    made = runner.invoke(main, ["admin", "create-user", "Staff@Shop.test", "--merchant", "testing", "--role", "staff"],
                         env=env)
    assert made.exit_code == 0, made.output
    assert made.stdout.strip().startswith("https://easel.example/admin/set-password?token=")
    again = runner.invoke(main, ["admin", "create-user", "staff@shop.test", "--merchant", "testing"], env=env)
    assert again.exit_code == 1 and again.output.strip().endswith("There is already a user staff@shop.test.")
    nowhere = runner.invoke(main, ["admin", "create-user", "x@shop.test", "--merchant", "nosuch"], env=env)
    assert nowhere.exit_code == 1 and "no merchant 'nosuch'" in nowhere.output
    operator = runner.invoke(main, ["admin", "create-user", "ops@host.test", "--operator"], env=env)
    assert operator.exit_code == 0 and "/admin/set-password?token=" in operator.stdout
    bad = runner.invoke(main, ["admin", "create-user", "not-an-email", "--operator"], env=env)
    assert bad.exit_code == 1 and "is not an e-mail address" in bad.output
    relinked = runner.invoke(main, ["admin", "password-link", "STAFF@shop.test"], env=env)
    assert relinked.exit_code == 0 and relinked.stdout.startswith("https://easel.example/admin/set-password?token=")
    nobody = runner.invoke(main, ["admin", "password-link", "nobody@shop.test"], env=env)
    assert nobody.exit_code == 1 and "There is no user nobody@shop.test." in nobody.output


async def test_only_the_demo_creates_the_demo_owner(runtime: Runtime, demo_runtime: Runtime) -> None:
    async with demo_runtime.engine.connect() as conn:
        owner = await user_store.user_by_email(conn, DEMO_OWNER_EMAIL)
    assert owner is not None and owner.role == "owner" and owner.merchant_name == "testing"


async def test_serve_creates_no_admin_user(settings: Settings, runtime: Runtime) -> None:
    app = create_app(runtime=runtime)
    async with app.router.lifespan_context(app):
        pass
    async with runtime.engine.connect() as conn:
        assert await user_store.user_by_email(conn, DEMO_OWNER_EMAIL) is None


async def test_owners_invite_staff_with_the_same_one_time_link(client: httpx.AsyncClient,
                                                               demo_runtime: Runtime) -> None:
    await sign_in(client, DEMO_OWNER_EMAIL, "demo")
    invalid = await post_form(client, "/admin/team", "/admin/team", {"email": "x@shop.test", "role": "operator"})
    assert invalid.status_code == 400 and "Choose owner or staff" in invalid.text
    made = await post_form(client, "/admin/team", "/admin/team", {"email": "Sam@Shop.test", "role": "staff"})
    shown = urlsplit(html.unescape(made.text.split('id="invite-link"', 1)[1].split('value="', 1)[1].split('"', 1)[0]))
    link = f"{shown.path}?{shown.query}"
    assert made.status_code == 200 and link.startswith("/admin/set-password?token=") and "sam@shop.test" in made.text
    again = await post_form(client, "/admin/team", "/admin/team", {"email": "sam@shop.test", "role": "staff"})
    assert again.status_code == 400 and "already a user" in again.text
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as sam:
        assert (await post_form(sam, link, link, {"password": "sam's password", "confirm": "sam's password"})
                ).status_code == 303
        assert (await sign_in(sam, "sam@shop.test", "sam's password")).status_code == 303
        assert (await sam.get("/admin/team")).status_code == 403


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/admin/", "/demo/", "/admin\\@evil",
                                    "javascript:alert(1)"])
async def test_after_sign_in_only_panel_pages_are_followed(client: httpx.AsyncClient, demo_runtime: Runtime,
                                                           target: str) -> None:
    page = await client.get("/admin/sign-in", params={"next": target})
    signed = await client.post("/admin/sign-in", data={"csrf": csrf_of(page.text), "email": DEMO_OWNER_EMAIL,
                                                       "password": "demo", "next": target})
    assert signed.status_code == 303 and signed.headers["location"] == "/admin/"


async def test_the_sign_in_returns_to_the_page_asked_for(client: httpx.AsyncClient, demo_runtime: Runtime) -> None:
    asked = await client.get("/admin/orders", params={"status": "On Hold"})
    assert asked.headers["location"] == "/admin/sign-in?next=%2Fadmin%2Forders%3Fstatus%3DOn%2BHold"
    page = await client.get(asked.headers["location"])
    signed = await client.post("/admin/sign-in", data={"csrf": csrf_of(page.text), "email": DEMO_OWNER_EMAIL,
                                                       "password": "demo", "next": "/admin/orders?status=On+Hold"})
    assert signed.headers["location"] == "/admin/orders?status=On+Hold"


async def test_serve_has_the_panel_and_its_pages_carry_a_nonce_csp(demo_runtime: Runtime) -> None:
    app = create_app(runtime=demo_runtime)
    async with in_process(app) as http:
        page = await http.get("/admin/sign-in")
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        policy = page.headers["content-security-policy"]
        nonce = policy.split("'nonce-", 1)[1].split("'", 1)[0]
        assert f'<style nonce="{nonce}">' in page.text and "unsafe-inline" not in policy
        assert "<script" not in page.text  # the panel needs no script
        assert (await http.get("/admin")).headers["location"].endswith("/admin/")
