"""What a merchant can sell: whether a configuration can be made, by which vendors, or why not.

This is the one decision behind every surface that offers or accepts a configuration: the options the
widget offers and the prices it quotes, ``GET /catalog``, ``GET /products/:sku``, ``POST /quotes`` and
``POST /orders``. A configuration can be made, for a merchant in a mode (test: the vendors' sandbox
accounts; live: their live ones; ``VendorAccounts.for_order`` decides which), when the first of the
merchant's routing rules that matches it names a vendor that is installed, has an account in that
mode (the operator's, or the merchant's own) and whose mapping table makes it; a rule's retouching
vendor must be installed and have an account in that mode too. Nothing else is offered, so nothing
offered is discovered unmakeable later.

Fast because the answer depends only on the choices (not the artwork) and on the merchant only through
its rules, its mode and which vendor accounts of its own it has: a :class:`Plan` per (rules, mode, own
accounts) holds the verdict for every configuration of the finite option space
(``domain/option_space.py``; colours no table or rule names are one class), made once (a few thousand
table look-ups) and kept in a bounded LRU cache (``EASEL_CAPABILITY_PLANS``).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from typing import Any

from cachetools import LRUCache

from ..domain.configuration import Configuration
from ..domain.option_space import OTHER_COLOUR, configurations, key_of, known_colours
from ..domain.options import OptionTables
from .mapping import colours_in, holds, matchable
from .routing import NoAccount, Router, RoutingRules, VendorAccounts

_FIELDS = ("substrate", "style", "frame", "matte", "size", "border_type", "border_color", "border_width",
           "stretcher_bar", "security_hardware")


@dataclass(frozen=True, slots=True)
class Verdict:
    vendors: tuple[str, ...]
    """The vendors that can make it, in the order the rule lists them (empty when none can)."""
    reason: str | None
    """Why it cannot be made (for the merchant), or None."""


@dataclass(frozen=True, slots=True)
class StyleOffer:
    """What may be chosen with one style: each value is part of some configuration that can be made."""

    frames: tuple[str, ...]
    mattes: tuple[str, ...]
    sizes: tuple[str, ...]
    border_types: tuple[str, ...]
    stretcher_bars: tuple[str, ...]
    border_widths: tuple[int, ...]
    hardware: bool


@dataclass(frozen=True, slots=True)
class Offer:
    """The choices offered (for an artwork's substrates and sizes), in the option tables' order."""

    substrates: tuple[str, ...]
    sizes: tuple[str, ...]
    styles: Mapping[str, StyleOffer]


class Plan:
    """Every configuration's verdict for one set of routing rules in one mode."""

    def __init__(self, verdicts: dict[Configuration, Verdict], colours: frozenset[str]) -> None:
        self.verdicts = verdicts
        self.colours = colours
        self.makeable = [config for config, verdict in verdicts.items() if verdict.reason is None]
        self._offers: LRUCache[tuple[tuple[str, ...], tuple[str, ...]], Offer] = LRUCache(maxsize=64)
        self._completions: LRUCache[tuple[object, ...], Configuration | None] = LRUCache(maxsize=4096)

    def verdict(self, config: Configuration) -> Verdict:
        found = self.verdicts.get(key_of(config, self.colours))
        if found is None:
            return Verdict((), "this configuration is not one of the option tables")
        if found.reason is not None and OTHER_COLOUR in found.reason:
            return replace(found, reason=found.reason.replace(OTHER_COLOUR, config.border_color or ""))
        return found

    def offer(self, substrates: Collection[str] | None = None, sizes: Collection[str] | None = None) -> Offer:
        """The choices offered among ``substrates`` and ``sizes`` (all when None): a value is offered
        when some configuration with it can be made."""
        key = (tuple(substrates) if substrates is not None else (), tuple(sizes) if sizes is not None else ())
        cached = self._offers.get(key)
        if cached is not None:
            return cached
        found: dict[str, dict[str, dict[Any, None]]] = {}
        all_substrates: dict[str, None] = {}
        all_sizes: dict[str, None] = {}
        for c in self._within(substrates, sizes):
            all_substrates[c.substrate] = None
            all_sizes[c.size] = None
            style = found.setdefault(c.style, {name: {} for name in ("frame", "matte", "size", "border_type",
                                                                        "stretcher_bar", "border_width",
                                                                        "security_hardware")})
            for name in style:
                value = getattr(c, name)
                if value is not None and not (name == "border_width" and c.border_type is None):
                    style[name][value] = None
        offer = Offer(tuple(all_substrates), tuple(all_sizes), {
            code: StyleOffer(tuple(s["frame"]), tuple(s["matte"]), tuple(s["size"]), tuple(s["border_type"]),
                             tuple(s["stretcher_bar"]), tuple(sorted(s["border_width"])),
                             True in s["security_hardware"])
            for code, s in found.items()})
        self._offers[key] = offer
        return offer

    def _within(self, substrates: Collection[str] | None, sizes: Collection[str] | None) -> list[Configuration]:
        return [c for c in self.makeable
                if (substrates is None or c.substrate in substrates) and (sizes is None or c.size in sizes)]

    def complete(self, config: Configuration, given: Collection[str], substrates: Collection[str],
                 sizes: Collection[str]) -> Configuration | None:
        """The configuration that can be made closest to ``config`` keeping every choice in ``given``
        (the ones the shopper made; the others were defaults), or None when those choices rule it out."""
        if self.verdict(config).reason is None:
            return config
        wanted = key_of(config, self.colours)
        memo = (wanted, tuple(given), tuple(substrates), tuple(sizes))
        if memo in self._completions:
            best = self._completions[memo]
        else:
            best = self._completions[memo] = self._closest(wanted, given, substrates, sizes)
        if best is None:
            return None
        shade = config.border_color if best.border_color == OTHER_COLOUR else best.border_color
        return replace(best, artwork=config.artwork, border_color=shade)

    def _closest(self, wanted: Configuration, given: Collection[str], substrates: Collection[str],
                 sizes: Collection[str]) -> Configuration | None:
        best: Configuration | None = None
        best_score = -1
        for candidate in self._within(substrates, sizes):
            if any(getattr(candidate, name) != getattr(wanted, name) for name in given):
                continue
            if candidate.border_color == OTHER_COLOUR and wanted.border_color != OTHER_COLOUR:
                continue  # a colour nobody chose cannot be made up
            score = sum(getattr(candidate, name) == getattr(wanted, name) for name in _FIELDS)
            if score > best_score:
                best, best_score = candidate, score
        return best


class Capability:
    """Routing rules x mapping tables x the accounts of each mode, decided once per rules and mode."""

    def __init__(self, router: Router, accounts: VendorAccounts, tables: OptionTables, *, max_plans: int = 64) -> None:
        self.router = router
        self.accounts = accounts
        self.tables = tables
        self._plans: LRUCache[tuple[str, bool, tuple[tuple[str, str], ...]], Plan] = LRUCache(
            maxsize=max(1, max_plans))
        self._table_colours: set[str] = set()
        for table in router.maps.values():
            self._table_colours |= table.colours()

    def plan(self, routing: Mapping[str, Any] | None, test: bool,
             own: Collection[tuple[str, str]] = frozenset()) -> Plan:
        """The verdicts for these rules in this mode (``test``: sandbox accounts), with the merchant's ``own``
        accounts as (vendor, mode) beside the operator's, made on first use."""
        key = ("" if routing is None else json.dumps(routing, sort_keys=True, default=str), test, tuple(sorted(own)))
        found = self._plans.get(key)
        if found is None:
            found = self._plans[key] = self._make_plan(routing, test, frozenset(own))
        return found

    def preview(self, routing: Mapping[str, Any] | None, test: bool,
                own: Collection[tuple[str, str]] = frozenset()) -> Plan:
        """The plan of rules being edited, made now and not kept (trying rules must not push out the plans
        merchants are using)."""
        return self._make_plan(routing, test, frozenset(own))

    def reason(self, routing: Mapping[str, Any] | None, test: bool, config: Configuration) -> str | None:
        """None when the configuration can be made for these rules in this mode, else why not."""
        return self.plan(routing, test).verdict(config).reason

    def vendors(self, routing: Mapping[str, Any] | None, test: bool, config: Configuration) -> tuple[str, ...]:
        """The vendors that can make it, in the rule's order (the first is where it goes, the rest are
        its fallbacks)."""
        return self.plan(routing, test).verdict(config).vendors

    def _make_plan(self, routing: Mapping[str, Any] | None, test: bool, own: frozenset[tuple[str, str]]) -> Plan:
        colours = set(self._table_colours)
        try:
            rules = self.router.rules_for(routing)
        except ValueError as err:  # the merchant's rules are broken: nothing can be routed until fixed
            all_colours = known_colours(colours)
            broken = Verdict((), str(err))
            return Plan({c: broken for c in configurations(self.tables, all_colours)}, all_colours)
        for rule in rules.rules:
            colours |= colours_in(rule.when)
        all_colours = known_colours(colours)
        accounts: dict[str, str | None] = {vendor: None for vendor, mode in own
                                            if mode == ("sandbox" if test else "live")}
        verdicts = {c: self._verdict(rules, test, c, accounts) for c in configurations(self.tables, all_colours)}
        return Plan(verdicts, all_colours)

    def _account_problem(self, vendor: str, test: bool, seen: dict[str, str | None]) -> str | None:
        if vendor not in seen:
            try:
                self.accounts.for_order(vendor, is_test=test, merchant_test_mode=False)
                seen[vendor] = None
            except NoAccount as err:
                seen[vendor] = str(err)
        return seen[vendor]

    def _verdict(self, rules: RoutingRules, test: bool, config: Configuration, accounts: dict[str, str | None]
                 ) -> Verdict:
        choices = config.as_choices()
        c = matchable(choices)
        rule = next((r for r in rules.rules if holds(r.when, c)), None)
        vendors = rule.vendors if rule and rule.vendors else rules.default
        retouch = (rule.retouch if rule else None) or rules.retouch
        if retouch is not None:
            if retouch not in self.router.retouchers:
                return Verdict((), f"the retouching vendor {retouch} is not available")
            problem = self._account_problem(retouch, test, accounts)
            if problem is not None:
                return Verdict((), problem)
        capable: list[str] = []
        reasons: list[str] = []
        for vendor in vendors:
            table = self.router.maps.get(vendor)
            if table is None:
                continue
            why = table.can_make(choices) or self._account_problem(vendor, test, accounts)
            if why is None:
                capable.append(vendor)
            else:
                reasons.append(why)
        if capable:
            return Verdict(tuple(capable), None)
        if not reasons:
            return Verdict((), f"no installed vendor is routed for this item (tried {', '.join(vendors) or 'none'})")
        return Verdict((), "no vendor can make this item: " + "; ".join(dict.fromkeys(reasons)))
