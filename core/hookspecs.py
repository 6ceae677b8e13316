"""Hook specifications: everything a tokenplan plugin can implement.

A plugin is a module or object registered under the entry-point group ``tokenplan`` whose functions carry
the :data:`tokenplan.hookimpl` marker and one of the names below. Built-in plugins register through the
same entry points as third-party ones. Business code never calls these hooks directly: it goes through
:class:`tokenplan.catalog.Catalog`, which names the plugin in every error.

Every hook is documented in ``docs/plugins/hooks.md`` (a test checks that no hook is missing there).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from tokenplan.catalog import Catalog
    from tokenplan.records import Chip, Cooling, Region, Rule, ThroughputModel
    from tokenplan.result import Result
    from tokenplan.schema import Problem, Workload

PROJECT = "tokenplan"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def tokenplan_chips() -> list[Chip]:
    """Return the accelerators this plugin contributes to the catalog.

    Called once per catalog, when the chips are first needed. All results are collected.

    :return: a list of :class:`tokenplan.records.Chip` (or dicts with the same keys). Ids must be unique
        across all plugins: two plugins defining the same id is an error naming both.

    .. versionadded:: 0.1
    """


@hookspec
def tokenplan_coolings() -> list[Cooling]:
    """Return the cooling options this plugin contributes (air, cold plate, immersion, ...).

    Called once per catalog. All results are collected; ids must be unique across plugins.

    :return: a list of :class:`tokenplan.records.Cooling` (or dicts with the same keys).

    .. versionadded:: 0.1
    """


@hookspec
def tokenplan_regions() -> list[Region]:
    """Return regions this plugin contributes (a region pack: provinces, hub tags, power prices).

    Problem files refer to them with ``extends = "<id>"`` and override fields. Called once per catalog;
    all results are collected; ids must be unique across plugins.

    :return: a list of :class:`tokenplan.records.Region` (or dicts with the same keys).

    .. versionadded:: 0.1
    """


@hookspec
def tokenplan_rules() -> list[type[Rule]]:
    """Return the rule classes this plugin contributes (subsidies, export controls, policies).

    Called once per catalog; all results are collected; rule ids must be unique across plugins. A rule
    is enabled unless its parameters say ``enabled = false``; it changes the plan only through its own
    rows (``ctx.add_family``) and cost terms (``ctx.add_cost``) of the :class:`tokenplan.model.ModelContext`.

    :return: a list of subclasses of :class:`tokenplan.records.Rule`.

    .. versionadded:: 0.1
    """


@hookspec
def tokenplan_throughput_models() -> list[ThroughputModel]:
    """Return the throughput models this plugin provides (names for ``problem.throughput_model``).

    Called once per catalog; all results are collected; names must be unique across plugins.

    :return: a list of :class:`tokenplan.records.ThroughputModel`.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def tokenplan_throughput(chip: Chip, workload: Workload, params: dict[str, Any]) -> float | None:
    """Return the tokens/s that one accelerator of ``chip`` sustains on ``workload``.

    Called for every (chip, workload) pair of a problem. Stops at the first non-None result; a plugin
    returns None for models it does not implement.

    :param chip: the chip, with problem overrides applied.
    :param workload: the workload from the problem file.
    :param params: ``{"model": <problem.throughput_model>, **<[throughput] parameters>}``.
    :return: tokens/s per accelerator (>= 0; 0 means the chip cannot serve the workload), or None.

    .. versionadded:: 0.1
    """


@hookspec
def tokenplan_validate(problem: Problem, catalog: Catalog) -> list[str]:
    """Check a problem against the catalog before the model is built.

    Called once per solve or ``tokenplan validate``. All results are collected.

    :param problem: the loaded problem.
    :param catalog: the catalog facade.
    :return: messages; a message starting with ``"error: "`` stops the run (exit 2, bad input); one starting
        with ``"infeasible: "`` is a cause of infeasibility in the pre-solve diagnosis (exit 3, on the console
        and in the JSON ``diagnosis``, family ``plugin:NAME``); others are warnings.

    .. versionadded:: 0.1
    """


@hookspec
def tokenplan_report(result: Result) -> dict[str, Any] | None:
    """Return an extra report section for a solved result (shown in the table, added to the JSON).

    Called once per result; all non-None results are collected under the plugin's name.

    :param result: the solved :class:`tokenplan.result.Result`.
    :return: a JSON-serialisable dict, or None.

    .. versionadded:: 0.1
    """
