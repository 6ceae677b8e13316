"""The installed fleet (``[[fleet.installed]]``) and early retirement (issue 13 item 1): each input changes the
optimal plan as derived by hand in the test, the invariants hold, the money adds up, bad input is one line."""

from __future__ import annotations

import itertools

import pytest
from builders import M, base_problem, bought, by_chip, chip, solve, solve_error, write_toml
from test_accounts import reconciles

import tokenplan
from tokenplan.cli import main
from tokenplan.errors import InputError

HOURS = 8760.0


def owned(count: int, *, chip_id: str = "t.a", book: float = 0.0, year: int = 2029, **more) -> dict:
    return {"region": "r1", "chip": chip_id, "cooling": "t.air", "count": count, "year_bought": year,
            "book_value": book, **more}


def problem(*entries: dict, lifetime: int = 4, retire: bool = False) -> dict:
    """The base problem (1,000 tokens/s = 10 t.a, no discounting, one one-year period 2030) with t.a lasting
    ``lifetime`` years and an installed fleet."""
    p = base_problem()
    p["chips"]["custom"][0]["lifetime_years"] = lifetime
    p["fleet"] = {"allow_retirement": retire, "installed": list(entries)}
    return p


def test_an_installed_fleet_covering_half_the_demand_halves_the_purchases():
    # t.a: 1 M, life 4; one one-year period, no discounting: a bought unit keeps 1 - 1/4 of its value, net
    # 0.25 M. Five installed t.a (bought 2029, book 2 M = 0.4 M each at 2030, 3 years left): no capex, kept to
    # 2031 they are worth 0.4 x (1 - 1/3) each. Ten serve the demand: buy five.
    empty = solve(problem())
    assert by_chip(empty) == {"t.a": 10} and empty.objective == pytest.approx(10 * 0.25 * M)
    r = solve(problem(owned(5, book=2 * M)))
    assert by_chip(r) == {"t.a": 5}
    assert r.objective == pytest.approx(5 * 0.25 * M - 5 * 0.4 * M * (1 - 1 / 3))
    row = r.plan.iloc[0]
    assert (row.accelerators_active, row.accelerators_installed, row.accelerators_retired) == (10, 5, 0)
    assert row.accelerators_serving == pytest.approx(10)
    assert r.kpis["accelerators_installed"] == 5 and r.kpis["accelerators"] == 5
    reconciles(r)


def test_installed_units_draw_site_power_and_pay_their_energy():
    # the site has 10 kW (existing, no room for a block); ten t.a at 1 kW serve the demand: six installed and
    # four bought fill it. Energy at 0.5 CNY/kWh and load 1 is paid for the installed units too: 10 x 8,760 x
    # 0.5 a year. Eleven installed (11 kW) that may not retire do not fit: infeasible.
    p = problem(owned(6))
    p["regions"][0].update(power_mw=0.010, existing_mw=0.010, block_mw=1, power_price_per_kwh=0.5)
    r = solve(p)
    assert by_chip(r) == {"t.a": 4}
    assert r.objective == pytest.approx(4 * 0.25 * M + 10 * HOURS * 0.5)
    assert r.tables["sites"].iloc[0].facility_mw == pytest.approx(0.010)
    assert r.plan.iloc[0].opex_per_year == pytest.approx(10 * HOURS * 0.5)
    reconciles(r)
    p = problem(owned(11))
    p["regions"][0].update(power_mw=0.010, existing_mw=0.010, block_mw=1)
    assert solve(p).status == "infeasible"  # 11 kW installed on a 10 kW site, and they may not retire


def two_chips(price_kwh: float, count: int = 10, *, retire: bool = True) -> dict:
    """Installed t.a (1 kW, book 1 M for ten: 0.1 M each, 3 years left) against a new t.b: 100 tokens/s at
    0.1 kW for 0.5 M, life 4."""
    p = problem(*([owned(count, book=1 * M * count / 10)] if count else []), retire=retire)
    p["chips"]["custom"].append(chip(id="t.b", tdp_w=100, price_per_accel=0.5 * M, lifetime_years=4))
    p["regions"][0]["power_price_per_kwh"] = price_kwh
    return p


def keep_cost(price: float) -> float:
    """Per installed t.a kept for 2030: its energy less its value at 2031, 0.1 M x (1 - 1/3)."""
    return HOURS * 1.0 * price - 0.1 * M * (2 / 3)


def replace_cost(price: float) -> float:
    """Per t.a retired in 2030 (earns 0.1 M) and replaced by a t.b (0.5 M less 3/4 salvage, 0.1 kW energy)."""
    return -0.1 * M + 0.5 * M * 0.25 + HOURS * 0.1 * price


def test_retirement_is_chosen_when_the_opex_exceeds_the_value_of_service():
    # at 30 CNY/kWh: keeping costs 262,800 - 66,667 = 196,133 per unit, replacing 25,000 + 26,280 = 51,280
    assert replace_cost(30) < keep_cost(30)
    r = solve(two_chips(30))
    assert by_chip(r) == {"t.b": 10}
    rows = r.plan.set_index("chip")
    assert rows.loc["t.a", "accelerators_retired"] == 10 and rows.loc["t.a", "accelerators_active"] == 0
    assert r.objective == pytest.approx(10 * replace_cost(30))
    assert r.kpis["accelerators_retired"] == 10
    reconciles(r)
    assert r.costs_by_period.iloc[0].retirement_proceeds == pytest.approx(10 * 0.1 * M)


def test_retirement_is_not_chosen_when_the_service_is_worth_the_opex():
    # at 10 CNY/kWh: keeping costs 87,600 - 66,667 = 20,933, replacing 25,000 + 8,760 = 33,760
    assert keep_cost(10) < replace_cost(10)
    r = solve(two_chips(10))
    assert bought(r) == {}
    assert r.objective == pytest.approx(10 * keep_cost(10))
    assert r.plan.iloc[0].accelerators_retired == 0


def test_without_retirement_the_installed_fleet_is_fixed():
    r = solve(two_chips(30, retire=False))
    assert bought(r) == {} and r.objective == pytest.approx(10 * keep_cost(30))
    assert "retire" not in {v.local_name for v in r.model.component_objects(tokenplan_var_type())}
    # per entry: retirable = true overrides fleet.allow_retirement = false
    p = two_chips(30, retire=False)
    p["fleet"]["installed"][0]["retirable"] = True
    assert by_chip(solve(p)) == {"t.b": 10}


def tokenplan_var_type():
    import pyomo.core as pyo

    return pyo.Var


def test_retirement_at_the_period_the_power_price_rises():
    # 2030 at 1 CNY/kWh, 2031 at 30. Keep both years: 8,760 + 262,800 - 0.1 M/3 (value at 2032) = 238,227;
    # retire in 2031 (earn 0.1 M x 2/3) and buy t.b then (0.5 M x 1/4 net, 26,280 energy): 8,760 - 66,667 +
    # 125,000 + 26,280 = 93,373; retire in 2030 and buy t.b then (0.5 M x 1/2 net, 876 + 26,280): 177,156.
    p = two_chips(1.0)
    p["problem"].update(periods=[2030, 2031])
    p["regions"][0]["power_price_per_kwh"] = {2030: 1.0, 2031: 30.0}
    r = solve(p)
    assert bought(r) == {(2031, "r1", "t.b", "t.air"): 10}
    plan = r.plan.set_index(["period", "chip"])
    assert plan.loc[(2030, "t.a"), "accelerators_installed"] == 10
    assert plan.loc[(2031, "t.a"), "accelerators_retired"] == 10
    assert plan.loc[(2031, "t.a"), "accelerators_installed"] == 0
    assert r.objective == pytest.approx(10 * (HOURS * 1.0 - 0.1 * M * 2 / 3 + 0.5 * M / 4 + HOURS * 0.1 * 30))
    reconciles(r)


def test_an_installed_unit_that_serves_nothing_is_retired_when_allowed():
    # t.c has an fp4 peak only: it serves nothing of the fp8 workload (no wider precision to run it at) and
    # pays 8,760 CNY a year of energy; retired, each earns its book value 0.1 M at once
    p = problem(owned(3, chip_id="t.c", book=0.3 * M), retire=True)
    p["chips"]["custom"].append(chip(id="t.c", tflops={"fp4": 100.0}, lifetime_years=4))
    p["regions"][0]["power_price_per_kwh"] = 1.0
    r = solve(p)
    rows = r.plan.set_index("chip")
    assert rows.loc["t.c", "accelerators_retired"] == 3 and rows.loc["t.c", "accelerators_active"] == 0
    assert r.objective == pytest.approx(10 * (0.25 * M + HOURS) - 0.3 * M)
    p["fleet"]["allow_retirement"] = False
    r = solve(p)
    assert r.plan.set_index("chip").loc["t.c", "accelerators_active"] == 3
    assert any("idle" in w for w in r.warnings)


@pytest.mark.parametrize("price", [1.0, 10.0, 30.0])
def test_more_installed_units_never_raise_the_cost_when_they_may_retire(price):
    costs = [solve(two_chips(price, n)).objective for n in (0, 3, 7, 10, 16)]
    assert all(b <= a + 1e-6 for a, b in itertools.pairwise(costs)), costs


def test_a_subsidised_domestic_only_site_must_retire_its_foreign_chips():
    # the AI-city subsidy (40% + 10% of domestic capex, domestic-only site; tests/test_subsidies.py): 8% a
    # year, one two-year period, t.a life 5 (salvage 0.6 at 2032, df 1.08^-2). Four installed foreign t.f
    # (origin US, book 0). Keep them and buy 6 t.a unsubsidised: 6 x (1 - 0.6 df) M = 2.914 M. Retire them
    # (earn 0) and buy 10 subsidised: 10 x 0.5 x (1 - 0.6 df) M = 2.428 M. Retirement wins; without it the
    # site may not take the subsidy.
    from test_subsidies import subsidised_problem

    df = 1.08 ** -2
    p = subsidised_problem()
    p["chips"]["custom"].append(chip(id="t.f", origin="US", lifetime_years=5))
    p["fleet"] = {"allow_retirement": True, "installed": [owned(4, chip_id="t.f")]}
    r = solve(p)
    assert by_chip(r) == {"t.a": 10}
    assert r.plan.set_index("chip").loc["t.f", "accelerators_retired"] == 4
    assert r.objective == pytest.approx(10 * 0.5 * (1 - 0.6 * df) * M)
    p["fleet"]["allow_retirement"] = False
    r = solve(p)
    assert by_chip(r) == {"t.a": 6}
    assert r.kpis["subsidy"] == pytest.approx(0)
    assert r.objective == pytest.approx(6 * (1 - 0.6 * df) * M)


@pytest.mark.parametrize(("change", "key", "words"), [
    ({"chip": "t.zz"}, "fleet.installed[0].chip", "unknown chip"),
    ({"region": "mars"}, "fleet.installed[0].region", "unknown region"),
    ({"cooling": "t.wet"}, "fleet.installed[0].cooling", "unknown cooling"),
    ({"year_bought": 2031}, "fleet.installed[0].year_bought", "<= the first period 2030"),
    ({"year_bought": 2020}, "fleet.installed[0].year_bought", "past their lifetime"),
    ({"currency": "EUR"}, "fleet.installed[0].currency", "no exchange rate"),
])
def test_bad_installed_entries_are_one_line_errors(change, key, words):
    p = problem({**owned(2), **change})
    with pytest.raises(InputError) as info:
        solve(p)
    assert f"{key} = " in str(info.value) and words in str(info.value) and "\n" not in str(info.value)


def test_an_incompatible_cooling_is_an_error():
    p = problem(owned(2, cooling="t.liquid"))
    p["coolings"]["custom"].append({"id": "t.liquid", "pue": 1.1, "max_rack_kw": 100, "capex_per_kw_it": 0,
                                    "opex_per_kw_it_year": 0})
    with pytest.raises(InputError, match=r"fleet.installed\[0\].cooling = 't.liquid': chip t.a does not support"):
        solve(p)


@pytest.mark.parametrize(("field", "value", "words"), [
    ("count", 0, "count"), ("count", 2.5, "count"), ("book_value", -1.0, "book_value"),
    ("colour", "red", "colour"),
])
def test_bad_installed_values_exit_2_with_one_line(tmp_path, capsys, field, value, words):
    p = problem(owned(2))
    p["fleet"]["installed"][0][field] = value
    fleet = p.pop("fleet")
    path = write_toml(tmp_path, p)
    with open(path, "a") as f:
        f.write("[fleet]\n\"allow_retirement\" = false\n[[fleet.installed]]\n")
        for k, v in fleet["installed"][0].items():
            f.write(f'"{k}" = {v!r}\n'.replace("'", '"'))
    line = solve_error(path, capsys)
    assert words in line, line


def test_no_fleet_is_todays_model():
    p = base_problem()
    r = solve(p)
    assert "accelerators_installed" not in r.kpis
    assert r.model.component("retire") is None
    assert tokenplan.load(p).fleet.installed == []


def test_the_example_problem_solves_as_its_docs_say(capsys):
    # problems/examples/installed-and-rented.toml (docs/problem-file.md, "Example"): the 4,000 installed H100
    # are retired in 2026 at their book value, and no rental is chosen
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "problems" / "examples" / "installed-and-rented.toml"
    with pytest.raises(SystemExit) as info:
        main(["validate", str(path)])
    assert info.value.code == 0, capsys.readouterr().err
    r = tokenplan.solve(tokenplan.load(str(path)))
    assert r.status == "optimal"
    h100 = r.plan[r.plan.chip == "nvidia.h100"].set_index("period")
    assert h100.loc[2026, "accelerators_retired"] == 4000 and h100["accelerators_installed"].sum() == 0
    assert r.plan["accelerators_rented"].sum() == 0
    assert r.costs_by_period.iloc[0].retirement_proceeds == pytest.approx(66e6)
    reconciles(r)


def test_an_installed_chip_a_rule_bans_keeps_running_with_a_warning():
    # t.x (origin US, TPP 8,000 >= 4,800) may not be bought in the CN region r1 (cn.export_controls); one
    # installed (1,000 tokens/s, book 0, life 4, no energy price) serves the whole demand: nothing is bought
    p = problem(owned(1, chip_id="t.x"))
    p["chips"]["custom"].append(chip(id="t.x", origin="US", tflops={"fp8": 1000.0}, lifetime_years=4))
    r = solve(p)
    assert bought(r) == {} and r.objective == pytest.approx(0)
    assert r.plan.set_index("chip").loc["t.x", "accelerators_installed"] == 1
    assert any("installed entry installed-1: chip t.x may not be bought at region r1" in w for w in r.warnings)
