"""tokenplan: plan the AI-compute fleet that serves a token demand.

Python API::

    import tokenplan
    problem = tokenplan.load("problems/quickstart.toml", overrides=["problem.discount_rate=0.1"])
    result = tokenplan.solve(problem)
    result.plan, result.kpis, result.duals, result.to_json()

Plugins use :data:`hookimpl` (``from tokenplan import hookimpl``). Heavy modules (Pyomo, HiGHS, pandas)
are imported only when something needs them, so that ``tokenplan --help`` starts fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tokenplan.errors import ExitCode, InputError, PluginError, SolverError, TokenplanError
from tokenplan.hookspecs import hookimpl

__version__ = "0.1.0"

__all__ = [
    "Catalog", "Cause", "Chip", "Cooling", "ExitCode", "InputError", "PluginError", "Problem", "Region", "Result",
    "Rule", "RuleParams", "SolverError", "ThroughputModel", "TokenplanError", "__version__", "hookimpl",
    "load", "solve", "study", "throughput",
]

_LAZY = {
    "load": ("tokenplan.loader", "load"),
    "solve": ("tokenplan.api", "solve"),
    "study": ("tokenplan.studies", "study"),
    "throughput": ("tokenplan.throughput_calc", "throughput"),
    "Problem": ("tokenplan.schema", "Problem"),
    "Result": ("tokenplan.result", "Result"),
    "Catalog": ("tokenplan.catalog", "Catalog"),
    "Cause": ("tokenplan.diagnose", "Cause"),
    "Chip": ("tokenplan.records", "Chip"),
    "Cooling": ("tokenplan.records", "Cooling"),
    "Region": ("tokenplan.records", "Region"),
    "Rule": ("tokenplan.records", "Rule"),
    "RuleParams": ("tokenplan.records", "RuleParams"),
    "ThroughputModel": ("tokenplan.records", "ThroughputModel"),
}

if TYPE_CHECKING:
    from tokenplan.api import solve
    from tokenplan.catalog import Catalog
    from tokenplan.diagnose import Cause
    from tokenplan.loader import load
    from tokenplan.records import Chip, Cooling, Region, Rule, RuleParams, ThroughputModel
    from tokenplan.result import Result
    from tokenplan.schema import Problem
    from tokenplan.studies import study
    from tokenplan.throughput_calc import throughput


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tokenplan' has no attribute {name!r}")
