"""The economics of design section 3, in one place: periods, discounting, activity, salvage.

- Period t starts in year ``y[t]`` and lasts ``d[t] = y[t+1] - y[t]`` years (the last: ``last_period_years``).
  Horizon end ``Y = y[-1] + d[-1]``.
- Discount factor of year y: ``df(y) = (1 + i) ** -(y - y[0])``; one rate, applied here only.
- A purchase in period s is active in period t when ``y[s] <= y[t] < y[s] + life``.
- Annual costs of period t are charged in every year of the period: ``period_df(t) = sum df(y)`` over
  ``y[t] .. y[t] + d[t] - 1``.
- Salvage of a purchase in period s: ``max(0, 1 - (Y - y[s]) / life)`` of its capex, credited at ``df(Y)``.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from typing import Any

from tokenplan.errors import InputError

#: Model money unit: millions of the problem currency.
MONEY = 1e6
HOURS_PER_YEAR = 8760.0


def rate_into_problem(problem: Any, currency: str | None, *, key: str) -> float:
    """Problem-currency units per unit of ``currency`` (1 for none or the problem's own), from ``problem.fx``;
    a one-line ``InputError`` naming ``key`` when the file gives no rate."""
    p = problem.problem
    rate = 1.0 if currency is None or currency == p.currency else p.fx.get(currency)
    if rate is None:
        raise InputError(f"no exchange rate for {currency} in problem.fx", file=problem.source, key=key,
                         value=currency)
    return float(rate)


@dataclass(frozen=True)
class Horizon:
    years: tuple[int, ...]
    durations: tuple[int, ...]
    rate: float

    @property
    def end(self) -> int:
        """Y: the first year after the horizon."""
        return self.years[-1] + self.durations[-1]

    @property
    def n(self) -> int:
        return len(self.years)

    def df(self, year: float) -> float:
        """Discount factor of ``year`` relative to the first period's year."""
        return (1.0 + self.rate) ** -(year - self.years[0])

    def period_df(self, t: int) -> float:
        """Sum of the discount factors of the years of period ``t`` (annual costs)."""
        return _period_dfs(self)[t]

    def active(self, s: int, t: int, life: float) -> bool:
        """Is a purchase made in period ``s`` still in service in period ``t``?"""
        return self.years[s] <= self.years[t] < self.years[s] + life

    def active_periods(self, s: int, life: float) -> list[int]:
        return [t for t in range(self.n) if self.active(s, t, life)]

    def salvage_fraction(self, s: int, life: float) -> float:
        """Straight-line book value left at the horizon end, as a share of the capex of period ``s``."""
        return max(0.0, 1.0 - (self.end - self.years[s]) / life)

    def salvage_df(self) -> float:
        return self.df(self.end)


def horizon(periods: list[int], last_period_years: int, rate: float) -> Horizon:
    durations = [b - a for a, b in itertools.pairwise(periods)] + [last_period_years]
    return Horizon(tuple(periods), tuple(durations), rate)


@functools.lru_cache(maxsize=256)
def _period_dfs(h: Horizon) -> tuple[float, ...]:
    """``Horizon.period_df`` of every period, computed once per horizon (it is frozen)."""
    return tuple(sum(h.df(y + k) for k in range(d)) for y, d in zip(h.years, h.durations))
