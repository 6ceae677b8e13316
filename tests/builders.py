"""Builders of tiny self-contained problems (inline chips and coolings, flops mode) for the tests.

The base problem: one period (2030), one workload of 1,000 tokens/s (86.4 M tokens/day at 1e12 FLOP/token
and utilisation 1), one region with ample power and free facility, energy and maintenance, one chip
``t.a`` (100 TFLOPS fp8 -> 100 tokens/s, 1 kW, 1 M CNY, lifetime 1 year so no salvage) and one cooling
``t.air`` (PUE 1, no cost). Tests change what they need and compute the optimum by hand.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from tokenplan import Rule, RuleParams, hookimpl
from tokenplan.model import Family, Row

M = 1e6  # one million (the model's money unit)
HOURS = 8760.0

CHIP_A: dict[str, Any] = {
    "id": "t.a", "vendor": "Test", "origin": "CN", "year_available": 2020,
    "tflops": {"fp8": 100.0}, "hbm_gb": 80, "hbm_stacks": 8, "hbm_pool": "p1",
    "tdp_w": 1000, "unit_size": 1, "price_per_accel": 1 * M, "price_currency": "CNY",
    "cooling": ["t.air"], "lifetime_years": 1,
}
AIR: dict[str, Any] = {"id": "t.air", "pue": 1.0, "max_rack_kw": 100, "capex_per_kw_it": 0,
                       "opex_per_kw_it_year": 0}


def chip(**changes: Any) -> dict[str, Any]:
    """A copy of chip t.a with changes (e.g. ``chip(id="t.b", tflops={"fp8": 250})``)."""
    out = copy.deepcopy(CHIP_A)
    out.update(changes)
    return out


def cooling(**changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(AIR)
    out.update(changes)
    return out


REGION: dict[str, Any] = {"id": "r1", "country": "CN", "power_mw": 100, "block_mw": 1,
                          "facility_capex_per_mw": 0, "power_price_per_kwh": 0.0}


def region(**changes: Any) -> dict[str, Any]:
    """A copy of the base problem's region r1 with changes (e.g. ``region(id="r2", power_mw=5)``)."""
    out = copy.deepcopy(REGION)
    out.update(changes)
    return out


def base_problem() -> dict[str, Any]:
    return {
        "problem": {"name": "t", "currency": "CNY", "periods": [2030], "discount_rate": 0.0,
                    "throughput_model": "flops", "load_factor": 1.0, "maintenance_rate": 0.0,
                    "time_limit_s": 30, "mip_gap": 0.0},
        "workloads": [{"id": "w", "tokens_per_day": 86400 * 1000.0, "flops_per_token": 1e12,
                       "utilisation": 1.0, "precision": "fp8"}],
        "regions": [region()],
        "chips": {"allow": ["t.*"], "custom": [chip()]},
        "coolings": {"allow": ["t.*"], "custom": [cooling()]},
    }


def solve(problem: dict[str, Any], **kwargs: Any) -> Any:
    import tokenplan

    return tokenplan.solve(tokenplan.load(problem), **kwargs)


def in_process_worker(problem: dict[str, Any], mip_gap: float, time_limit_s: float = 30.0) -> tuple[Any, Any]:
    """The worker process's solver (``tokenplan.highs_worker.Worker``), in this process, with the model of
    ``problem`` and its messages written to a buffer (:func:`worker_messages`); returns (worker, matrix)."""
    import io

    import tokenplan
    from tokenplan.catalog import select
    from tokenplan.coefficients import compute
    from tokenplan.highs_worker import Worker
    from tokenplan.matrix import compile_matrix
    from tokenplan.model import build
    from tokenplan.solver import SolveOptions, worker_payload

    model = build(compute(select(tokenplan.load(problem))))
    matrix = compile_matrix(model)
    payload = worker_payload(model, matrix, SolveOptions(time_limit_s=time_limit_s, mip_gap=mip_gap, duals=False))
    return Worker(payload, io.BytesIO()), matrix


def worker_messages(worker: Any) -> list[tuple[Any, ...]]:
    """Every message an in-process worker (:func:`in_process_worker`) has written."""
    from tokenplan.highs_worker import read_message

    worker.out.seek(0)
    messages = []
    while (m := read_message(worker.out)) is not None:
        messages.append(m)
    return messages


def bought(result: Any) -> dict[tuple[Any, ...], int]:
    """(period, region, chip, cooling) -> accelerators bought, for rows with purchases."""
    plan = result.plan
    return {(r.period, r.region, r.chip, r.cooling): int(r.accelerators_bought)
            for r in plan.itertuples() if r.accelerators_bought}


def by_chip(result: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for (_, _, c, _), n in bought(result).items():
        out[c] = out.get(c, 0) + n
    return out


# -- forcing a purchase: a rule written against the public API ---------------------------------------------
class ForceParams(RuleParams):
    enabled: bool = False
    chip: str = ""
    cooling: str = ""
    region: str = ""
    year: int = 0
    units: int = 0


class Force(Rule):
    """A test rule: at least ``units`` units of one purchasable tuple."""

    id = "test.force"
    Params = ForceParams

    def apply(self, ctx):
        p = self.params
        key = (p.chip, p.cooling, p.region, p.year)
        chosen = [pu for pu in ctx.purchases if pu.key == key]
        assert chosen, key
        ctx.add_family(Family(name="test_force", index=("chip", "cooling", "region", "period"), sense=">=",
                              unit="units", per="unit", rows=lambda ctx: {key: Row(chosen[0].var, p.units)},
                              doc="forced units"))


def force_catalog() -> Any:
    """The built-in plugins plus ``test.force`` (off unless ``[rules."test.force"] enabled = true``)."""
    from tokenplan.catalog import Catalog
    from tokenplan.host import PluginHost

    return Catalog(PluginHost(plugins=[("test-force", SimpleNamespace(tokenplan_rules=hookimpl(lambda: [Force])))]))


def forced(problem: dict[str, Any], chip_id: str, cooling_id: str, region: str, year: int, units: int
           ) -> dict[str, Any]:
    """``problem`` with at least ``units`` units of (chip, cooling, region, year) bought (solve it with
    ``catalog=force_catalog()``)."""
    out = copy.deepcopy(problem)
    out.setdefault("rules", {})["test.force"] = {"enabled": True, "chip": chip_id, "cooling": cooling_id,
                                                "region": region, "year": year, "units": units}
    return out


# -- an independent audit of a plan: design section 3 written out again, from the problem dict --------------
def per_year(value: Any, year: int, default: float = math.nan) -> float:
    """A per-year value of a problem dict (a number, or a table keyed by year as int or str) in ``year``."""
    if value is None:
        return default
    if isinstance(value, dict):
        for k, v in value.items():
            if int(k) == year:
                return float(v)
        return default
    return float(value)


@dataclass
class Audit:
    """What a plan does, recomputed from the problem dict and the plan's integers (``buy`` from
    ``result.plan``, ``blocks`` and ``cool_on`` from ``result.model``) without tokenplan's coefficients or
    economics: only for self-contained problems (inline chips and coolings, flops mode) that no rule changes.

    Keys: chip, cooling, region ids, workload ids, period years; accelerators, MW, HBM units, currency."""

    periods: list[int]
    bought: dict[tuple[str, int], float] = field(default_factory=dict)        # (chip, year) accelerators
    active: dict[tuple[str, int], float] = field(default_factory=dict)        # (chip, year) accelerators
    active_at: dict[tuple[str, str, str, int], float] = field(default_factory=dict)  # (chip, cooling, region, year)
    facility_mw: dict[tuple[str, int], float] = field(default_factory=dict)   # (region, year) of the fleet
    capacity_mw: dict[tuple[str, int], float] = field(default_factory=dict)   # (region, year) existing + blocks
    hbm: dict[tuple[str, int], float] = field(default_factory=dict)           # (pool, year) bought
    capex_nominal: dict[int, float] = field(default_factory=dict)             # year, before subsidies
    capex: float = 0.0     # present values at the first period's year
    opex: float = 0.0
    salvage: float = 0.0
    tps: dict[tuple[str, str], float] = field(default_factory=dict)           # (chip, workload) per accelerator
    demand_tps: dict[tuple[str, int], float] = field(default_factory=dict)    # (workload, year)
    serve: dict[tuple[str, str, int], float] = field(default_factory=dict)    # (chip, workload, year) from the model
    cool_on: dict[tuple[str, str], int] = field(default_factory=dict)         # (cooling, region)

    @property
    def npc(self) -> float:
        return self.capex + self.opex - self.salvage


def audit(problem: dict[str, Any], result: Any) -> Audit:
    """Recompute the plan's fleet, power, HBM, capex and net present cost (design section 3, "Economics,
    exactly") from ``problem`` (the dict that was solved) and ``result``'s integers."""
    P = problem["problem"]
    years = list(P["periods"])
    durations = [b - a for a, b in itertools.pairwise(years)] + [P.get("last_period_years", 1)]
    end = years[-1] + durations[-1]
    rate = P.get("discount_rate", 0.08)
    currency = P.get("currency", "CNY")

    def df(y: float) -> float:
        return (1.0 + rate) ** -(y - years[0])

    def fx(code: str | None) -> float:
        return 1.0 if code is None or code == currency else float(P["fx"][code])

    load, maint = P.get("load_factor", 0.7), P.get("maintenance_rate", 0.03)
    facility_life = P.get("facility_lifetime_years", 20)
    chips = {c["id"]: c for c in problem["chips"]["custom"]}
    coolings = {k["id"]: k for k in problem["coolings"]["custom"]}
    regions = {r["id"]: r for r in problem["regions"]}
    hbm_key = "hbm_stacks" if problem.get("hbm", {}).get("unit", "stacks") == "stacks" else "hbm_gb"
    a = Audit(periods=years)
    for w in problem["workloads"]:
        for y in years:
            a.demand_tps[w["id"], y] = per_year(w["tokens_per_day"], y) / 86400 * w.get("peak_to_average", 1.0)
        for cid, c in chips.items():
            a.tps[cid, w["id"]] = c["tflops"][w["precision"]] * 1e12 * w["utilisation"] / w["flops_per_token"]
    for key in [(c, y) for c in chips for y in years]:
        a.bought[key] = a.active[key] = 0.0
    for key in [(r, y) for r in regions for y in years]:
        a.facility_mw[key] = 0.0
        a.capacity_mw[key] = float(regions[key[0]].get("existing_mw", 0.0))
    a.capex_nominal = dict.fromkeys(years, 0.0)
    for row in result.plan.itertuples():
        if not row.units_bought:
            continue
        c, k, r, s = chips[row.chip], coolings[row.cooling], regions[row.region], int(row.period)
        n = int(row.units_bought) * c.get("unit_size", 1)
        life = c.get("lifetime_years", 5)
        it_kw = (c["tdp_w"] + c.get("host_w_per_accel", 0.0)) / 1000.0 * n
        fac_kw = it_kw * k["pue"] * r.get("pue_factor", 1.0)
        accel = n * c["price_per_accel"] * fx(c.get("price_currency"))
        cool = it_kw * k["capex_per_kw_it"] * fx(k.get("currency"))
        a.bought[c["id"], s] += n
        pool = c.get("hbm_pool")
        if pool is not None:
            a.hbm[pool, s] = a.hbm.get((pool, s), 0.0) + n * (c.get(hbm_key) or 0)
        a.capex_nominal[s] += accel + cool
        a.capex += df(s) * (accel + cool)
        a.salvage += df(end) * max(0.0, 1.0 - (end - s) / life) * (accel + cool)
        for t, y in enumerate(years):
            if not s <= y < s + life:
                continue
            a.active[c["id"], y] += n
            at = (c["id"], k["id"], r["id"], y)
            a.active_at[at] = a.active_at.get(at, 0.0) + n
            a.facility_mw[r["id"], y] += fac_kw / 1000.0
            for year in range(y, y + durations[t]):
                energy = fac_kw * HOURS * load * per_year(r["power_price_per_kwh"], y) * fx(r.get("currency"))
                upkeep = maint * accel + it_kw * k["opex_per_kw_it_year"] * fx(k.get("currency"))
                a.opex += df(year) * (energy + upkeep)
    model = result.model
    for (rid, y), var in model.blocks.items():
        n = round(var.value or 0.0)
        r = regions[rid]
        cost = n * r["block_mw"] * r["facility_capex_per_mw"] * fx(r.get("currency"))
        a.capex_nominal[y] += cost
        a.capex += df(y) * cost
        a.salvage += df(end) * max(0.0, 1.0 - (end - y) / facility_life) * cost
        for t in years:
            if y <= t < y + facility_life:
                a.capacity_mw[rid, t] += n * r["block_mw"]
    for (kid, rid), var in model.cool_on.items():
        on = round(var.value or 0.0)
        a.cool_on[kid, rid] = on
        fixed = on * coolings[kid].get("site_fixed_cost", 0.0) * fx(coolings[kid].get("currency"))
        a.capex_nominal[years[0]] += fixed
        a.capex += fixed  # paid at y[0], df = 1
    for (cid, wid, y), var in model.serve.items():
        a.serve[cid, wid, y] = float(var.value or 0.0)
    return a


def hard_problem(n_regions: int = 14, n_chips: int = 7, periods: tuple[int, ...] = (2030, 2031, 2032, 2033),
                 seed: int = 7) -> dict[str, Any]:
    """A problem made hard on purpose: many sites with lumpy facility blocks under tight grid caps, chips
    in odd unit sizes, coolings with site fixed costs and an HBM cap. HiGHS does not close the gap on it
    within a minute on a 2-core machine (measured: 0.17% gap left after 60 s)."""
    import random

    rnd = random.Random(seed)
    p = base_problem()
    p["problem"].update(periods=list(periods), discount_rate=0.05, mip_gap=0.0, load_factor=0.8)
    p["workloads"] = [{"id": f"w{j}", "tokens_per_day": {str(y): 86400 * rnd.uniform(4e4, 9e4) * (1 + 0.4 * t)
                                                         for t, y in enumerate(periods)},
                       "flops_per_token": 1e12 * rnd.uniform(0.5, 3), "utilisation": 1.0, "precision": "fp8"}
                      for j in range(3)]
    p["chips"]["custom"] = [chip(id=f"t.c{i}", tflops={"fp8": rnd.choice([97, 131, 173, 211, 257, 307, 353])},
                                 tdp_w=rnd.choice([700, 950, 1130, 1370]), unit_size=rnd.choice([3, 5, 7, 11]),
                                 price_per_accel=rnd.uniform(0.7, 2.9) * M, lifetime_years=rnd.choice([2, 3]),
                                 cooling=["t.air", "t.cp", "t.im"], hbm_pool=rnd.choice(["p1", "p2"]))
                            for i in range(n_chips)]
    p["coolings"]["custom"] = [cooling(pue=1.45, max_rack_kw=40),
                               cooling(id="t.cp", pue=1.17, capex_per_kw_it=9000, site_fixed_cost=3.1 * M),
                               cooling(id="t.im", pue=1.06, capex_per_kw_it=15000, site_fixed_cost=7.7 * M)]
    p["regions"] = [{"id": f"r{k}", "country": "CN", "block_mw": rnd.choice([0.13, 0.17, 0.19, 0.23, 0.29]),
                     "power_mw": {str(y): rnd.uniform(0.4, 1.3) * (1 + 0.3 * t) for t, y in enumerate(periods)},
                     "facility_capex_per_mw": rnd.uniform(20, 60) * M,
                     "power_price_per_kwh": rnd.uniform(0.3, 0.9)}
                    for k in range(n_regions)]
    p["hbm"] = {"supply": {"p1": {str(y): 4000 * (1 + t) for t, y in enumerate(periods)}}}
    return p


def toml_value(v: Any) -> str:
    """A TOML literal for a test value (scalars, lists, inline tables; infinities as ``inf``)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v in (float("inf"), float("-inf")):
        return "inf" if v > 0 else "-inf"
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {toml_value(x)}" for k, x in v.items()) + "}"
    return repr(v)


def write_toml(tmp_path: Path, data: dict) -> str:
    """A minimal TOML writer for the test problems (tables, arrays of tables, scalars, inline tables)."""
    value = toml_value

    lines = []
    for section, content in data.items():
        if isinstance(content, list):
            for item in content:
                lines.append(f"[[{section}]]")
                lines += [f'"{k}" = {value(v)}' for k, v in item.items()]
        else:
            lines.append(f"[{section}]")
            lines += [f'"{k}" = {value(v)}' for k, v in content.items()]
    path = tmp_path / "problem.toml"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def assert_light(imports: str, heavy: tuple[str, ...]) -> None:
    """Run ``imports`` (Python statements) in a fresh interpreter and assert that none of the ``heavy`` modules
    got imported (start-up time: the CLI and the plugin modules stay light)."""
    import subprocess
    import sys

    code = (f"import sys\n{imports}\nheavy = [m for m in {heavy!r} if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def solve_error(path: str, capsys: Any) -> str:
    """``tokenplan solve PATH``, which must stop on bad input: exit 2 and one line on stderr; that line."""
    import pytest

    from tokenplan.cli import main

    with pytest.raises(SystemExit) as info:
        main(["solve", path])
    err = capsys.readouterr().err.strip().splitlines()
    assert info.value.code == 2 and len(err) == 1, err
    return err[0]
