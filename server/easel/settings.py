"""Settings, declared once: name, type, default and help text.

The environment is read only by :meth:`Settings.from_env` (never at import time), the README's
configuration reference is generated from :data:`SETTINGS`, and a test checks that every setting is
documented there. Tests build :class:`Settings` directly.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any


class SettingsError(ValueError):
    """A setting with a value easel cannot use; the message is one sentence naming it."""


@dataclass(frozen=True)
class Setting:
    env: str
    attr: str
    type: type
    default: Any
    help: str
    choices: tuple[str, ...] = ()


SETTINGS: tuple[Setting, ...] = (
    Setting("EASEL_DATA_DIR", "data_dir", Path, Path("var"),
            "Folder for the embedded SQLite database, the generated secret key and artwork images."),
    Setting("DATABASE_URL", "database_url", str, "",
            "SQLAlchemy URL of the database; empty means SQLite at `$EASEL_DATA_DIR/easel.sqlite3`. "
            "`postgresql://user@host/db` uses asyncpg."),
    Setting("EASEL_SECRET_KEY", "secret_key", str, "",
            "Fernet key that encrypts merchant secrets at rest; empty means the key file "
            "`$EASEL_DATA_DIR/secret.key` (which `easel demo` creates)."),
    Setting("EASEL_MAX_BODY_BYTES", "max_body_bytes", int, 1_000_000,
            "Largest request body accepted, in bytes; a bigger body gets 413 before it is read."),
    Setting("EASEL_RATE_LIMIT", "rate_limit", int, 200,
            "Order API requests per merchant, per action (GET, POST, PUT, DELETE) and per window."),
    Setting("EASEL_RATE_WINDOW", "rate_window", int, 86_400,
            "Length of a rate-limit window in seconds (the document resets limits every 24 hours)."),
    Setting("EASEL_RATE_LIMIT_STORE", "rate_limit_store", str, "memory",
            "Where rate-limit counters live: `memory` (one process), `database` (shared by every process "
            "on the same database; `easel serve --workers N` uses it automatically) or `redis` (shared by "
            "every process using `EASEL_REDIS_URL`).",
            choices=("memory", "database", "redis")),
    Setting("EASEL_REDIS_URL", "redis_url", str, "redis://127.0.0.1:6379/0",
            "Redis for `EASEL_RATE_LIMIT_STORE=redis` (e.g. `redis://host:6379/0`, `rediss://…` for TLS)."),
    Setting("EASEL_LOG_LEVEL", "log_level", str, "info", "Logging level: debug, info, warning or error.",
            choices=("debug", "info", "warning", "error")),
    # --- fulfilment ---
    Setting("EASEL_PUBLIC_URL", "public_url", str, "",
            "Base URL at which vendors reach this easel (print files, vendor callbacks); empty means the host "
            "and port `easel serve`/`easel demo` last served on (recorded in `$EASEL_DATA_DIR/served.json`, "
            "read by every command), else `http://127.0.0.1:8000`."),
    Setting("EASEL_WORKER", "worker", bool, True,
            "Run a fulfilment worker inside `easel serve` and `easel demo`; turn off when `easel worker` "
            "processes do the work."),
    Setting("EASEL_WORKER_CONCURRENCY", "worker_concurrency", int, 8, "Jobs one worker runs at the same time."),
    Setting("EASEL_WORKER_IDLE_MS", "worker_idle_ms", int, 500,
            "Milliseconds an idle worker waits before it looks for due jobs again (a job queued in its own "
            "process, or on SQLite a commit it sees, wakes it sooner)."),
    Setting("EASEL_WORKER_WATCH_MS", "worker_watch_ms", int, 10,
            "On SQLite, milliseconds between an idle worker's checks for a commit by any process "
            "(`PRAGMA data_version`, a few µs each); it looks for jobs as soon as one is seen. 0: only every "
            "`EASEL_WORKER_IDLE_MS`."),
    Setting("EASEL_JOB_LEASE", "job_lease", int, 30,
            "Seconds a worker holds a job between heartbeats; a killed worker's jobs are taken over after this."),
    Setting("EASEL_JOB_BACKOFF", "job_backoff", int, 10,
            "Seconds before the first retry of a failed vendor call; doubles each time (with jitter), "
            "up to 30 minutes."),
    Setting("EASEL_JOB_MAX_ATTEMPTS", "job_max_attempts", int, 12,
            "Failed attempts before a job is parked and its order put On Hold."),
    Setting("EASEL_POLL_INTERVAL", "poll_interval", int, 900,
            "Seconds between re-reads of a submitted vendor order (the fallback when vendor callbacks are lost)."),
    Setting("EASEL_VENDOR_FALLBACK_AFTER", "vendor_fallback_after", int, 1800,
            "Seconds a vendor may stay unavailable for a vendor order before it is re-planned at the next vendor "
            "its routing rule lists (a rule's `fallback_after` overrides it); a refusal falls back at once."),
    Setting("EASEL_VENDOR_STATS_FLUSH", "vendor_stats_flush", int, 5,
            "Seconds between writes of each process's vendor call counts (the admin panel's error rates); "
            "calls are counted in memory in between."),
    Setting("EASEL_VENDOR_STATS_KEYS", "vendor_stats_keys", int, 10_000,
            "Most merchant/vendor/hour counters a process holds between two writes of vendor call counts; "
            "calls beyond them are not counted (and logged)."),
    Setting("EASEL_VENDOR_ACCOUNTS", "vendor_accounts", str, "",
            "JSON file with vendor credentials and base URLs (`{\"pwinty\": {\"live\": {\"url\": …, "
            "\"merchant_id\": …, \"api_key\": …}}}`); its `sandbox` entries take test orders (e.g. an "
            "`easel sandbox` process). `easel serve` knows no other accounts; `easel demo` defaults to the "
            "sandboxes it mounts."),
    Setting("EASEL_SANDBOX_SPEED", "sandbox_speed", int, 1,
            "Sandbox seconds per real second of the built-in sandboxes, mounted or run alone by `easel sandbox` "
            "(`easel demo` uses 3600 unless set)."),
    Setting("EASEL_CALLBACKS_ALLOW_PRIVATE", "callbacks_allow_private", bool, False,
            "Let every outbound request to a URL someone else named (merchant callbacks, the cart relay, sandbox "
            "callbacks and webhooks, catalogue image URLs) reach loopback and private addresses; `easel demo` and "
            "`easel sandbox` turn it on unless set (development only)."),
    # --- composition and sandboxes ---
    Setting("EASEL_SANDBOX_TOKEN", "sandbox_token", str, "",
            "Bearer token for the sandboxes' `/_control` endpoints; empty means the token file "
            "`$EASEL_DATA_DIR/sandbox.token`, which `easel demo` and `easel sandbox` create and print."),
    # --- cheap refusals: the order API ---
    Setting("EASEL_CACHE_TTL", "cache_ttl", int, 5,
            "Seconds a process keeps what it read of merchants, secrets and artworks; a change made with the "
            "CLI or in another process shows within this time."),
    Setting("EASEL_CACHE_MAX_ENTRIES", "cache_max_entries", int, 10_000,
            "Most entries each per-process cache holds (merchants by username or widget key, artworks)."),
    Setting("EASEL_CACHE_MAX_BYTES", "cache_max_bytes", int, 8_000_000,
            "Most bytes (estimated) each per-process cache holds; the oldest entries go first."),
    Setting("EASEL_CAPABILITY_PLANS", "capability_plans", int, 64,
            "Most sets of routing rules (each in test or live mode) for which a process keeps precomputed "
            "what vendors can make (a few hundred KB each); merchants on the default rules share one."),
    Setting("EASEL_SIGNATURE_READINGS", "signature_readings", int, 4,
            "Most readings of one request's data (as sent, numbers as PHP decodes them, objects as arrays) "
            "a signature is checked against."),
    Setting("EASEL_SIGNATURE_ALT_BYTES", "signature_alt_bytes", int, 65_536,
            "Request data larger than this, in bytes, is checked only as sent (no other PHP readings)."),
    Setting("EASEL_MAX_JSON_DEPTH", "max_json_depth", int, 64,
            "Deepest nesting of arrays and objects accepted in any JSON body."),
    # --- cheap refusals: bodies, connections ---
    Setting("EASEL_WIDGET_MAX_BODY_BYTES", "widget_max_body_bytes", int, 65_536,
            "Largest request body of the widget's API, the demo store and the admin panel's forms, in bytes."),
    Setting("EASEL_CALLBACK_MAX_BODY_BYTES", "callback_max_body_bytes", int, 262_144,
            "Largest vendor callback or webhook body, in bytes."),
    Setting("EASEL_SANDBOX_MAX_BODY_BYTES", "sandbox_max_body_bytes", int, 20_000_000,
            "Largest request body a sandbox accepts, in bytes (they take image uploads)."),
    Setting("EASEL_HEADER_TIMEOUT", "header_timeout", int, 10,
            "Seconds a client has to send a request's headers; a slower connection is closed."),
    Setting("EASEL_BODY_TIMEOUT", "body_timeout", int, 30,
            "Seconds a client has to send a whole request body; a slower connection is closed."),
    Setting("EASEL_KEEPALIVE_TIMEOUT", "keepalive_timeout", int, 5,
            "Seconds an idle keep-alive connection stays open."),
    Setting("EASEL_MAX_CONNECTIONS", "max_connections", int, 500,
            "Concurrent connections one server process holds; more are answered 503 and closed."),
    # --- cheap refusals: images ---
    Setting("EASEL_MAX_IMAGE_PIXELS", "max_image_pixels", int, 80_000_000,
            "Largest artwork image, in pixels, the catalogue import accepts (80 Mpx is 24×36 in at 300 dpi)."),
    Setting("EASEL_MAX_IMAGE_BYTES", "max_image_bytes", int, 50_000_000,
            "Largest artwork image file, in bytes, fetched from a URL at catalogue import."),
    Setting("EASEL_IMAGE_RATE_LIMIT", "image_rate_limit", int, 600,
            "Thumbnail and preview requests per client address and per `EASEL_IMAGE_RATE_WINDOW`, counted in each "
            "server process (like the widget's other per-client limits)."),
    Setting("EASEL_IMAGE_RATE_WINDOW", "image_rate_window", int, 60,
            "Length of the thumbnail and preview rate-limit window, in seconds."),
    Setting("EASEL_IMAGE_CACHE_BYTES", "image_cache_bytes", int, 500_000_000,
            "Most bytes of rendered previews kept on disk; the least recently used go first."),
    # --- admin panel ---
    Setting("EASEL_ADMIN_SESSION_TTL", "admin_session_ttl", int, 43_200,
            "Seconds an admin panel sign-in lasts; signing out or changing the password ends it sooner."),
    Setting("EASEL_ADMIN_LINK_TTL", "admin_link_ttl", int, 86_400,
            "Seconds a set-password link from `easel admin create-user` stays valid (it works once)."),
    Setting("EASEL_ADMIN_SIGNIN_SLOW_AFTER", "admin_signin_slow_after", int, 3,
            "Failed admin sign-ins (per account and per client address) after which each new attempt must "
            "wait, 1 second and doubling."),
    Setting("EASEL_ADMIN_SIGNIN_LOCK_AFTER", "admin_signin_lock_after", int, 10,
            "Failed admin sign-ins to one account that lock it for `EASEL_ADMIN_SIGNIN_LOCK` seconds."),
    Setting("EASEL_ADMIN_SIGNIN_CLIENT_LOCK_AFTER", "admin_signin_client_lock_after", int, 50,
            "Failed admin sign-ins from one client address (any accounts) that lock that address out."),
    Setting("EASEL_ADMIN_SIGNIN_LOCK", "admin_signin_lock", int, 900,
            "Seconds a lock-out lasts; failures older than this are forgotten."),
    Setting("EASEL_ADMIN_PAGE_SIZE", "admin_page_size", int, 50, "Rows per page of the admin panel's lists."),
    Setting("EASEL_ADMIN_COUNT_MAX", "admin_count_max", int, 1_000,
            "Most orders matching a search, dates or a mode that the admin panel's orders list counts past the "
            "page shown; beyond it, it says \"more than\" (each is checked row by row; a status is counted exactly)."),
    Setting("EASEL_ADMIN_UPLOAD_MAX_BYTES", "admin_upload_max_bytes", int, 50_000_000,
            "Largest upload to the admin panel's catalogue (an artwork image, or a CSV/JSON-lines file), in bytes."),
    Setting("EASEL_ADMIN_IMPORTS_AT_ONCE", "admin_imports_at_once", int, 2,
            "Catalogue imports the admin panel runs at once in each server process (each holds its file's rows in "
            "memory and fetches images); one more is refused until one ends."),
)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Settings:
    """Everything easel reads from its environment, typed."""

    data_dir: Path = Path("var")
    database_url: str = ""
    secret_key: str = ""
    max_body_bytes: int = 1_000_000
    rate_limit: int = 200
    rate_window: int = 86_400
    rate_limit_store: str = "memory"
    redis_url: str = "redis://127.0.0.1:6379/0"
    log_level: str = "info"
    public_url: str = ""
    worker: bool = True
    worker_concurrency: int = 8
    worker_idle_ms: int = 500
    worker_watch_ms: int = 10
    job_lease: int = 30
    job_backoff: int = 10
    job_max_attempts: int = 12
    poll_interval: int = 900
    vendor_fallback_after: int = 1800
    vendor_stats_flush: int = 5
    vendor_stats_keys: int = 10_000
    vendor_accounts: str = ""
    sandbox_speed: int = 1
    callbacks_allow_private: bool = False
    sandbox_token: str = ""
    cache_ttl: int = 5
    cache_max_entries: int = 10_000
    cache_max_bytes: int = 8_000_000
    capability_plans: int = 64
    signature_readings: int = 4
    signature_alt_bytes: int = 65_536
    max_json_depth: int = 64
    widget_max_body_bytes: int = 65_536
    callback_max_body_bytes: int = 262_144
    sandbox_max_body_bytes: int = 20_000_000
    header_timeout: int = 10
    body_timeout: int = 30
    keepalive_timeout: int = 5
    max_connections: int = 500
    max_image_pixels: int = 80_000_000
    max_image_bytes: int = 50_000_000
    image_rate_limit: int = 600
    image_rate_window: int = 60
    image_cache_bytes: int = 500_000_000
    admin_session_ttl: int = 43_200
    admin_link_ttl: int = 86_400
    admin_signin_slow_after: int = 3
    admin_signin_lock_after: int = 10
    admin_signin_client_lock_after: int = 50
    admin_signin_lock: int = 900
    admin_page_size: int = 50
    admin_count_max: int = 1_000
    admin_upload_max_bytes: int = 50_000_000
    admin_imports_at_once: int = 2
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if environ is None else environ
        _refuse_unknown(env)
        values: dict[str, Any] = {}
        for s in SETTINGS:
            raw = env.get(s.env)
            if raw is None:
                continue
            values[s.attr] = _convert(s, raw)
        values.update(overrides)
        return cls(**values)

    @property
    def resolved_public_url(self) -> str:
        """Where vendors reach this easel, without a trailing slash."""
        return (self.public_url.strip() or "http://127.0.0.1:8000").rstrip("/")

    @property
    def resolved_database_url(self) -> str:
        """The SQLAlchemy async URL: the default SQLite file, or DATABASE_URL with an async driver."""
        url = self.database_url.strip()
        if not url:
            return f"sqlite+aiosqlite:///{(self.data_dir / 'easel.sqlite3').resolve()}"
        return async_database_url(url)


def async_database_url(url: str) -> str:
    """Give a plain database URL its async driver; raise SettingsError for anything else."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise SettingsError(f"DATABASE_URL {url!r} is not a URL such as postgresql://user@host/db or sqlite:///file")
    base = scheme.split("+", 1)[0]
    if base in ("postgresql", "postgres"):
        return f"postgresql+asyncpg://{rest}"
    if base == "sqlite":
        return f"sqlite+aiosqlite://{rest}"
    raise SettingsError(f"DATABASE_URL uses {scheme!r}; easel supports postgresql:// and sqlite:// URLs")


def _refuse_unknown(env: Mapping[str, str]) -> None:
    """A misspelt limit silently left at its default is worse than a refusal: every ``EASEL_`` name in the
    environment must be a setting."""
    known = {s.env for s in SETTINGS}
    for name in sorted(n for n in env if n.startswith("EASEL_") and n not in known):
        close = difflib.get_close_matches(name, known, n=1)
        raise SettingsError(f"{name} is not an easel setting" + (f" (did you mean {close[0]}?)" if close else "")
                            + "; the README's settings table lists them all")


def _convert(setting: Setting, raw: str) -> Any:
    if setting.type is bool:
        lowered = raw.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise SettingsError(f"{setting.env} must be true or false, not {raw!r}")
    if setting.type is int:
        try:
            value = int(raw)
        except ValueError:
            raise SettingsError(f"{setting.env} must be a whole number, not {raw!r}") from None
        if value <= 0:
            raise SettingsError(f"{setting.env} must be positive, not {raw!r}")
        return value
    if setting.type is Path:
        return Path(raw)
    if setting.choices and raw.strip().lower() not in setting.choices:
        raise SettingsError(f"{setting.env} must be one of {', '.join(setting.choices)}, not {raw!r}")
    return raw.strip().lower() if setting.choices else raw


def settings_reference() -> str:
    """The configuration reference as a Markdown table (pasted into the README, checked by a test)."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for s in SETTINGS:
        default = s.default if s.default not in ("", None) else "(empty)"
        rows.append(f"| `{s.env}` | `{default}` | {s.help} |")
    return "\n".join(rows)


assert {s.attr for s in SETTINGS} == {f.name for f in fields(Settings)} - {"extra"}
