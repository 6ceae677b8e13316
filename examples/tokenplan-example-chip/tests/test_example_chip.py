"""Tests a plugin author writes, with the fixtures of ``tokenplan.testing``."""

import tokenplan_example_chip as plugin

from tokenplan.testing import missing_sources


def test_the_chip_is_in_the_catalog_with_its_sources(tokenplan_catalog):
    catalog = tokenplan_catalog(plugin, name="example-chip")
    chips = {c.id: c for c in catalog.chips()}
    assert "example.x1" in chips
    assert catalog.provider[("chip", "example.x1")] == "example-chip"
    assert missing_sources(chips["example.x1"]) == []


def test_a_problem_can_buy_it(tokenplan_catalog, tokenplan_problem, tokenplan_solve):
    catalog = tokenplan_catalog(plugin, name="example-chip")
    result = tokenplan_solve(tokenplan_problem("example.x1"), catalog)
    assert result.status == "optimal"
    assert set(result.plan["chip"]) == {"example.x1"}
    assert result.kpis["accelerators"] % 8 == 0  # bought in 8-accelerator servers
