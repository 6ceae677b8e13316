"""The catalog: a typed facade over the plugins, and the selection a problem makes from it.

Business code calls :class:`Catalog` (``catalog.chips()``), never the hooks. The facade validates what
plugins return, rejects duplicate ids naming both plugins, requires a source for every figure of a
third-party plugin's chip, and wraps plugin exceptions with the plugin's name; every failure is a one-line
:class:`~tokenplan.errors.PluginError` (exit code 5) that names the plugin, its distribution, the record and
its field, and ends with ``(to skip it: --disable-plugin NAME)``.
:func:`select` resolves a problem against the catalog: inline records, overrides, allow/deny globs, region
packs (``extends``), rule parameters and the throughput model -> a :class:`Selection`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from tokenplan.errors import InputError, TokenplanError, did_you_mean
from tokenplan.host import PluginHost
from tokenplan.messages import describe, first_error, invalid_record, show
from tokenplan.records import (
    Chip,
    Cooling,
    Region,
    Rule,
    RuleParams,
    ThroughputModel,
    glob_to_regex,
    missing_sources,
)
from tokenplan.schema import Problem, Workload

R = TypeVar("R", bound=BaseModel)


class Catalog:
    """Everything the installed (and enabled) plugins contribute.

    :param host: the plugin host; by default one is made with ``disable``.
    :param disable: plugin names not to load.
    """

    def __init__(self, host: PluginHost | None = None, *, disable: Iterable[str] = ()) -> None:
        self.host = host if host is not None else PluginHost(disable)
        #: (kind, id) -> plugin name that contributed it
        self.provider: dict[tuple[str, str], str] = {}

    # -- records -----------------------------------------------------------------------------
    def chips(self) -> list[Chip]:
        """All catalog chips, sorted by id."""
        return list(self._chips)

    def coolings(self) -> list[Cooling]:
        return list(self._coolings)

    def regions(self) -> list[Region]:
        return list(self._regions)

    def rules(self) -> dict[str, type[Rule]]:
        """Rule id -> rule class."""
        return dict(self._rules)

    def throughput_models(self) -> dict[str, ThroughputModel]:
        return dict(self._throughput_models)

    @cached_property
    def _chips(self) -> list[Chip]:
        chips = self._collect("tokenplan_chips", Chip, "chip")
        for chip in chips:  # the built-ins' sources are checked by tokenplan's own tests (test_catalog_data)
            plugin = self.provider[("chip", chip.id)]
            info = self.host.infos.get(plugin)
            missing = missing_sources(chip) if info is None or not info.builtin else []
            if missing:
                raise self.host.error(plugin, f"chip {chip.id!r}: no source for {', '.join(missing)} (give each "
                                              f"figure a citation in sources, or '*' for the whole record; see "
                                              f"docs/plugins/writing.md)")
        return chips

    @cached_property
    def _coolings(self) -> list[Cooling]:
        return self._collect("tokenplan_coolings", Cooling, "cooling")

    @cached_property
    def _regions(self) -> list[Region]:
        return self._collect("tokenplan_regions", Region, "region")

    @cached_property
    def _throughput_models(self) -> dict[str, ThroughputModel]:
        models = self._collect("tokenplan_throughput_models", ThroughputModel, "throughput model",
                               id_field="name")
        return {m.name: m for m in models}

    @cached_property
    def _rules(self) -> dict[str, type[Rule]]:
        out: dict[str, type[Rule]] = {}
        hook = "tokenplan_rules"
        self._forget("rule")
        for plugin, items in self.host.call(hook):
            for i, item in enumerate(self._as_list(plugin, hook, items)):
                if not (isinstance(item, type) and issubclass(item, Rule)):
                    raise self.host.error(plugin, f"{hook} returned {show(item)} ({_a(item)}) as item {i}, "
                                                  f"expected a subclass of tokenplan.Rule")
                rule_id = getattr(item, "id", None)
                if not isinstance(rule_id, str) or not rule_id:
                    raise self.host.error(plugin, f"rule class {item.__name__}: id: missing (set the class "
                                                  f"attribute id, e.g. id = \"acme.carbon\")")
                if not (isinstance(item.Params, type) and issubclass(item.Params, RuleParams)):
                    raise self.host.error(plugin, f"rule {rule_id!r}: Params = {show(item.Params)}: must be a "
                                                  f"subclass of tokenplan.RuleParams")
                self._claim("rule", rule_id, plugin)
                out[rule_id] = item
        return dict(sorted(out.items()))

    def _collect(self, hook: str, model: type[R], kind: str, id_field: str = "id") -> list[R]:
        records: list[R] = []
        self._forget(kind)
        for plugin, items in self.host.call(hook):
            for i, item in enumerate(self._as_list(plugin, hook, items)):
                record = self._validate(plugin, hook, i, item, model, kind)
                self._claim(kind, getattr(record, id_field), plugin)
                records.append(record)
        return sorted(records, key=lambda r: getattr(r, id_field))

    def _as_list(self, plugin: str, hook: str, items: Any) -> list[Any]:
        if not isinstance(items, list | tuple):
            raise self.host.error(plugin, f"{hook} returned {_a(items)}, expected a list")
        return list(items)

    def _validate(self, plugin: str, hook: str, index: int, item: Any, model: type[R], kind: str) -> R:
        if isinstance(item, model):
            return item
        if not isinstance(item, dict):
            raise self.host.error(plugin, f"{hook} returned {show(item)} ({_a(item)}) as item {index}, "
                                          f"expected a {model.__name__} or a dict")
        try:
            return model.model_validate(item)
        except ValidationError as exc:
            raise self.host.error(plugin, invalid_record(exc, item, kind)) from None

    def _forget(self, kind: str) -> None:
        """Drop the claims of an earlier call that failed (a cached property is computed again then)."""
        for key in [k for k in self.provider if k[0] == kind]:
            del self.provider[key]

    def _claim(self, kind: str, record_id: str, plugin: str) -> None:
        other = self.provider.get((kind, record_id))
        if other == plugin:
            raise self.host.error(plugin, f"{kind} {record_id!r} is defined twice by this plugin")
        if other is not None:  # blame the one registered later (pluggy calls it first)
            order = list(self.host.infos)
            older, newer = sorted((other, plugin), key=lambda n: order.index(n) if n in order else len(order))
            theirs = self.host.distribution(older)
            raise self.host.error(newer, f"{kind} {record_id!r} is defined by two plugins: {older!r}"
                                         f"{f' (distribution {theirs})' if theirs else ''} and this one",
                                  skip=f"(to skip one: --disable-plugin {older} or --disable-plugin {newer})")
        self.provider[(kind, record_id)] = plugin

    # -- calls -------------------------------------------------------------------------------
    def throughput(self, chip: Chip, workload: Workload, params: dict[str, Any]) -> float | None:
        """Tokens/s per accelerator from the first plugin that answers (None if none does)."""
        answer = self.host.call_first("tokenplan_throughput", chip=chip, workload=workload, params=params)
        if answer is None:
            name = params.get("model")
            provider = self.provider.get(("throughput model", str(name)))
            if provider is not None:
                raise self.host.error(provider, f"registers throughput model {name!r} but no "
                                                f"tokenplan_throughput answered for chip {chip.id!r} and "
                                                f"workload {workload.id!r}")
            return None
        plugin, value = answer
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
                or value < 0:
            raise self.host.error(plugin, f"tokenplan_throughput returned {show(value)} for chip {chip.id!r} "
                                          f"and workload {workload.id!r}; expected a finite number >= 0")
        return float(value)

    def validate(self, problem: Problem) -> list[tuple[str, str]]:
        """What the plugins' ``tokenplan_validate`` say about a problem: ``(plugin name, message)`` pairs."""
        messages = []
        for plugin, items in self.host.call("tokenplan_validate", problem=problem, catalog=self):
            for message in self._as_list(plugin, "tokenplan_validate", items):
                messages.append((plugin, str(message)))
        return messages

    def report(self, result: Any) -> dict[str, Any]:
        return {plugin: section for plugin, section in self.host.call("tokenplan_report", result=result)}


# -- selection -------------------------------------------------------------------------------------
@dataclass
class Selection:
    """What a problem uses from the catalog, resolved and checked."""

    problem: Problem
    catalog: Catalog
    chips: list[Chip]
    coolings: list[Cooling]
    regions: list[Region]
    rules: list[Rule]
    throughput_model: ThroughputModel
    throughput_params: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    #: chip id -> why it is not used
    excluded: dict[str, str] = field(default_factory=dict)
    #: what plugins' ``tokenplan_validate`` said makes the problem infeasible: (plugin name, message)
    infeasible: list[tuple[str, str]] = field(default_factory=list)

    def rule_plugin(self, rule: Rule) -> str:
        """The name of the plugin that contributed ``rule``."""
        return self.catalog.provider.get(("rule", rule.id), "?")

    @contextmanager
    def blame(self, rule: Rule, what: str) -> Iterator[None]:
        """Run the rule's own code (``what``: ``"apply()"``); an exception it raises (other than a
        :class:`~tokenplan.errors.TokenplanError`) becomes a :class:`~tokenplan.errors.PluginError` naming the
        rule's plugin."""
        try:
            yield
        except TokenplanError:
            raise
        except Exception as exc:
            raise self.catalog.host.error(self.rule_plugin(rule), f"rule {rule.id!r} {what} raised "
                                                                  f"{describe(exc)}") from exc


def select(problem: Problem, catalog: Catalog | None = None, *, disable: Iterable[str] = ()) -> Selection:
    """Resolve ``problem`` against the catalog (made from the problem's ``[plugins]`` if not given)."""
    if catalog is None:
        try:
            catalog = Catalog(disable=[*problem.plugins.disable, *disable])
        except InputError as exc:
            raise InputError(exc.reason, file=problem.source, key=exc.key, value=exc.value) from None
    warnings: list[str] = []
    infeasible: list[tuple[str, str]] = []
    for plugin, message in catalog.validate(problem):
        if message.startswith("error: "):
            raise InputError(message.removeprefix("error: "), file=problem.source, key=f"(plugin {plugin})")
        if message.startswith("infeasible: "):  # a cause of infeasibility, for the pre-solve diagnosis
            infeasible.append((plugin, message.removeprefix("infeasible: ")))
            continue
        warnings.append(f"{plugin}: {message}")
    model, params = _throughput(problem, catalog)
    excluded: dict[str, str] = {}
    chips = _chips(problem, catalog, warnings, excluded)
    coolings = _coolings(problem, catalog, warnings)
    regions = _regions(problem, catalog)
    rules = _rules(problem, catalog)
    _check_money(problem, chips, coolings, regions)
    return Selection(problem, catalog, chips, coolings, regions, rules, model, params, warnings, excluded,
                     infeasible)


def _a(value: Any) -> str:
    """``a dict``, ``an int``, ``None``: what a plugin returned, for a message."""
    if value is None:
        return "None"
    name = type(value).__name__
    return f"{'an' if name[0].lower() in 'aeiou' else 'a'} {name}"


def _err(problem: Problem, key: str, message: str, value: Any = ...) -> InputError:
    return InputError(message, file=problem.source, key=key, value=value)


def _throughput(problem: Problem, catalog: Catalog) -> tuple[ThroughputModel, dict[str, Any]]:
    name = problem.problem.throughput_model
    models = catalog.throughput_models()
    if name not in models:
        raise _err(problem, "problem.throughput_model",
                   f"no installed plugin provides this throughput model (available: "
                   f"{', '.join(sorted(models)) or 'none'})", name)
    model = models[name]
    for w in problem.workloads:
        for needed in model.workload_fields:
            if getattr(w, needed) is None:
                raise _err(problem, f"workloads[{w.id}].{needed}",
                           f"missing; the {name!r} throughput model needs it")
    try:
        params = throughput_params(model, problem.throughput)
    except ParamError as exc:
        raise _err(problem, f"throughput.{exc.key}", exc.reason, problem.throughput.get(exc.key)) from None
    return model, params


class ParamError(ValueError):
    """A throughput-model parameter that is unknown or out of bounds: ``key`` and ``reason``."""

    def __init__(self, key: str, reason: str) -> None:
        self.key, self.reason = key, reason
        super().__init__(f"{key}: {reason}")


def throughput_params(model: ThroughputModel, given: dict[str, Any]) -> dict[str, Any]:
    """The model's defaults updated with ``given``; unknown names and values out of bounds are errors
    (:class:`ParamError`)."""
    for key, value in given.items():
        if key not in model.params:
            raise ParamError(key, f"unknown parameter of throughput model {model.name!r} (known: "
                             f"{', '.join(sorted(model.params)) or 'none'})")
        if key in model.param_bounds:
            low, high = model.param_bounds[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
                raise ParamError(key, f"must be a number in [{low:g}, {high:g}]")
    return {**model.params, **given, "model": model.name}


def _matcher(patterns: list[str]) -> list[tuple[str, Any]]:
    return [(p, glob_to_regex(p)) for p in patterns]


def _apply_override(problem: Problem, record: R, override: BaseModel, key: str) -> R:
    given = override.model_dump(exclude_none=True)
    data = record.model_dump()
    given_sources = given.pop("sources", {})
    given_estimate = given.pop("estimate", [])
    data.update(given)
    # provenance: the record's sources, then the override's own, then "problem override" for a changed
    # field the override gives no source for; an overridden figure is an estimate only if the override says
    sources = {**record.sources, **given_sources}
    for name in given:
        if name != "notes" and name not in given_sources:
            sources[name] = f"problem override ({problem.source})"
    data["sources"] = sources
    kept = [f for f in record.estimate if f.split(".")[0] not in given]
    data["estimate"] = list(dict.fromkeys([*kept, *given_estimate]))
    try:
        return type(record).model_validate(data)
    except ValidationError as exc:
        where, message, value, _ = first_error(exc, data)
        raise _err(problem, f"{key}.{where}", message, value) from None


def _select_records(problem: Problem, catalog: Catalog, kind: str, section: Any, catalog_records: list[R],
                    warnings: list[str]) -> tuple[list[R], set[str]]:
    """Merge catalog and inline records, apply overrides and allow/deny; return (records, named ids)."""
    records: dict[str, R] = {r.id: r for r in catalog_records}
    for i, custom in enumerate(section.custom):
        if custom.id in records:
            raise _err(problem, f"{kind}.custom[{i}].id",
                       f"already defined by plugin {catalog.provider.get((kind[:-1], custom.id))!r}; "
                       f"use [{kind}.overrides] to change it", custom.id)
        records[custom.id] = custom
    named: set[str] = {c.id for c in section.custom}
    for record_id, override in section.overrides.items():
        key = f'{kind}.overrides."{record_id}"'
        if record_id not in records:
            raise _err(problem, key, f"unknown {kind[:-1]} id{did_you_mean(record_id, records)} "
                                     f"(known: {_some(records)})")
        records[record_id] = _apply_override(problem, records[record_id], override, key)
        named.add(record_id)
    allow, deny = _matcher(section.allow), _matcher(section.deny)
    for label, patterns in (("allow", allow), ("deny", deny)):
        for i, (pattern, regex) in enumerate(patterns):
            if not any(regex.match(rid) for rid in records):
                # a pattern that matches nothing is a typo more often than not: a deny that misses lets the
                # chip in, an allow that misses leaves it out, and either changes the plan silently
                raise _err(problem, f"{kind}.{label}[{i}]", f"matches no {kind[:-1]}"
                           f"{did_you_mean(pattern, records)} (known: {_some(records)})", pattern)
            if label == "allow" and not any(ch in pattern for ch in "*?"):
                named.add(pattern)
    chosen = [r for rid, r in sorted(records.items())
              if any(rx.match(rid) for _, rx in allow) and not any(rx.match(rid) for _, rx in deny)]
    return chosen, named


def _some(records: Iterable[str]) -> str:
    ids = sorted(records)
    return ", ".join(ids[:12]) + (f", ... ({len(ids)} in all)" if len(ids) > 12 else "")


def _chips(problem: Problem, catalog: Catalog, warnings: list[str], excluded: dict[str, str]) -> list[Chip]:
    chosen, named = _select_records(problem, catalog, "chips", problem.chips, catalog.chips(), warnings)
    known = {c.id for c in catalog.chips()} | {c.id for c in problem.chips.custom}
    _check_chip_references(problem, catalog, chosen)
    hbm_field = "hbm_stacks" if problem.hbm.unit == "stacks" else "hbm_gb"
    out = []
    for chip in chosen:
        if chip.cloud_only and not problem.chips.allow_cloud_only:
            excluded[chip.id] = "cloud-only (set chips.allow_cloud_only = true to buy it)"
            continue
        needed = ["tdp_w", "price_per_accel"]
        if problem.hbm.supply:  # a chip with no HBM (e.g. LPDDR memory) draws on no pool
            needed += [hbm_field] + (["hbm_pool"] if getattr(chip, hbm_field) != 0 else [])
        missing = [f for f in needed if getattr(chip, f) is None]
        if missing:
            if chip.id in named:
                raise _err(problem, f'chips."{chip.id}"',
                           f"{', '.join(missing)} unknown for this chip (not published); give "
                           f'{"it" if len(missing) == 1 else "them"} in [chips.overrides."{chip.id}"] '
                           f"or deny the chip")
            excluded[chip.id] = f"{', '.join(missing)} unknown (give them in [chips.overrides])"
            continue
        out.append(chip)
    for table in ("supply_accelerators", "min_lot_accelerators"):
        for chip_id in getattr(problem.chips, table):
            if chip_id not in {c.id for c in out} and not (table == "min_lot_accelerators" and chip_id == "*"):
                key = f'chips.{table}."{chip_id}"'
                if chip_id not in known:
                    raise _err(problem, key, f"unknown chip id{did_you_mean(chip_id, known)}")
                raise _err(problem, key, f"not a chip this problem can buy ({excluded.get(chip_id, 'not allowed')})")
    if excluded:
        warnings.append("chips not used: " + "; ".join(f"{k}: {v}" for k, v in sorted(excluded.items())))
    if not out:
        raise _err(problem, "chips.allow", "no chip is left to buy after allow, deny and the checks",
                   problem.chips.allow)
    return out


def _check_chip_references(problem: Problem, catalog: Catalog, chips: list[Chip]) -> None:
    """Each chip's cooling ids name a cooling, and each HBM pool given a supply is some chip's pool.

    A cooling id that names nothing used to be dropped without a word (the chip then had fewer coolings,
    or none: "infeasible"), and a supply for a misspelt pool left the real pool without a cap."""
    coolings = [k.id for k in catalog.coolings()] + [k.id for k in problem.coolings.custom]
    custom = {c.id: i for i, c in enumerate(problem.chips.custom)}
    # every chip the file defines, used or not, and every catalog chip the problem uses
    for chip in {**{c.id: c for c in problem.chips.custom}, **{c.id: c for c in chips}}.values():
        for j, cooling in enumerate(chip.cooling):
            if cooling in coolings:
                continue
            hint = f"unknown cooling id{did_you_mean(cooling, coolings)} (known: {_some(coolings)})"
            override = problem.chips.overrides.get(chip.id)
            if override is not None and getattr(override, "cooling", None) is not None:
                raise _err(problem, f'chips.overrides."{chip.id}".cooling[{j}]', hint, cooling)
            if chip.id in custom:
                raise _err(problem, f"chips.custom[{chip.id}].cooling[{j}]", hint, cooling)
            plugin = catalog.provider.get(("chip", chip.id), "?")
            raise catalog.host.error(plugin, f"chip {chip.id!r}: cooling[{j}] = {cooling!r}: {hint}; enable the "
                                             f"plugin of that cooling, or deny the chip (chips.deny)")
    pools = {c.hbm_pool for c in [*catalog.chips(), *problem.chips.custom, *chips] if c.hbm_pool}
    for pool in problem.hbm.supply:
        if pool not in pools:
            raise _err(problem, f"hbm.supply.{pool}", f"no chip draws on this HBM pool"
                       f"{did_you_mean(pool, pools)} (pools: {', '.join(sorted(pools)) or 'none'})")


def _coolings(problem: Problem, catalog: Catalog, warnings: list[str]) -> list[Cooling]:
    chosen, _ = _select_records(problem, catalog, "coolings", problem.coolings, catalog.coolings(), warnings)
    if not chosen:
        raise _err(problem, "coolings.allow", "no cooling option is left after allow and deny",
                   problem.coolings.allow)
    return chosen


REGION_REQUIRED = ("country", "power_mw", "facility_capex_per_mw", "power_price_per_kwh")


def _regions(problem: Problem, catalog: Catalog) -> list[Region]:
    packs = {r.id: r for r in catalog.regions()}
    out = []
    for spec in problem.regions:
        key = f"regions[{spec.id}]"
        given = spec.model_dump(exclude_none=True)
        base: dict[str, Any] = {}
        extends = given.pop("extends", None)
        if extends is not None:
            if extends not in packs:
                raise _err(problem, f"{key}.extends", f"unknown region{did_you_mean(extends, packs)} "
                                                      f"(known: {_some(packs)})", extends)
            base = packs[extends].model_dump()
            base["sources"] = {k: f"{v} (via {extends})" for k, v in base.get("sources", {}).items()}
        data = {**base, **given}
        for name in REGION_REQUIRED:
            if data.get(name) is None:
                raise _err(problem, f"{key}.{name}", "missing required key" +
                           (f" (region {extends!r} does not set it)" if extends else ""))
        try:
            region = Region.model_validate(data)
        except ValidationError as exc:
            where, message, value, _ = first_error(exc, data)
            raise _err(problem, f"{key}.{where}", message, value) from None
        _check_grid_increase(problem, key, region)
        for name in ("power_mw", "power_price_per_kwh"):
            value = getattr(region, name)
            if isinstance(value, dict):
                bad = [y for y in value if y not in problem.periods]
                missing = [y for y in problem.periods if y not in value]
                if bad or missing:
                    raise _err(problem, f"{key}.{name}", f"the table must have exactly the periods "
                               f"{', '.join(map(str, problem.periods))}", value)
        out.append(region)
    return out


GRID_KEYS = ("grid_increase_max_mw", "grid_capex_per_mw")


def _check_grid_increase(problem: Problem, key: str, region: Region) -> None:
    """A grid increase needs its size, its most MW and its cost together; its other keys need its size."""
    if region.grid_increase_mw is not None:
        for name in GRID_KEYS:
            if getattr(region, name) is None:
                raise _err(problem, f"{key}.{name}", "missing required key (grid_increase_mw is set)")
        return
    for name in (*GRID_KEYS, "grid_lead_years"):
        value = getattr(region, name)
        if value:  # None, or the lead's default 0
            raise _err(problem, f"{key}.{name}", "set without grid_increase_mw (the size of one grid increase), "
                       "so it would do nothing", value)


def _rules(problem: Problem, catalog: Catalog) -> list[Rule]:
    classes = catalog.rules()
    for rule_id in problem.rules:
        if rule_id not in classes:
            raise _err(problem, f'rules."{rule_id}"',
                       f"unknown rule{did_you_mean(rule_id, classes)} (installed: {', '.join(classes) or 'none'})")
    out = []
    for rule_id, cls in classes.items():
        given = problem.rules.get(rule_id, {})
        try:
            params = cls.Params.model_validate(given)
        except ValidationError as exc:
            where, message, value, kind = first_error(exc, given)
            if kind == "extra_forbidden":
                message = f"unknown parameter{did_you_mean(where.split('.')[-1], cls.Params.model_fields)}"
            raise _err(problem, f'rules."{rule_id}".{where}', message, value) from None
        if params.enabled:
            out.append(cls(params))
    return out


def _check_money(problem: Problem, chips: list[Chip], coolings: list[Cooling], regions: list[Region]) -> None:
    fx = problem.problem.fx
    currency = problem.problem.currency
    for kind, items, attr in (("chip", chips, "price_currency"), ("cooling", coolings, "currency"),
                              ("region", regions, "currency")):
        for item in items:
            code = getattr(item, attr)
            if code is not None and code != currency and code not in fx:
                raise _err(problem, "problem.fx", f"no exchange rate for {code} into {currency} "
                                                  f"(needed by {kind} {item.id!r})")
