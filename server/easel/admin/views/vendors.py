"""Vendors and routing (owner only): which account takes the shop's orders at each vendor in each mode (the
operator's, or one of the shop's own), each vendor's error rate over the last 24 hours, and the routing
rules as validated JSON, with what they make sellable before saving.

Accounts are saved through ``services/vendor_accounts`` and rules through ``services/merchant_settings``:
the rules ``easel merchant vendor-account`` and ``easel merchant set --routing`` use. Credentials are
never shown back in full; a credential left blank keeps the value easel has.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ...domain.merchants import Merchant
from ...services.merchant_settings import SettingProblem, validated
from ...services.users import OWNER
from ...services.vendor_accounts import AccountShown, MerchantVendorAccounts, VendorFields, vendor_accounts_of
from ...services.vendor_calls import RECENT
from ...vendors.routing import MODES
from ..auth import Visitor, merchant_of, signed_in
from ..context import forget_in_this_process, panel_of, settings_service
from ..forms import posted, save_settings
from ..pages import render

CREDENTIAL_PREFIX = "cred_"
LOST_SHOWN = 10
"""Configurations that new rules would stop selling, listed by name (the count says how many)."""


@dataclass(frozen=True)
class AccountRow:
    vendor: str
    mode: str
    own: AccountShown | None
    operator: bool
    callback_url: str
    """The URL to register at the vendor for the shop's own account (vendors that need one), else ""."""


@dataclass(frozen=True)
class RulesCheck:
    """What the rules being edited would sell, in the shop's mode, against what it sells now."""

    before: int
    after: int
    total: int
    lost: list[tuple[str, str]]
    """(configuration, why it could no longer be sold), the first few."""
    unknown_vendors: list[str]


def _service(request: Request) -> MerchantVendorAccounts:
    return vendor_accounts_of(panel_of(request).runtime, on_change=[forget_in_this_process(request)])


def _rows(request: Request, merchant: Merchant, own: list[AccountShown]) -> list[AccountRow]:
    dispatch = panel_of(request).runtime.dispatch
    mine = {(a.vendor, a.mode): a for a in own}
    rows = []
    for vendor in sorted(dispatch.drivers):
        for mode in MODES:
            callback = ""
            if (vendor, mode) in mine and vendor == "pwinty":  # Pwinty posts to the URL set in its dashboard
                callback = dispatch.callback_url(vendor, f"{mode}-{merchant.id}")
            rows.append(AccountRow(vendor, mode, mine.get((vendor, mode)), dispatch.accounts.get(vendor, mode)
                                   is not None, callback))
    return rows


def _label(choices: dict[str, object]) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in choices.items() if v not in (None, False))


def _check(request: Request, merchant: Merchant, routing: dict[str, Any] | None) -> RulesCheck:
    runtime = panel_of(request).runtime
    capability = runtime.products.capability
    if capability is None:
        return RulesCheck(0, 0, 0, [], [])
    now = capability.plan(merchant.routing, merchant.test_mode, merchant.own_vendor_accounts)
    trial = capability.preview(routing, merchant.test_mode, merchant.own_vendor_accounts)
    lost = [(_label(config.as_choices()), trial.verdicts[config].reason or "")
            for config in now.makeable if trial.verdicts.get(config) is None or trial.verdicts[config].reason]
    rules = capability.router.rules_for(routing)
    named = {v for rule in rules.rules for v in rule.vendors} | set(rules.default)
    return RulesCheck(len(now.makeable), len(trial.makeable), len(trial.verdicts), lost[:LOST_SHOWN],
                      sorted(named - set(runtime.dispatch.drivers)))


def _rules_text(merchant: Merchant) -> str:
    if merchant.routing is None:
        return ""
    return json.dumps(merchant.routing, indent=2, sort_keys=True)


async def _page(request: Request, visitor: Visitor, *, status: int = 200, account_errors: list[str] | None = None,
                account_form: dict[str, str] | None = None, rules_errors: list[str] | None = None,
                rules_text: str | None = None, check: RulesCheck | None = None) -> Response:
    merchant = merchant_of(visitor)
    runtime = panel_of(request).runtime
    service = _service(request)
    own = await service.list(merchant.id)
    rates = await runtime.dispatch.meter.rates(merchant.id)
    history_fields = ["routing", *(f"{vendor} " for vendor in service.fields)]
    default_rules = json.dumps(runtime.dispatch.router.default.model_dump(exclude_defaults=True), indent=2)
    return render(request, visitor, "vendors.html", status=status, rows=_rows(request, merchant, own),
                  fields=sorted(service.fields.values(), key=lambda f: f.vendor), rates=rates,
                  recent_hours=int(RECENT.total_seconds() // 3600), account_errors=account_errors or [],
                  account_form=account_form or {}, rules_errors=rules_errors or [],
                  rules_text=_rules_text(merchant) if rules_text is None else rules_text, default_rules=default_rules,
                  check=check, prefix=CREDENTIAL_PREFIX,
                  history=await settings_service(request).history(merchant.id, history_fields),
                  done=request.query_params.get("done", ""))


@signed_in(OWNER)
async def vendors_page(request: Request, visitor: Visitor) -> Response:
    return await _page(request, visitor)


@signed_in(OWNER)
async def set_account(request: Request, visitor: Visitor) -> Response:
    form = await posted(request, visitor.session)
    assert visitor.user is not None
    vendor, mode = form.get("vendor", ""), form.get("mode", "")
    credentials = {k[len(CREDENTIAL_PREFIX):]: v for k, v in form.items() if k.startswith(CREDENTIAL_PREFIX)}
    try:
        await _service(request).set(merchant_of(visitor).id, vendor, mode, form.get("url", ""), credentials,
                                    visitor.user.email)
    except SettingProblem as err:
        shown = {"vendor": vendor, "mode": mode, "url": form.get("url", "")}  # never the credentials typed
        return await _page(request, visitor, status=400, account_errors=err.problems, account_form=shown)
    return RedirectResponse("/admin/vendors?done=account#accounts", status_code=303)


@signed_in(OWNER)
async def remove_account(request: Request, visitor: Visitor) -> Response:
    form = await posted(request, visitor.session)
    assert visitor.user is not None
    try:
        await _service(request).remove(merchant_of(visitor).id, form.get("vendor", ""), form.get("mode", ""),
                                       visitor.user.email)
    except SettingProblem as err:
        return await _page(request, visitor, status=400, account_errors=err.problems)
    return RedirectResponse("/admin/vendors?done=removed#accounts", status_code=303)


@signed_in(OWNER)
async def routing(request: Request, visitor: Visitor) -> Response:
    """Check (``action=check``) or save the rules typed; an empty box means the default rules."""
    form = await posted(request, visitor.session)
    merchant = merchant_of(visitor)
    text = form.get("rules", "")
    try:
        raw = json.loads(text) if text.strip() else None
        rules = validated({"routing": raw})["routing"]
    except json.JSONDecodeError as err:
        return await _page(request, visitor, status=400, rules_text=text,
                           rules_errors=[f"line {err.lineno}, column {err.colno}: {err.msg} (the rules are JSON)"])
    except SettingProblem as err:
        return await _page(request, visitor, status=400, rules_text=text, rules_errors=err.problems)
    if form.get("action") == "check":
        return await _page(request, visitor, rules_text=text, check=_check(request, merchant, rules))
    problems = await save_settings(request, visitor, {"routing": rules})
    if problems:
        return await _page(request, visitor, status=400, rules_text=text, rules_errors=problems)
    return RedirectResponse("/admin/vendors?done=routing#routing", status_code=303)


__all__ = ["VendorFields", "remove_account", "routing", "set_account", "vendors_page"]
