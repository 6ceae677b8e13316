"""What-if studies: many scenarios of one problem, in parallel, stored as they finish (docs/studies.md).

The data flow: a study file or ``--grid`` -> :mod:`~tokenplan.studies.spec` (validated, expanded into
scenarios) -> :mod:`~tokenplan.studies.run` (every scenario checked, then solved in chains on a
:mod:`~tokenplan.studies.pool`, each by :mod:`~tokenplan.studies.worker`) -> :mod:`~tokenplan.studies.store`
(``OUT/``) -> :mod:`~tokenplan.studies.summary` (the table, deltas, the Pareto curve).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tokenplan.files import atomic
from tokenplan.studies.run import Options, Progress, default_workers, execute, validate
from tokenplan.studies.spec import Scenario, StudySpec, ad_hoc, from_file, is_study_file
from tokenplan.studies.store import Store

SUMMARY = "summary"
PARETO = "pareto.json"


@dataclass
class Study:
    """A study's results (what ``OUT/`` holds)."""

    spec: StudySpec | None
    out: Path
    records: list[dict[str, Any]]
    axes: list[str]
    base_id: str | None
    interrupted: bool = False
    pareto: dict[str, Any] | None = None
    progress: Progress | None = None

    @property
    def summary(self) -> Any:
        """One row per scenario (pandas DataFrame; see :func:`tokenplan.studies.summary.summary`), with the
        objective's ``delta`` and ``delta_pct`` against the base scenario."""
        from tokenplan.studies.summary import deltas, summary

        return deltas(summary(self.records, self.axes, self.spec.kpis if self.spec else None), self.base_id)

    def write(self) -> list[Path]:
        frame = self.summary
        paths = [self.out / f"{SUMMARY}.parquet", self.out / f"{SUMMARY}.csv"]
        atomic(paths[0], lambda p: frame.to_parquet(p, index=False))
        atomic(paths[1], lambda p: frame.to_csv(p, index=False))
        if self.pareto is not None:
            paths.append(self.out / PARETO)
            atomic(paths[-1], lambda p: Path(p).write_text(json.dumps(self.pareto, indent=2, default=str)))
        return paths


def load_spec(source: str | Path, *, grid: Iterable[str] = (), zipped: bool = False,
              scenarios: Iterable[str] = (), overrides: Iterable[str] = (), pareto: bool = False) -> StudySpec:
    """A study file, or a problem file with ``grid`` axes (``key=a,b,c``)."""
    from tokenplan.errors import InputError
    from tokenplan.loader import read_toml

    data = read_toml(Path(source))
    grid = list(grid)
    if is_study_file(data):
        if grid or list(scenarios) or list(overrides):
            raise InputError("is a study file: its [study] and [[vary]] tables say what varies (no --grid, "
                             "--scenario or --set)", file=str(source))
        return from_file(source)
    if not grid:
        raise InputError("is a problem file: say what to vary with --grid KEY=VALUE,VALUE,... (or give a study "
                         "file)", file=str(source))
    return ad_hoc(source, grid, zipped=zipped, scenarios=scenarios, overrides=overrides,
                  kind="pareto" if pareto else "sweep")


def study(source: str | Path | StudySpec, *, out: str | Path, grid: Iterable[str] = (), zipped: bool = False,
          scenarios: Iterable[str] = (), overrides: Iterable[str] = (), workers: int | None = None,
          scheduler: str | None = None, resume: bool = False, time_limit_s: float | None = None,
          mip_gap: float | None = None, threads: int | None = None, disable: Iterable[str] = (),
          warm_start: bool = True, persistent: bool = True,
          on_start: Callable[[StudySpec, list[Scenario], int, int], None] | None = None,
          on_event: Callable[[Progress], None] | None = None) -> Study:
    """Run a study and return its results (``Study.summary`` is a DataFrame).

    :param source: a study file, a problem file with ``grid``, or a :class:`StudySpec`.
    :param out: the output directory (``OUT/index.jsonl``, ``OUT/scenarios/``, ``OUT/summary.parquet``).
    :param workers: local worker processes (default: the cores this process may use).
    :param scheduler: ``tcp://HOST:PORT`` of a Dask scheduler, instead of local workers.
    :param resume: go on with the study in ``out``, skipping the scenarios already there.
    :param warm_start: start each scenario from the plan of the one before it in its chain.
    :param persistent: keep each worker's model resident and patch it where a scenario allows (False: build
        every scenario's model from scratch; the benchmark's baseline).
    :param on_start: called with (spec, scenarios, done, workers) before anything runs.
    :param on_event: called with the progress after every scenario (and while waiting).
    """
    from tokenplan.studies.pool import DaskPool, LocalPool

    spec = source if isinstance(source, StudySpec) else load_spec(source, grid=grid, zipped=zipped,
                                                                   scenarios=scenarios, overrides=overrides)
    options = Options(workers=workers, scheduler=scheduler, resume=resume, threads=threads,
                      time_limit_s=time_limit_s, mip_gap=mip_gap, disable=tuple(disable), warm_start=warm_start,
                      persistent=persistent)
    solve = {"time_limit_s": options.time_limit_s if options.time_limit_s is not None else spec.time_limit_s,
             "mip_gap": options.mip_gap if options.mip_gap is not None else spec.mip_gap,
             "threads": options.threads, "disable": sorted(options.disable), "warm_start": options.warm_start}
    expanded = spec.expand(solve)
    validate(spec, expanded, options.disable)
    store = Store(out, resume=resume)
    manifest = _manifest(spec, expanded)
    old = store.manifest()
    if resume and old and old.get("problem_hash") != manifest["problem_hash"]:
        from tokenplan.errors import InputError

        raise InputError("holds a study of another version of the problem file (its hash differs): use another "
                         "--out", key="--out", value=str(out))
    manifest["solve"] = solve
    local = None if scheduler else min(workers or default_workers(), max(1, len(expanded)))
    manifest["provenance"] = study_provenance(spec, options, local)
    store.write_manifest(manifest)
    base = spec.base_scenario(expanded)
    result = Study(spec, store.out, [], [name for name, _ in spec.axes], base.id if base else None)
    problems = {spec.problem_hash: spec.problem_data}
    pool = DaskPool(scheduler, options.disable, problems) if scheduler else LocalPool(
        local or 1, options.disable, problems)
    if on_start:
        on_start(spec, expanded, len(store.done() & {s.id for s in expanded}), pool.workers)
    interrupted = False
    try:
        result.progress = execute(spec, expanded, store, pool, options, on_event=on_event,
                                  provenance=manifest["provenance"])
    except KeyboardInterrupt:
        interrupted = True
        pool.close(kill=True)
        raise
    finally:
        if not interrupted:
            pool.close()
        ids = {s.id for s in expanded}
        result.records = [r for r in store.records.values() if r["id"] in ids]
        result.interrupted = interrupted
        if spec.kind == "pareto":
            result.pareto = _pareto(spec, result)
        result.write()
    return result


def study_provenance(spec: StudySpec, options: Options, workers: int | None) -> dict[str, Any]:
    """The study's provenance (``study.json``): the study file and the problem file with their hashes, the
    scenarios and overrides every scenario gets, the study's solve options (None: the study's or problem's
    own), the versions and plugins of this process (the catalog the scenarios were validated with)."""
    from tokenplan.provenance import OF_FILE, of_study
    from tokenplan.studies.worker import catalog

    def file(path: str, sha256: str | None) -> dict[str, Any]:
        return {"source": path, "sha256": sha256, "sha256_of": OF_FILE if sha256 else None}

    return of_study(
        catalog(options.disable).host, study=file(spec.source, spec.source_sha256),
        problem=file(spec.problem_path, spec.problem_sha256),
        applied={"scenarios": list(spec.scenarios), "overrides": [f"{'.'.join(p)}={v!r}" for p, v in spec.overrides]},
        solver={"time_limit_s": options.time_limit_s if options.time_limit_s is not None else spec.time_limit_s,
                "mip_gap": options.mip_gap if options.mip_gap is not None else spec.mip_gap,
                "threads": options.threads, "warm_start": options.warm_start, "persistent": options.persistent,
                "workers": workers, "scheduler": options.scheduler})


def _pareto(spec: StudySpec, result: Study) -> dict[str, Any]:
    from tokenplan.studies.summary import pareto

    name, levels = spec.axes[0]
    values = []
    for level in levels:
        value = level.overrides[0][1] if level.overrides else None
        value = value["scale"] if isinstance(value, dict) and "scale" in value else value
        values.append(float(value) if isinstance(value, int | float) else float(len(values)))
    frame = result.summary
    by_label = {str(label): v for label, v in zip([lv.label for lv in levels], values)}
    return pareto(frame, name, [by_label.get(str(label), float("nan")) for label in frame[name]])


def _manifest(spec: StudySpec, scenarios: list[Scenario]) -> dict[str, Any]:
    from tokenplan import __version__

    return {
        "name": spec.name, "description": spec.description, "source": spec.source, "problem": spec.problem_path,
        "problem_hash": spec.problem_hash, "type": spec.kind, "combine": spec.combine,
        "axes": {name: [lv.label for lv in levels] for name, levels in spec.axes},
        "scenarios": [{"id": s.id, "params": s.params} for s in scenarios],
        "base": (spec.base_scenario(scenarios) or scenarios[0]).id if scenarios else None,
        "tokenplan": __version__, "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def open_results(out: str | Path) -> Study:
    """The results in a study's ``OUT/`` (``tokenplan study show``), without its spec."""
    store = Store(out, create=False)
    manifest = store.manifest()
    axes = list(manifest.get("axes", {}))
    order = {s["id"]: i for i, s in enumerate(manifest.get("scenarios", []))}
    # the study as it was last run: records of scenarios it no longer has (an earlier version of the
    # study file resumed into the same OUT) stay in index.jsonl but are not shown
    records = sorted((r for r in store.records.values() if not order or r["id"] in order),
                     key=lambda r: order.get(r["id"], r.get("position", 0)))
    pareto = None
    if (store.out / PARETO).exists():
        pareto = json.loads((store.out / PARETO).read_text(encoding="utf-8"))
    return Study(None, store.out, records, axes, manifest.get("base"), pareto=pareto)


__all__ = ["Options", "Progress", "Scenario", "Study", "StudySpec", "load_spec", "open_results", "study"]
