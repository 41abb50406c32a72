"""Merchants' own vendor accounts: the one place they are validated, saved (encrypted, with their history)
and found again for the merchant's orders.

The admin panel's Vendors page and ``easel merchant vendor-account`` both call :class:`MerchantVendorAccounts`,
so the rules read the same in a form and on the command line. An account is for one installed vendor and one
mode (``sandbox`` or ``live``); it takes that merchant's orders of that mode in place of the operator's
(``EASEL_VENDOR_ACCOUNTS``), and removing it falls back to the operator's. Its base URL is an https URL
of a public host (plain http and private addresses only where ``EASEL_CALLBACKS_ALLOW_PRIVATE`` allows, as
for every other URL someone else names, ``outbound.py``); a sandbox account may not point at the vendor's
live API; the vendor's credential fields are required (``credential_fields`` of its adapter). Credentials
are one JSON object encrypted with the server key, like merchants' API secrets, and never shown back in
full: pages, the CLI and the history show at most their last four characters.

:class:`OwnAccountCache` hands dispatch the decrypted accounts of a merchant, kept a few seconds
(``EASEL_CACHE_TTL``) and bounded; a merchant without accounts of its own costs no query (its row says
which it has, ``Merchant.own_vendor_accounts``).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncEngine

from ..domain.merchants import Merchant
from ..outbound import Outbound, OutboundFailed, OutboundRefused
from ..secret_box import SecretBox
from ..storage import setting_changes as history_store
from ..storage import vendor_accounts as store
from ..ttl_cache import MISSING, TtlCache
from ..vendors.routing import MODES, OwnAccounts, VendorAccount, VendorAccounts
from .merchant_settings import SettingProblem, merchant_or_problem

if TYPE_CHECKING:
    from ..runtime import Runtime

URL_LIMIT = 2000
VALUE_LIMIT = 500
SHOWN_TAIL = 4
"""Characters of a credential shown back (only of values at least three times as long)."""


@dataclass(frozen=True)
class VendorFields:
    """What an account at one vendor needs: its credential fields, required and optional."""

    vendor: str
    required: tuple[str, ...]
    optional: tuple[str, ...]

    @property
    def all(self) -> tuple[str, ...]:
        return self.required + self.optional


@dataclass(frozen=True)
class AccountShown:
    """A merchant's own account as pages and the CLI show it: credentials masked."""

    vendor: str
    mode: str
    base_url: str
    credentials: Mapping[str, str]
    updated_at: datetime


def masked(value: str) -> str:
    """``••••wxyz`` for a long value, ``••••`` for a short one: never enough to use it."""
    if not value:
        return ""
    return "••••" + (value[-SHOWN_TAIL:] if len(value) >= 3 * SHOWN_TAIL else "")


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class MerchantVendorAccounts:
    """List, set and remove a merchant's own vendor accounts; every change in ``setting_changes``."""

    def __init__(self, engine: AsyncEngine, secrets: SecretBox, *, operator: VendorAccounts,
                 fields: Mapping[str, VendorFields], outbound: Outbound, allow_private: bool,
                 cache: OwnAccountCache | None = None, on_change: Iterable[Callable[[Merchant], None]] = ()) -> None:
        self.engine = engine
        self.secrets = secrets
        self.operator = operator
        self.fields = dict(fields)
        self.outbound = outbound
        self.allow_private = allow_private
        self.cache = cache
        self.on_change = list(on_change)

    async def list(self, merchant_id: int) -> list[AccountShown]:
        async with self.engine.connect() as conn:
            rows = await store.accounts_of(conn, merchant_id)
        return [AccountShown(r.vendor, r.mode, r.base_url,
                             {k: masked(v) for k, v in self._decrypt(r.credentials_encrypted).items()}, r.updated_at)
                for r in rows]

    async def set(self, merchant_id: int, vendor: str, mode: str, base_url: str, credentials: Mapping[str, str],
                  actor: str) -> None:
        """Save the merchant's account for ``vendor`` in ``mode``; a blank credential keeps the current value.
        Raises SettingProblem naming every refused field."""
        vendor, mode, base_url = vendor.strip().lower(), mode.strip().lower(), base_url.strip()
        spec = self._spec(vendor, mode)
        url = self._url(base_url)
        async with self.engine.connect() as conn:
            current = await store.account(conn, merchant_id, vendor, mode)
        old = self._decrypt(current.credentials_encrypted) if current else {}
        creds = self._credentials(spec, credentials, old)
        problem = self.operator.problem(VendorAccount(vendor, mode, url, creds))
        if problem is not None:
            raise SettingProblem([f"base URL: {problem}"])
        try:  # last: it may ask DNS
            await self.outbound.check(url, None)
        except (OutboundRefused, OutboundFailed) as err:
            raise SettingProblem([f"base URL: {err}"]) from None
        label = f"{vendor} {mode}"
        changes = []
        if current is None or current.base_url != url:
            changes.append((f"{label} account url", current.base_url if current else "operator's", url))
        for name in sorted(set(old) | set(creds)):
            if old.get(name) != creds.get(name):
                changes.append((f"{label} account {name}", masked(old.get(name, "")) or "none",
                                masked(creds.get(name, "")) or "none"))
        if not changes:
            return
        async with self.engine.begin() as conn:
            merchant = await merchant_or_problem(conn, merchant_id)
            await store.put(conn, merchant_id, vendor, mode, url, self.secrets.encrypt(json.dumps(creds)))
            await history_store.record(conn, merchant_id, actor, changes)
        self._tell(merchant)

    async def remove(self, merchant_id: int, vendor: str, mode: str, actor: str) -> None:
        """Remove the merchant's own account: its orders of that mode go to the operator's account again."""
        vendor, mode = vendor.strip().lower(), mode.strip().lower()
        async with self.engine.begin() as conn:
            merchant = await merchant_or_problem(conn, merchant_id)
            current = await store.account(conn, merchant_id, vendor, mode)
            if current is None or not await store.remove(conn, merchant_id, vendor, mode):
                raise SettingProblem([f"there is no {vendor[:40]} {mode[:10]} account of this shop's own to remove"])
            await history_store.record(conn, merchant_id, actor,
                                       [(f"{vendor} {mode} account", current.base_url, "operator's")])
        self._tell(merchant)

    # --- rules ------------------------------------------------------------------------------------------

    def _spec(self, vendor: str, mode: str) -> VendorFields:
        problems = []
        spec = self.fields.get(vendor)
        if spec is None:
            problems.append(f"vendor: {vendor[:40]!r} is not an installed vendor (installed: "
                            f"{', '.join(sorted(self.fields))})")
        if mode not in MODES:
            problems.append(f"mode: {mode[:20]!r} must be sandbox or live")
        if problems or spec is None:
            raise SettingProblem(problems)
        return spec

    def _url(self, text: str) -> str:
        """The base URL if it has the shape of one: https, no user name, query or fragment (its host is
        checked last, see ``set``)."""
        if not text:
            raise SettingProblem(["base URL: is required"])
        if len(text) > URL_LIMIT:
            raise SettingProblem([f"base URL: must be at most {URL_LIMIT} characters"])
        try:
            parts = urlsplit(text)
            parts.port  # noqa: B018 (a port out of range raises here)
        except ValueError:
            raise SettingProblem([f"base URL: {text[:80]!r} is not a URL"]) from None
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not host:
            raise SettingProblem([f"base URL: {text[:80]!r} must be an absolute https URL"])
        if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
            raise SettingProblem(["base URL: must not carry a user name, password, query or fragment "
                                  "(credentials go in their own fields)"])
        if parts.scheme == "http" and not (self.allow_private and _is_loopback(host)):
            raise SettingProblem(["base URL: must be https (plain http only for this machine, where "
                                  "EASEL_CALLBACKS_ALLOW_PRIVATE is on)"])
        return text.rstrip("/")

    def _credentials(self, spec: VendorFields, given: Mapping[str, str], old: Mapping[str, str]) -> dict[str, str]:
        problems = []
        creds: dict[str, str] = {}
        for name in given:
            if name not in spec.all:
                problems.append(f"{name[:40]}: is not a {spec.vendor} credential (its fields: {', '.join(spec.all)})")
        for name in spec.all:
            value = given.get(name, "").strip()
            if len(value) > VALUE_LIMIT:
                problems.append(f"{name}: must be at most {VALUE_LIMIT} characters")
            elif any(c.isspace() for c in value):
                problems.append(f"{name}: must not contain spaces or line breaks")
            elif value:
                creds[name] = value
            elif name in old:
                creds[name] = old[name]  # left blank: keep the value easel has (it is never shown back)
            elif name in spec.required:
                problems.append(f"{name}: is required for a {spec.vendor} account")
        if problems:
            raise SettingProblem(problems)
        return creds

    # --- plumbing ---------------------------------------------------------------------------------------

    def _decrypt(self, token: str) -> dict[str, str]:
        found = json.loads(self.secrets.decrypt(token))
        return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}

    def _tell(self, merchant: Merchant) -> None:
        if self.cache is not None:
            self.cache.forget(merchant.id)
        for hook in self.on_change:
            hook(merchant)


def vendor_accounts_of(runtime: Runtime, on_change: Iterable[Callable[[Merchant], None]] = ()
                       ) -> MerchantVendorAccounts:
    """The service over this runtime's installed vendors, operator's accounts and dispatch's account cache."""
    dispatch = runtime.dispatch
    fields = {vendor: VendorFields(vendor, tuple(driver.credential_fields), tuple(driver.optional_credential_fields))
              for vendor, driver in dispatch.drivers.items()}
    allow_private = runtime.settings.callbacks_allow_private
    return MerchantVendorAccounts(runtime.engine, runtime.secrets, operator=dispatch.accounts, fields=fields,
                                  outbound=Outbound(runtime.http, allow_private=allow_private),
                                  allow_private=allow_private, cache=dispatch.own_accounts, on_change=on_change)


class OwnAccountCache:
    """A merchant's own accounts, decrypted, for dispatch: kept ``ttl`` seconds, bounded in entries and bytes.

    An entry is also dropped when the merchant's row names other (vendor, mode) pairs than it holds, so an
    account added or removed in another process counts at the merchant's next order; a changed credential
    shows within ``ttl`` seconds (at once in the process that changed it).
    """

    def __init__(self, engine: AsyncEngine, secrets: SecretBox, ttl: float = 5.0, max_entries: int = 10_000,
                 max_bytes: int = 8_000_000) -> None:
        self.engine = engine
        self.secrets = secrets
        self._cache: TtlCache[int, tuple[frozenset[tuple[str, str]], OwnAccounts]] = TtlCache(
            ttl, max_entries, max_bytes)

    async def of(self, merchant: Merchant) -> OwnAccounts:
        if not merchant.own_vendor_accounts:
            return {}
        found = self._cache.get(merchant.id)
        if found is not MISSING and found[0] == merchant.own_vendor_accounts:
            return found[1]
        async with self.engine.connect() as conn:
            rows = await store.accounts_of(conn, merchant.id)
        accounts = {(r.vendor, r.mode): self._account(r) for r in rows}
        return self._cache.put(merchant.id, (frozenset(accounts), accounts))[1]

    async def get(self, merchant_id: int, vendor: str, mode: str) -> VendorAccount | None:
        """One account, read now (for an inbound callback naming it)."""
        async with self.engine.connect() as conn:
            row = await store.account(conn, merchant_id, vendor, mode)
        return self._account(row) if row else None

    def forget(self, merchant_id: int) -> None:
        self._cache.pop(merchant_id)

    def _account(self, row: store.StoredAccount) -> VendorAccount:
        creds = json.loads(self.secrets.decrypt(row.credentials_encrypted))
        return VendorAccount(row.vendor, row.mode, row.base_url, {str(k): str(v) for k, v in creds.items()},
                             owner=row.merchant_id)
