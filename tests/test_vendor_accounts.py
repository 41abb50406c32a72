"""Merchants' own vendor accounts: an order goes to Pwinty under the merchant's own credentials (over real
HTTP, at a sandbox that knows both accounts), its callback URL verifies and finds the order, removing the
account falls back to the operator's; the rules (vendor, mode, URL, required fields, live host) and the
masked history; vendor call counts per merchant written in batches; the CLI through the same service."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from easel.cli import main
from easel.domain.merchants import Merchant
from easel.runtime import Runtime
from easel.services.merchant_settings import SettingProblem
from easel.services.vendor_accounts import vendor_accounts_of
from easel.services.vendor_calls import CallMeter
from easel.settings import Settings
from easel.storage import merchants as merchant_store
from easel.storage.tables import merchant_vendor_accounts, setting_changes, vendor_call_counts, vendor_callbacks
from easel.vendors.base import count_calls_for
from easel.vendors.errors import VendorUnavailable

from .dispatch_helpers import api_client, fulfilment_runtime, place, pwinty_sandbox, sandbox_orders, styled_skus, worker

pytestmark = pytest.mark.anyio
OWN = {"merchant_id": "shop-own-account", "api_key": "own-key-0123456789"}
ACCOUNTS = {"sandbox-merchant": "sandbox-key", OWN["merchant_id"]: OWN["api_key"]}


async def _merchant(runtime: Runtime, name: str = "testing") -> Merchant:
    async with runtime.engine.connect() as conn:
        found = await merchant_store.merchant_by_username(conn, name)
    assert found is not None
    return found


async def test_an_order_goes_to_pwinty_under_the_merchants_own_account(settings: Settings, tmp_path: Path) -> None:
    with pwinty_sandbox(accounts=ACCOUNTS) as sandbox:
        runtime = await fulfilment_runtime(settings, tmp_path, sandbox, callbacks_allow_private=True)
        try:
            merchant = await _merchant(runtime)
            service = vendor_accounts_of(runtime)
            await service.set(merchant.id, "pwinty", "sandbox", sandbox, OWN, "owner@shop.test")
            merchant = await _merchant(runtime)
            assert merchant.own_vendor_accounts == {("pwinty", "sandbox")}
            jobs = worker(runtime)  # one worker: on SQLite a second would wait for the first one's lease
            async with api_client(runtime) as client:
                first = await place(client, await styled_skus(runtime, "CG", "S"))
                await jobs.run_until_idle()
                [made] = sandbox_orders(sandbox)["orders"]
                assert made["merchantId"] == OWN["merchant_id"]  # not the operator's sandbox-merchant

                # Pwinty's callback for it, at the URL of the merchant's own account, finds the order
                account = f"sandbox-{merchant.id}"
                path = runtime.dispatch.callback_url("pwinty", account).removeprefix(runtime.dispatch.public_url)
                body = json.dumps({"orderId": made["id"], "status": "Submitted", "environment": "SANDBOX",
                                   "shipments": None}).encode()
                operator_path = runtime.dispatch.callback_url("pwinty", "sandbox")
                assert path.rsplit("/", 1)[1] != operator_path.rsplit("/", 1)[1]  # each account its own secret
                other = runtime.dispatch.callback_url("pwinty", f"sandbox-{merchant.id + 1}")
                other_path = other.removeprefix(runtime.dispatch.public_url)
                assert (await client.post(other_path, content=body)).status_code == 404  # no such account
                assert (await client.post(path.replace(account, "sandbox-01"), content=body)).status_code == 404
                assert (await client.post(path, content=body)).status_code == 200
                await jobs.run_until_idle()
                async with runtime.engine.connect() as conn:
                    outcome = (await conn.execute(select(vendor_callbacks.c.outcome))).scalar_one()
                assert outcome == f"{made['id']}: applied to order {first}"

                # removed: the next order goes to the operator's account again
                await service.remove(merchant.id, "pwinty", "sandbox", "owner@shop.test")
                assert (await _merchant(runtime)).own_vendor_accounts == frozenset()
                await place(client, await styled_skus(runtime, "CG", "S"))
                await jobs.run_until_idle()
                merchants = [o["merchantId"] for o in sandbox_orders(sandbox)["orders"]]
                assert sorted(merchants) == sorted([OWN["merchant_id"], "sandbox-merchant"])

            await runtime.dispatch.meter.flush()
            rates = await runtime.dispatch.meter.rates(merchant.id)
            assert rates["pwinty"].calls >= 6 and rates["pwinty"].errors == 0  # create, images, submit... twice
            assert await runtime.dispatch.meter.rates(merchant.id + 1) == {}
        finally:
            await runtime.close()


async def test_a_refusing_own_account_is_counted_with_a_redacted_error(settings: Settings, tmp_path: Path) -> None:
    with pwinty_sandbox(accounts=ACCOUNTS) as sandbox:
        runtime = await fulfilment_runtime(settings, tmp_path, sandbox, callbacks_allow_private=True)
        try:
            merchant = await _merchant(runtime)
            await vendor_accounts_of(runtime).set(merchant.id, "pwinty", "sandbox", sandbox,
                                                  {**OWN, "api_key": "a-wrong-key-9876"}, "cli")
            async with api_client(runtime) as client:
                order_id = await place(client, await styled_skus(runtime, "CG", "S"))
                await worker(runtime).run_until_idle()
                assert sandbox_orders(sandbox)["orders"] == []
                assert (await runtime.orders.get(await _merchant(runtime), order_id)) is not None
            rate = (await runtime.dispatch.meter.rates(merchant.id))["pwinty"]
            assert rate.errors >= 1 and rate.errors == rate.calls
            assert "pwinty.create_order" in rate.last_error and "a-wrong-key" not in rate.last_error
        finally:
            await runtime.close()


async def test_counts_are_written_in_batches_and_added_up(runtime: Runtime) -> None:
    meter = runtime.dispatch.meter
    async with runtime.engine.begin() as conn:
        made = await merchant_store.create_merchant(conn, "counted", runtime.secrets.encrypt("s"), {})
    count_calls_for(meter.tally_for(made.id))
    try:
        tally = meter.tally_for(made.id)
        for _ in range(3):
            tally("pwinty", None)
        tally("pwinty", VendorUnavailable("pwinty", "get_order", "down at https://x.test/o?key=SECRETKEY"))
        assert meter.pending == 1  # one key in memory, nothing written yet
        async with runtime.engine.connect() as conn:
            assert (await conn.execute(select(vendor_call_counts))).all() == []
        await meter.flush()
        tally("pwinty", None)
        await meter.flush()
        rate = (await meter.rates(made.id))["pwinty"]
        assert (rate.calls, rate.errors) == (5, 1)
        assert "SECRETKEY" not in rate.last_error and "key=***" in rate.last_error
    finally:
        count_calls_for(None)


async def test_the_meter_is_bounded(runtime: Runtime) -> None:
    meter = CallMeter(runtime.engine, max_keys=2)
    for merchant_id in (1, 2, 3, 4):
        meter.record(merchant_id, "pwinty", None)
    assert meter.pending == 2


@pytest.mark.parametrize(("vendor", "mode", "url", "credentials", "wanted"), [
    ("printful", "sandbox", "https://api.printful.test", {}, "vendor: 'printful' is not an installed vendor"),
    ("pwinty", "staging", "https://sandbox.pwinty.test", {}, "mode: 'staging' must be sandbox or live"),
    ("pwinty", "sandbox", "http://sandbox.pwinty.test", OWN, "base URL: must be https"),
    ("pwinty", "sandbox", "ftp://sandbox.pwinty.test", OWN, "must be an absolute https URL"),
    ("pwinty", "sandbox", "https://u:p@sandbox.pwinty.test", OWN, "must not carry a user name"),
    ("pwinty", "sandbox", "https://127.0.0.1:8443/v3", OWN, "a loopback address"),
    ("pwinty", "sandbox", "https://169.254.169.254/latest", OWN, "a link-local address"),
    ("pwinty", "sandbox", "https://api.pwinty.com/v3.0", OWN, "sandbox account points at the live API"),
    ("pwinty", "live", "https://8.8.8.8/v3.0", {"merchant_id": "m"}, "api_key: is required for a pwinty account"),
    ("pwinty", "live", "https://8.8.8.8/v3.0", {**OWN, "colour": "red"}, "colour: is not a pwinty credential"),
    ("pixelz", "live", "https://8.8.8.8/", {"contact_email": "a@b.c", "api_key": "k k", "secret": "s"},
     "api_key: must not contain spaces"),
])
async def test_bad_accounts_are_refused_naming_the_field(demo_runtime: Runtime, vendor: str, mode: str, url: str,
                                                         credentials: dict[str, str], wanted: str) -> None:
    merchant = await _merchant(demo_runtime)
    with pytest.raises(SettingProblem) as refused:
        await vendor_accounts_of(demo_runtime).set(merchant.id, vendor, mode, url, credentials, "cli")
    assert wanted in str(refused.value)
    async with demo_runtime.engine.connect() as conn:
        assert (await conn.execute(select(merchant_vendor_accounts))).all() == []


async def test_history_is_masked_and_blank_credentials_are_kept(demo_runtime: Runtime) -> None:
    merchant = await _merchant(demo_runtime)
    service = vendor_accounts_of(demo_runtime)
    await service.set(merchant.id, "pwinty", "live", "https://8.8.8.8/v3.0", OWN, "owner@shop.test")
    await service.set(merchant.id, "pwinty", "live", "https://8.8.4.4/v3.0", {"merchant_id": "", "api_key": ""},
                      "owner@shop.test")
    [shown] = await service.list(merchant.id)
    assert shown.base_url == "https://8.8.4.4/v3.0"
    assert shown.credentials == {"merchant_id": "••••ount", "api_key": "••••6789"}
    own = await demo_runtime.dispatch.own_accounts.of(await _merchant(demo_runtime))
    assert own[("pwinty", "live")].credentials == OWN  # kept, decrypted for dispatch only
    async with demo_runtime.engine.connect() as conn:
        rows = (await conn.execute(select(setting_changes.c.field, setting_changes.c.old_value,
                                          setting_changes.c.new_value).order_by(setting_changes.c.id))).all()
        stored = (await conn.execute(select(merchant_vendor_accounts.c.credentials_encrypted))).scalar_one()
    assert [tuple(r) for r in rows] == [
        ("pwinty live account url", "operator's", "https://8.8.8.8/v3.0"),
        ("pwinty live account api_key", "none", "••••6789"),
        ("pwinty live account merchant_id", "none", "••••ount"),
        ("pwinty live account url", "https://8.8.8.8/v3.0", "https://8.8.4.4/v3.0")]
    assert OWN["api_key"] not in stored and OWN["api_key"] not in json.dumps([tuple(r) for r in rows])


async def test_own_account_makes_a_live_merchants_configurations_sellable(demo_runtime: Runtime) -> None:
    """No operator live account: nothing is offered live; the merchant's own live Pwinty account makes
    Pwinty's configurations sellable (for that merchant only)."""
    runtime = demo_runtime
    merchant = replace(await _merchant(runtime), test_mode=False)
    before = len(runtime.products.plan(merchant).makeable)
    await vendor_accounts_of(runtime).set(merchant.id, "pwinty", "live", "https://8.8.8.8/v3.0", OWN, "cli")
    after = replace(await _merchant(runtime), test_mode=False)
    assert before == 0 and len(runtime.products.plan(after).makeable) > 0
    assert len(runtime.products.plan(merchant).makeable) == 0  # another merchant without one: still nothing


def test_cli_sets_lists_and_removes_an_account(settings: Settings) -> None:
    import asyncio

    async def seed() -> None:
        runtime = Runtime.create(settings)
        try:
            async with runtime.engine.begin() as conn:
                await merchant_store.create_merchant(conn, "clishop", runtime.secrets.encrypt("s"), {})
        finally:
            await runtime.close()

    asyncio.run(seed())
    env = {"EASEL_DATA_DIR": str(settings.data_dir), "DATABASE_URL": settings.database_url,
           "EASEL_SECRET_KEY": settings.secret_key}
    runner = CliRunner()
    done = runner.invoke(main, ["merchant", "vendor-account", "set", "clishop", "pwinty", "live", "--url",
                                "https://8.8.8.8/v3.0", "--credential", "merchant_id=cli-merchant-id",
                                "--credential", "api_key=cli-api-key-123456"], env=env)
    assert done.exit_code == 0, done.output
    listed = runner.invoke(main, ["merchant", "vendor-account", "list", "clishop"], env=env)
    assert json.loads(listed.output) == [{"vendor": "pwinty", "mode": "live", "url": "https://8.8.8.8/v3.0",
                                          "merchant_id": "••••t-id", "api_key": "••••3456"}]
    bad = runner.invoke(main, ["merchant", "vendor-account", "set", "clishop", "pwinty", "sandbox", "--url",
                               "https://api.pwinty.com/v3.0", "--credential", "merchant_id=x",
                               "--credential", "api_key=y"], env=env)
    assert bad.exit_code == 1 and "points at the live API" in bad.output and "Traceback" not in bad.output
    gone = runner.invoke(main, ["merchant", "vendor-account", "remove", "clishop", "pwinty", "live"], env=env)
    assert gone.exit_code == 0 and "operator's account" in gone.output
    again = runner.invoke(main, ["merchant", "vendor-account", "remove", "clishop", "pwinty", "live"], env=env)
    assert again.exit_code == 1 and "no pwinty live account" in again.output
