"""The study's result store: ``OUT/`` that loses nothing.

- ``OUT/study.json``: what the study is (name, source, axes, scenario ids, provenance), written atomically
  when the study starts;
- ``OUT/scenarios/<id>.parquet`` (the plan), ``<id>.duals.parquet`` (shadow prices) and ``<id>.x.json``
  (the integer plan, the next scenario's MIP start on a resume): each written to a temporary file and
  renamed, so a file is whole or absent;
- ``OUT/index.jsonl``: one JSON line per finished scenario, appended (and fsynced) after its files exist.
  Only the study's parent process writes it. A line torn by a kill is dropped when the store is opened
  again, and its scenario runs again; so, on a resume, is the line of a scenario that failed for a reason
  that is not the problem's (status ``error``: its worker died, a bug), to be tried again.

A scenario is done when its line is in the index; ``--resume`` skips those.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from tokenplan.errors import InputError
from tokenplan.files import atomic, write_text

INDEX = "index.jsonl"
MANIFEST = "study.json"


class Store:
    def __init__(self, out: str | Path, *, resume: bool = False, create: bool = True) -> None:
        self.out = Path(out)
        self.scenarios = self.out / "scenarios"
        if create:
            try:
                self.scenarios.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise InputError(f"cannot create the study's output directory: {exc.strerror}", key="--out",
                                 value=str(out)) from None
        index = self.out / INDEX
        self.records: dict[str, dict[str, Any]] = {}
        if index.exists():
            if create and not resume:
                raise InputError("holds the results of a study: add --resume to go on with it, or choose "
                                 "another --out", key="--out", value=str(out))
            self.records = self._read_index(index, repair=create, rerun_errors=resume)
        elif not create:
            raise InputError("no study results here (no index.jsonl)", file=str(out))

    def _read_index(self, index: Path, *, repair: bool, rerun_errors: bool = False) -> dict[str, dict[str, Any]]:
        records: dict[str, dict[str, Any]] = {}
        good: list[str] = []
        torn = False
        for line in index.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                torn = True  # a line cut by a kill: its scenario is not done
                continue
            if not isinstance(record, dict) or "id" not in record or record["id"] in records:
                torn = True
                continue
            if rerun_errors and record.get("status") == "error":
                torn = True  # a failure that was not the problem's (a dead worker, a bug): a resume retries it
                continue
            records[record["id"]] = record
            good.append(line)
        if torn and repair:
            write_text(index, "".join(line + "\n" for line in good))
        return records

    def done(self) -> set[str]:
        return set(self.records)

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        write_text(self.out / MANIFEST, json.dumps(manifest, indent=2, default=str))

    def manifest(self) -> dict[str, Any]:
        path = self.out / MANIFEST
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def add(self, result: dict[str, Any]) -> None:
        """Write one finished scenario: its files first, then its index line."""
        import pandas as pd

        record = result["record"]
        ident = record["id"]
        _atomic_parquet(self.scenarios / f"{ident}.parquet", pd.DataFrame(result["plan"]))
        _atomic_parquet(self.scenarios / f"{ident}.duals.parquet", pd.DataFrame(result["duals"]))
        write_text(self.scenarios / f"{ident}.x.json", json.dumps(result.get("x")))
        line = json.dumps(_clean(record), default=_plain, allow_nan=False) + "\n"
        with open(self.out / INDEX, "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())
        self.records[ident] = json.loads(line)

    def start_of(self, ident: str) -> dict[str, float] | None:
        """The integer plan of a finished scenario (a MIP start), or None."""
        path = self.scenarios / f"{ident}.x.json"
        if ident not in self.records or not path.exists():
            return None
        return json.loads(path.read_text(encoding="utf-8"))

    def plan(self, ident: str) -> Any:
        import pandas as pd

        return pd.read_parquet(self.scenarios / f"{ident}.parquet")


def _clean(value: Any) -> Any:
    """JSON-safe: NaN and infinities become None (a record must always be written)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def _atomic_parquet(path: Path, frame: Any) -> None:
    atomic(path, lambda tmp: frame.to_parquet(tmp, index=False))
