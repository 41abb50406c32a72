"""Which vendor makes an item, and at which of its base URLs: routing rules and vendor accounts.

**Rules** are data: a merchant's ``routing`` (JSON on the merchant row) or the default
``easel/data/vendors/routing.json``. Rules are tried in order; the first whose ``when`` holds for the
item's choices gives the vendors to try, in order, and the first of those that is installed and whose
mapping table can make the item wins. ``retouch`` (on a rule or for the whole merchant) names a
retouching vendor whose step comes before printing. No rule matches → ``default``. Whether a merchant
may sell a configuration at all (these rules x the tables x the accounts of its mode) is decided in
``capability.py``, for every surface.

**Accounts** say where each vendor lives: a sandbox account and, optionally, a live one. The operator's
come from ``EASEL_VENDOR_ACCOUNTS``; a merchant may have its own for a vendor and mode (stored encrypted,
``services/vendor_accounts.py``), which then takes that merchant's orders. The one place that decides
between them is :meth:`VendorAccounts.for_order`: an order that is a test order, or whose merchant is in
test mode, gets a sandbox account, always; the merchant's own before the operator's; a sandbox account
that points at a vendor's live host is refused when the accounts are loaded or saved and again when used.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..settings import SettingsError
from .mapping import MATCHABLE, ProductMap, Scalar, matchable


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rule(_Strict):
    when: dict[str, Scalar | list[Scalar]] = Field(default_factory=dict)
    vendors: list[str] = Field(default_factory=list, description="Print vendors to try, in order.")
    retouch: str | None = Field(default=None, description="A retouching vendor to run first.")
    fallback_after: float | None = Field(default=None, ge=0, description=(
        "Seconds a vendor may stay unavailable before the item goes to the next vendor listed; "
        "None means EASEL_VENDOR_FALLBACK_AFTER."))


class RoutingRules(_Strict):
    rules: list[Rule] = Field(default_factory=list)
    default: list[str] = Field(default_factory=list)
    retouch: str | None = None


@dataclass(frozen=True)
class Route:
    vendor: str
    retouch: str | None = None
    fallback_after: float | None = None
    """The matching rule's deadline (None: the setting)."""


class Unroutable(Exception):
    """No installed vendor can make the item; the message says why, for the merchant."""


def load_rules(raw: Mapping[str, Any] | None = None) -> RoutingRules:
    """A merchant's rules, or the default ones; raises ValueError with one sentence if malformed."""
    if raw is None:
        raw = json.loads(resources.files("easel.data").joinpath("vendors", "routing.json").read_text("utf-8"))
    try:
        rules = RoutingRules.model_validate(raw)
    except ValidationError as err:
        raise ValueError(f"routing rules are not valid: {_where_and_why(err)}") from None
    for n, rule in enumerate(rules.rules):
        unknown = set(rule.when) - set(MATCHABLE)
        if unknown:
            raise ValueError(f"routing rules are not valid: rules[{n}].when: {', '.join(sorted(unknown))} "
                             f"is not a choice")
    return rules


def _where_and_why(err: ValidationError, most: int = 3) -> str:
    """``rules[1].vendors: Input should be a valid list``: each problem with the rule index and field."""
    found = []
    for e in err.errors()[:most]:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e["loc"]).lstrip(".") or "the rules"
        found.append(f"{where}: {e['msg']}")
    more = len(err.errors()) - most
    return "; ".join(found) + (f" (and {more} more)" if more > 0 else "")


class Router:
    """Rules + mapping tables + the set of installed vendors."""

    def __init__(self, maps: Mapping[str, ProductMap], default: RoutingRules | None = None,
                 retouchers: Sequence[str] = ()) -> None:
        self.maps = dict(maps)
        self.default = default or load_rules()
        self.retouchers = set(retouchers)
        self._cache: dict[str, RoutingRules] = {}

    def rules_for(self, routing: Mapping[str, Any] | None) -> RoutingRules:
        if routing is None:
            return self.default
        key = json.dumps(routing, sort_keys=True)
        if key not in self._cache:
            self._cache[key] = load_rules(routing)
        return self._cache[key]

    def route(self, routing: Mapping[str, Any] | None, choices: Mapping[str, object],
              exclude: Collection[str] = ()) -> Route:
        """The vendor (and retouching step) for one item, or :class:`Unroutable`; vendors in ``exclude``
        (already tried, for a fallback) are passed over."""
        rules = self.rules_for(routing)
        c = matchable(choices)
        rule = next((r for r in rules.rules if _holds(r.when, c)), None)
        vendors = rule.vendors if rule and rule.vendors else rules.default
        retouch = (rule.retouch if rule else None) or rules.retouch
        if retouch is not None and retouch not in self.retouchers:
            raise Unroutable(f"the retouching vendor {retouch} is not available")
        reasons: list[str] = []
        for vendor in vendors:
            table = self.maps.get(vendor)
            if table is None or vendor in exclude:
                continue
            reason = table.can_make(choices)
            if reason is None:
                return Route(vendor, retouch, rule.fallback_after if rule else None)
            reasons.append(reason)
        if not reasons:
            raise Unroutable(f"no installed vendor is routed for this item (tried {', '.join(vendors) or 'none'})")
        raise Unroutable("no vendor can make this item: " + "; ".join(reasons))

    def reason(self, routing: Mapping[str, Any] | None, choices: Mapping[str, object]) -> str | None:
        """None when routable, else why not (what the order API reports for the item)."""
        try:
            self.route(routing, choices)
        except (Unroutable, ValueError) as err:
            return str(err)
        return None


def _holds(when: Mapping[str, Scalar | list[Scalar]], choices: Mapping[str, object]) -> bool:
    for name, wanted in when.items():
        value = choices.get(name)
        if value not in (wanted if isinstance(wanted, list) else [wanted]):
            return False
    return True


# --- accounts -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class VendorAccount:
    vendor: str
    name: str
    """``sandbox`` or ``live``."""
    base_url: str
    credentials: Mapping[str, str] = field(default_factory=dict)
    owner: int | None = None
    """The merchant whose own account this is; None for the operator's (``EASEL_VENDOR_ACCOUNTS``)."""

    @property
    def sandbox(self) -> bool:
        return self.name == "sandbox"

    @property
    def callback_name(self) -> str:
        """The account's segment in its callback URL: ``sandbox``/``live``, or ``sandbox-12`` for merchant 12's
        own (so a callback is verified with, and re-read through, the account its order went to)."""
        return self.name if self.owner is None else f"{self.name}-{self.owner}"


MODES = ("sandbox", "live")


def parse_callback_name(text: str) -> tuple[str, int | None] | None:
    """``sandbox`` → (sandbox, None); ``live-12`` → (live, 12); anything else → None."""
    mode, dash, owner = text.partition("-")
    if mode not in MODES:
        return None
    if not dash:
        return mode, None
    if not owner.isascii() or not owner.isdigit() or len(owner) > 12 or owner.startswith("0"):
        return None
    return mode, int(owner)


OwnAccounts = Mapping[tuple[str, str], VendorAccount]
"""A merchant's own accounts by (vendor, mode)."""


@functools.lru_cache(maxsize=1024)
def _host(url: str) -> str:
    """The host of an account's base URL, parsed once (every test order checks it: ~40 µs a parse)."""
    return httpx.URL(url).host.lower()


class NoAccount(Exception):
    """There is no account to send this order to (e.g. a live order and no live credentials)."""


class VendorAccounts:
    """Where each vendor lives; ``for_order`` is the single place test orders are kept off live APIs."""

    def __init__(self, accounts: Sequence[VendorAccount], live_hosts: Mapping[str, frozenset[str]]) -> None:
        self.live_hosts = dict(live_hosts)
        self._accounts = {(a.vendor, a.name): a for a in accounts}
        for account in accounts:
            problem = self.problem(account)
            if problem is not None:
                raise SettingsError(problem)

    def problem(self, account: VendorAccount) -> str | None:
        """Why this account cannot be used (a bad mode, a sandbox on a live host), or None."""
        if account.name not in MODES:
            return f"{account.vendor} account {account.name!r} must be named sandbox or live"
        if account.sandbox and self._is_live(account):
            return f"the {account.vendor} sandbox account points at the live API {account.base_url}"
        return None

    def _is_live(self, account: VendorAccount) -> bool:
        return _host(account.base_url) in self.live_hosts.get(account.vendor, frozenset())

    def for_order(self, vendor: str, *, is_test: bool, merchant_test_mode: bool,
                  own: OwnAccounts | None = None) -> VendorAccount:
        """The account an order's part goes to: the sandbox for test orders and test-mode merchants; the
        merchant's own account (``own``) for that vendor and mode before the operator's."""
        test = is_test or merchant_test_mode
        mode = "sandbox" if test else "live"
        account = (own or {}).get((vendor, mode)) or self._accounts.get((vendor, mode))
        if account is None:
            raise NoAccount(f"no {'sandbox' if test else 'live'} {vendor} account is configured"
                            + ("" if test else " (EASEL_VENDOR_ACCOUNTS)"))
        if test and (not account.sandbox or self._is_live(account)):
            raise NoAccount(f"refusing to send a test order to {account.base_url}")
        return account

    def get(self, vendor: str, name: str) -> VendorAccount | None:
        return self._accounts.get((vendor, name))

    def all(self) -> list[VendorAccount]:
        return list(self._accounts.values())


def load_accounts(path: str, builtin: Sequence[VendorAccount],
                  live_hosts: Mapping[str, frozenset[str]]) -> VendorAccounts:
    """The built-in sandbox accounts, overridden and completed by the JSON file at ``path`` (if any).

    File format: ``{"pwinty": {"live": {"url": "...", "merchant_id": "...", "api_key": "..."},
    "sandbox": {...}}}``; every key but ``url`` is a credential handed to the vendor's adapter.
    """
    accounts = {(a.vendor, a.name): a for a in builtin}
    if path:
        try:
            raw = json.loads(Path(path).read_text("utf-8"))
        except (OSError, ValueError) as err:
            raise SettingsError(f"EASEL_VENDOR_ACCOUNTS {path!r} cannot be read as JSON: {err}") from None
        if not isinstance(raw, dict):
            raise SettingsError(f"EASEL_VENDOR_ACCOUNTS {path!r} must hold a JSON object of vendors")
        for vendor, entries in raw.items():
            if not isinstance(entries, dict):
                raise SettingsError(f"EASEL_VENDOR_ACCOUNTS: {vendor} must map sandbox/live to accounts")
            for name, entry in entries.items():
                if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
                    raise SettingsError(f"EASEL_VENDOR_ACCOUNTS: {vendor}.{name} needs a url")
                credentials = {k: str(v) for k, v in entry.items() if k != "url"}
                accounts[(vendor, name)] = VendorAccount(vendor, name, entry["url"], credentials)
    return VendorAccounts(list(accounts.values()), live_hosts)
