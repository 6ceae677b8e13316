"""Where a study's scenarios run: local worker processes, or a Dask distributed cluster.

Both pools take a task (a dict) and give back a future; :meth:`wait` returns the futures that finished.
Local workers are spawned processes whose initializer keeps the study's base problem and builds the plugin
catalog; on Dask, a worker plugin does the same on every worker. Tasks then carry only their scenario's
changes. A worker that dies (killed, out of memory) fails
the scenarios it held; the runner gives each such scenario one more try before it records the death.
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
    """``--workers N`` processes (spawned: no threads or locks inherited from the parent)."""

    kind = "local"

    def __init__(self, workers: int, disable: tuple[str, ...] = (),
                 problems: dict[str, dict[str, Any]] | None = None) -> None:
        self.workers = workers
        self.disable = disable
        self.problems = dict(problems or {})
        self._executor = self._new()

    def _new(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                      initializer=_warm, initargs=(self.disable, self.problems))

    def submit(self, task: dict[str, Any]) -> Any:
        try:
            return self._executor.submit(solve_task, task)
        except cf.process.BrokenProcessPool:
            self.restart()
            return self._executor.submit(solve_task, task)

    def wait(self, futures: Iterable[Any], timeout: float) -> set[Any]:
        done, _ = cf.wait(list(futures), timeout=timeout, return_when=cf.FIRST_COMPLETED)
        return done

    @staticmethod
    def died(exc: BaseException) -> bool:
        return isinstance(exc, cf.process.BrokenProcessPool)

    def restart(self) -> None:
        """A new set of processes after one died (the executor is broken for every task it held)."""
        self.close(kill=True)
        self._executor = self._new()

    def close(self, kill: bool = False) -> None:
        if kill:
            for process in list(getattr(self._executor, "_processes", {}).values()):
                with contextlib.suppress(Exception):
                    process.kill()
        self._executor.shutdown(wait=not kill, cancel_futures=True)


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

    def submit(self, task: dict[str, Any]) -> Any:
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
