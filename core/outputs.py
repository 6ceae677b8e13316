"""A result's outputs as the plots and the reports take them: the JSON document and the tables, from a
:class:`~tokenplan.result.Result` in memory or read back from a ``--out`` directory; a study's summary and
what the plots need to know about it, from a :class:`~tokenplan.studies.Study` or its ``OUT/``.

- :func:`from_result` and :func:`load_out` return ``(doc, tables)``: ``doc`` is the JSON document without
  the plan and the tables (what ``kpis.json`` holds), ``tables`` maps ``"plan"``, ``"costs_by_period"``,
  ``"sites"``, ``"hbm"`` and ``"rules"`` to DataFrames. Both give the same tables: ``costs_by_period``'s
  ``period`` column holds the years as ``int`` and the ``salvage`` row's label, as in the result (Parquet
  stores that mixed column as text).
- :func:`from_study` and :func:`load_study` return ``(summary, info)``: the study's summary DataFrame
  (:func:`tokenplan.studies.summary.summary`, with the deltas) and ``info`` (see :func:`study_info`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tokenplan.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

#: the tables of ``(doc, tables)``, in order
TABLE_NAMES = ("plan", "costs_by_period", "sites", "hbm", "rules")


def from_result(result: Any) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """``(doc, tables)`` of a :class:`~tokenplan.result.Result`: its JSON document less ``plan`` and
    ``tables`` (as ``kpis.json``), and its plan and money and use tables."""
    doc = {k: v for k, v in result.to_dict().items() if k not in ("plan", "tables")}
    tables = {"plan": result.plan, "costs_by_period": result.costs_by_period, "sites": result.sites,
              "hbm": result.hbm, "rules": result.rule_actions}
    return doc, tables


def load_out(directory: str | Path) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """``(doc, tables)`` read back from a solve's ``--out`` directory: ``kpis.json`` and the Parquet tables.

    A table whose file is missing (an output of a tokenplan before the tables) is an empty DataFrame with the
    table's columns. No ``kpis.json`` there is an :class:`~tokenplan.errors.InputError`."""
    import pandas as pd

    from tokenplan.accounts import HBM_COLUMNS, PERIOD_COLUMNS, RULE_COLUMNS, SITE_COLUMNS
    from tokenplan.result import PLAN_COLUMNS

    out = Path(directory)
    kpis = out / "kpis.json"
    if not kpis.is_file():
        raise InputError("no solve results here (no kpis.json)", file=str(out))
    doc = json.loads(kpis.read_text(encoding="utf-8"))
    columns = {"plan": PLAN_COLUMNS, "costs_by_period": PERIOD_COLUMNS, "sites": SITE_COLUMNS,
               "hbm": HBM_COLUMNS, "rules": RULE_COLUMNS}
    tables = {}
    for name in TABLE_NAMES:
        path = out / f"{name}.parquet"
        tables[name] = pd.read_parquet(path) if path.is_file() else pd.DataFrame(columns=columns[name])
    cbp = tables["costs_by_period"]
    if len(cbp):
        cbp["period"] = pd.Series([_year(v) for v in cbp["period"]], index=cbp.index, dtype=object)
    return doc, tables


def _year(value: Any) -> Any:
    """A period label as the result has it: a year as ``int`` (Parquet gives ``"2030"``), else as it is."""
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value


def study_info(axes: list[str], pareto: dict[str, Any] | None, records: list[dict[str, Any]], *,
               name: str = "", base_id: str | None = None) -> dict[str, Any]:
    """What :func:`tokenplan.plots.study_figures` needs besides the summary:

    - ``axes``: the varied parameters (summary columns), in order;
    - ``pareto``: the Pareto curve (``{"axis", "points", "knee"}``, :func:`tokenplan.studies.summary.pareto`)
      or None;
    - ``name``: the study's name ("" if not known);
    - ``base_id``: the id of the base scenario, or None;
    - ``currency``: the problem currency (from the records; "" if none has it);
    - ``shadow_units``: family -> the unit of its shadow price (``"CNY per tokens/s"``), from the records.
    """
    currency = next((str(r["currency"]) for r in records if r.get("currency")), "")
    units: dict[str, str] = {}
    for r in records:
        for family, value in (r.get("shadow_prices") or {}).items():
            if isinstance(value, dict) and value.get("unit"):
                units.setdefault(family, str(value["unit"]))
    return {"axes": list(axes), "pareto": pareto, "name": name, "base_id": base_id, "currency": currency,
            "shadow_units": units}


def from_study(study: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
    """``(summary, info)`` of a :class:`~tokenplan.studies.Study` (run now, or opened with ``open_results``)."""
    name = study.spec.name if study.spec is not None else (_json(Path(study.out) / "study.json") or {}).get("name")
    return study.summary, study_info(study.axes, study.pareto, study.records, name=str(name or ""),
                                     base_id=study.base_id)


def load_study(directory: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """``(summary, info)`` of the study results in ``directory`` (``tokenplan study ... --out``): its
    ``summary.parquet``, ``study.json`` (axes, base, name), ``pareto.json`` and the records of
    ``index.jsonl`` (currency, shadow-price units). No ``summary.parquet`` there is an
    :class:`~tokenplan.errors.InputError`."""
    import pandas as pd

    out = Path(directory)
    if not (out / "summary.parquet").is_file():
        raise InputError("no study results here (no summary.parquet)", file=str(out))
    summary = pd.read_parquet(out / "summary.parquet")
    manifest = _json(out / "study.json") or {}
    pareto = _json(out / "pareto.json")
    records = []
    if (out / "index.jsonl").is_file():
        for line in (out / "index.jsonl").read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a line torn by a kill (tokenplan.studies.store)
            if isinstance(record, dict):
                records.append(record)
    return summary, study_info(list(manifest.get("axes") or {}), pareto, records,
                               name=str(manifest.get("name") or ""), base_id=manifest.get("base"))


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
