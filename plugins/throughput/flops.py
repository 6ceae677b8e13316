"""The ``flops`` throughput model: tokens/s = TFLOPS[precision] x 1e12 x utilisation / flops_per_token.

It reproduces the seed scenario (50 T tokens/day, 1.4e21 FLOPS, 320 TFLOPS chips -> 5.651 M accelerators).
A chip without the workload's precision runs it at the next wider precision it has (fp8 -> bf16 -> fp16);
a chip with none of them cannot serve the workload (0 tokens/s).
"""

from __future__ import annotations

from typing import Any

from tokenplan import hookimpl
from tokenplan.records import Chip, ThroughputModel

NAME = "flops"


@hookimpl
def tokenplan_throughput_models() -> list[ThroughputModel]:
    return [ThroughputModel(
        name=NAME,
        description="Peak TFLOPS at the workload's precision x utilisation / FLOP per token",
        workload_fields=["flops_per_token", "utilisation", "precision"],
    )]


@hookimpl
def tokenplan_throughput(chip: Chip, workload: Any, params: dict[str, Any]) -> float | None:
    if params.get("model") != NAME:
        return None
    peak = chip.effective_tflops(workload.precision)
    if peak is None:
        return 0.0
    return peak[0] * 1e12 * workload.utilisation / workload.flops_per_token
