"""Where a study's scenarios run: local worker processes, or a Dask distributed cluster.

Both pools take a task (a dict) and give back a future; :meth:`wait` returns the futures that finished.
Local workers are spawned processes whose initializer keeps the study's base problem and builds the plugin
catalog; on Dask, a worker plugin does the same on every worker. Tasks then carry only their scenario's
changes. A worker that dies (killed, out of memory) fails
the scenarios it held; the runner tries such a scenario once more before it records the death.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterable
from typing import Any

from tokenplan.errors import InputError
from tokenplan.studies.worker import catalog, register, solve_task


def _warm(disable: tuple[str, ...], problems: dict[str, dict[str, Any]]) -> None:
    """A local worker's start: watch the parent (a worker whose study is gone ends at once, with its
    solver process) and build the catalog."""
    parent = os.getppid()
    # Ctrl-C in a terminal reaches the whole process group: the parent stops the workers, not the signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="tokenplan-study-parent-watch", daemon=True).start()
    register(problems)
    catalog(disable)


class LocalPool:
    """``--workers N`` processes (spawned: no threads or locks inherited from the parent), each its own
    one-process executor, a **slot**: a chain's scenarios run in the slot that ran the one before (whose
    resident model is that chain's, so a change along the chain is a patch), and a worker that dies breaks
    its slot alone, charging the death to the one scenario it held."""

    kind = "local"

    def __init__(self, workers: int, disable: tuple[str, ...] = (),
                 problems: dict[str, dict[str, Any]] | None = None) -> None:
        self.workers = workers
        self.disable = disable
        self.problems = dict(problems or {})
        self._slots = [self._new() for _ in range(workers)]
        self._slot_of: dict[Any, int] = {}      # future -> slot
        self._chain_slot: dict[Any, int] = {}   # chain key -> the slot that ran its last scenario

    def _new(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                      initializer=_warm, initargs=(self.disable, self.problems))

    def submit(self, task: dict[str, Any], chain: Any = None) -> Any:
        busy = set(self._slot_of.values())
        slot = self._chain_slot.get(chain)
        if slot is None or slot in busy:
            slot = next(i for i in range(len(self._slots)) if i not in busy)
        try:
            future = self._slots[slot].submit(solve_task, task)
        except cf.process.BrokenProcessPool:
            self._restart(slot)
            future = self._slots[slot].submit(solve_task, task)
        self._slot_of[future] = slot
        if chain is not None:
            self._chain_slot[chain] = slot
        return future

    def wait(self, futures: Iterable[Any], timeout: float) -> set[Any]:
        done, _ = cf.wait(list(futures), timeout=timeout, return_when=cf.FIRST_COMPLETED)
        for future in done:
            self._slot_of.pop(future, None)
        return done

    @staticmethod
    def died(exc: BaseException) -> bool:
        return isinstance(exc, cf.process.BrokenProcessPool)

    def restart(self) -> None:
        """New processes for the slots whose worker died."""
        for i, slot in enumerate(self._slots):
            if getattr(slot, "_broken", False):
                self._restart(i)

    def _restart(self, i: int) -> None:
        _kill(self._slots[i])
        self._slots[i] = self._new()

    def close(self, kill: bool = False) -> None:
        for slot in self._slots:
            if kill:
                _kill(slot)
            else:
                slot.shutdown(wait=True, cancel_futures=True)


def _kill(executor: cf.ProcessPoolExecutor) -> None:
    for process in list(getattr(executor, "_processes", {}).values()):
        with contextlib.suppress(Exception):
            process.kill()
    executor.shutdown(wait=False, cancel_futures=True)


class DaskPool:
    """``--scheduler tcp://HOST:PORT``: the scenarios run on a Dask distributed cluster."""

    kind = "dask"

    def __init__(self, scheduler: str, disable: tuple[str, ...] = (),
                 problems: dict[str, dict[str, Any]] | None = None) -> None:
        try:
            import distributed
        except ImportError:
            raise InputError("needs Dask distributed: pip install 'tokenplan[dask]'", key="--scheduler",
                             value=scheduler) from None
        self._distributed = distributed
        try:
            self.client = distributed.Client(scheduler, timeout="10s", set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise InputError(f"cannot reach the Dask scheduler: {exc}", key="--scheduler", value=scheduler) from None
        self.client.register_plugin(Resident(disable, problems or {}), name="tokenplan-resident")
        # one scenario at a time per worker process (its resident model is one): count processes, not threads
        self.workers = max(1, len(self.client.scheduler_info()["workers"]))
        self._attempt = 0
        self._futures: list[Any] = []

    def submit(self, task: dict[str, Any], chain: Any = None) -> Any:
        self._attempt += 1
        future = self.client.submit(solve_task, task, key=f"tokenplan-{task['id']}-{self._attempt}", pure=False)
        self._futures = [f for f in self._futures if not f.done()] + [future]
        return future

    def wait(self, futures: Iterable[Any], timeout: float) -> set[Any]:
        # a future's state is local to the client: polling it costs no round trip to the scheduler
        futures = list(futures)
        deadline = time.monotonic() + timeout
        while True:
            done = {f for f in futures if f.done()}
            if done or time.monotonic() >= deadline:
                return done
            time.sleep(0.02)

    def died(self, exc: BaseException) -> bool:
        return type(exc).__name__ == "KilledWorker"

    def restart(self) -> None:
        return None  # the scheduler replaces lost workers itself

    def close(self, kill: bool = False) -> None:
        """With ``kill`` (Ctrl-C): cancel the scenarios not finished. One already running on a Dask worker
        ends on the cluster by its own deadline (a running task's thread cannot be stopped) and is not stored."""
        if kill and self._futures:
            with contextlib.suppress(Exception):
                self.client.cancel(self._futures, force=True)
        self.client.close()


def _resident_plugin_base() -> type:
    try:
        from distributed.diagnostics.plugin import WorkerPlugin
    except ImportError:  # pragma: no cover - only without Dask
        return object
    return WorkerPlugin


class Resident(_resident_plugin_base()):  # type: ignore[misc]
    """A Dask worker plugin: every worker, when it joins, keeps the study's base problems and builds the
    plugin catalog once; tasks then carry only their scenario's changes."""

    def __init__(self, disable: tuple[str, ...] = (), problems: dict[str, dict[str, Any]] | None = None) -> None:
        self.disable = tuple(disable)
        self.problems = dict(problems or {})

    def setup(self, worker: Any) -> None:
        register(self.problems)
        catalog(self.disable)
