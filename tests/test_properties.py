"""Property tests (hypothesis) of the economics and of the override parser."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from tokenplan import overrides
from tokenplan.economics import horizon

years = st.lists(st.integers(2020, 2060), min_size=1, max_size=8, unique=True).map(sorted)


@given(years, st.integers(1, 10), st.floats(0, 0.3))
def test_period_discount_factors_cover_every_year_of_the_horizon_once(periods, last, rate):
    h = horizon(periods, last, rate)
    assert h.end == periods[-1] + last
    assert sum(h.durations) == h.end - periods[0]
    total = sum(h.period_df(t) for t in range(h.n))
    assert math.isclose(total, sum(h.df(y) for y in range(periods[0], h.end)), rel_tol=1e-12)


@given(years, st.integers(1, 10), st.floats(0.5, 30))
def test_salvage_and_activity_are_consistent(periods, last, life):
    h = horizon(periods, last, 0.05)
    for s in range(h.n):
        frac = h.salvage_fraction(s, life)
        assert 0.0 <= frac < 1.0
        assert (frac > 0) == (h.end - periods[s] < life)  # value left iff still in service at the end
        active = h.active_periods(s, life)
        assert active and active[0] == s  # a purchase serves the period it is bought in
        assert active == list(range(s, s + len(active)))  # and then contiguous periods


@settings(max_examples=200)
@given(st.lists(st.sampled_from(["a", "b.c", "d-e", "f_1"]), min_size=1, max_size=4),
       st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
                 st.lists(st.integers(0, 9), max_size=3)))
def test_override_values_round_trip_as_toml_literals(path, value):
    key = ".".join(f'"{p}"' if "." in p else p for p in path)
    text = str(value).lower() if isinstance(value, bool) else repr(value)
    parsed_path, parsed = overrides.parse(f"{key}={text}")
    assert parsed_path == path
    assert parsed == value or (isinstance(value, float) and math.isclose(parsed, value, rel_tol=1e-15))
