"""Rentals (``[[rentals]]``, issue 13 item 2): each input changes the optimal plan as derived by hand in the
test; rules apply to rented capacity as docs/rules.md says; the money adds up; bad input is one line."""

from __future__ import annotations

import pytest
from builders import M, base_problem, bought, by_chip, chip, solve, solve_error, write_toml
from test_accounts import reconciles

from tokenplan.errors import InputError

HOURS = 8760.0
BUY_NET = 0.25 * M  # t.a: 1 M, life 4, one one-year period, no discounting: 1 - 3/4 of its price is lost


def offer(price: float, *, term: int = 1, **more) -> dict:
    return {"id": "cloud", "chip": "t.a", "region": "r1", "price_per_accel_hour": price, "min_term_years": term,
            **more}


def problem(*offers: dict) -> dict:
    """The base problem (1,000 tokens/s = 10 t.a for 2030, no discounting) with t.a lasting 4 years."""
    p = base_problem()
    p["chips"]["custom"][0]["lifetime_years"] = 4
    p["rentals"] = list(offers)
    return p


def rented(result) -> dict[tuple[int, str], int]:
    return {(r.period, r.cooling): int(r.accelerators_rented) for r in result.plan.itertuples()
            if r.accelerators_rented}


def test_a_rental_cheaper_over_its_term_than_buying_is_chosen():
    # 20 CNY/h x 8,760 h = 175,200 a year < 250,000 lost on a bought t.a: rent all ten
    r = solve(problem(offer(20.0)))
    assert bought(r) == {} and rented(r) == {(2030, "rented:cloud"): 10}
    assert r.objective == pytest.approx(10 * 20.0 * HOURS)
    row = r.plan.iloc[0]
    assert (row.accelerators_active, row.it_mw, row.facility_mw) == (10, 0.0, 0.0)  # the cloud's power
    assert row.accelerators_serving == pytest.approx(10)
    assert r.kpis["accelerators_rented_peak"] == 10 and r.kpis["accelerators"] == 0
    reconciles(r)


def test_a_rental_whose_minimum_term_makes_it_dearer_is_not_chosen():
    # the same offer with a two-year term in a one-year horizon is paid for two years: 350,400 > 250,000
    r = solve(problem(offer(20.0, term=2)))
    assert by_chip(r) == {"t.a": 10} and rented(r) == {}
    assert r.objective == pytest.approx(10 * BUY_NET)
    # over two one-year periods the two-year term is used in full: 2 x 175,200 = 350,400 against buying in
    # 2030 (1 M less half at 2032: 500,000): rent
    p = problem(offer(20.0, term=2))
    p["problem"]["periods"] = [2030, 2031]
    r = solve(p)
    assert bought(r) == {} and rented(r) == {(2030, "rented:cloud"): 10, (2031, "rented:cloud"): 10}
    assert r.objective == pytest.approx(10 * 2 * 20.0 * HOURS)
    reconciles(r)


def test_a_term_past_the_horizon_is_paid_and_shown():
    # buying costs 30 CNY/h-equivalent more: t.a at 4 M (1 M lost in one year); a 2-year rental at 20/h costs
    # 350,400 for 2030-2031, of which 175,200 after the horizon (2031)
    p = problem(offer(20.0, term=2))
    p["chips"]["custom"][0]["price_per_accel"] = 4 * M
    r = solve(p)
    assert rented(r) == {(2030, "rented:cloud"): 10}
    assert r.objective == pytest.approx(10 * 2 * 20.0 * HOURS)
    assert r.cost_terms["rental_commitment"] == pytest.approx(10 * 20.0 * HOURS)
    cbp = r.costs_by_period.set_index("period")
    assert cbp.loc["rental terms after the horizon", "cash_out_pv"] == pytest.approx(10 * 20.0 * HOURS)
    assert cbp.loc[2030, "opex"] == pytest.approx(10 * 20.0 * HOURS)
    reconciles(r)


def test_the_cap_limits_the_rented_accelerators():
    r = solve(problem(offer(20.0, max_accelerators=4)))
    assert rented(r) == {(2030, "rented:cloud"): 4} and by_chip(r) == {"t.a": 6}
    assert r.objective == pytest.approx(4 * 20.0 * HOURS + 6 * BUY_NET)
    # per year: none in 2031
    p = problem(offer(20.0, max_accelerators={2030: 10, 2031: 0}))
    p["problem"]["periods"] = [2030, 2031]
    r = solve(p)
    assert rented(r) == {(2030, "rented:cloud"): 10}
    assert bought(r) == {(2031, "r1", "t.a", "t.air"): 10}


def test_the_price_is_converted_with_fx():
    # 3 USD/h at 7.1 CNY per USD = 21.3 CNY/h: 186,588 a year, still below 250,000
    p = problem(offer(3.0, currency="USD"))
    p["problem"]["fx"] = {"USD": 7.1}
    r = solve(p)
    assert r.objective == pytest.approx(10 * 3.0 * 7.1 * HOURS)


def test_a_forced_rental_never_lowers_the_cost():
    # a rental dearer than buying (40 CNY/h = 350,400 a year against 250,000): the optimum rents none. Forced
    # (a delivery cap of 10 - n t.a leaves n accelerators to rent), the plan never gets cheaper, and costs
    # exactly (10 - n) bought plus n rented
    base = solve(problem(offer(40.0)))
    assert rented(base) == {} and base.objective == pytest.approx(10 * BUY_NET)
    for n in (1, 4, 10):
        q = problem(offer(40.0))
        q["chips"]["supply_accelerators"] = {"t.a": 10 - n}
        r = solve(q)
        assert rented(r) == {(2030, "rented:cloud"): n}
        assert r.objective >= base.objective - 1e-6
        assert r.objective == pytest.approx((10 - n) * BUY_NET + n * 40.0 * HOURS)


def banned_chip_problem(region: str) -> dict:
    """t.x (origin US, 1,000 TFLOPS fp8: TPP 8,000 >= 4,800) is export-controlled in CN; its rental at 5 CNY/h
    is far cheaper than t.a (43,800 a year against 250,000). Regions: r1 (CN) and r2 (US)."""
    p = problem({"id": "x-cloud", "chip": "t.x", "region": region, "price_per_accel_hour": 5.0})
    p["chips"]["custom"].append(chip(id="t.x", origin="US", tflops={"fp8": 1000.0}, price_per_accel=100 * M,
                                     lifetime_years=4))
    p["regions"].append({"id": "r2", "country": "US", "power_mw": 100, "block_mw": 1,
                         "facility_capex_per_mw": 0, "power_price_per_kwh": 0.0})
    return p


def test_export_controls_bar_renting_a_banned_chip_in_china_but_not_abroad():
    # in CN (r1) the rental cannot start (the chip may not be bought there): buy ten t.a
    r = solve(banned_chip_problem("r1"))
    assert by_chip(r) == {"t.a": 10} and rented(r) == {}
    assert any("x-cloud" in w and "may not be rented" in w for w in r.warnings)
    # rented in the US (r2) and served across the border: one t.x (1,000 tokens/s) serves all
    r = solve(banned_chip_problem("r2"))
    assert bought(r) == {} and rented(r) == {(2030, "rented:x-cloud"): 1}
    assert r.objective == pytest.approx(5.0 * HOURS)


def test_the_domestic_share_counts_rentals_by_origin():
    # a 60% domestic share of accelerators in CN: a foreign-origin rental in r1 at 20 CNY/h (cheaper than
    # t.a) may be at most 40% of the accelerators bought and rented: 4 rented, 6 bought
    p = problem(offer(20.0, origin="US"))
    p["rules"] = {"policy.domestic_share": {"enabled": True, "share": 0.6, "countries": ["CN"]}}
    r = solve(p)
    assert rented(r) == {(2030, "rented:cloud"): 4} and by_chip(r) == {"t.a": 6}
    assert r.rules["policy.domestic_share"]["accelerator_share"] == pytest.approx(0.6)
    # of domestic origin (the default: the chip's, CN), the rentals are domestic: rent all ten
    p["rentals"][0].pop("origin")
    assert rented(solve(p)) == {(2030, "rented:cloud"): 10}


def test_subsidies_never_pay_for_rentals():
    # the AI-city subsidy pays 50% of domestic capex (tests/test_subsidies.py): 10 t.a bought at the city
    # cost 10 x 0.5 x (1 - 0.6 df) M; a rental at 20 CNY/h costs 2 x 175,200 for the two-year period and gets
    # nothing: 350,400 per accelerator against 242,840 bought and subsidised, so buy
    from test_subsidies import subsidised_problem

    p = subsidised_problem()
    p["rentals"] = [offer(20.0)]
    r = solve(p)
    df = 1.08 ** -2
    assert by_chip(r) == {"t.a": 10} and rented(r) == {}
    assert r.objective == pytest.approx(10 * 0.5 * (1 - 0.6 * df) * M)
    # made cheap (5 CNY/h), the rental is chosen, and the subsidy is 0
    p["rentals"] = [offer(5.0)]
    r = solve(p)
    assert rented(r) == {(2030, "rented:cloud"): 10} and r.kpis["subsidy"] == 0
    assert r.objective == pytest.approx(10 * 5.0 * HOURS * (1 + 1 / 1.08))


def test_rentals_installed_units_and_retirements_add_up():
    # installed t.a with retirement, a rental and purchases in one plan: the period table sums to the objective
    p = problem(offer(20.0, max_accelerators=3))
    p["problem"].update(periods=[2030, 2031], discount_rate=0.08)
    p["regions"][0]["power_price_per_kwh"] = {2030: 1.0, 2031: 40.0}
    p["fleet"] = {"allow_retirement": True, "installed": [
        {"region": "r1", "chip": "t.a", "cooling": "t.air", "count": 4, "year_bought": 2028, "book_value": 2 * M}]}
    r = solve(p)
    assert rented(r) and r.plan["accelerators_installed"].sum() > 0
    reconciles(r)


@pytest.mark.parametrize(("change", "key", "words"), [
    ({"chip": "t.zz"}, "rentals[cloud].chip", "unknown chip"),
    ({"region": "mars"}, "rentals[cloud].region", "unknown region"),
    ({"currency": "EUR"}, "rentals[cloud].currency", "no exchange rate"),
])
def test_bad_offers_are_one_line_errors(change, key, words):
    with pytest.raises(InputError) as info:
        solve(problem({**offer(20.0), **change}))
    assert f"{key} = " in str(info.value) and words in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(("field", "value", "words"), [
    ("min_term_years", 0, "min_term_years"), ("price_per_accel_hour", -1.0, "price_per_accel_hour"),
    ("min_term_years", 1.5, "min_term_years"), ("term", 2, "term"),
])
def test_bad_offer_values_exit_2_with_one_line(tmp_path, capsys, field, value, words):
    p = problem({**offer(20.0), field: value})
    path = write_toml(tmp_path, p)
    line = solve_error(path, capsys)
    assert words in line, line


def test_the_diagnosis_names_a_rental_cap_that_must_grow():
    # 2030: t.a is not on sale yet; t.x (600 tokens/s, export-controlled in CN) cannot be bought in r1 and r2
    # (US) has no power; the offer rents at most one t.x in r2: 600 of 1,000 tokens/s. The elastic model says
    # the cap must grow by 400 / 600 of an accelerator (the cheapest relative violation: r2's grid cap is 0)
    p = banned_chip_problem("r2")
    p["problem"]["periods"] = [2030, 2031]
    p["chips"]["custom"][0]["year_available"] = 2031
    p["chips"]["custom"][1]["tflops"] = {"fp8": 600.0}
    p["rentals"][0]["max_accelerators"] = 1
    p["regions"][1].update(power_mw=0)
    r = solve(p)
    assert r.status == "infeasible", r.status
    found = [c for c in r.diagnosis["causes"] if c["family"] == "rental_cap"]
    assert found and found[0]["where"] == {"rental": "x-cloud", "period": 2030}, r.diagnosis
    assert 400 / 600 - 1e-6 <= found[0]["amount"] <= 1 + 1e-6


def test_the_plan_files_carry_the_new_columns(tmp_path):
    r = solve(problem(offer(20.0, max_accelerators=4)))
    r.write(tmp_path)
    import pandas as pd

    plan = pd.read_csv(tmp_path / "plan.csv")
    assert plan["accelerators_rented"].sum() == 4 and "accelerators_installed" in plan
    assert "retirement_proceeds" in pd.read_parquet(tmp_path / "costs_by_period.parquet")
    assert r.to_dict()["kpis"]["accelerators_rented_peak"] == 4
