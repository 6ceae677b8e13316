"""The ``roofline`` throughput model (the default): tokens/s that one accelerator sustains on a workload.

A request is a prompt (prefill) followed by generated tokens (decode). Prefill is compute-bound; decode is
bound by memory bandwidth (weights and KV cache are read at every step) or by compute, with a batch that
the HBM left over by the weights can hold. The two phases are combined per token by the workload's
``output_fraction``. Every efficiency is one global parameter (defaults calibrated on the MLPerf Inference
v4.1 Llama-2-70B rows, see :mod:`tokenplan.plugins.throughput.mlperf` and ``docs/throughput.md``); there
is no per-chip or per-vendor factor.

Symbols (per accelerator unless said otherwise)::

    P_a    = active_params_b * 1e9            parameters used per token (MoE: the active experts)
    P_t    = total_params_b * 1e9             parameters held in memory
    b      = bytes per value of the workload precision:
             fp4 0.5, fp6 0.75, fp8/int8 1, bf16/fp16 2, tf32/fp32 4, fp64 8
    W      = P_t * b                          weight bytes of one model copy
    S      = kv_bytes_per_token * context_tokens
                                              KV-cache bytes of one sequence (context_tokens = mean number
                                              of tokens a sequence holds in the cache while it decodes)
    f      = output_fraction                  share of the served tokens that are generated
    U      = hbm_gb * 1e9 * hbm_usable        HBM usable for weights + KV (rest: runtime, activations)
    BW     = mem_bw_tbs * 1e12 * mbu          achieved HBM bandwidth, bytes/s
    peak   = chip.effective_tflops(precision) dense peak at the workload precision, or at the next wider
                                              precision the chip has (fp4 -> fp6 -> fp8 -> bf16 ...)
    F      = min(peak, tdp_w * tflops_per_watt_8bit / b) * 1e12 * mfu
                                              achieved FLOP/s: the dense peak, capped by what the chip's
                                              power budget sustains (energy per operation taken as
                                              proportional to the operand width b; no cap if tdp_w is
                                              unknown), times the model FLOPs utilisation

Replica (tensor-parallel group of n accelerators inside one purchasable unit)::

    n_min  = ceil((W + S) / U)                smallest replica holding the weights and one sequence;
                                              n_min > unit_size -> the chip cannot serve it: 0 tokens/s
    n      = min(unit_size, max(n_min, ceil((W + max_batch * S) / U)))
                                              smallest replica holding a full batch (beyond it, more
                                              accelerators per replica add nothing per accelerator, since
                                              the model has no communication cost)
    B      = min(max_batch, floor((n * U - W) / S))   sequences decoding together in one replica

Rates per accelerator::

    prefill   R_p = F / (2 * P_a)             compute-bound: 2 FLOP per active parameter per prompt token
    decode    t_step = max((W + B * S) / (n * BW),      every step reads the weights and B KV caches
                           2 * P_a * B / (n * F))        and does 2 * P_a FLOP per generated token
              R_d = B / t_step / n
    combined  R   = 1 / ((1 - f) / R_p + f / R_d)       tokens/s, prompt and generated tokens together

The attention FLOPs (about 4 * layers * d_model * context per token) are left out: they need shapes the
workload does not give, and they are below 1 % of 2 * P_a for the calibration workload (Llama-2-70B at a
~440-token context). A chip without HBM size or bandwidth figures, or without any usable precision, gets
0 tokens/s (it cannot be evaluated, so it is not used).

Limitations: no interconnect cost for replicas of several accelerators; MoE weights are read in full at
every decode step (``total_params_b``); the power cap assumes that narrower formats cost proportionally
less energy, also on a chip whose catalog lacks that format's peak (the peak then falls back to a wider
precision, which bounds the result).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from tokenplan import hookimpl
from tokenplan.records import Chip, ThroughputModel

NAME = "roofline"

#: Bytes per stored value (weights, activations) by precision.
BYTES_PER_VALUE: dict[str, float] = {
    "fp4": 0.5, "fp6": 0.75, "fp8": 1.0, "int8": 1.0, "fp16": 2.0, "bf16": 2.0,
    "tf32": 4.0, "fp32": 4.0, "fp64": 8.0,
}

#: Calibrated defaults (one global set for all chips): ``python -m tokenplan.plugins.throughput.mlperf``
#: re-runs the calibration and ``tests/test_roofline.py`` checks that these are its result.
DEFAULTS: dict[str, float] = {
    "mfu": 0.55,
    "mbu": 0.8,
    "tflops_per_watt_8bit": 2.2,
    "max_batch": 256,
    "hbm_usable": 0.9,
}

#: What each parameter means (shown by ``docs/throughput.md``).
PARAM_DOCS: dict[str, str] = {
    "mfu": "model FLOPs utilisation: share of the (power-capped) dense peak achieved, prefill and decode",
    "mbu": "memory-bandwidth utilisation: share of the peak HBM bandwidth achieved while decoding",
    "tflops_per_watt_8bit": "dense TFLOPS one watt of TDP sustains on 8-bit operands (x2 for fp4, /2 for "
                            "bf16): the power cap on compute",
    "max_batch": "most sequences one replica decodes together (scheduler limit)",
    "hbm_usable": "share of HBM usable for weights and KV cache (vLLM's default gpu_memory_utilization)",
}

#: (lowest, highest) accepted value of each parameter.
PARAM_BOUNDS: dict[str, tuple[float, float]] = {
    "mfu": (1e-6, 1.0),
    "mbu": (1e-6, 1.0),
    "tflops_per_watt_8bit": (1e-6, 1e6),
    "max_batch": (1, 1e9),
    "hbm_usable": (1e-6, 1.0),
}

WORKLOAD_FIELDS = ["active_params_b", "total_params_b", "kv_bytes_per_token", "context_tokens",
                   "output_fraction", "precision"]


@dataclass(frozen=True)
class Estimate:
    """The roofline of one (chip, workload): the rate and how it was reached."""

    tokens_per_s: float
    """Tokens/s per accelerator, prompt and generated tokens together (0: cannot serve)."""
    replica_size: int = 0
    """Accelerators per model replica (n)."""
    batch: int = 0
    """Sequences decoding together in one replica (B)."""
    compute_precision: str | None = None
    """Precision whose peak was used (the workload's, or the fallback)."""
    flops_per_s: float = 0.0
    """Achieved FLOP/s per accelerator (F)."""
    prefill_tokens_per_s: float = 0.0
    decode_tokens_per_s: float = 0.0
    decode_bound: str | None = None
    """``"memory"`` or ``"compute"``."""
    power_capped: bool = False
    reason: str | None = None
    """Why the chip cannot serve the workload, when tokens_per_s is 0."""


def check_params(params: dict[str, Any]) -> dict[str, float]:
    """The model's parameters from ``params`` (defaults for those missing), checked against their bounds."""
    unknown = sorted(set(params) - set(DEFAULTS) - {"model"})
    if unknown:
        raise ValueError(f"unknown roofline parameter(s) {', '.join(map(repr, unknown))} "
                         f"(known: {', '.join(DEFAULTS)})")
    out: dict[str, float] = {}
    for key, default in DEFAULTS.items():
        value = params.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"throughput parameter {key!r} must be a number, got {value!r}")
        low, high = PARAM_BOUNDS[key]
        if not low <= value <= high:
            raise ValueError(f"throughput parameter {key!r} = {value!r} is outside [{low:g}, {high:g}]")
        out[key] = float(value)
    if out["max_batch"] != int(out["max_batch"]):
        raise ValueError(f"throughput parameter 'max_batch' must be a whole number, got {out['max_batch']!r}")
    return out


def bytes_per_value(precision: str) -> float:
    if precision not in BYTES_PER_VALUE:
        raise ValueError(f"unknown precision {precision!r} (known: {', '.join(BYTES_PER_VALUE)})")
    return BYTES_PER_VALUE[precision]


def estimate(chip: Chip, workload: Any, params: dict[str, Any] | None = None) -> Estimate:
    """The roofline estimate for one accelerator of ``chip`` on ``workload`` (see the module docstring)."""
    p = check_params(params or {})
    for name in WORKLOAD_FIELDS:
        if getattr(workload, name, None) is None:
            raise ValueError(f"workload {getattr(workload, 'id', '?')!r} has no {name}; the roofline model "
                             f"needs {', '.join(WORKLOAD_FIELDS)}")
    b = bytes_per_value(workload.precision)
    peak = chip.effective_tflops(workload.precision)
    if peak is None:
        return Estimate(0.0, reason=f"no peak TFLOPS at {workload.precision} or a wider precision")
    if not chip.hbm_gb or not chip.mem_bw_tbs:
        return Estimate(0.0, compute_precision=peak[1], reason="HBM size or bandwidth unknown")
    tflops = peak[0]
    power_capped = False
    if chip.tdp_w is not None:
        cap = chip.tdp_w * p["tflops_per_watt_8bit"] / b
        if cap < tflops:
            tflops, power_capped = cap, True
    flops = tflops * 1e12 * p["mfu"]
    bandwidth = chip.mem_bw_tbs * 1e12 * p["mbu"]
    active = workload.active_params_b * 1e9
    weights = workload.total_params_b * 1e9 * b
    seq = workload.kv_bytes_per_token * workload.context_tokens
    usable = chip.hbm_gb * 1e9 * p["hbm_usable"]
    max_batch = int(p["max_batch"])

    n_min = math.ceil((weights + seq) / usable)
    if n_min > chip.unit_size:
        return Estimate(0.0, compute_precision=peak[1], flops_per_s=flops, power_capped=power_capped,
                        reason=f"the weights and one sequence need {n_min} accelerators, more than a unit "
                               f"of {chip.unit_size}")
    n = min(chip.unit_size, max(n_min, math.ceil((weights + max_batch * seq) / usable)))
    batch = max_batch if seq == 0 else min(max_batch, math.floor((n * usable - weights) / seq))

    prefill = flops / (2 * active)
    memory_time = (weights + batch * seq) / (n * bandwidth)
    compute_time = 2 * active * batch / (n * flops)
    step = max(memory_time, compute_time)
    decode = batch / step / n
    f = workload.output_fraction
    rate = 1.0 / ((1 - f) / prefill + f / decode)
    return Estimate(rate, replica_size=n, batch=batch, compute_precision=peak[1], flops_per_s=flops,
                    prefill_tokens_per_s=prefill, decode_tokens_per_s=decode,
                    decode_bound="memory" if memory_time >= compute_time else "compute",
                    power_capped=power_capped)


def tokens_per_s(chip: Chip, workload: Any, params: dict[str, Any] | None = None) -> float:
    """Tokens/s per accelerator (prompt and generated tokens together); 0 if the chip cannot serve it."""
    return estimate(chip, workload, params).tokens_per_s


@hookimpl
def tokenplan_throughput_models() -> list[ThroughputModel]:
    return [ThroughputModel(
        name=NAME,
        description="Prefill compute-bound, decode bound by HBM bandwidth (weights + KV per step) or compute, "
                    "batch limited by HBM; MFU/MBU and a power cap calibrated on MLPerf v4.1",
        workload_fields=list(WORKLOAD_FIELDS),
        params=dict(DEFAULTS),
        param_bounds=dict(PARAM_BOUNDS),
    )]


@hookimpl
def tokenplan_throughput(chip: Chip, workload: Any, params: dict[str, Any]) -> float | None:
    if params.get("model") != NAME:
        return None
    return tokens_per_s(chip, workload, {k: v for k, v in params.items() if k != "model"})
