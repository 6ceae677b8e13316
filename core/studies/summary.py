"""A study's outputs: the summary table (one row per scenario), the deltas against the base scenario, and
the Pareto curve of a ``pareto`` study with its knee."""

from __future__ import annotations

import math
from typing import Any

#: summary columns after the varied parameters, in order
CORE_COLUMNS = ["status", "objective", "gap", "bound", "currency"]


def summary(records: list[dict[str, Any]], axes: list[str], kpis: list[str] | None = None) -> Any:
    """One row per scenario in run order: id, the varied parameters, status, objective, gap, KPIs,
    accelerators per chip (``accelerators.CHIP``), domestic share, the largest shadow price of each family
    (``shadow.FAMILY``, domain units, conditional on the scenario's integer plan), MIP start use and the
    modelling / HiGHS seconds."""
    import pandas as pd

    rows = []
    for r in sorted(records, key=lambda r: r.get("position", 0)):
        row: dict[str, Any] = {"position": r.get("position"), "id": r["id"]}
        for name in axes:
            row[name] = (r.get("params") or {}).get(name)
        for key in CORE_COLUMNS:
            row[key] = r.get(key)
        for key, value in (r.get("kpis") or {}).items():
            if not kpis or key in kpis:
                row[key] = value
        row["domestic_share"] = r.get("domestic_share")
        for chip, n in sorted((r.get("accelerators_by_chip") or {}).items()):
            row[f"accelerators.{chip}"] = n
        for family, info in sorted((r.get("shadow_prices") or {}).items()):
            row[f"shadow.{family}"] = info.get("price")
        row["start_used"] = r.get("start_used")
        row["overhead_s"] = r.get("overhead_s")
        row["highs_s"] = r.get("highs_s")
        row["message"] = r.get("message") or ""
        rows.append(row)
    columns = ["position", "id", *axes, *CORE_COLUMNS, "domestic_share", "start_used", "overhead_s", "highs_s",
               "message"]
    frame = pd.DataFrame(rows) if rows else pd.DataFrame(columns=columns)
    accel = sorted(c for c in frame.columns if c.startswith("accelerators."))
    if accel:
        frame[accel] = frame[accel].fillna(0).astype("int64")
    return frame


def deltas(frame: Any, base_id: str | None) -> Any:
    """The objective's change against the base scenario (absolute and %), as columns ``delta`` and
    ``delta_pct``."""
    frame = frame.copy()
    base = frame.loc[frame["id"] == base_id, "objective"] if base_id is not None else []
    value = float(base.iloc[0]) if len(base) and base.iloc[0] is not None and not _nan(base.iloc[0]) else None
    if value is None:
        frame["delta"], frame["delta_pct"] = None, None
        return frame
    objective = frame["objective"].astype("float64")
    frame["delta"] = objective - value
    frame["delta_pct"] = 100.0 * (objective - value) / abs(value) if value else None
    return frame


def _nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def pareto(frame: Any, axis: str, values: list[float]) -> dict[str, Any]:
    """The cost curve of a one-axis study: points (epsilon, objective) in the axis's order, and its knee,
    the point farthest from the straight line between the curve's ends (both axes scaled to [0, 1]): past
    it, each step of the constraint costs more than before."""
    points = []
    for (_, row), eps in zip(frame.iterrows(), values):
        objective = row.get("objective")
        if objective is None or _nan(objective):
            continue
        points.append({"epsilon": float(eps), "label": row[axis], "objective": float(objective), "id": row["id"],
                       "domestic_share": row.get("domestic_share")})
    knee = None
    if len(points) >= 3:
        xs = [p["epsilon"] for p in points]
        ys = [p["objective"] for p in points]
        span_x = (max(xs) - min(xs)) or 1.0
        span_y = (max(ys) - min(ys)) or 1.0
        nx = [(x - xs[0]) / span_x for x in xs]
        ny = [(y - ys[0]) / span_y for y in ys]
        dx, dy = nx[-1] - nx[0], ny[-1] - ny[0]
        norm = math.hypot(dx, dy) or 1.0
        distance = [abs(dy * x - dx * y) / norm for x, y in zip(nx, ny)]
        best = max(range(1, len(points) - 1), key=lambda i: distance[i])
        if distance[best] > 1e-9:
            knee = points[best]
    return {"axis": axis, "points": points, "knee": knee}
