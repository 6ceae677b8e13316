"""A result as a document and its tables, from a :class:`~tokenplan.result.Result` or from the ``--out``
directory it was written to: what the reports and the plots read.

``doc`` is the content of ``kpis.json`` (the JSON document without ``plan`` and ``tables``); ``tables`` has
the keys ``plan``, ``costs_by_period``, ``sites``, ``hbm`` and ``rules`` (pandas DataFrames).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tokenplan.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from tokenplan.result import Result

#: the tables of a result, in the order the reports show them
TABLE_NAMES = ("plan", "costs_by_period", "sites", "hbm", "rules")


def from_result(result: Result) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """``(doc, tables)`` of a result: ``doc`` as ``kpis.json`` would hold it."""
    doc = {k: v for k, v in result.to_dict().items() if k not in ("plan", "tables")}
    tables = {"plan": result.plan, "costs_by_period": result.costs_by_period, "sites": result.sites,
              "hbm": result.hbm, "rules": result.rule_actions}
    return doc, tables


def load_out(directory: str | Path) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """``(doc, tables)`` from a solve's ``--out`` directory: ``kpis.json`` and the tables' Parquet files (their
    CSV files where a Parquet file is missing; an empty table with the usual columns where both are)."""
    import pandas as pd

    from tokenplan.accounts import HBM_COLUMNS, PERIOD_COLUMNS, RULE_COLUMNS, SITE_COLUMNS
    from tokenplan.result import PLAN_COLUMNS

    out = Path(directory)
    kpis = out / "kpis.json"
    if not kpis.is_file():
        raise InputError("is not the --out directory of a solve (no kpis.json)", file=str(out))
    try:
        doc = json.loads(kpis.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot be read: {exc}", file=str(kpis)) from None
    if not isinstance(doc, dict):
        raise InputError("is not a tokenplan result (not a JSON object)", file=str(kpis))
    columns = {"plan": PLAN_COLUMNS, "costs_by_period": PERIOD_COLUMNS, "sites": SITE_COLUMNS,
               "hbm": HBM_COLUMNS, "rules": RULE_COLUMNS}
    tables: dict[str, pd.DataFrame] = {}
    for name in TABLE_NAMES:
        parquet, csv = out / f"{name}.parquet", out / f"{name}.csv"
        try:
            if parquet.is_file():
                tables[name] = pd.read_parquet(parquet)
            elif csv.is_file():
                tables[name] = pd.read_csv(csv)
            else:
                tables[name] = pd.DataFrame(columns=columns[name])
        except Exception as exc:  # a torn or foreign file: one line naming it
            path = parquet if parquet.is_file() else csv
            raise InputError(f"cannot be read: {type(exc).__name__}: {exc}", file=str(path)) from None
    return doc, tables
