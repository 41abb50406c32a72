"""Changing a merchant's settings: the one place their rules are applied and every change is recorded.

The admin panel and ``easel merchant set/rotate-secret`` both call this module, so a value is validated
once (``validated``, ``markups_with``; the domain's rules in ``domain/merchants.py``) and the errors read the
same in a form and on the command line. Each change writes its history rows (``setting_changes``: who,
when, field, old → new) in the same transaction as the change itself, so the history cannot miss one.
Secrets are recorded as changed, never by value. After a change, ``on_change`` hooks let the process
that made it forget its cached copies at once (other processes see it within ``EASEL_CACHE_TTL``).
"""

from __future__ import annotations

import json
import secrets as pysecrets
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..domain import merchants as rules
from ..domain.merchants import Merchant
from ..domain.money import parse_amount, parse_percent
from ..domain.pricing import Markups
from ..secret_box import SecretBox
from ..storage import merchants as merchant_store
from ..storage import setting_changes as history_store
from ..storage.setting_changes import SettingChange

CLI_ACTOR = "cli"
"""Who the history names for changes made on the command line."""
FLAGS = ("test_mode", "require_customer_token", "require_timestamp", "pricing_requires_login")
TEXT_LIMITS = {"email": 254, "name": 200}
SKU_LENGTH = 16


class SettingProblem(ValueError):
    """One or more values were refused; ``problems`` has one sentence each, ``str()`` joins them."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


def _text(name: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        text = str(value).strip()
        if len(text) > TEXT_LIMITS[name]:
            raise ValueError(f"{name} must be at most {TEXT_LIMITS[name]} characters")
        return text
    return check


def _origins(value: Any) -> list[str]:
    items = value.replace(",", "\n").splitlines() if isinstance(value, str) else list(value)
    return list(dict.fromkeys(rules.normalize_origin_pattern(o) for o in items if str(o).strip()))


def _cart_mode(value: Any) -> str:
    if value not in rules.CART_MODES:
        raise ValueError(f"cart mode {str(value)[:40]!r} must be one of {', '.join(rules.CART_MODES)}")
    return str(value)


def _routing(value: Any) -> dict[str, Any] | None:
    from ..vendors.routing import load_rules

    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError("routing rules must be a JSON object with rules/default")  # noqa: TRY004 (a user's value)
    load_rules(value)  # one sentence if malformed
    return value


_RULES: dict[str, Callable[[Any], Any]] = {
    "email": _text("email"), "name": _text("name"), "allowed_origins": _origins,
    "cart_path": rules.validate_cart_path, "cart_mode": _cart_mode, "login_url": rules.validate_login_url,
    "callback_url": rules.validate_callback_url, "currency": rules.validate_currency,
    "rate_limit": lambda v: rules.validate_rate_limit(str(v)), "routing": _routing,
    **{flag: bool for flag in FLAGS},
}
EDITABLE = tuple(_RULES)


def validated(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Each given field checked by its rule; raises SettingProblem listing every refused one."""
    fields: dict[str, Any] = {}
    problems: list[str] = []
    for name, value in raw.items():
        rule = _RULES.get(name)
        if rule is None:
            problems.append(f"{name} is not a setting that can be changed")
            continue
        try:
            fields[name] = rule(value)
        except ValueError as err:
            problems.append(str(err))
    if problems:
        raise SettingProblem(problems)
    return fields


def markups_with(current: Markups, styles: Mapping[str, str], skus: Mapping[str, str],
                 style_codes: Collection[str]) -> Markups:
    """``current`` with markups per style (percent) and fixed prices per sku (whole units) set; an empty
    value removes one. Raises SettingProblem naming every refused value."""
    by_style = dict(current.style_basis_points)
    by_sku = dict(current.sku_cents)
    problems: list[str] = []
    for style, value in styles.items():
        code = style.strip().upper()
        if code not in style_codes:
            problems.append(f"there is no style {style[:20]!r} (styles: {', '.join(style_codes)})")
        elif not value.strip():
            by_style.pop(code, None)
        else:
            try:
                by_style[code] = parse_percent(value)
            except ValueError as err:
                problems.append(f"markup for {code}: {err}")
    for sku, value in skus.items():
        code = sku.strip().lower()
        if len(code) != SKU_LENGTH or any(c not in "0123456789abcdef" for c in code):
            problems.append(f"sku {sku[:40]!r} must be 16 hexadecimal characters")
        elif not value.strip():
            by_sku.pop(code, None)
        else:
            try:
                by_sku[code] = parse_amount(value)
            except ValueError as err:
                problems.append(f"price for {code}: {err}")
    if problems:
        raise SettingProblem(problems)
    return Markups(dict(sorted(by_style.items())), dict(sorted(by_sku.items())))


def percent(basis_points: int | None) -> str:
    return "" if basis_points is None else f"{basis_points / 100:g}"


def amount(cents: int | None) -> str:
    return "" if cents is None else f"{cents / 100:.2f}"


def _shown(value: Any) -> str:
    """A value as the history shows it."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if value is None:
        return "default"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or "none"
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _markup_changes(old: Markups, new: Markups) -> list[tuple[str, str, str]]:
    changes = []
    for style in sorted(set(old.style_basis_points) | set(new.style_basis_points)):
        a, b = old.style_basis_points.get(style), new.style_basis_points.get(style)
        if a != b:
            changes.append((f"markup {style}", f"{percent(a)}%" if a is not None else "none",
                            f"{percent(b)}%" if b is not None else "none"))
    for sku in sorted(set(old.sku_cents) | set(new.sku_cents)):
        a, b = old.sku_cents.get(sku), new.sku_cents.get(sku)
        if a != b:
            changes.append((f"price {sku}", amount(a) or "none", amount(b) or "none"))
    return changes


def _changes(before: Merchant, fields: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    changes: list[tuple[str, str, str]] = []
    for name, value in fields.items():
        if name == "markups":
            changes += _markup_changes(before.markups, value)
            continue
        old = getattr(before, name)
        old_cmp = list(old) if isinstance(old, tuple) else old
        if old_cmp != value:
            changes.append((name, _shown(old), _shown(value)))
    return changes


class MerchantSettings:
    """Apply validated changes to one merchant, with their history, and tell this process's caches."""

    def __init__(self, engine: AsyncEngine, secrets: SecretBox,
                 on_change: Iterable[Callable[[Merchant], None]] = ()) -> None:
        self.engine = engine
        self.secrets = secrets
        self.on_change = list(on_change)

    async def change(self, merchant_id: int, fields: Mapping[str, Any], actor: str) -> Merchant:
        """Write ``fields`` (from ``validated``, and ``markups`` from ``markups_with``) and their history rows
        in one transaction; a field given with its current value is neither written nor recorded."""
        async with self.engine.begin() as conn:
            before = await merchant_or_problem(conn, merchant_id)
            changes = _changes(before, fields)
            names = {"markups" if field.startswith(("markup ", "price ")) else field for field, _, _ in changes}
            changed = {k: v for k, v in fields.items() if k in names}
            if changed:
                await merchant_store.update_merchant(conn, merchant_id, changed)
                await history_store.record(conn, merchant_id, actor, changes)
            after = await merchant_or_problem(conn, merchant_id)
        self._tell(after)
        return after

    async def rotate_secret(self, merchant_id: int, actor: str) -> str:
        """A new API secret, returned once (the history says it changed, never what it is)."""
        secret = pysecrets.token_urlsafe(32)
        async with self.engine.begin() as conn:
            merchant = await merchant_or_problem(conn, merchant_id)
            await merchant_store.update_merchant(conn, merchant_id, {"secret_encrypted": self.secrets.encrypt(secret)})
            await history_store.record(conn, merchant_id, actor, [("api secret", "(hidden)", "(new, hidden)")])
        self._tell(merchant)
        return secret

    async def add_api_key(self, merchant_id: int, actor: str) -> str:
        async with self.engine.begin() as conn:
            await merchant_or_problem(conn, merchant_id)
            key = await merchant_store.add_api_key(conn, merchant_id)
            await history_store.record(conn, merchant_id, actor, [("widget api_key", "none", key)])
            merchant = await merchant_or_problem(conn, merchant_id)
        self._tell(merchant)
        return key

    async def revoke_api_key(self, merchant_id: int, key: str, actor: str) -> None:
        async with self.engine.begin() as conn:
            merchant = await merchant_or_problem(conn, merchant_id)
            if not await merchant_store.revoke_api_key(conn, merchant_id, key):
                raise SettingProblem([f"{merchant.username} has no active api_key {key[:80]!r}"])
            await history_store.record(conn, merchant_id, actor, [("widget api_key", key, "revoked")])
        self._tell(merchant)

    async def history(self, merchant_id: int, fields: Sequence[str] | None = None,
                      limit: int = 100) -> list[SettingChange]:
        async with self.engine.connect() as conn:
            return await history_store.recent(conn, merchant_id, fields, limit)

    def _tell(self, merchant: Merchant) -> None:
        for hook in self.on_change:
            hook(merchant)


async def merchant_or_problem(conn: AsyncConnection, merchant_id: int) -> Merchant:
    """The merchant whose settings are being changed, read inside the change's transaction."""
    found = await merchant_store.merchant_by_id(conn, merchant_id)
    if found is None:
        raise SettingProblem(["there is no such merchant"])
    return found
