"""Run a study: validate every scenario, then solve them in chains on a pool, storing each as it finishes.

**Chains.** The scenarios are cut into chains of neighbours: runs of the grid along its last axis (the
other values fixed), at most :data:`CHAIN` long. A chain's scenarios run one after another, each with the
integer plan of the one before as its MIP start (repaired by the solver process); chains run in parallel.
The chains depend on the study alone, not on the pool or the number of workers, and a resumed scenario
gets its start from the stored plan of its predecessor: a local run, a Dask run and a killed-and-resumed
run give the same scenarios the same starts, hence the same results (the solve is deterministic when it
ends before its limit).

**Lanes.** The chains, in grid order, are cut into one contiguous lane per worker, and a lane's chains run
on the same worker: neighbouring chains share the levels of the outer axes, so the worker's resident model
is patched from one chain to the next rather than rebuilt (e.g. a 4 x 5 x 5 grid on two workers: one
export variant after the other on each, the subsidy rate a patch). A worker whose lane is done takes the
last chain of the longest other lane. Which worker runs a scenario changes how its model was made (patched
or rebuilt, bit for bit the same matrix), not its result.
"""

from __future__ import annotations

import math
import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tokenplan.errors import InputError, TokenplanError
from tokenplan.studies.spec import Scenario, StudySpec

#: most scenarios in a chain (longer chains share more plans; shorter ones spread over more workers)
CHAIN = 6
#: deaths of a scenario's worker before it is recorded as failed
TRIES = 2


@dataclass
class Options:
    workers: int | None = None
    scheduler: str | None = None
    resume: bool = False
    threads: int | None = None
    time_limit_s: float | None = None
    mip_gap: float | None = None
    disable: tuple[str, ...] = ()
    warm_start: bool = True
    #: keep each worker's model resident and patch it where a scenario allows (False: rebuild every scenario)
    persistent: bool = True


@dataclass
class Progress:
    """What the progress display shows; the runner calls :meth:`update` after every event."""

    total: int
    done: int = 0
    failed: int = 0
    running: int = 0
    best: float | None = None
    worst: float | None = None
    started: float = field(default_factory=time.monotonic)

    def record(self, record: dict[str, Any]) -> None:
        self.done += 1
        if record.get("objective") is None:
            self.failed += 1
            return
        value = float(record["objective"])
        self.best = value if self.best is None else min(self.best, value)
        self.worst = value if self.worst is None else max(self.worst, value)


def chains(spec: StudySpec, scenarios: list[Scenario]) -> list[list[Scenario]]:
    """Neighbour chains (see the module doc)."""
    out: list[list[Scenario]] = []
    if spec.combine == "grid" and len(spec.axes) > 1:
        run_length = len(spec.axes[-1][1])
    else:
        run_length = len(scenarios)
    for start in range(0, len(scenarios), run_length):
        run = scenarios[start:start + run_length]
        pieces = math.ceil(len(run) / CHAIN)
        size = math.ceil(len(run) / pieces) if pieces else 0
        out.extend(run[i:i + size] for i in range(0, len(run), size) if size)
    return out


def validate(spec: StudySpec, scenarios: list[Scenario], disable: tuple[str, ...] = ()) -> None:
    """Load and resolve every scenario against the catalog before anything runs: the first bad one stops
    the study with one line naming the study file, the scenario and the key (exit 2)."""
    from tokenplan.catalog import select
    from tokenplan.loader import load_data
    from tokenplan.studies.worker import catalog

    cat = catalog(disable)
    for s in scenarios:
        try:
            select(load_data(spec.problem_data, spec.problem_path, s.overrides, s.scenarios), cat)
        except InputError as exc:
            inner = str(exc)
            if exc.file == spec.source:  # an ad hoc study: the problem file is the study's source
                inner = inner.removeprefix(f"{exc.file}: ")
            raise InputError(f"scenario {s.describe()}: {inner}", file=spec.source) from None


def task(spec: StudySpec, s: Scenario, options: Options, start: dict[str, float] | None,
         plugins_sha256: str | None = None) -> dict[str, Any]:
    """What a worker gets for one scenario (``plugins_sha256``: the study's plugins, which the record's
    provenance is compacted against)."""
    return {
        "id": s.id, "position": s.position, "params": s.params, "scenarios": list(s.scenarios),
        "overrides": [list(o) for o in s.overrides], "problem_key": spec.problem_hash,
        "problem_path": spec.problem_path, "problem_sha256": spec.problem_sha256,
        "plugins_sha256": plugins_sha256,
        "time_limit_s": options.time_limit_s if options.time_limit_s is not None else spec.time_limit_s,
        "mip_gap": options.mip_gap if options.mip_gap is not None else spec.mip_gap,
        "threads": options.threads, "disable": list(options.disable),
        "start": start if options.warm_start else None, "persistent": options.persistent,
    }


def execute(spec: StudySpec, scenarios: list[Scenario], store: Any, pool: Any, options: Options, *,
            on_event: Callable[[Progress], None] | None = None,
            provenance: dict[str, Any] | None = None) -> Progress:
    """Run the scenarios not yet in ``store`` on ``pool``; every finished one is stored at once. Returns the
    final progress. ``KeyboardInterrupt`` propagates after the pool is stopped (what finished is kept).
    ``provenance``: the study's (``study.json``), which the records' provenance is compacted against."""
    plugins_sha256 = provenance.get("plugins_sha256") if provenance else None
    done = store.done()
    progress = Progress(total=len(scenarios))
    for s in scenarios:
        if s.id in done:
            progress.record(store.records[s.id])
    # lanes: the chains cut into one contiguous run per worker, so that a worker's chains are neighbours in
    # the grid (the same levels of the outer axes: its resident model is patched, not rebuilt, from one chain
    # to the next); a worker whose lane is empty takes the last chain of the longest other lane
    todo = [chain for chain in chains(spec, scenarios) if any(s.id not in done for s in chain)]
    width = max(1, pool.workers)
    lanes = lanes_of(todo, width)
    # per lane, a chain to run from a position with a count of tries (a retry after a worker's death first)
    retry: dict[int, deque[tuple[list[Scenario], int, int]]] = {k: deque() for k in range(width)}
    free = deque(range(width))
    running: dict[Any, tuple[list[Scenario], int, int, dict[str, Any], int]] = {}

    def take(lane: int) -> tuple[list[Scenario], int, int] | None:
        if retry[lane]:
            return retry[lane].popleft()
        if lanes[lane]:
            return lanes[lane].popleft(), 0, 0
        other = max(range(width), key=lambda k: (len(lanes[k]), -k))
        return (lanes[other].pop(), 0, 0) if lanes[other] else None

    def submit(chain: list[Scenario], i: int, tries: int, lane: int) -> bool:
        while i < len(chain) and chain[i].id in store.records:
            i += 1
        if i >= len(chain):
            return False
        start = store.start_of(chain[i - 1].id) if i > 0 else None
        work = task(spec, chain[i], options, start, plugins_sha256)
        # the lane's scenarios go to the worker that ran its last one: its resident model is the lane's
        future = pool.submit(work, chain=("lane", lane))
        running[future] = (chain, i, tries, work, lane)
        return True

    try:
        while True:
            while free:  # a lane whose worker is free: its next chain (or one taken from another lane)
                lane = free.popleft()
                while (item := take(lane)) is not None and not submit(*item, lane):
                    pass
            progress.running = len(running)
            if on_event:
                on_event(progress)
            if not running:
                break
            for future in pool.wait(running, timeout=0.5):
                chain, i, tries, work, lane = running.pop(future)
                try:
                    result = future.result()
                except Exception as exc:
                    # a worker runs one scenario at a time: its death is that scenario's
                    if pool.died(exc) and tries + 1 < TRIES:
                        pool.restart()
                        retry[lane].appendleft((chain, i, tries + 1))
                        free.append(lane)
                        continue
                    result = _failure(chain[i], exc, work, options)
                store.add(result)
                progress.record(result["record"])
                if not submit(chain, i + 1, 0, lane):
                    free.append(lane)
    finally:
        progress.running = 0
    return progress


def lanes_of(todo: list[list[Scenario]], width: int) -> list[deque[list[Scenario]]]:
    """The chains cut into ``width`` contiguous runs of (nearly) equal scenario counts, in order."""
    total = sum(len(c) for c in todo)
    lanes: list[deque[list[Scenario]]] = [deque() for _ in range(width)]
    seen = 0
    for chain in todo:
        lane = min(width - 1, (seen * width) // max(1, total))
        lanes[lane].append(chain)
        seen += len(chain)
    return lanes


def _failure(s: Scenario, exc: BaseException, work: dict[str, Any], options: Options) -> dict[str, Any]:
    """The record of a scenario whose worker died (or whose result did not come back); its provenance is
    what the study process knows (:func:`tokenplan.studies.worker.task_provenance`)."""
    from tokenplan.studies.worker import catalog, task_provenance

    message = str(exc) if isinstance(exc, TokenplanError) else f"{type(exc).__name__}: {exc}"
    if type(exc).__name__ in ("BrokenProcessPool", "KilledWorker"):
        message = f"the worker process died while solving this scenario ({message})"
    record = {"id": s.id, "position": s.position, "params": s.params, "scenarios": list(s.scenarios),
              "overrides": [f"{'.'.join(p)}={v!r}" for p, v in s.overrides], "status": "error",
              "message": message, "objective": None,
              "provenance": task_provenance(work, catalog(options.disable).host)}
    return {"record": record, "plan": [], "duals": [], "x": None}


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
