"""Invariants of the optimum on random small self-contained problems (hypothesis; issue 11, item 7).

Each problem is built inline (chips, coolings and regions of the problem file, flops mode, 1-2 regions, 1-3
chips, 1-2 coolings, 1-2 periods, 1-2 workloads, caps drawn as multiples of what the demand needs) and solved
at gap 0. What the plan does is recomputed by ``builders.audit`` from the problem dict and the plan's integers,
never from tokenplan's own coefficients. The invariants (docs/testing.md):

1. demand is met in every period; 2. grid caps, facility capacity, HBM, chip supply and budget hold;
3. the objective is the net present cost of design section 3, recomputed;
4. more supply never raises the optimum; 5. more demand never lowers it; 6. one forced extra unit never
lowers it; 7. an infeasible problem has a diagnosis, and giving what it names makes the problem feasible.

Examples are derandomized (the same on every run, no example database) and kept small: the file takes
about 50 s of CPU on a 2-core machine.
"""

from __future__ import annotations

import copy
import functools
import json
import math
from typing import Any

from builders import M, audit, force_catalog, forced, per_year
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tokenplan

FEW = settings(max_examples=15, deadline=None, derandomize=True, database=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SOME = settings(FEW, max_examples=20)

#: relative MIP gap of every solve here, and the tolerance of a comparison of two optima on top of it
#: (HiGHS's absolute gap is 1e-6 in model money, one unit of currency; its feasibility tolerance is 1e-7)
GAP = 0.0
REL, ABS = 1e-7, 5.0

PERIODS = [(2030,), (2030, 2031), (2030, 2032)]
FX = {"USD": 7.0}


def close_or_below(a: float, b: float) -> bool:
    """``a <= b`` up to the gap and the solver's tolerances."""
    return a <= b * (1 + GAP) + REL * max(abs(a), abs(b)) + ABS


# -- what the demand needs: lower bounds, to scale the caps (and to make problems infeasible on purpose) -----
def tps(chip: dict[str, Any], w: dict[str, Any]) -> float:
    return chip["tflops"][w["precision"]] * 1e12 * w["utilisation"] / w["flops_per_token"]


def demand_tps(w: dict[str, Any], year: int) -> float:
    return per_year(w["tokens_per_day"], year) / 86400 * w.get("peak_to_average", 1.0)


def price(p: dict[str, Any], chip: dict[str, Any]) -> float:
    code = chip.get("price_currency")
    return chip["price_per_accel"] * (1.0 if code in (None, p["problem"]["currency"]) else p["problem"]["fx"][code])


def needs(p: dict[str, Any], year: int) -> dict[str, float]:
    """Lower bounds on what serving the demand of ``year`` takes (every accelerator serves one workload at a
    time, with the best chip available then for each measure): facility MW, accelerators, and, for what must
    be bought in the first period, HBM and accelerator capex."""
    chips = [c for c in p["chips"]["custom"] if c["year_available"] <= year]
    coolings = {k["id"]: k for k in p["coolings"]["custom"]}
    hbm_key = "hbm_stacks" if p.get("hbm", {}).get("unit", "stacks") == "stacks" else "hbm_gb"
    out = dict.fromkeys(("mw", "accelerators", "hbm", "capex"), 0.0)
    for w in p["workloads"]:
        d = demand_tps(w, year)
        if d <= 0 or not chips:
            continue
        pf = min(r.get("pue_factor", 1.0) for r in p["regions"])
        out["mw"] += d * min((c["tdp_w"] + c.get("host_w_per_accel", 0)) / 1e6
                             * min(coolings[k]["pue"] for k in c["cooling"]) * pf / tps(c, w) for c in chips)
        out["accelerators"] += d / max(tps(c, w) for c in chips)
        out["hbm"] += d * min(c[hbm_key] / tps(c, w) for c in chips)
        out["capex"] += d * min(price(p, c) / tps(c, w) for c in chips)
    return out


# -- the problems -----------------------------------------------------------------------------------------------
TIGHT = ("power", "hbm", "chip_supply", "budget", "no_chip")


@st.composite
def problems(draw: Any, *, rules: bool = True, tight: bool = False) -> dict[str, Any]:
    """A small self-contained problem. ``rules``: some sites may carry tags that the built-in rules act on
    (subsidies, a power discount, export controls); otherwise no rule applies. ``tight``: one resource of the
    first period (grid power, HBM, chip supply, budget, or any chip at all) is cut to a fraction of what the
    demand needs (``p["_tight"]`` says which and by how much: below 1 the problem is infeasible for sure)."""
    periods = list(draw(st.sampled_from(PERIODS)))
    p: dict[str, Any] = {
        "problem": {"name": "inv", "currency": "CNY", "fx": FX, "periods": periods,
                    "discount_rate": draw(st.sampled_from([0.0, 0.05, 0.12])),
                    "throughput_model": "flops", "load_factor": draw(st.sampled_from([0.7, 1.0])),
                    "maintenance_rate": draw(st.sampled_from([0.0, 0.03])),
                    "last_period_years": draw(st.integers(1, 3)),
                    "facility_lifetime_years": draw(st.sampled_from([1.5, 20.0])),
                    "time_limit_s": 20, "mip_gap": GAP},
        "hbm": {"unit": draw(st.sampled_from(["stacks", "GB"]))},
    }
    n_workloads = draw(st.integers(1, 2))
    p["workloads"] = []
    for j in range(n_workloads):
        tpd = {str(y): 86400 * draw(st.sampled_from([0.0, 300.0, 800.0, 1700.0])) for y in periods}
        tpd[str(periods[0])] = 86400 * draw(st.sampled_from([300.0, 800.0, 1700.0]))  # demand from the start
        p["workloads"].append({"id": f"w{j}", "tokens_per_day": tpd,
                               "peak_to_average": draw(st.sampled_from([1.0, 1.5])),
                               "flops_per_token": draw(st.sampled_from([1e12, 2e12])),
                               "utilisation": draw(st.sampled_from([0.5, 1.0])), "precision": "fp8"})
    coolings = [{"id": "t.air", "pue": 1.3, "max_rack_kw": 100, "capex_per_kw_it": 0, "opex_per_kw_it_year": 0}]
    if draw(st.booleans()):
        coolings.append({"id": "t.cp", "pue": 1.1, "max_rack_kw": draw(st.sampled_from([3.0, 100.0])),
                         "capex_per_kw_it": draw(st.sampled_from([0, 4000])),
                         "opex_per_kw_it_year": draw(st.sampled_from([0, 150])),
                         "site_fixed_cost": draw(st.sampled_from([0.0, 0.3 * M])),
                         "currency": draw(st.sampled_from(["CNY", "USD"]))})
    ids = [k["id"] for k in coolings]
    chips = []
    for i in range(draw(st.integers(1, 3))):
        chips.append({
            "id": f"t.c{i}", "vendor": "Test", "origin": draw(st.sampled_from(["CN", "US"])) if rules else "CN",
            "year_available": 2020 if i == 0 else draw(st.sampled_from([2020, 2020, 2031])),
            "tflops": {"fp8": draw(st.sampled_from([100.0, 170.0, 400.0]))},
            "hbm_gb": draw(st.sampled_from([80, 141])), "hbm_stacks": draw(st.sampled_from([4, 8])),
            "hbm_pool": draw(st.sampled_from(["p1", "p2"])),
            "tdp_w": draw(st.sampled_from([400, 700, 1000])), "host_w_per_accel": draw(st.sampled_from([0, 150])),
            "unit_size": draw(st.sampled_from([1, 2, 4])),
            "price_per_accel": draw(st.sampled_from([0.5, 1.0, 2.5])) * M / (7.0 if i == 1 else 1.0),
            "price_currency": "USD" if i == 1 else "CNY",
            "cooling": draw(st.lists(st.sampled_from(ids), min_size=1, max_size=len(ids), unique=True)),
            "lifetime_years": draw(st.sampled_from([1, 2, 3.5, 5])),
        })
    p["chips"] = {"allow": ["t.*"], "custom": chips}
    p["coolings"] = {"allow": ["t.*"], "custom": coolings}
    if tight and draw(st.sampled_from(TIGHT)) == "no_chip":
        for c in chips:  # the first period has demand and no chip: the pre-check's case
            c["year_available"] = 2031
        p["_tight"] = ("no_chip", 0.0)
    n_regions = draw(st.integers(1, 2))
    p["regions"] = []
    for j in range(n_regions):
        tags = draw(st.sampled_from([[], [], ["cn-ai-city"], ["cn-hub"], ["cn-power-discount"]])) if rules else []
        p["regions"].append({
            "id": f"r{j}", "country": "CN" if tags or (rules and draw(st.booleans())) else "ZZ", "tags": tags,
            "block_mw": draw(st.sampled_from([0.002, 0.005, 0.02])),
            "facility_capex_per_mw": draw(st.sampled_from([0.0, 30 * M])),
            "power_price_per_kwh": {str(y): draw(st.sampled_from([0.0, 0.4, 1.2])) for y in periods},
            "pue_factor": draw(st.sampled_from([1.0, 1.1])),
            "currency": draw(st.sampled_from(["CNY", "USD"])),
        })
        if len(coolings) > 1 and draw(st.integers(0, 4)) == 0:
            p["regions"][-1]["pue_cap"] = 1.25  # air (1.3) not allowed there
    # caps: multiples of what the demand needs in each period (the grid in whole blocks, and some more)
    for r in p["regions"]:
        block = r["block_mw"]
        r["power_mw"] = {str(y): round(block * (math.ceil(draw(st.sampled_from([0.8, 1.3, 3.0, 20.0]))
                                                          * needs(p, y)["mw"] / block) + draw(st.integers(0, 2))), 6)
                         for y in periods}
        r["power_mw"] = {y: max(v, block) for y, v in r["power_mw"].items()}
        if draw(st.booleans()):
            r["existing_mw"] = round(min(r["power_mw"].values()) * draw(st.sampled_from([0.3, 1.0])), 6)
    pools = sorted({c["hbm_pool"] for c in chips})
    if draw(st.booleans()):
        p["hbm"]["supply"] = {pool: {str(y): round(draw(st.sampled_from([1.5, 4.0])) * max(needs(p, y)["hbm"], 8))
                                     for y in periods} for pool in pools}
    if draw(st.booleans()):
        p["chips"]["supply_accelerators"] = {
            c["id"]: {str(y): math.ceil(draw(st.sampled_from([0.8, 2.0])) * needs(p, y)["accelerators"]) + 4
                      for y in periods} for c in chips}
    if draw(st.booleans()):
        p["budget"] = {"capex_per_period": {
            str(y): round(draw(st.sampled_from([3.0, 10.0])) * max(needs(p, y)["capex"], 2 * M)) for y in periods}}
    if tight and "_tight" not in p:
        cut(p, draw(st.sampled_from(TIGHT[:-1])), draw(st.sampled_from([0.4, 0.9, 1.0, 1.15])))
    return p


def cut(p: dict[str, Any], what: str, factor: float) -> None:
    """Cut ``what`` in the first period to ``factor`` x the lower bound of what its demand needs (shared
    equally by the regions, pools or chips): below 1, no plan can exist."""
    y = p["problem"]["periods"][0]
    need = needs(p, y)
    if what == "power":
        for r in p["regions"]:
            r["power_mw"][str(y)] = factor * need["mw"] / len(p["regions"])
            r.pop("existing_mw", None)
    elif what == "hbm":
        pools = sorted({c["hbm_pool"] for c in p["chips"]["custom"]} | set(p["hbm"].get("supply", {})))
        supply = p["hbm"].setdefault("supply", {})
        for pool in pools:
            supply.setdefault(pool, {})[str(y)] = factor * need["hbm"] / len(pools)
    elif what == "chip_supply":
        caps = p["chips"].setdefault("supply_accelerators", {})
        for c in p["chips"]["custom"]:
            caps.setdefault(c["id"], {})[str(y)] = factor * need["accelerators"] / len(p["chips"]["custom"])
    elif what == "budget":
        p.setdefault("budget", {}).setdefault("capex_per_period", {})[str(y)] = factor * need["capex"]
    p["_tight"] = (what, factor)


# -- solving, with a cache (several invariants start from the same optimum) --------------------------------------
def _key(p: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in p.items() if not k.startswith("_")}, sort_keys=True)


@functools.lru_cache(maxsize=64)
def _solve(key: str, with_force: bool, diagnose: bool) -> Any:
    catalog = force_catalog() if with_force else None
    return tokenplan.solve(tokenplan.load(json.loads(key)), catalog=catalog, diagnose=diagnose)


def solve(p: dict[str, Any], *, with_force: bool = False, diagnose: bool = False) -> Any:
    """The result of ``p`` (solved once: the cache is keyed by the problem), with the elastic diagnosis of an
    infeasible problem only when asked (it takes two more solves)."""
    r = _solve(_key(p), with_force, diagnose)
    assert r.status in ("optimal", "infeasible"), (r.status, r.termination, r.diagnosis)
    return r


def solved(p: dict[str, Any], **kwargs: Any) -> Any:
    r = solve(p, **kwargs)
    return r if r.status == "optimal" else None


# -- 1-3: what an optimal plan does -------------------------------------------------------------------------------
@SOME
@given(problems())
def test_demand_is_met_in_every_period(p):
    r = solved(p)
    if r is None:
        return
    a = audit(p, r)
    for (cid, y), active in a.active.items():
        serving = sum(v for (c, _, t), v in a.serve.items() if (c, t) == (cid, y))
        assert serving <= active * (1 + 1e-9) + 1e-6, (cid, y, serving, active)
    for (wid, y), demand in a.demand_tps.items():
        served = sum(a.tps[cid, w] * v for (cid, w, t), v in a.serve.items() if (w, t) == (wid, y))
        assert served >= demand * (1 - 1e-9) - 1e-6, (wid, y, served, demand)
    if len(p["workloads"]) == 1:  # the fleet itself (not only the assignment) can serve it
        for y in a.periods:
            fleet = sum(a.tps[cid, "w0"] * n for (cid, t), n in a.active.items() if t == y)
            assert fleet >= a.demand_tps["w0", y] * (1 - 1e-9) - 1e-6


def check_caps(p: dict[str, Any], r: Any) -> None:
    """The plan of ``r`` keeps within the grid caps, its facility capacity, HBM, chip supply and budget of
    ``p``, buys only allowed tuples and switches the cooling it uses on."""
    a = audit(p, r)
    regions = {x["id"]: x for x in p["regions"]}
    for (rid, y), mw in a.facility_mw.items():
        cap = per_year(regions[rid]["power_mw"], y)
        assert mw <= cap + 1e-9, ("grid cap", rid, y, mw, cap)
        assert mw <= a.capacity_mw[rid, y] + 1e-9, ("facility capacity", rid, y, mw, a.capacity_mw[rid, y])
        assert a.capacity_mw[rid, y] <= max(cap, regions[rid].get("existing_mw", 0.0)) + 1e-9, ("blocks", rid, y)
    supply = p["hbm"].get("supply", {})
    for (pool, y), used in a.hbm.items():
        assert used <= per_year(supply.get(pool), y, math.inf) + 1e-6, ("hbm", pool, y, used)
    caps = p["chips"].get("supply_accelerators", {})
    for (cid, y), n in a.bought.items():
        assert n <= per_year(caps.get(cid), y, math.inf) + 1e-6, ("chip supply", cid, y, n)
    budget = p.get("budget", {}).get("capex_per_period")
    for y, capex in a.capex_nominal.items():
        assert capex <= per_year(budget, y, math.inf) * (1 + 1e-9) + 1e-3, ("budget", y, capex)
    chips = {c["id"]: c for c in p["chips"]["custom"]}
    coolings = {k["id"]: k for k in p["coolings"]["custom"]}
    for row in r.plan.itertuples():
        if row.units_bought:
            c, k, reg = chips[row.chip], coolings[row.cooling], regions[row.region]
            assert c["year_available"] <= row.period and k["id"] in c["cooling"], row
            assert k["pue"] * reg.get("pue_factor", 1.0) <= reg.get("pue_cap", math.inf) + 1e-12, row
    for (_, kid, rid, y), n in a.active_at.items():
        assert n == 0 or a.cool_on[kid, rid] == 1, (kid, rid, y)


def snug(p: dict[str, Any], r: Any, caps: set[str], share: float) -> dict[str, Any]:
    """``p`` with the named caps set, in every period, at ``share`` of what the plan of ``r`` uses (as the
    audit counts it): with ``share`` 1 the plan is still feasible, below 1 the caps bind or cut it off."""
    a = audit(p, r)
    q = copy.deepcopy(p)
    years = q["problem"]["periods"]
    if "power" in caps:
        for x in q["regions"]:  # the grid at what the fleet and the blocks in service take
            x["power_mw"] = {str(y): max(max(a.facility_mw[x["id"], y], a.capacity_mw[x["id"], y]) * share,
                                         x.get("existing_mw", 0.0)) for y in years}
    if "hbm" in caps:
        q["hbm"]["supply"] = {c["hbm_pool"]: {str(y): a.hbm.get((c["hbm_pool"], y), 0.0) * share for y in years}
                              for c in q["chips"]["custom"]}
    if "chip_supply" in caps:
        q["chips"]["supply_accelerators"] = {c["id"]: {str(y): a.bought[c["id"], y] * share for y in years}
                                             for c in q["chips"]["custom"]}
    if "budget" in caps:
        q["budget"] = {"capex_per_period": {str(y): a.capex_nominal[y] * share + 1.0 for y in years}}
    return q


@FEW
@given(problems(), st.sets(st.sampled_from(["power", "hbm", "chip_supply", "budget"]), min_size=1),
       st.sampled_from([0.6, 0.9, 1.0]))
def test_power_hbm_chip_supply_and_budget_caps_hold(p, caps, share):
    r = solved(p)
    if r is None:
        return
    check_caps(p, r)
    # and where caps bind: at (a share of) what that plan uses
    q = snug(p, r, caps, share)
    tight = solved(q)
    if share == 1.0:  # the plan is still feasible, and still optimal: the new caps only cut off other plans
        assert tight is not None, (caps, tight)
        assert math.isclose(tight.objective, r.objective, rel_tol=REL, abs_tol=ABS), (caps, r.objective,
                                                                                      tight.objective)
    if tight is not None:
        check_caps(q, tight)


@SOME
@given(problems(rules=False))
def test_the_objective_is_the_net_present_cost_of_the_plan(p):
    r = solved(p)
    if r is None:
        return
    a = audit(p, r)
    assert math.isclose(r.objective, a.npc, rel_tol=1e-7, abs_tol=1e-3), (r.objective, a.npc, r.cost_terms)
    assert math.isclose(r.kpis["capex"], a.capex, rel_tol=1e-7, abs_tol=1e-3)
    assert math.isclose(r.kpis["opex"], a.opex, rel_tol=1e-7, abs_tol=1e-3)
    assert math.isclose(r.kpis["salvage"], a.salvage, rel_tol=1e-7, abs_tol=1e-3)
    assert r.kpis["subsidy"] == 0.0


# -- 4-6: how the optimum moves ------------------------------------------------------------------------------------
MORE = ("power", "existing_mw", "hbm", "chip_supply", "budget", "chip", "region")


def more_supply(p: dict[str, Any], what: str, pick: int) -> dict[str, Any] | None:
    """``p`` with more of ``what`` (at one place, picked by ``pick``); None if ``p`` has no such cap."""
    q = copy.deepcopy(p)
    periods = q["problem"]["periods"]
    y = str(periods[pick % len(periods)])
    if what == "power":
        r = q["regions"][pick % len(q["regions"])]
        r["power_mw"][y] = r["power_mw"][y] * 1.5 + r["block_mw"]
    elif what == "existing_mw":  # an existing facility with its own grid connection (existing MW alone is not
        # more supply: it takes grid capacity that whole blocks might have used better)
        r = q["regions"][pick % len(q["regions"])]
        extra = r["block_mw"] * (0.5 + pick % 3)
        r["existing_mw"] = r.get("existing_mw", 0.0) + extra
        r["power_mw"] = {k: v + extra for k, v in r["power_mw"].items()}
    elif what == "hbm":
        supply = q["hbm"].get("supply")
        if not supply:
            return None
        pool = sorted(supply)[pick % len(supply)]
        if pick % 3 == 0:
            del supply[pool]  # unlimited
        else:
            supply[pool][y] *= 2
    elif what == "chip_supply":
        caps = q["chips"].get("supply_accelerators")
        if not caps:
            return None
        cid = sorted(caps)[pick % len(caps)]
        caps[cid][y] *= 2
    elif what == "budget":
        if "budget" not in q:
            return None
        if pick % 3 == 0:
            del q["budget"]
        else:
            q["budget"]["capex_per_period"][y] *= 2
    elif what == "chip":  # one more chip to choose from
        new = copy.deepcopy(q["chips"]["custom"][pick % len(q["chips"]["custom"])])
        new.update(id="t.more", tflops={"fp8": new["tflops"]["fp8"] * 1.3}, year_available=2020)
        q["chips"]["custom"].append(new)
    elif what == "region":  # one more site
        new = copy.deepcopy(q["regions"][pick % len(q["regions"])])
        new["id"] = "r.more"
        q["regions"].append(new)
    return q


@FEW
@given(problems(), st.sampled_from(MORE), st.integers(0, 99))
def test_more_supply_never_raises_the_optimal_cost(p, what, pick):
    q = more_supply(p, what, pick)
    if q is None:
        return
    before, after = solve(p), solve(q)
    if before.status == "optimal":
        assert after.status == "optimal", (what, after.diagnosis)
        assert close_or_below(after.objective, before.objective), (what, before.objective, after.objective)


@FEW
@given(problems(), st.sampled_from(["tokens", "peak", "workload"]), st.integers(0, 99),
       st.sampled_from([1.05, 1.5, 3.0]))
def test_more_demand_never_lowers_the_optimal_cost(p, how, pick, factor):
    q = copy.deepcopy(p)
    w = q["workloads"][pick % len(q["workloads"])]
    if how == "tokens":  # more tokens in one period
        y = str(q["problem"]["periods"][pick % len(q["problem"]["periods"])])
        w["tokens_per_day"][y] = w["tokens_per_day"][y] * factor + 86400 * 50.0
    elif how == "peak":  # a peakier load: more capacity in every period
        w["peak_to_average"] = w["peak_to_average"] * factor
    else:  # one more workload
        q["workloads"].append({**copy.deepcopy(w), "id": "w.more",
                               "tokens_per_day": {k: v * (factor - 1) for k, v in w["tokens_per_day"].items()}})
    before, after = solve(p), solve(q)
    if after.status == "optimal":
        assert before.status == "optimal", (how, before.diagnosis)
        assert close_or_below(before.objective, after.objective), (how, before.objective, after.objective)


@FEW
@given(problems(), st.integers(0, 10_000))
def test_one_forced_extra_unit_never_lowers_the_optimal_cost(p, pick):
    before = solve(p, with_force=True)
    if before.status != "optimal":
        return
    keys = sorted(before.model.BUY)
    chip_id, cooling_id, region, year = keys[pick % len(keys)]
    units = round(before.model.buy[chip_id, cooling_id, region, year].value or 0) + 1
    after = solve(forced(p, chip_id, cooling_id, region, year, units), with_force=True)
    if after.status == "optimal":  # a cap may leave no room for the extra unit
        assert round(after.model.buy[chip_id, cooling_id, region, year].value) >= units
        assert close_or_below(before.objective, after.objective), (keys[pick % len(keys)], units)


# -- 7: an infeasible problem says what must give ----------------------------------------------------------------
def give(p: dict[str, Any], shortfalls: list[dict[str, Any]], share: float = 1.01,
         margin: dict[str, float] | None = None, built: bool = False) -> dict[str, Any]:
    """``p`` with ``share`` of every shortfall given (caps raised, demand lowered), plus ``margin`` per family.
    A grid shortfall without a region (the pre-check's, over all sites) is shared by the sites it counts.
    ``built``: the grid of the period given as existing facility MW (no whole blocks to round to)."""
    q = copy.deepcopy(p)
    margin = margin or {}
    for s in shortfalls:
        where, f = s["where"], s["constraint"]
        amount = s["amount"] * share + margin.get(f, 0.0)
        y = str(where.get("period"))
        if f == "demand":
            w = next(x for x in q["workloads"] if x["id"] == where["workload"])
            w["tokens_per_day"][y] = max(0.0, w["tokens_per_day"][y] - amount * 86400 / w.get("peak_to_average", 1.0))
        elif f == "power_cap":  # without a region: the pre-check's, over the sites where a chip can be bought
            ids = [where["region"]] if "region" in where else usable_sites(q)
            for r in [x for x in q["regions"] if x["id"] in ids]:
                r["power_mw"][y] += amount / len(ids)
                if built:  # the whole connection of the period built (the other periods' caps must allow it)
                    r["existing_mw"] = max(r.get("existing_mw", 0.0), r["power_mw"][y])
                    assert all(v >= r["existing_mw"] for v in r["power_mw"].values()), r
        elif f == "hbm":
            q["hbm"]["supply"][where["pool"]][y] += amount
        elif f == "chip_supply":
            q["chips"]["supply_accelerators"][where["chip"]][y] += amount
        elif f == "budget":
            q["budget"]["capex_per_period"][y] += amount
        else:
            raise AssertionError(f"a shortfall of an unknown family: {s}")
    return q


def uncapped(p: dict[str, Any], but: int | None = None) -> dict[str, Any]:
    """``p`` without HBM, chip supply and budget caps, with ample grid power in every period but ``but``."""
    q = copy.deepcopy(p)
    q["hbm"].pop("supply", None)
    q["chips"].pop("supply_accelerators", None)
    q.pop("budget", None)
    for r in q["regions"]:
        r["power_mw"] = {y: v if y == str(but) else max(v, 10.0) for y, v in r["power_mw"].items()}
    return q


def usable_sites(p: dict[str, Any]) -> list[str]:
    """The regions where some chip can be bought in some period with some cooling (its list, its rack kW,
    the region's PUE cap): those whose grid the pre-check counts."""
    coolings = {k["id"]: k for k in p["coolings"]["custom"]}
    last = p["problem"]["periods"][-1]
    out = []
    for r in p["regions"]:
        for c in p["chips"]["custom"]:
            rack_kw = (c["tdp_w"] + c.get("host_w_per_accel", 0)) / 1000 * c.get("unit_size", 1)
            if c["year_available"] <= last and any(
                    rack_kw <= coolings[k]["max_rack_kw"]
                    and coolings[k]["pue"] * r.get("pue_factor", 1.0) <= r.get("pue_cap", math.inf) + 1e-12
                    for k in c["cooling"]):
                out.append(r["id"])
                break
    return out


def ample_power(p: dict[str, Any], year: int, amount: float) -> dict[str, Any]:
    """``p`` with ten times (the grid cap + ``amount``) at every site in ``year``, plus a block and a unit of
    each chip: the pre-check's grid shortfall given many times over, whole units and blocks and sites of
    different PUE factors whatever they are."""
    q = copy.deepcopy(p)
    coolings = {k["id"]: k for k in q["coolings"]["custom"]}
    units = sum((c["tdp_w"] + c.get("host_w_per_accel", 0)) / 1e6 * c.get("unit_size", 1)
                * max(coolings[k]["pue"] for k in c["cooling"]) * 2.0 for c in q["chips"]["custom"])
    for r in q["regions"]:
        r["power_mw"][str(year)] = 10 * (r["power_mw"][str(year)] + amount) + r["block_mw"] + units
    return q


def feasible(p: dict[str, Any]) -> bool:
    return solve(p).status == "optimal"


def mip_feasible(p: dict[str, Any]) -> bool:
    """Has the model of ``p`` a plan? Solved directly, without the pre-check (whose verdicts are under test)."""
    return _mip_feasible(_key(p))


@functools.lru_cache(maxsize=64)
def _mip_feasible(key: str) -> bool:
    from pyomo.common.errors import InfeasibleConstraintException

    from tokenplan.catalog import select
    from tokenplan.coefficients import compute
    from tokenplan.model import build
    from tokenplan.solver import SolveOptions, run

    problem = tokenplan.load(json.loads(key))
    try:
        status = run(build(compute(select(problem))), SolveOptions(time_limit_s=20, mip_gap=GAP, duals=False)).status
    except InfeasibleConstraintException:  # a row without variables that fails (a demand no chip can serve)
        return False
    assert status in ("optimal", "infeasible"), status
    return status == "optimal"


@FEW
@given(problems(rules=False, tight=True))
def test_an_infeasible_problem_names_what_must_give_and_giving_it_is_enough(p):
    what, factor = p["_tight"]
    r = solve(p, diagnose=True)
    if factor < 1:
        assert r.status == "infeasible", (what, factor)  # below a lower bound of what the demand needs
    if r.status != "infeasible":
        return
    d = r.diagnosis
    assert d is not None and d["shortfalls"], d
    assert {s["constraint"] for s in d["shortfalls"]} <= {"demand", "power_cap", "hbm", "chip_supply", "budget"}, d
    if d["method"] == "elastic":
        # the diagnosis answers two questions: with the caps as given, how much demand falls short; and to
        # serve all of it, which caps must grow by how much. Each answer, given in full, makes the problem
        # feasible. Every infeasibility drawn here is of a cap, so the second question has an answer.
        demand = [s for s in d["shortfalls"] if s["constraint"] == "demand"]
        caps = [s for s in d["shortfalls"] if s["constraint"] != "demand"]
        assert demand and caps, d["summary"]
        assert feasible(give(p, demand)), ("demand", demand, d["summary"])
        assert feasible(give(p, caps, margin={"budget": 1.0})), ("caps", caps, d["summary"])
        return
    # the pre-check names what cannot be, before solving: a demand no chip can serve, or a period whose demand
    # needs more grid power than all sites have, by at least the amount. Each is the obstacle on its own: with
    # every other cap out of the way, the problem stays infeasible until it is given, and is feasible once it
    # is (the grid generously); the amount is a lower bound (99 % of it is not enough, even built already).
    assert d["method"] == "precheck", d
    assert not mip_feasible(p), d["summary"]  # the verdict, checked by the model itself
    for s in d["shortfalls"]:
        year = s["where"]["period"]
        if s["constraint"] == "demand":
            assert not mip_feasible(uncapped(p)), s
            assert feasible(give(uncapped(p), [x for x in d["shortfalls"] if x["constraint"] == "demand"])), s
        elif s["constraint"] in ("hbm", "budget", "chip_supply"):
            # the other capacity bounds (HBM, budget, delivery caps): the verdict is checked above; their
            # amounts are bounds with the best chip (tests/test_diagnosis.py checks them by hand)
            assert s["amount"] > 0 and s["where"]["period"] == year, s
        else:
            assert s["constraint"] == "power_cap" and "region" not in s["where"], s
            alone = uncapped(p, but=year)
            assert not mip_feasible(give(alone, [s], share=0.99, built=True)), s
            assert feasible(ample_power(alone, year, s["amount"])), s
