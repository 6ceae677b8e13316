"""Test support for plugin authors (and tokenplan's own tests): pytest fixtures and provenance checks.

In a plugin package's ``conftest.py``::

    pytest_plugins = ["tokenplan.testing"]

then, in a test::

    def test_my_chip_solves(tokenplan_catalog, tokenplan_problem, tokenplan_solve):
        catalog = tokenplan_catalog(my_plugin_module, name="my-plugin")
        assert not missing_sources(next(c for c in catalog.chips() if c.id == "acme.x1"))
        result = tokenplan_solve(tokenplan_problem("acme.x1"), catalog)
        assert result.status == "optimal"

The catalog holds tokenplan's built-in plugins plus the plugin under test; other installed third-party
plugins are not loaded, so the test means the same on every machine.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tokenplan.catalog import Catalog
from tokenplan.host import PluginHost
from tokenplan.records import CHIP_FIGURES as CHIP_FIGURES
from tokenplan.records import COOLING_FIGURES as COOLING_FIGURES
from tokenplan.records import REGION_FIGURES as REGION_FIGURES
from tokenplan.records import missing_sources as missing_sources


def catalog_with(*plugins: tuple[str, object]) -> Catalog:
    """A catalog of the built-in plugins plus ``plugins`` (``(name, module_or_object)`` pairs)."""
    return Catalog(PluginHost(autoload=False, plugins=plugins))


def small_problem(chip_id: str, *, model: str = "roofline", tokens_per_day: float = 1e12,
                  **workload: Any) -> dict[str, Any]:
    """A one-period, one-region problem that may buy only ``chip_id`` (built-in coolings, CNY, fx USD 7.1).

    The site is in a country of its own ("ZZ", user-assigned in ISO 3166), so no country's rules apply."""
    w: dict[str, Any] = {"id": "w", "tokens_per_day": tokens_per_day, "precision": "fp8"}
    if model == "flops":
        w.update(flops_per_token=2e11, utilisation=0.4)
    else:
        w.update(active_params_b=8, total_params_b=8, kv_bytes_per_token=131072, context_tokens=2048,
                 output_fraction=0.3)
    w.update(workload)
    return {
        "problem": {"name": "plugin-test", "currency": "CNY", "fx": {"USD": 7.1}, "periods": [2030],
                    "throughput_model": model, "time_limit_s": 30},
        "workloads": [w],
        "regions": [{"id": "site", "country": "ZZ", "power_mw": 1000, "block_mw": 10,
                     "facility_capex_per_mw": 40e6, "power_price_per_kwh": 0.4}],
        "chips": {"allow": [chip_id]},
    }


@pytest.fixture
def tokenplan_catalog() -> Callable[..., Catalog]:
    """Factory: ``tokenplan_catalog(plugin, name="plugin-under-test")`` -> a Catalog with it registered."""
    def make(plugin: object | None = None, name: str = "plugin-under-test") -> Catalog:
        return catalog_with((name, plugin)) if plugin is not None else catalog_with()
    return make


@pytest.fixture
def tokenplan_problem() -> Callable[..., dict[str, Any]]:
    """Factory: ``tokenplan_problem(chip_id, model="roofline", **workload_fields)`` -> a problem dict."""
    def make(chip_id: str, **kwargs: Any) -> dict[str, Any]:
        return copy.deepcopy(small_problem(chip_id, **kwargs))
    return make


@pytest.fixture
def tokenplan_solve() -> Callable[..., Any]:
    """Factory: ``tokenplan_solve(problem_dict, catalog)`` -> a solved :class:`tokenplan.result.Result`."""
    def run(problem: dict[str, Any], catalog: Catalog | None = None, **kwargs: Any) -> Any:
        import tokenplan

        return tokenplan.solve(tokenplan.load(problem), catalog=catalog, **kwargs)
    return run
