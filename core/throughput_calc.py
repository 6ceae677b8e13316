"""``tokenplan.throughput(chip, workload)``: tokens/s per accelerator from the installed throughput models."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tokenplan.catalog import Catalog, ParamError, throughput_params
from tokenplan.errors import InputError
from tokenplan.records import Chip
from tokenplan.schema import Workload


def throughput(chip: Chip | str | Mapping[str, Any], workload: Workload | Mapping[str, Any], *,
               model: str = "roofline", params: Mapping[str, Any] | None = None,
               catalog: Catalog | None = None) -> float:
    """Tokens/s that one accelerator of ``chip`` sustains on ``workload`` under throughput ``model``.

    :param chip: a :class:`~tokenplan.records.Chip`, a catalog chip id, or a dict of chip fields.
    :param workload: a :class:`~tokenplan.schema.Workload` or a dict of workload fields.
    :param model: the throughput model's name (``"roofline"`` or ``"flops"``).
    :param params: the model's parameters (defaults from its plugin).
    """
    catalog = catalog or Catalog()
    models = catalog.throughput_models()
    if model not in models:
        raise InputError(f"no installed plugin provides this throughput model (available: "
                         f"{', '.join(sorted(models))})", key="model", value=model)
    if isinstance(chip, str):
        chips = {c.id: c for c in catalog.chips()}
        if chip not in chips:
            raise InputError("unknown chip", key="chip", value=chip)
        chip = chips[chip]
    elif not isinstance(chip, Chip):
        chip = Chip.model_validate(dict(chip))
    if not isinstance(workload, Workload):
        workload = Workload.model_validate(dict(workload))
    for name in models[model].workload_fields:
        if getattr(workload, name) is None:
            raise InputError(f"missing; the {model!r} throughput model needs it", key=f"workload.{name}")
    try:
        merged = throughput_params(models[model], dict(params or {}))
    except ParamError as exc:
        raise InputError(exc.reason, key=f"params.{exc.key}", value=(params or {}).get(exc.key)) from None
    value = catalog.throughput(chip, workload, merged)
    return 0.0 if value is None else value


def workloads_from(path: str | None, sets: list[str]) -> tuple[list[Workload], str | None, dict[str, Any]]:
    """Workloads for ``tokenplan throughput``: from a problem file (its ``[[workloads]]``, throughput model
    and ``[throughput]`` parameters), or a file with one workload's keys at top level, or only ``sets``;
    every ``KEY=VALUE`` in ``sets`` applies to each workload."""
    from pydantic import ValidationError

    from tokenplan import overrides
    from tokenplan.loader import read_toml
    from tokenplan.messages import first_error

    model: str | None = None
    params: dict[str, Any] = {}
    if path is None:
        raw = [{"id": "workload"}]
    else:
        data = read_toml(Path(path))
        if "workloads" in data:
            raw = list(data["workloads"])
            model = data.get("problem", {}).get("throughput_model")
            params = dict(data.get("throughput", {}))
        else:
            raw = [{"id": "workload", **data}]
    out = []
    for item in raw:
        item = overrides.apply(item, sets)
        item.setdefault("tokens_per_day", 0.0)
        try:
            out.append(Workload.model_validate(item))
        except ValidationError as exc:
            where, message, value, _ = first_error(exc, item)
            raise InputError(message, file=path, key=f"workload.{where}", value=value) from None
    return out, model, params


def throughput_table(catalog: Catalog, workloads: list[Workload], *, model: str, params: dict[str, Any],
                     pattern: str = "*") -> list[dict[str, Any]]:
    """One row per (chip, workload): tokens/s per accelerator (0: cannot serve)."""
    from tokenplan.records import glob_to_regex

    regex = glob_to_regex(pattern)
    rows = []
    for chip in catalog.chips():
        if not regex.match(chip.id):
            continue
        for w in workloads:
            rows.append({"chip": chip.id, "workload": w.id,
                         "tokens_per_s": throughput(chip, w, model=model, params=params, catalog=catalog)})
    return rows
