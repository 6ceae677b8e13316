"""The worker's bounds for the plans within a cost limit (``Worker.reduced_cost_bounds``, ``Worker.plan_bounds``):
every plan within the limit keeps them, they bound columns the model leaves unbounded, and a search under them
finds the model's optimum."""

from __future__ import annotations

import io
import itertools
import math

import numpy as np
import pytest
from builders import hard_problem, in_process_worker, worker_messages

from tokenplan.highs_worker import Worker

INF = math.inf


def _hand_worker(cost, rows, lower, upper):
    """A worker on a two-column integer model: min cost @ x, row_lower <= a @ x (rows: (a, row_lower))."""
    n = len(cost)
    a = np.array([r[0] for r in rows], dtype=float)  # rows x columns
    starts, index, value = [0], [], []
    for j in range(n):
        nz = np.flatnonzero(a[:, j])
        index += nz.tolist()
        value += a[nz, j].tolist()
        starts.append(len(index))
    lp = {"n_col": n, "n_row": len(rows), "col_cost": np.array(cost, float), "col_lower": np.array(lower, float),
          "col_upper": np.array(upper, float), "row_lower": np.array([r[1] for r in rows], float),
          "row_upper": np.full(len(rows), INF), "offset": 0.0, "a_start": np.array(starts, np.int32),
          "a_index": np.array(index, np.int32), "a_value": np.array(value, float),
          "integrality": np.ones(n, dtype=np.int8)}
    options = {"time_limit": 30.0, "mip_rel_gap": 1e-6, "threads": 1, "random_seed": 0, "highs_time_limit": None,
               "duals_time_limit": 5.0, "portfolio": False}
    return Worker({"lp": lp, "options": options, "count_cols": list(range(n))}, io.BytesIO())


def _plans_within(worker, limit, box=12):
    """Every integer plan of the hand model in [0, box]^2 (within its bounds and rows) costing at most ``limit``."""
    lp = worker.lp
    for x in itertools.product(range(box + 1), repeat=int(lp["n_col"])):
        x = np.array(x, dtype=float)
        if worker.feasible(x) and worker.objective(x) <= limit + 1e-9:
            yield x


def test_a_column_at_its_lower_bound_is_held_to_the_slack_over_its_reduced_cost():
    # min 3 x + y, x + y >= 2.5: the LP buys y = 2.5 (z = 2.5) and x's reduced cost is 3 - 1 = 2, so a plan
    # costing at most L has x <= (L - 2.5) / 2; y is basic (reduced cost 0) and stays unbounded
    worker = _hand_worker([3.0, 1.0], [([1.0, 1.0], 2.5)], [0, 0], [INF, INF])
    assert worker.reduced_cost_bounds(10.0)[1].tolist() == [INF, INF]  # before the LP: the model's own bounds
    worker.relaxation(True)
    z, reduced = worker.lp_reduced
    assert z == pytest.approx(2.5) and reduced.tolist() == pytest.approx([2.0, 0.0])
    for limit, most in ((3.0, 0), (4.5, 1), (6.5, 2), (8.4, 2)):
        lower, upper = worker.reduced_cost_bounds(limit)
        assert upper[0] == most and upper[1] == INF and lower.tolist() == [0, 0]
        plans = list(_plans_within(worker, limit))
        assert plans and all(lower[j] <= x[j] <= upper[j] for x in plans for j in range(2))
        assert max(x[0] for x in plans) <= most


def test_a_column_at_its_upper_bound_is_held_from_below():
    # min -2 x + y, x + y >= 3.5, x <= 3: the LP takes x = 3 (at its upper bound) and y = 0.5 (z = -5.5); x's
    # reduced cost is -2 - 1 = -3, so a plan costing at most L has x >= 3 - (L + 5.5) / 3
    worker = _hand_worker([-2.0, 1.0], [([1.0, 1.0], 3.5)], [0, 0], [3, INF])
    worker.relaxation(True)
    assert worker.lp_reduced[1].tolist() == pytest.approx([-3.0, 0.0])
    for limit, least in ((-5.0, 3), (-2.5, 2), (0.5, 1), (4.0, 0)):
        lower, upper = worker.reduced_cost_bounds(limit)
        assert lower[0] == least and upper[0] == 3
        plans = list(_plans_within(worker, limit))
        assert plans and all(lower[0] <= x[0] <= upper[0] for x in plans)
        # the bound is the tightest integer one where a plan sits on it
        if limit == -5.0:
            assert min(x[0] for x in plans) == 3


def test_the_lp_maxima_under_the_cost_row_bound_the_basic_columns_too():
    # min 3 x + y, x + y >= 2.5: y is basic in the LP (no reduced-cost bound); with 3 x + y <= L added, the LP's
    # largest y is L, and x's is (L - 0) / 3 where y may be 0: x <= floor(L / 3), no looser than (L - 2.5) / 2
    worker = _hand_worker([3.0, 1.0], [([1.0, 1.0], 2.5)], [0, 0], [INF, INF])
    worker.relaxation(True)
    for limit in (3.0, 4.5, 6.5, 8.4):
        lower, upper = worker.plan_bounds(limit)
        assert upper[1] == math.floor(limit) and upper[0] == min(math.floor(limit / 3), math.floor((limit - 2.5) / 2))
        plans = list(_plans_within(worker, limit))
        assert all(lower[j] <= x[j] <= upper[j] for x in plans for j in range(2))
        assert max(x[1] for x in plans) == upper[1]  # tight: a plan sits on y's bound
    # the search under them: the optimum (y = 3, cost 3) is found with the bounds of its own cost
    h = worker.new_highs(log=False, limit=3.0)
    h.run()
    assert h.getInfo().objective_function_value == pytest.approx(3.0)
    assert list(h.getLp().col_upper_) == [0.0, 3.0]


def _problem_worker(problem, gap=1e-4):
    return in_process_worker(problem, gap)[0]


def _fleet():
    return hard_problem(n_regions=4, n_chips=3, periods=(2030, 2031), seed=3)


def _highs_optimum(worker, lower=None, upper=None):
    h = worker.new_highs(log=False)
    h.setOptionValue("mip_rel_gap", 0.0)
    if lower is not None:
        h.changeColsBounds(int(worker.lp["n_col"]), np.arange(int(worker.lp["n_col"]), dtype=np.int32),
                           lower, upper)
    h.run()
    assert h.modelStatusToString(h.getModelStatus()) == "Optimal"
    return h.getInfo().objective_function_value, np.array(h.getSolution().col_value)


def test_on_a_fleet_model_the_optimum_keeps_the_bounds_and_the_counts_get_finite_ones():
    worker = _problem_worker(_fleet())
    optimum, x = _highs_optimum(worker)
    worker.relaxation(True)
    counts = worker.counts
    assert np.isinf(worker.lp["col_upper"][counts]).any()  # the model leaves counts unbounded
    lower, upper = worker.reduced_cost_bounds(optimum)
    assert (lower <= x + 1e-6).all() and (x <= upper + 1e-6).all()  # the optimum is inside
    tightened = np.isfinite(upper[counts]) & np.isinf(worker.lp["col_upper"][counts])
    assert tightened.any()  # and some unbounded count now has a bound
    lower2, upper2 = worker.plan_bounds(optimum)  # the LP maxima: inside those, every count bounded
    assert (lower2 <= x + 1e-6).all() and (x <= upper2 + 1e-6).all()
    assert (upper2 <= upper).all() and np.isfinite(upper2[counts]).all() and (upper2 < upper).any()
    assert _highs_optimum(worker, lower2, upper2)[0] == pytest.approx(optimum, rel=1e-9)
    # the MIP under the bounds of the optimum, or of a limit 1 % above it, has the model's optimum
    assert _highs_optimum(worker, lower, upper)[0] == pytest.approx(optimum, rel=1e-9)
    assert _highs_optimum(worker, *worker.reduced_cost_bounds(1.01 * optimum))[0] == pytest.approx(optimum, rel=1e-9)


def test_the_worker_solves_to_the_model_optimum_under_the_bounds_of_its_best_plan(monkeypatch):
    # the final branch and bound gets the bounds of the best plan (or of its cut-off) and still ends at the
    # optimum of the model without them (gap 0)
    worker = _problem_worker(_fleet(), gap=0.0)
    optimum, _ = _highs_optimum(_problem_worker(_fleet(), gap=0.0))
    limits = []
    original = Worker.plan_bounds
    monkeypatch.setattr(Worker, "plan_bounds",
                        lambda self, limit: (limits.append(limit), original(self, limit))[1])
    worker.solve()
    assert limits and all(limit >= optimum * (1 - 1e-9) for limit in limits)
    done = [m for m in worker_messages(worker) if m[0] == "mip_done"][-1][1]
    assert done["status"] == "Optimal"
    assert done["objective"] == pytest.approx(optimum, rel=1e-9)

