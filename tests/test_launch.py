"""Launch quarters and order-to-online lead times (issue 13 item 3): a purchase serves only the part of its
period after it comes online (launch quarter in the launch year, plus ``lead_time_months``), and pays the
electricity only for that part; capex is paid in full at the period's first year. Expected plans are derived
by hand from the base problem of tests/builders.py (1,000 tokens/s; t.a 100 tokens/s for 1 M CNY)."""

from __future__ import annotations

import itertools

import pytest
from builders import M, bought, by_chip, chip, solve, solve_error, write_toml

REL = 1e-9
KWH_FOR_01M = 100000 / 8760  # CNY per kWh: 1 kW for a year costs 0.1 M


@pytest.fixture
def new(problem):
    # t.q: 250 tokens/s for 1 M (4 M for all demand, at full rate), launched in 2030
    problem["chips"]["custom"].append(chip(id="t.q", year_available=2030, tflops={"fp8": 250.0}))
    return problem


@pytest.mark.parametrize(("quarter", "expect_cost", "expect"), [
    (None, 4 * M, {"t.q": 4}),    # all year: 4 q
    (1, 4 * M, {"t.q": 4}),       # Q1 = the whole year
    (2, 6 * M, {"t.q": 6}),       # 3/4 x 250 = 187.5 tokens/s per M -> 6 q (1,125 tokens/s)
    (3, 8 * M, {"t.q": 8}),       # 1/2 x 250 = 125 per M -> 8 q
    (4, 10 * M, {"t.a": 10}),     # 1/4 x 250 = 62.5 per M < 100 per M of t.a -> 10 a
])
def test_a_launch_quarter_credits_part_of_the_first_year(new, quarter, expect_cost, expect):
    if quarter is not None:
        new["chips"]["custom"][1]["quarter_available"] = quarter
    r = solve(new)
    assert r.objective == pytest.approx(expect_cost, rel=REL)
    assert by_chip(r) == expect


def test_the_quarter_only_derates_the_launch_year(new):
    # 2030 and 2031, lifetime 1 (buy every year): Q4 launch -> 10 a in 2030, 4 q in 2031 = 14 M; nothing is
    # bought in 2030 at the 2031 rate
    new["problem"]["periods"] = [2030, 2031]
    new["chips"]["custom"][1]["quarter_available"] = 4
    r = solve(new)
    assert bought(r) == {(2030, "r1", "t.a", "t.air"): 10, (2031, "r1", "t.q", "t.air"): 4}
    assert r.objective == pytest.approx(14 * M, rel=REL)


def test_electricity_is_paid_only_while_online(new):
    # Q3: half the year online. Energy 0.1 M per kW-year: 8 q = 8 M + 8 x 0.1 x 1/2 = 8.4 M, against
    # 10 a = 10 M + 1 M; a whole year of energy would make it 8.8 M
    new["chips"]["custom"][1]["quarter_available"] = 3
    new["regions"][0]["power_price_per_kwh"] = KWH_FOR_01M
    r = solve(new)
    assert by_chip(r) == {"t.q": 8}
    assert r.objective == pytest.approx(8.4 * M, rel=1e-6)


@pytest.mark.parametrize(("months", "expect_cost", "expect"), [
    (0, 4 * M, {"t.q": 4}),
    (3, 6 * M, {"t.q": 6}),     # 3/4 of the year
    (6, 8 * M, {"t.q": 8}),     # half
    (9, 10 * M, {"t.a": 10}),   # a quarter: t.a is cheaper per token/s
    (12, 10 * M, {"t.a": 10}),  # none of the year: it cannot serve this period at all
])
def test_a_lead_time_delays_service_in_the_period_of_purchase(new, months, expect_cost, expect):
    new["chips"]["custom"][1]["year_available"] = 2020  # long on sale: only the lead time counts
    new["chips"]["custom"][1]["lead_time_months"] = months
    new["chips"]["custom"][1]["sources"] = {"lead_time_months": "test"}
    r = solve(new)
    assert r.objective == pytest.approx(expect_cost, rel=REL)
    assert by_chip(r) == expect


def test_lead_time_adds_to_the_launch_quarter(new):
    # Q2 launch (3 months) + 3 months of lead time: half the year -> 8 q
    new["chips"]["custom"][1].update(quarter_available=2, lead_time_months=3)
    assert by_chip(solve(new)) == {"t.q": 8}


def test_a_year_of_lead_time_serves_from_the_next_period(new):
    # 2030 and 2031, q lifetime 2, lead 12 months: q bought in 2030 serves 2031 only. 2030 needs 10 a; 2031
    # takes 4 q bought in 2030 or 2031 (same cost at discount 0): 10 a + 4 q = 14 M, and no q serves 2030
    new["problem"]["periods"] = [2030, 2031]
    new["chips"]["custom"][1].update(year_available=2020, lead_time_months=12, lifetime_years=2)
    r = solve(new)
    assert r.objective == pytest.approx(14 * M, rel=REL)
    plan = bought(r)
    assert plan[(2030, "r1", "t.a", "t.air")] == 10
    assert sum(v for k, v in plan.items() if k[2] == "t.q") == 4


def test_a_longer_lead_time_never_lowers_the_cost(new):
    new["chips"]["custom"][1]["year_available"] = 2020
    costs = []
    for months in (0, 1, 2, 4, 5, 7, 8, 11):
        new["chips"]["custom"][1]["lead_time_months"] = months
        costs.append(solve(new).objective)
    assert all(b >= a - 1e-6 for a, b in itertools.pairwise(costs)), costs
    assert costs[0] == pytest.approx(4 * M) and costs[-1] == pytest.approx(10 * M)


@pytest.mark.parametrize(("field", "value"), [("quarter_available", 5), ("quarter_available", 0),
                                              ("lead_time_months", -1), ("lead_time_months", 500)])
def test_bad_launch_inputs_are_one_line_with_exit_2(problem, tmp_path, capsys, field, value):
    problem["chips"]["custom"][0][field] = value
    path = write_toml(tmp_path, problem)
    line = solve_error(path, capsys)
    assert path in line and field in line and str(value) in line, line


def test_the_part_of_its_first_year_a_late_purchase_is_offline_is_not_idle(new):
    # Q3: 8 q serve 8 x 250 x 1/2 = 1,000 tokens/s, all of it online capacity; in service are 8, online 4
    new["chips"]["custom"][1]["quarter_available"] = 3
    r = solve(new)
    row = r.plan[r.plan["chip"] == "t.q"].iloc[0]
    assert (row["accelerators_active"], row["accelerators_online"]) == (8, pytest.approx(4.0))
    assert row["accelerators_serving"] == pytest.approx(4.0)
    assert r.idle.empty and not [w for w in r.warnings if "serve no workload" in w]
