"""Provenance: what produced a result, so that two result files can be traced to their makers.

:func:`of_solve` gathers it for one solve (``Result.provenance``, the JSON's ``provenance``): the versions
of tokenplan, Python, Pyomo, highspy and HiGHS; every plugin with its distribution, version and status; the
problem's source and hash; the scenarios and overrides applied; the solver options used; the machine's cores
and platform; a UTC timestamp. :func:`of_study` gathers a study's (``study.json``) and :func:`compact` the
form a study's ``index.jsonl`` records carry: the plugin list replaced by its hash (the list is in
``study.json``), unless a worker's plugins differ from the study's (docs/studies.md).

Only the standard library is imported here; the versions are read when asked for (highspy is imported
then, for HiGHS's own version: numbers compiled into the module, no solver made).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

#: what ``problem.sha256_of`` says was hashed
OF_FILE = "file bytes"
OF_DATA = "canonical JSON of the data"


def canonical_sha256(value: Any) -> str:
    """The sha256 of ``value`` as canonical JSON (keys sorted, no spaces, non-JSON values as ``str``)."""
    blob = json.dumps(value, sort_keys=True, default=str, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def highs_version() -> str | None:
    """HiGHS's own version (compiled into highspy), or None if highspy cannot say."""
    try:
        import highspy

        return f"{highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}.{highspy.HIGHS_VERSION_PATCH}"
    except Exception:
        return None


def versions() -> dict[str, str | None]:
    """tokenplan, Python, Pyomo, highspy (the distributions) and HiGHS."""
    from tokenplan import __version__

    return {"tokenplan": __version__, "python": platform.python_version(), "pyomo": _version("pyomo"),
            "highspy": _version("highspy"), "highs": highs_version()}


def plugins(host: Any) -> list[dict[str, Any]]:
    """Every plugin the host knows (``PluginHost.plugin_infos``): name, distribution, version, status."""
    if host is None:
        return []
    return [{"name": i.name, "distribution": i.distribution, "version": i.version, "status": i.status}
            for i in host.plugin_infos()]


def machine() -> dict[str, Any]:
    """The cores (``os.cpu_count()``; ``cpus_usable``: this process's affinity, None where unknown) and the
    platform."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {"cpu_count": os.cpu_count(), "cpus_usable": usable, "platform": platform.platform()}


def timestamp() -> str:
    """Now, in UTC: ``2030-01-01T12:00:00Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def problem_of(problem: Any) -> dict[str, Any]:
    """A problem's source and the hash the loader kept (None for a problem not made by the loader)."""
    digest = getattr(problem, "_digest", None) or {}
    return {"source": problem.source, "sha256": digest.get("sha256"), "sha256_of": digest.get("of")}


def solver_of(options: Any) -> dict[str, Any]:
    """The solver options of a solve (``tokenplan.solver.SolveOptions``)."""
    return {"time_limit_s": options.time_limit_s, "mip_gap": options.mip_gap, "threads": options.threads,
            "seed": options.seed, "portfolio": bool(options.portfolio), "warm_start": options.start is not None}


def of_solve(problem: Any, host: Any, options: Any) -> dict[str, Any]:
    """The provenance of one solve (``Result.provenance``)."""
    return assemble(host, problem=problem_of(problem), applied=_copy(problem.applied), solver=solver_of(options))


def assemble(host: Any, *, problem: dict[str, Any], applied: dict[str, list[str]],
             solver: dict[str, Any]) -> dict[str, Any]:
    """The provenance dict from its parts (the versions, plugins, machine and timestamp gathered now)."""
    plugin_list = plugins(host)
    return {**versions(), "plugins": plugin_list, "plugins_sha256": canonical_sha256(plugin_list),
            "problem": problem, "applied": applied, "solver": solver, "machine": machine(),
            "timestamp": timestamp()}


def of_study(host: Any, *, study: dict[str, Any], problem: dict[str, Any], applied: dict[str, list[str]],
             solver: dict[str, Any]) -> dict[str, Any]:
    """A study's provenance (``study.json``): as a solve's, with the study file's source and hash."""
    return {**assemble(host, problem=problem, applied=applied, solver=solver), "study": study}


def compact(provenance: dict[str, Any], study_plugins_sha256: str | None) -> dict[str, Any]:
    """A study record's provenance: the plugin list dropped when its hash is the study's (``study.json`` has
    the list), kept when it differs (a worker with other plugins installed)."""
    out = dict(provenance)
    if study_plugins_sha256 is not None and out.get("plugins_sha256") == study_plugins_sha256:
        out.pop("plugins", None)
    return out


def _copy(applied: dict[str, list[str]]) -> dict[str, list[str]]:
    return {k: list(v) for k, v in applied.items()}
