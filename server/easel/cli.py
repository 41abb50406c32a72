"""``easel``: the command-line front door. Each command is thin over a library function.

Errors a user can cause (bad settings, unreachable database, bad arguments, bad files) end in one
sentence on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import sys
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click
from sqlalchemy.exc import DBAPIError, OperationalError

from .domain import merchants as merchant_rules
from .runtime import Runtime
from .secret_box import new_key
from .settings import Settings, SettingsError

P = ParamSpec("P")
T = TypeVar("T")


class CliError(click.ClickException):
    """One sentence for the user; exit status 1."""

    def format_message(self) -> str:
        return self.message


def _friendly(fn: Callable[P, T]) -> Callable[P, T]:
    """Turn the errors a user can cause into one sentence."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return fn(*args, **kwargs)
        except (SettingsError, ValueError) as err:
            raise CliError(str(err)) from None
        except (OperationalError, DBAPIError, OSError) as err:
            reason = str(getattr(err, "orig", None) or err).splitlines()[0]
            raise CliError(f"cannot use the database ({reason}); check DATABASE_URL") from None

    return wrapper


def _run_on_engine(make: Callable[[Any], Coroutine[Any, Any, T]]) -> T:
    """Run an async job on a bare engine (database commands need no secret key)."""
    from .storage.engine import create_engine

    async def main() -> T:
        engine = create_engine(Settings.from_env().resolved_database_url)
        try:
            return await make(engine)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def _configure_logging(settings: Settings) -> None:
    from .logging_setup import configure_logging

    configure_logging(settings.log_level)


def _run(make: Callable[[Runtime], Coroutine[Any, Any, T]], create_key: bool = False) -> T:
    """Run an async job against a runtime built from the environment, closing it afterwards."""

    async def main() -> T:
        runtime = Runtime.create(Settings.from_env(), create_key=create_key)
        try:
            return await make(runtime)
        finally:
            await runtime.close()

    return asyncio.run(main())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="easel")
def main() -> None:
    """easel: a self-hostable, Image2ART-compatible backend for a framed-art storefront widget."""


# --- serving ----------------------------------------------------------------------------------------------

async def _check_ready(runtime: Runtime) -> None:
    from .storage import migrate

    if not await migrate.is_current(runtime.engine):
        current = await migrate.current_revision(runtime.engine)
        raise CliError(
            f"the database is at migration {current or 'none'}, not the latest ({migrate.head_revision()}); "
            "run `easel db upgrade` first"
        )


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Worker processes.")
@_friendly
def serve(host: str, port: int, workers: int) -> None:
    """Serve the order API, the widget and vendor callbacks against DATABASE_URL (no demo, no sandboxes)."""
    import uvicorn

    from .served import Served, record, served_url
    from .web.server import uvicorn_options
    from .web.templates import resource_dir
    from .widget.assets import check_build

    check_build(resource_dir("widget_assets"))  # one sentence here, not a traceback in each worker
    _run(_check_ready)
    if workers > 1 and "EASEL_RATE_LIMIT_STORE" not in os.environ:
        os.environ["EASEL_RATE_LIMIT_STORE"] = "database"  # one budget shared by every worker process
    settings = Settings.from_env()
    # Every worker process reads the public URL back from the data folder (see easel.served).
    record(settings, Served(settings.public_url.strip() or served_url(host, port), "serve"))
    _configure_logging(settings)
    uvicorn.run("easel.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level=settings.log_level, access_log=False, **uvicorn_options(settings))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port.")
@_friendly
def demo(host: str, port: int) -> None:
    """Migrate, load the demo data if absent, and serve everything in one process: the demo store and
    the built-in vendor sandboxes too."""
    import dataclasses

    import uvicorn

    from .app import create_demo_app
    from .demo.seed import DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD, seed_demo
    from .sandboxes.token import control_token
    from .served import Served, record, served_url
    from .storage import migrate
    from .web.server import uvicorn_options

    settings = Settings.from_env()
    # The demo runs the whole fulfilment chain on the built-in sandboxes, fast: a day of vendor time
    # passes in 24 seconds and vendor orders are re-read every 5 seconds, unless told otherwise; its
    # sandboxes and test shops live on this machine, so callbacks may reach loopback unless told otherwise.
    if "EASEL_PUBLIC_URL" not in os.environ:
        settings = dataclasses.replace(settings, public_url=served_url(host, port))
    if "EASEL_SANDBOX_SPEED" not in os.environ:
        settings = dataclasses.replace(settings, sandbox_speed=3600)
    if "EASEL_POLL_INTERVAL" not in os.environ:
        settings = dataclasses.replace(settings, poll_interval=5)
    if "EASEL_CALLBACKS_ALLOW_PRIVATE" not in os.environ:
        settings = dataclasses.replace(settings, callbacks_allow_private=True)

    async def prepare(runtime: Runtime) -> bool:
        await migrate.upgrade(runtime.engine)
        return await seed_demo(runtime)

    click.echo("preparing the demo data (first run draws 24 artworks)…", err=True)
    loaded = _run(prepare, create_key=True)
    token = control_token(settings, create=True)
    record(settings, Served(settings.resolved_public_url, "demo"))
    click.echo(f"{'loaded' if loaded else 'kept'} the demo catalogue; serving on http://{host}:{port}/demo/",
               err=True)
    click.echo(f"sandbox control token (Authorization: Bearer …): {token}", err=True)
    click.echo(f"admin panel: http://{host}:{port}/admin/ (demo owner {DEMO_OWNER_EMAIL}, password "
               f"{DEMO_OWNER_PASSWORD!r}; demo only)", err=True)
    _configure_logging(settings)
    uvicorn.run(create_demo_app(settings), host=host, port=port, log_level=settings.log_level, access_log=False,
                **uvicorn_options(settings))


@main.command()
@click.argument("vendor", type=click.Choice(["pwinty", "pixelz", "image2art"]))
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(1, 65535), help="Port.")
@click.option("--callback-url", help="Pwinty: where callbacks go for every account (one account's URL is set "
                                     "with POST /_control/callbacks; `easel vendors` prints easel's).")
@_friendly
def sandbox(vendor: str, host: str, port: int, callback_url: str | None) -> None:
    """Run one vendor sandbox alone, for a staging server or for every process of `easel serve --workers N`."""
    import dataclasses

    import uvicorn

    from .app import create_sandbox_app
    from .sandboxes.token import control_token
    from .served import served_url
    from .web.server import uvicorn_options

    settings = Settings.from_env()
    if "EASEL_CALLBACKS_ALLOW_PRIVATE" not in os.environ:
        settings = dataclasses.replace(settings, callbacks_allow_private=True)
    token = control_token(settings, create=True)
    app = create_sandbox_app(vendor, settings, token=token, callback_url=callback_url)
    entry = {vendor: {"sandbox": _standalone_account(vendor, served_url(host, port))}}
    click.echo(f"{vendor} sandbox on {served_url(host, port)}", err=True)
    click.echo(f"sandbox control token (Authorization: Bearer …): {token}", err=True)
    click.echo(f"for EASEL_VENDOR_ACCOUNTS: {json.dumps(entry)}", err=True)
    _configure_logging(settings)
    uvicorn.run(app, host=host, port=port, log_level=settings.log_level, access_log=False, **uvicorn_options(settings))


def _standalone_account(vendor: str, base: str) -> dict[str, str]:
    """The sandbox account easel should use for a sandbox served alone at ``base``."""
    from .dispatch.drivers import image2art, pixelz, pwinty

    if vendor == "pixelz":
        return {"url": f"{base}/REST.svc/JSON", **pixelz.SANDBOX_CREDENTIALS}
    credentials = pwinty.SANDBOX_CREDENTIALS if vendor == "pwinty" else image2art.SANDBOX_CREDENTIALS
    return {"url": base, **credentials}


def _run_served(make: Callable[[Runtime], Coroutine[Any, Any, T]], settings: Settings | None = None) -> T:
    """Like :func:`_run`, as the server on this data folder sees things: its public URL and, beside a
    demo, the built-in sandbox accounts (see easel.served)."""
    from .served import demo_recorded, settings_from_env

    settings = settings or settings_from_env()

    async def main() -> T:
        runtime = Runtime.create(settings, builtin_sandboxes=demo_recorded(settings))
        try:
            return await make(runtime)
        finally:
            await runtime.close()

    return asyncio.run(main())


@main.command("secret-key")
def secret_key() -> None:
    """Print a new key for EASEL_SECRET_KEY."""
    click.echo(new_key())


# --- database ---------------------------------------------------------------------------------------------

@main.group()
def db() -> None:
    """Database migrations (Alembic underneath)."""


@db.command()
@_friendly
def upgrade() -> None:
    """Migrate the database to the latest version."""
    from .storage import migrate

    async def job(engine: Any) -> str | None:
        await migrate.upgrade(engine)
        return await migrate.current_revision(engine)

    click.echo(f"database at migration {_run_on_engine(job)}")


@db.command()
@_friendly
def current() -> None:
    """Show the database's migration and the latest one."""
    from .storage import migrate

    revision = _run_on_engine(migrate.current_revision)
    head = migrate.head_revision()
    state = "up to date" if revision == head else "run `easel db upgrade`"
    click.echo(f"current: {revision or 'none'}; latest: {head} ({state})")


# --- merchants --------------------------------------------------------------------------------------------

@main.group()
def merchant() -> None:
    """Manage merchants: credentials, widget keys, origins, cart, login, markups."""


def _merchant_fields(email: str | None, name: str | None, origins: tuple[str, ...], cart_path: str | None,
                     cart_mode: str | None, login_url: str | None, callback_url: str | None,
                     currency: str | None, test_mode: bool | None, require_token: bool | None,
                     require_timestamp: bool | None, pricing_requires_login: bool | None,
                     rate_limit: str | None = None) -> dict[str, Any]:
    """The options given, checked by the same rules as the admin panel's forms (services/merchant_settings)."""
    from .services.merchant_settings import validated

    given = {"email": email, "name": name, "allowed_origins": list(origins) or None, "cart_path": cart_path,
             "cart_mode": cart_mode, "login_url": login_url, "callback_url": callback_url, "currency": currency,
             "test_mode": test_mode, "require_customer_token": require_token, "require_timestamp": require_timestamp,
             "pricing_requires_login": pricing_requires_login, "rate_limit": rate_limit}
    return validated({k: v for k, v in given.items() if v is not None})


def _merchant_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--email", help="Contact email (shown by a signed GET /ping)."),
        click.option("--name", help="Shop name."),
        click.option("--origin", "origins", multiple=True,
                     help="Allowed page origin for the widget, e.g. https://shop.example or http://127.0.0.1:* "
                          "(repeat; replaces the list)."),
        click.option("--cart-path", help="Cart receivable path on the shop's site, e.g. /cart/add."),
        click.option("--cart-mode", type=click.Choice(merchant_rules.CART_MODES),
                     help="direct: the browser posts to the cart path; relay: easel posts it server-to-server."),
        click.option("--login-url", help="The shop's login page (no query string)."),
        click.option("--callback-url", help="Where easel posts signed order status events."),
        click.option("--currency", help="ISO 4217 currency of this merchant's prices (default USD)."),
        click.option("--test-mode/--live", default=None, help="Test mode: orders are is_test and go to sandboxes."),
        click.option("--require-customer-token/--no-require-customer-token", "require_token", default=None,
                     help="Projects need a CustomerToken signed by the shop's back end."),
        click.option("--require-timestamp/--no-require-timestamp", default=None,
                     help="Signed order API requests must carry a timestamp within 5 minutes."),
        click.option("--pricing-requires-login/--no-pricing-requires-login", default=None,
                     help="The widget API gives no prices to shoppers who are not signed in."),
        click.option("--rate-limit", metavar="N|default",
                     help="Order API requests per endpoint and action in each EASEL_RATE_WINDOW; 'default' "
                          "uses EASEL_RATE_LIMIT."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _describe(m: merchant_rules.Merchant) -> dict[str, Any]:
    return {
        "id": m.id, "username": m.username, "email": m.email, "name": m.name, "currency": m.currency,
        "test_mode": m.test_mode, "allowed_origins": list(m.allowed_origins), "cart_path": m.cart_path,
        "cart_mode": m.cart_mode, "login_url": m.login_url, "callback_url": m.callback_url,
        "markups": m.markups.to_json(), "require_customer_token": m.require_customer_token,
        "require_timestamp": m.require_timestamp, "api_keys": list(m.api_keys), "routing": m.routing,
        "pricing_requires_login": m.pricing_requires_login,
        "rate_limit": m.rate_limit if m.rate_limit is not None else "default (EASEL_RATE_LIMIT)",
    }


@merchant.command("create")
@click.argument("username")
@click.option("--api-key", help="Widget api_key to use (default: a random one).")
@_merchant_options
@_friendly
def merchant_create(username: str, api_key: str | None, **options: Any) -> None:
    """Create a merchant; prints its API secret once."""
    from .services.merchant_directory import create_merchant

    merchant_rules.validate_username(username)
    fields = _merchant_fields(**options)

    async def job(runtime: Runtime) -> tuple[merchant_rules.Merchant, str]:
        await _check_ready(runtime)
        return await create_merchant(runtime.engine, runtime.secrets, username, fields, api_key)

    async def readiness(runtime: Runtime) -> str:
        return _readiness(runtime, created)

    created, secret = _run(job)
    click.echo(json.dumps(_describe(created), indent=2))
    click.echo(f"API secret (shown once, store it now): {secret}")
    click.echo(_run_served(readiness))


def _readiness(runtime: Runtime, m: merchant_rules.Merchant) -> str:
    """Whether a merchant's orders are test or live, and which vendor accounts its routing still lacks."""
    rules = runtime.dispatch.router.rules_for(m.routing)
    wanted = dict.fromkeys([v for r in rules.rules for v in r.vendors] + list(rules.default)
                           + [v for v in [rules.retouch, *(r.retouch for r in rules.rules)] if v])
    account = "sandbox" if m.test_mode else "live"
    missing = [v for v in wanted if runtime.dispatch.accounts.get(v, account) is None]
    kind = ("test merchant: its orders are test orders, sent only to vendors' sandbox accounts"
            if m.test_mode else "live merchant: its orders are printed and shipped for real (--test-mode for tests)")
    if not missing:
        return f"{kind}; {account} accounts are configured for {', '.join(wanted)}"
    return (f"{kind}; it still lacks {account} accounts for {', '.join(missing)}: add them to EASEL_VENDOR_ACCOUNTS "
            "(`easel vendors` shows what is configured)")


@merchant.command("list")
@_friendly
def merchant_list() -> None:
    """List merchants, one a line."""
    from .storage import merchants as store

    async def job(runtime: Runtime) -> list[merchant_rules.Merchant]:
        async with runtime.engine.connect() as conn:
            return await store.list_merchants(conn)

    for m in _run(job):
        mode = "test" if m.test_mode else "live"
        click.echo(f"{m.id}\t{m.username}\t{mode}\t{m.email}\t{','.join(m.allowed_origins)}")


async def _require(runtime: Runtime, username: str) -> merchant_rules.Merchant:
    from .storage import merchants as store

    async with runtime.engine.connect() as conn:
        found = await store.merchant_by_username(conn, username)
    if found is None:
        raise CliError(f"no merchant named {username!r} (see `easel merchant list`)")
    return found


@merchant.command("show")
@click.argument("username")
@_friendly
def merchant_show(username: str) -> None:
    """Show a merchant's settings (never its secret)."""
    click.echo(json.dumps(_describe(_run(lambda r: _require(r, username))), indent=2))


@merchant.command("rotate-secret")
@click.argument("username")
@_friendly
def merchant_rotate_secret(username: str) -> None:
    """Replace a merchant's API secret; prints the new one once."""
    from .services.merchant_settings import CLI_ACTOR, MerchantSettings

    async def job(runtime: Runtime) -> str:
        found = await _require(runtime, username)
        return await MerchantSettings(runtime.engine, runtime.secrets).rotate_secret(found.id, CLI_ACTOR)

    secret = _run(job)
    click.echo(f"new API secret for {username} (shown once, store it now): {secret}")


@merchant.group("vendor-account")
def vendor_account() -> None:
    """A merchant's own vendor accounts (in place of the operator's EASEL_VENDOR_ACCOUNTS for its orders)."""


@vendor_account.command("list")
@click.argument("username")
@_friendly
def vendor_account_list(username: str) -> None:
    """The merchant's own accounts, credentials masked."""
    from .services.vendor_accounts import vendor_accounts_of

    async def job(runtime: Runtime) -> list[dict[str, Any]]:
        found = await _require(runtime, username)
        return [{"vendor": a.vendor, "mode": a.mode, "url": a.base_url, **a.credentials}
                for a in await vendor_accounts_of(runtime).list(found.id)]

    click.echo(json.dumps(_run(job), indent=2, ensure_ascii=False))


@vendor_account.command("set")
@click.argument("username")
@click.argument("vendor")
@click.argument("mode", type=click.Choice(["sandbox", "live"]))
@click.option("--url", required=True, help="The vendor API's base URL for this account (https).")
@click.option("--credential", "credentials", multiple=True, metavar="NAME=VALUE",
              help="A credential, e.g. api_key=... (repeat; one left out keeps its current value).")
@_friendly
def vendor_account_set(username: str, vendor: str, mode: str, url: str, credentials: tuple[str, ...]) -> None:
    """Set the merchant's own account at VENDOR for MODE (recorded in its history as made by "cli")."""
    from .services.merchant_settings import CLI_ACTOR
    from .services.vendor_accounts import vendor_accounts_of

    given: dict[str, str] = {}
    for item in credentials:
        name, sep, value = item.partition("=")
        if not sep:
            raise CliError(f"--credential {item[:40]!r} must be NAME=VALUE")
        given[name.strip()] = value

    async def job(runtime: Runtime) -> None:
        found = await _require(runtime, username)
        await vendor_accounts_of(runtime).set(found.id, vendor, mode, url, given, CLI_ACTOR)

    _run(job)
    click.echo(f"{username}'s own {vendor} {mode} account is set; its {mode} orders go there")


@vendor_account.command("remove")
@click.argument("username")
@click.argument("vendor")
@click.argument("mode", type=click.Choice(["sandbox", "live"]))
@_friendly
def vendor_account_remove(username: str, vendor: str, mode: str) -> None:
    """Remove the merchant's own account: its orders go to the operator's account again."""
    from .services.merchant_settings import CLI_ACTOR
    from .services.vendor_accounts import vendor_accounts_of

    async def job(runtime: Runtime) -> None:
        found = await _require(runtime, username)
        await vendor_accounts_of(runtime).remove(found.id, vendor, mode, CLI_ACTOR)

    _run(job)
    click.echo(f"{username}'s own {vendor} {mode} account is removed; the operator's account takes its orders")


@merchant.command("set")
@click.argument("username")
@_merchant_options
@click.option("--markup", "markups", multiple=True, metavar="STYLE=PERCENT",
              help="Markup for a style, e.g. PF=25 (repeat; PF= removes it).")
@click.option("--price", "prices", multiple=True, metavar="SKU=AMOUNT",
              help="Fixed price for a sku in whole units, e.g. 473784f02f26d24f=139 (repeat; SKU= removes it).")
@click.option("--add-api-key", is_flag=True, help="Add a new widget api_key and print it.")
@click.option("--revoke-api-key", multiple=True, help="Revoke a widget api_key.")
@click.option("--routing", "routing_file", type=click.Path(path_type=Path, dir_okay=False),
              help="JSON file of fulfilment routing rules (see docs/fulfilment.md); '-' restores the default.")
@_friendly
def merchant_set(username: str, markups: tuple[str, ...], prices: tuple[str, ...], add_api_key: bool,
                 revoke_api_key: tuple[str, ...], routing_file: Path | None, **options: Any) -> None:
    """Change a merchant's settings (recorded in its history as made by "cli")."""
    from .services.merchant_settings import CLI_ACTOR, MerchantSettings, markups_with, validated

    fields = _merchant_fields(**options)
    if routing_file is not None:
        if str(routing_file) == "-":
            fields["routing"] = None
        else:
            try:
                raw = json.loads(routing_file.read_text("utf-8"))
            except (OSError, json.JSONDecodeError) as err:
                raise CliError(f"cannot read routing rules from {routing_file}: {err}") from None
            fields.update(validated({"routing": raw}))

    def pairs(items: tuple[str, ...], option: str, shape: str) -> dict[str, str]:
        found = {}
        for item in items:
            key, sep, value = item.partition("=")
            if not sep:
                raise CliError(f"{option} {item!r} must be {shape}")
            found[key] = value
        return found

    styles = pairs(markups, "--markup", "STYLE=PERCENT")
    skus = pairs(prices, "--price", "SKU=AMOUNT")

    async def job(runtime: Runtime) -> merchant_rules.Merchant:
        found = await _require(runtime, username)
        service = MerchantSettings(runtime.engine, runtime.secrets)
        if markups or prices:
            fields["markups"] = markups_with(found.markups, styles, skus, list(runtime.tables.style_by_code))
        updated = await service.change(found.id, fields, CLI_ACTOR)
        if add_api_key:
            click.echo(f"new widget api_key: {await service.add_api_key(found.id, CLI_ACTOR)}")
        for key in revoke_api_key:
            await service.revoke_api_key(found.id, key, CLI_ACTOR)
        return await _require(runtime, username) if add_api_key or revoke_api_key else updated

    click.echo(json.dumps(_describe(_run(job)), indent=2))


# --- catalogue --------------------------------------------------------------------------------------------

@main.group()
def catalog() -> None:
    """Import and export the art catalogue."""


@catalog.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), help="Default: from the file name.")
@_friendly
def catalog_import(file: Path, fmt: str | None) -> None:
    """Import artworks from CSV or JSON lines: valid rows in one transaction, a report of the rest."""
    from .services.catalog_files import CatalogFileError, detect_format, import_catalog, read_rows

    try:
        total = len(read_rows(file, detect_format(file, fmt)))
    except CatalogFileError as err:
        raise CliError(f"nothing imported: {err}") from None

    async def job(runtime: Runtime) -> Any:
        await _check_ready(runtime)
        with click.progressbar(length=total, label="checking rows", file=sys.stderr) as bar:
            return await import_catalog(runtime, file, fmt, progress=bar.update)

    report = _run(job)
    for line, code, reason in report.rejected:
        click.echo(f"rejected line {line} ({code}): {reason}", err=True)
    click.echo(f"imported {report.inserted} new and {report.updated} updated artworks; "
               f"rejected {len(report.rejected)} rows")
    if report.rejected and not (report.inserted or report.updated):
        sys.exit(1)


@catalog.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Default: standard output.")
@_friendly
def catalog_export(fmt: str, output: Path | None) -> None:
    """Write the catalogue in the import format. With -o FILE, images are copied into images/ beside
    FILE and named relative to it (the folder imports anywhere); on standard output they keep their
    absolute paths."""
    from .services.catalog_files import bundle_images, export_rows
    from .storage import catalog as store

    async def job(runtime: Runtime) -> list[Any]:
        async with runtime.engine.connect() as conn:
            return await store.all_artworks(conn)

    artworks = _run(job)
    if output is None:
        _write_stdout(export_rows(artworks, fmt))
    else:
        lines = export_rows(bundle_images(artworks, output), fmt)
        with output.open("w", encoding="utf-8", newline="") as f:
            f.writelines(lines)


def _write_stdout(lines: Iterator[str]) -> None:
    """Write to standard output; a reader that stops early (``| head``) ends the command quietly."""
    try:
        for line in lines:
            sys.stdout.write(line)
        sys.stdout.flush()
    except BrokenPipeError:
        # Python would report the pipe again when it flushes stdout at exit: point it at /dev/null.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)  # 128 + SIGPIPE, what a shell shows for a writer whose reader went away


# --- fulfilment --------------------------------------------------------------------------------------------

@main.command()
@click.option("--once", is_flag=True, help="Run the jobs due now, then exit.")
@click.option("--concurrency", type=click.IntRange(1, 64), help="Jobs at once (default EASEL_WORKER_CONCURRENCY).")
@_friendly
def worker(once: bool, concurrency: int | None) -> None:
    """Run fulfilment jobs (dispatch to vendors, polling, callbacks) until stopped."""
    import dataclasses
    import signal

    import anyio

    from .dispatch.build import build_worker
    from .served import settings_from_env

    settings = settings_from_env()  # with the served public URL: print files are handed to vendors
    if concurrency is not None:
        settings = dataclasses.replace(settings, worker_concurrency=concurrency)
    _configure_logging(settings)

    async def job(runtime: Runtime) -> int:
        await _check_ready(runtime)
        loop = build_worker(settings, runtime.engine, runtime.dispatch)
        if once:
            return await loop.run_until_idle()
        click.echo(f"worker {loop.name} running (Ctrl-C to stop)", err=True)
        async with anyio.create_task_group() as tg:
            tg.start_soon(loop.run)
            tg.start_soon(runtime.dispatch.meter.run)  # vendor call counts, written in batches
            with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                async for _ in signals:
                    tg.cancel_scope.cancel()
                    break
        return 0

    ran = _run_served(job, settings)
    if once:
        click.echo(f"ran {ran} jobs")


@main.group()
def jobs() -> None:
    """Inspect and act on fulfilment jobs (parked ones wait for you here)."""


def _job_line(j: Any) -> str:
    order = f"order {j.order_id}" if j.order_id is not None else "-"
    error = f"\t{j.last_error.splitlines()[0][:100]}" if j.last_error else ""
    return f"{j.id}\t{j.kind}\t{j.status}\t{order}\tattempts {j.attempts}\t{j.run_after:%Y-%m-%d %H:%M:%S}{error}"


@jobs.command("list")
@click.option("--status", type=click.Choice(["queued", "running", "done", "parked", "cancelled"]))
@click.option("--kind", help="dispatch, poll, vendor_callback or notify.")
@click.option("--order", "order_id", type=int, help="Only this order's jobs.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@_friendly
def jobs_list(status: str | None, kind: str | None, order_id: int | None, limit: int) -> None:
    """List jobs, newest first, with counts per status."""
    from .dispatch import queue

    async def job(engine: Any) -> tuple[list[Any], dict[str, int]]:
        async with engine.connect() as conn:
            return (await queue.list_jobs(conn, status=status, kind=kind, order_id=order_id, limit=limit),
                    await queue.counts(conn))

    found, counts = _run_on_engine(job)
    for j in found:
        click.echo(_job_line(j))
    click.echo(", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no jobs", err=True)


@jobs.command("show")
@click.argument("job_id", type=int)
@_friendly
def jobs_show(job_id: int) -> None:
    """Everything about one job, and the vendor orders of its order."""
    from .dispatch import queue

    async def job(runtime: Runtime) -> dict[str, Any]:
        async with runtime.engine.connect() as conn:
            found = await queue.get_job(conn, job_id)
            if found is None:
                raise CliError(f"no job {job_id} (see `easel jobs list`)")
            shown: dict[str, Any] = {k: getattr(found, k) for k in found.__dataclass_fields__}
            if found.order_id is not None:
                shown.update(await runtime.dispatch.describe(conn, found.order_id))
            return shown

    click.echo(json.dumps(_run(job), indent=2, default=str))


@jobs.command("retry")
@click.argument("job_ids", type=int, nargs=-1, required=True)
@_friendly
def jobs_retry(job_ids: tuple[int, ...]) -> None:
    """Queue parked (or cancelled) jobs again now; an order On Hold goes back to Processing."""

    async def job(runtime: Runtime) -> list[int]:
        return [i for i in job_ids if not await runtime.dispatch.retry_job(i)]

    missed = _run(job)
    if missed:
        raise CliError(f"no parked or cancelled job {', '.join(map(str, missed))} to retry")
    click.echo(f"queued {len(job_ids)} job(s)")


@jobs.command("cancel")
@click.argument("job_ids", type=int, nargs=-1, required=True)
@_friendly
def jobs_cancel(job_ids: tuple[int, ...]) -> None:
    """Stop queued or parked jobs for good (vendor orders already placed are not cancelled)."""
    from .dispatch import queue

    async def job(engine: Any) -> list[int]:
        missed = []
        async with engine.begin() as conn:
            for i in job_ids:
                if not await queue.cancel(conn, i):
                    missed.append(i)
        return missed

    missed = _run_on_engine(job)
    if missed:
        raise CliError(f"no queued or parked job {', '.join(map(str, missed))} to cancel")
    click.echo(f"cancelled {len(job_ids)} job(s)")


@main.group("orders")
def orders_group() -> None:
    """Act on an order by hand, by the admin panel's rules (dispatch/order_actions.py)."""


def _order_action(order_id: int, act: Callable[[Any, Any], Coroutine[Any, Any, str]]) -> None:
    from .dispatch.order_actions import OrderActions, Refused

    async def job(runtime: Runtime) -> str:
        actions = OrderActions(runtime.dispatch)
        merchant = await actions.merchant_of(order_id)
        if merchant is None:
            raise CliError(f"no order {order_id}")
        try:
            return await act(actions, merchant)
        except Refused as err:
            raise CliError(str(err)) from None

    click.echo(_run_served(job))  # the vendor accounts the server uses (the demo's sandboxes beside a demo)


@orders_group.command("hold")
@click.argument("order_id", type=int)
@click.option("--reason", required=True, help="Why; sent to the merchant with the order.on_hold event.")
@_friendly
def orders_hold(order_id: int, reason: str) -> None:
    """Put a Pending or Processing order On Hold; nothing more goes to a vendor until it is released."""

    async def act(actions: Any, merchant: Any) -> str:
        await actions.hold(order_id, reason)
        return f"order {order_id} is On Hold"

    _order_action(order_id, act)


@orders_group.command("release")
@click.argument("order_id", type=int)
@_friendly
def orders_release(order_id: int) -> None:
    """Take an order off hold and queue its sending again."""

    async def act(actions: Any, merchant: Any) -> str:
        await actions.release(order_id)
        return f"order {order_id} is Processing again"

    _order_action(order_id, act)


@orders_group.command("cancel")
@click.argument("order_id", type=int)
@click.option("--reason", default="", help="Why; sent with the order.cancelled event.")
@_friendly
def orders_cancel(order_id: int, reason: str) -> None:
    """Cancel an order at its vendors (where they allow it), then the order."""

    async def act(actions: Any, merchant: Any) -> str:
        outcome = await actions.cancel(merchant, order_id, reason)
        if not outcome.cancelled:
            raise CliError(f"order {order_id} was not cancelled: {'; '.join(outcome.refused)}"
                           + (f" (done meanwhile: {'; '.join(outcome.done)})" if outcome.done else ""))
        return f"order {order_id} is Cancelled" + (f" ({'; '.join(outcome.done)})" if outcome.done else "")

    _order_action(order_id, act)


@main.group()
def admin() -> None:
    """Accounts of the admin panel at /admin/ (a merchant's owner or staff, or the operator)."""


@admin.command("create-user")
@click.argument("email")
@click.option("--merchant", "merchant_name", help="The merchant (API username) the user belongs to.")
@click.option("--role", type=click.Choice(["owner", "staff"]), default="owner", show_default=True,
              help="owner: everything; staff: orders, without prices or secrets.")
@click.option("--operator", is_flag=True, help="An operator of this easel (no merchant): manages merchants.")
@_friendly
def admin_create_user(email: str, merchant_name: str | None, role: str, operator: bool) -> None:
    """Create a panel user and print a one-time link to set their password (valid EASEL_ADMIN_LINK_TTL)."""
    from .services.users import OPERATOR, Users

    async def job(runtime: Runtime) -> str:
        users = Users(runtime.engine, runtime.secrets, runtime.settings)
        user = await users.create(email, merchant=merchant_name, role=OPERATOR if operator else role)
        return users.set_password_link(user, runtime.settings.resolved_public_url)

    link = _run_served(job)
    click.echo("created; send them this one-time link to set their password:", err=True)
    click.echo(link)


@admin.command("password-link")
@click.argument("email")
@_friendly
def admin_password_link(email: str) -> None:
    """Print a new one-time link for a user to set their password (a lost or expired one, a forgotten password)."""
    from .services.users import Users

    async def job(runtime: Runtime) -> str:
        users = Users(runtime.engine, runtime.secrets, runtime.settings)
        return users.set_password_link(await users.by_email(email), runtime.settings.resolved_public_url)

    click.echo(_run_served(job))


@main.command()
@_friendly
def vendors() -> None:
    """The vendor accounts in use and the callback URL to register with each (at Pwinty in its dashboard;
    at an `easel sandbox pwinty`, POST {"merchantId": …, "url": …} to its /_control/callbacks)."""

    async def job(runtime: Runtime) -> list[str]:
        d = runtime.dispatch
        return [f"{a.vendor}\t{a.name}\t{a.base_url}\tcallback {d.callback_url(a.vendor, a.name)}"
                for a in d.accounts.all()]

    lines = _run_served(job)
    for line in lines:
        click.echo(line)
    if not lines:
        click.echo("no vendor accounts: set EASEL_VENDOR_ACCOUNTS (its sandbox entries take test orders, e.g. an "
                   "`easel sandbox` process)", err=True)
