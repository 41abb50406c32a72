"""The `easel` command line: merchants, database commands, and one-sentence errors."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from easel.cli import main
from easel.runtime import Runtime
from easel.secret_box import new_key
from easel.settings import Settings
from easel.storage import merchants as merchant_store
from easel.storage.tables import merchants


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    return {"EASEL_DATA_DIR": str(settings.data_dir), "DATABASE_URL": settings.database_url,
            "EASEL_SECRET_KEY": settings.secret_key}


def easel(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_every_command_has_help() -> None:
    runner = CliRunner()
    for name, command in main.commands.items():  # type: ignore[attr-defined]
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output
        for sub in getattr(command, "commands", {}):
            result = runner.invoke(main, [name, sub, "--help"])
            assert result.exit_code == 0, (name, sub)


def test_merchant_create_says_live_or_test_and_what_it_lacks(env: dict[str, str], tmp_path: Path) -> None:
    live = easel(env, "merchant", "create", "liveshop").output.strip().splitlines()[-1]
    assert live.startswith("live merchant") and "lacks live accounts for pwinty, image2art" in live
    accounts = tmp_path / "accounts.json"
    accounts.write_text(json.dumps({v: {"sandbox": {"url": f"http://127.0.0.1:9/{v}"}} for v in ("pwinty", "image2art")}))
    test = easel({**env, "EASEL_VENDOR_ACCOUNTS": str(accounts)}, "merchant", "create", "testshop", "--test-mode")
    last = test.output.strip().splitlines()[-1]
    assert last.startswith("test merchant") and "sandbox accounts are configured for pwinty, image2art" in last


def test_merchant_lifecycle(env: dict[str, str], settings: Settings) -> None:
    created = easel(env, "merchant", "create", "acme", "--email", "ops@acme.test", "--origin", "https://Acme.test",
                    "--cart-path", "/cart/add", "--login-url", "https://acme.test/login", "--currency", "eur")
    assert created.exit_code == 0, created.output
    secret = next(line for line in created.output.splitlines() if line.startswith("API secret")).rsplit(" ", 1)[-1]
    shown = json.loads(easel(env, "merchant", "show", "acme").output)
    assert shown["allowed_origins"] == ["https://acme.test"] and shown["currency"] == "EUR"
    assert secret not in easel(env, "merchant", "show", "acme").output
    assert "acme" in easel(env, "merchant", "list").output

    updated = easel(env, "merchant", "set", "acme", "--markup", "PF=25%", "--price", "473784f02f26d24f=139",
                    "--cart-mode", "relay")
    assert updated.exit_code == 0, updated.output
    shown = json.loads(easel(env, "merchant", "show", "acme").output)
    assert shown["markups"] == {"style_basis_points": {"PF": 2500}, "sku_cents": {"473784f02f26d24f": 13900}}
    assert shown["cart_mode"] == "relay"

    rotated = easel(env, "merchant", "rotate-secret", "acme")
    new_secret = rotated.output.strip().rsplit(" ", 1)[-1]
    assert new_secret != secret

    async def stored() -> tuple[str, str]:
        runtime = Runtime.create(settings)
        try:
            async with runtime.engine.connect() as conn:
                found = await merchant_store.merchant_by_username(conn, "acme")
                assert found is not None
                row = (await conn.execute(merchants.select().where(merchants.c.id == found.id))).one()
            return row.secret_encrypted, runtime.secrets.decrypt(row.secret_encrypted)
        finally:
            await runtime.close()

    encrypted, decrypted = asyncio.run(stored())
    assert decrypted == new_secret and new_secret not in encrypted  # encrypted at rest


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["merchant", "create", "x"], "username 'x' must be 3-64 letters"),
        (["merchant", "create", "shop2", "--cart-path", "https://evil.test/cart"], "must be a path on the merchant's site"),
        (["merchant", "create", "shop2", "--origin", "https://*.evil.test"], "is not an origin"),
        (["merchant", "create", "shop2", "--login-url", "/login?next=1"], "must not have a query string"),
        (["merchant", "show", "nobody"], "no merchant named 'nobody'"),
        (["merchant", "set", "nobody", "--markup", "PF=5"], "no merchant named 'nobody'"),
    ],
)
def test_bad_arguments_are_one_sentence_and_exit_1(env: dict[str, str], args: list[str], message: str) -> None:
    result = easel(env, *args)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_database_commands(tmp_path: Path) -> None:
    env = {"EASEL_DATA_DIR": str(tmp_path), "DATABASE_URL": "", "EASEL_SECRET_KEY": ""}
    assert "current: none" in easel(env, "db", "current").output
    assert easel(env, "db", "upgrade").exit_code == 0
    assert "up to date" in easel(env, "db", "current").output


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    env = {"EASEL_DATA_DIR": str(tmp_path), "DATABASE_URL": "", "EASEL_SECRET_KEY": new_key()}
    result = easel(env, "serve", "--port", "1")
    assert result.exit_code == 1
    assert "run `easel db upgrade` first" in result.output


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL uses 'mysql'"),
        ({"DATABASE_URL": "nonsense"}, "DATABASE_URL 'nonsense' is not a URL"),
        ({"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x"}, "cannot use the database"),
        ({"EASEL_SECRET_KEY": "short"}, "EASEL_SECRET_KEY is not a valid key"),
        ({"EASEL_SECRET_KEY": ""}, "EASEL_SECRET_KEY is not set"),
        ({"EASEL_LOG_LEVEL": "loud"}, "EASEL_LOG_LEVEL must be one of debug, info, warning, error"),
    ],
)
def test_bad_settings_are_one_sentence(tmp_path: Path, env: dict[str, str], message: str) -> None:
    full = {"EASEL_DATA_DIR": str(tmp_path), "DATABASE_URL": "", "EASEL_SECRET_KEY": new_key(), **env}
    result = easel(full, "merchant", "list")
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output


def test_merchant_routing_rules_from_a_file(env: dict[str, str], tmp_path: Path) -> None:
    assert easel(env, "merchant", "create", "router").exit_code == 0
    rules = tmp_path / "routing.json"
    rules.write_text(json.dumps({"rules": [{"when": {"substrate": "canvas"}, "vendors": ["pwinty"]}],
                                 "default": ["pwinty"]}))
    assert easel(env, "merchant", "set", "router", "--routing", str(rules)).exit_code == 0
    assert json.loads(easel(env, "merchant", "show", "router").output)["routing"]["default"] == ["pwinty"]
    rules.write_text(json.dumps({"rules": [{"whenever": 1}]}))
    bad = easel(env, "merchant", "set", "router", "--routing", str(rules))
    assert bad.exit_code == 1 and "Traceback" not in bad.output
    assert easel(env, "merchant", "set", "router", "--routing", "-").exit_code == 0
    assert json.loads(easel(env, "merchant", "show", "router").output)["routing"] is None
