"""``tokenplan.throughput(chip, workload)``: tokens/s per accelerator from the installed throughput models."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tokenplan.catalog import Catalog
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
    merged = {**models[model].params, **(params or {}), "model": model}
    value = catalog.throughput(chip, workload, merged)
    return 0.0 if value is None else value
