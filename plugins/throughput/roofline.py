"""The ``roofline`` throughput model (the default): tokens/s that one accelerator sustains on a workload.

A request is a prompt (prefill) followed by generated tokens (decode). The replica serving it runs
continuous batching: every step generates one token for each of the B sequences it decodes and processes
the prompt tokens that keep the batch full. A step does the linear-layer FLOPs of all its tokens, reads the
weights once and reads the KV cache of every decoding sequence; these phases run one after another (the GEMMs,
the weight stream and the attention kernels are not overlapped; the calibrated utilisations absorb what
real kernels overlap). The batch is bounded by HBM, by the scheduler and by the workload's latency
targets. Every efficiency is one global parameter (defaults calibrated on the MLPerf Inference v4.1
Llama-2-70B rows, see :mod:`tokenplan.plugins.throughput.mlperf` and ``docs/throughput.md``); there is no
per-chip or per-vendor factor.

Symbols (per accelerator unless said otherwise)::

    P_a    = active_params_b * 1e9            parameters used per token (MoE: the active experts)
    P_t    = total_params_b * 1e9             parameters held in memory
    b      = bytes per value of the workload precision (weights):
             fp4 0.5, fp6 0.75, fp8/int8 1, bf16/fp16 2, tf32/fp32 4, fp64 8
    W      = P_t * b                          weight bytes of one model copy
    S      = kv_bytes_per_token * context_tokens
                                              KV-cache bytes of one sequence (context_tokens = mean number
                                              of tokens a sequence holds in the cache while it decodes)
    f      = output_fraction                  share of the served tokens that are generated
    h      = prefix_cache_hit                 share of the prompt tokens served from a prefix cache (no
                                              prefill FLOPs; they still occupy the KV cache)
    I      = context_tokens * 2(1-f)/(2-f)    mean prompt tokens (context = I + half the output)
    U      = hbm_gb * 1e9 * hbm_usable        HBM usable for weights + KV (rest: runtime, activations)
    BW     = mem_bw_tbs * 1e12 * mbu          achieved HBM bandwidth, bytes/s
    peak   = chip.effective_tflops(precision) dense peak at the workload precision, or at the next
                                              precision the chip has (fp4 -> fp6 -> fp8 -> int8 -> bf16 ...)
    c      = the precision of that peak (the one computed in); b_c = its bytes per value
    G      = chip.gemm_tflops                 measured sustained dense GEMM TFLOP/s by precision (an
                                              independent microbenchmark of the chip and its software
                                              stack, not a datasheet peak); optional
    sus    = G[c]                             if the chip has a measured figure at c; else
           = peak * G[q] / peak_q             if it has one at another precision q (with a peak there):
                                              the same share of peak carries over (q: the measured
                                              precision nearest in width to c, the narrower on ties);
                                              else
           = min(peak * gemm_share, tdp_w * tflops_per_watt_8bit / b_c)
                                              estimate: the share of the dense peak a GEMM sustains,
                                              capped by what the chip's power budget sustains (energy per
                                              operation proportional to the width of the format computed
                                              in; no cap if tdp_w is unknown)
    F      = sus * 1e12 * mfu                 achieved FLOP/s: the sustained GEMM rate times the model
                                              FLOPs utilisation (the share of it a whole serving step keeps)
    t_c    = 2 * P_a / F                      compute time of one token (2 FLOP per active parameter)

Replica (a group of n accelerators holding one model copy: tensor/expert parallel inside a purchasable
unit of u = unit_size accelerators, or across several units)::

    n_min  = ceil((W + S) / U)                smallest replica holding the weights and one sequence
    n      in {n_min, powers of 2 <= u, u, 2u, ..., max_replica_units * u}, n >= n_min; a replica larger
              than one unit spans whole units; the n with the most tokens/s per accelerator is used
              (the smallest on ties); none -> the chip cannot serve the workload: 0 tokens/s
    eta(n) = 1 (n = 1); scale_up_efficiency (1 < n <= u); scale_up_efficiency * scale_out_efficiency
             (n > u)                          communication cost of the replica, as a share of its rate
    B      = min(max_batch, floor((n * U - W) / S), B_lat)   sequences decoding together

Rates and latency (per accelerator)::

    g      = f + (1 - f) * (1 - h)            tokens computed per served token
    R      = eta / (g * t_c + f * (W / B + S) / BW)
                                              tokens/s, prompt and generated (cached included) together
    step   = (B * (g / f) * t_c + W / BW + B * S / BW) / (n * eta)
                                              one decode step of the replica = time per output token
    prefill= I * (1 - h) * t_c / (n * eta)    a prompt's prefill at the replica's full compute
    TTFT   = step + prefill                   (the running step finishes, then the prompt is prefilled)
    T      = min(tpot_ms / 1e3, ttft_ms / 1e3 - prefill) / latency_tail   (targets absent: no bound)
    B_lat  = floor((n * eta * T - W / BW) / ((g / f) * t_c + S / BW))
                                              largest batch whose mean step meets the target; B_lat < 1
                                              -> this replica size cannot meet it
    f = 0 (prefill only): R = eta / ((1 - h) * t_c), only the TTFT target applies

The latency targets are read as the percentile the workload states them at (MLPerf: p99); the model's
step and TTFT are means, so the targets are divided by latency_tail (p99 / mean), one global parameter
fitted on the MLPerf Server rows.

The attention FLOPs (about 4 * layers * d_model * context per token) are left out: they need shapes the
workload does not give, and they are below 1 % of 2 * P_a for the calibration workload (Llama-2-70B at a
~440-token context). A chip without HBM size or bandwidth figures, or without any usable precision, gets
0 tokens/s (it cannot be evaluated, so it is not used).

Limitations: communication is a constant share per replica span (scale-up inside a unit, scale-out across
units), not a function of the model's hidden size or of the link bandwidth; MoE weights are read in full at
every decode step (``total_params_b``: at large batches every expert is hit); queueing beyond the
latency_tail factor is not modelled.
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
    "mfu": 1.0,
    "mbu": 0.75,
    "tflops_per_watt_8bit": 2.0,
    "gemm_share": 0.6,
    "max_batch": 1024,
    "hbm_usable": 0.9,
    "scale_up_efficiency": 0.85,
    "scale_out_efficiency": 0.8,
    "max_replica_units": 32,
    "latency_tail": 4.0,
}

#: What each parameter means (shown by ``docs/throughput.md``).
PARAM_DOCS: dict[str, str] = {
    "mfu": "model FLOPs utilisation: share of the chip's sustained GEMM rate (measured, or estimated from "
           "its peak and power) that whole serving steps achieve, prefill and decode",
    "mbu": "memory-bandwidth utilisation: share of the peak HBM bandwidth achieved while decoding",
    "tflops_per_watt_8bit": "dense TFLOPS one watt of TDP sustains on 8-bit operands (x2 for fp4, /2 for "
                            "bf16; the width is that of the format the chip computes in): the power cap on "
                            "compute of chips without a measured GEMM figure",
    "gemm_share": "share of its dense peak a chip without a measured GEMM figure (gemm_tflops) sustains on "
                  "dense GEMMs, before the power cap",
    "max_batch": "most sequences one replica decodes together (scheduler limit)",
    "hbm_usable": "share of HBM usable for weights and KV cache (vLLM's default gpu_memory_utilization)",
    "scale_up_efficiency": "share of its rate a replica of several accelerators inside one purchasable unit "
                           "keeps (tensor/expert-parallel communication over the scale-up links)",
    "scale_out_efficiency": "further share kept when a replica spans several purchasable units (expert/"
                            "pipeline parallel over the scale-out network); estimate, not calibrated",
    "max_replica_units": "most purchasable units one replica may span",
    "latency_tail": "ratio of the percentile a latency target is stated at (MLPerf: p99) to the modelled "
                    "mean step and TTFT",
}

#: (lowest, highest) accepted value of each parameter.
PARAM_BOUNDS: dict[str, tuple[float, float]] = {
    "mfu": (1e-6, 1.0),
    "mbu": (1e-6, 1.0),
    "tflops_per_watt_8bit": (1e-6, 1e6),
    "gemm_share": (1e-6, 1.0),
    "max_batch": (1, 1e9),
    "hbm_usable": (1e-6, 1.0),
    "scale_up_efficiency": (1e-6, 1.0),
    "scale_out_efficiency": (1e-6, 1.0),
    "max_replica_units": (1, 1e6),
    "latency_tail": (1.0, 100.0),
}

#: Parameters that must be whole numbers.
WHOLE = ("max_batch", "max_replica_units")

WORKLOAD_FIELDS = ["active_params_b", "total_params_b", "kv_bytes_per_token", "context_tokens",
                   "output_fraction", "precision"]


@dataclass(frozen=True)
class Estimate:
    """The roofline of one (chip, workload): the rate and how it was reached."""

    tokens_per_s: float
    """Tokens/s per accelerator, prompt and generated tokens together (0: cannot serve)."""
    replica_size: int = 0
    """Accelerators per model replica (n)."""
    units: int = 0
    """Purchasable units one replica spans."""
    batch: int = 0
    """Sequences decoding together in one replica (B)."""
    compute_precision: str | None = None
    """Precision whose peak was used (the workload's, or the fallback)."""
    flops_per_s: float = 0.0
    """Achieved FLOP/s per accelerator (F)."""
    efficiency: float = 1.0
    """Communication share kept by the replica (eta)."""
    prefill_tokens_per_s: float = 0.0
    """Prompt tokens/s per accelerator when only prefilling (eta F / 2 P_a)."""
    decode_tokens_per_s: float = 0.0
    """Generated tokens/s per accelerator when only decoding at batch B."""
    decode_bound: str | None = None
    """``"memory"`` (weight and KV reads take longer than the FLOPs per generated token) or ``"compute"``."""
    batch_bound: str | None = None
    """What set B: ``"max_batch"``, ``"hbm"``, ``"tpot"`` or ``"ttft"``."""
    step_s: float = 0.0
    """Mean time per output token (one decode step), s."""
    ttft_s: float = 0.0
    """Mean time to first token, s."""
    power_capped: bool = False
    compute_basis: str | None = None
    """Where the sustained compute rate came from: ``"measured"`` (the chip's ``gemm_tflops`` at the
    precision computed in), ``"measured at <q>"`` (its measured share of peak at q), ``"power-capped"`` or
    ``"share of peak"`` (the estimate)."""
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
    for key in WHOLE:
        if out[key] != int(out[key]):
            raise ValueError(f"throughput parameter {key!r} must be a whole number, got {out[key]!r}")
    return out


def bytes_per_value(precision: str) -> float:
    if precision not in BYTES_PER_VALUE:
        raise ValueError(f"unknown precision {precision!r} (known: {', '.join(BYTES_PER_VALUE)})")
    return BYTES_PER_VALUE[precision]


def prompt_tokens(context_tokens: float, output_fraction: float) -> float:
    """Mean prompt tokens I of a request whose sequences hold ``context_tokens`` on average while decoding
    (I + half the output) and whose share of generated tokens is ``output_fraction`` (O / (I + O))."""
    f = output_fraction
    return context_tokens * 2 * (1 - f) / (2 - f)


def measured_share(chip: Chip, precision: str) -> tuple[float, str] | None:
    """The measured sustained GEMM rate of ``chip`` at ``precision`` as a share of its peak there, and the
    precision it was measured at: ``gemm_tflops`` at ``precision`` itself if the chip has it, else the
    measured precision (with a peak) nearest in width (the narrower on ties); None if it has none."""
    measured = [q for q in chip.gemm_tflops if q in chip.tflops]
    if precision in measured:
        return chip.gemm_tflops[precision] / chip.tflops[precision], precision
    if not measured:
        return None
    width = BYTES_PER_VALUE[precision]
    q = min(measured, key=lambda q: (abs(math.log(BYTES_PER_VALUE[q] / width)), BYTES_PER_VALUE[q]))
    return chip.gemm_tflops[q] / chip.tflops[q], q


def sustained_tflops(chip: Chip, peak: tuple[float, str], tflops_per_watt_8bit: Any,
                     gemm_share: Any) -> tuple[Any, str]:
    """The sustained dense TFLOP/s of ``chip`` computing at the precision of ``peak`` (its value, precision)
    and the basis of that figure: ``"measured"`` (its ``gemm_tflops`` there), ``"measured at <q>"`` (the
    share of peak measured at q), ``"power-capped"`` or ``"share of peak"`` (the estimate; the parameters
    may be numpy arrays, and the basis then says ``"power-capped"`` if the chip has a TDP)."""
    tflops, precision = peak
    if precision in chip.gemm_tflops:
        return chip.gemm_tflops[precision], "measured"
    share = measured_share(chip, precision)
    if share is not None:
        return tflops * share[0], f"measured at {share[1]}"
    estimate = tflops * gemm_share
    if chip.tdp_w is None:
        return estimate, "share of peak"
    cap = chip.tdp_w * tflops_per_watt_8bit / bytes_per_value(precision)
    if isinstance(cap, int | float) and isinstance(estimate, int | float):
        return (cap, "power-capped") if cap < estimate else (estimate, "share of peak")
    import numpy as np

    return np.minimum(estimate, cap), "power-capped"


def _serving_inputs(chip: Any, workload: Any, p: Any, b: Any, flops: Any) -> tuple[Any, ...]:
    """The quantities of the model that the scalar rate and the calibration grid share (floats, or numpy
    arrays over the grid's parameters): bandwidth, weight and KV bytes, usable HBM, output share, prefix-cache
    hit, latency targets, latency tail, seconds of compute per token, generated share, prompt tokens, unit."""
    f = workload.output_fraction
    h = getattr(workload, "prefix_cache_hit", None) or 0.0
    return (chip.mem_bw_tbs * 1e12 * p["mbu"], workload.total_params_b * 1e9 * b,
            workload.kv_bytes_per_token * workload.context_tokens, chip.hbm_gb * 1e9 * p["hbm_usable"], f, h,
            getattr(workload, "tpot_ms", None), getattr(workload, "ttft_ms", None), p["latency_tail"],
            2 * workload.active_params_b * 1e9 / flops, f + (1 - f) * (1 - h),
            prompt_tokens(workload.context_tokens, f) * (1 - h), chip.unit_size)


def replica_sizes(n_min: int, unit: int, max_units: int) -> list[int]:
    """Replica sizes tried: n_min, the powers of two up to a unit, the unit, and whole multiples of the
    unit up to ``max_units`` units; those below n_min are left out."""
    sizes = {n_min, unit}
    power = 1
    while power <= unit:
        sizes.add(power)
        power *= 2
    sizes.update(k * unit for k in range(2, max_units + 1))
    return sorted(n for n in sizes if n_min <= n <= unit * max_units and (n <= unit or n % unit == 0))


def estimate(chip: Chip, workload: Any, params: dict[str, Any] | None = None) -> Estimate:
    """The roofline estimate for one accelerator of ``chip`` on ``workload`` (see the module docstring)."""
    return estimate_checked(chip, workload, check_params(params or {}))


def estimate_checked(chip: Chip, workload: Any, p: dict[str, float]) -> Estimate:
    """:func:`estimate` with parameters already checked by :func:`check_params` (the calibration's loop)."""
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
    tflops, basis = sustained_tflops(chip, peak, p["tflops_per_watt_8bit"], p["gemm_share"])
    flops = tflops * 1e12 * p["mfu"]
    (bandwidth, weights, seq, usable, f, h, tpot, ttft, tail, t_c, g, prompt,
     unit) = _serving_inputs(chip, workload, p, b, flops)
    max_units = int(p["max_replica_units"])
    common = dict(compute_precision=peak[1], flops_per_s=flops, power_capped=basis == "power-capped",
                  compute_basis=basis)

    n_min = math.ceil((weights + seq) / usable)
    if n_min > unit * max_units:
        return Estimate(0.0, **common, reason=f"the weights and one sequence need {n_min} accelerators, more "
                                              f"than {max_units} units of {unit}")
    best: tuple[float, int, float, int, str] | None = None   # (rate, n, eta, batch, bound)
    why = "no replica size meets the latency targets"
    per_seq = (g / f) * t_c + seq / bandwidth if f > 0 else 0.0
    for n in replica_sizes(n_min, unit, max_units):
        eta = 1.0 if n == 1 else p["scale_up_efficiency"] * (p["scale_out_efficiency"] if n > unit else 1.0)
        if f > 0 and best is not None and eta / (g * t_c + f * seq / bandwidth) <= best[0]:
            if n > unit:
                break   # no larger replica (same eta) can beat it, even with an unbounded batch
            continue
        prefill_s = prompt * t_c / (n * eta)
        if ttft is not None and prefill_s * tail >= ttft / 1e3:
            why = (f"the prefill of a {prompt:,.0f}-token prompt takes {prefill_s * 1e3:,.0f} ms x "
                   f"{tail:g} (latency_tail) on {n} accelerators, not within ttft_ms = {ttft:g}")
            continue
        if f == 0:
            rate, bound, batch = eta / ((1 - h) * t_c), "", 0
        else:
            bound, batch = "max_batch", int(p["max_batch"])
            if seq > 0 and math.floor((n * usable - weights) / seq) < batch:
                bound, batch = "hbm", math.floor((n * usable - weights) / seq)
            for name, target in (("tpot", tpot), ("ttft", ttft)):
                if target is None:
                    continue
                limit = (target / 1e3 - (prefill_s if name == "ttft" else 0.0)) / tail
                b_lat = math.floor((n * eta * limit - weights / bandwidth) / per_seq)
                if b_lat < batch:
                    bound, batch = name, b_lat
            if batch < 1:
                why = (f"on {n} accelerators not one sequence fits"
                       + (" in HBM" if bound == "hbm" else f" the {bound}_ms target"))
                continue
            rate = eta / (g * t_c + f * (weights / batch + seq) / bandwidth)
        if best is None or rate > best[0] * (1 + 1e-12):
            best = (rate, n, eta, batch, bound)
    if best is None:
        return Estimate(0.0, **common, reason=why)
    rate, n, eta, batch, bound = best
    prefill_s = prompt * t_c / (n * eta)
    if f == 0:
        return Estimate(rate, replica_size=n, units=math.ceil(n / unit), **common, efficiency=eta,
                        prefill_tokens_per_s=eta / t_c, ttft_s=prefill_s)
    memory = (weights / batch + seq) / bandwidth
    step = (batch * per_seq + weights / bandwidth) / (n * eta)
    return Estimate(rate, replica_size=n, units=math.ceil(n / unit), batch=batch, **common, efficiency=eta,
                    prefill_tokens_per_s=eta / t_c, decode_tokens_per_s=eta / (t_c + memory),
                    decode_bound="memory" if memory >= t_c else "compute", batch_bound=bound,
                    step_s=step, ttft_s=step + prefill_s)


def rates(chip: Chip, workload: Any, grid: dict[str, Any]) -> Any:
    """Tokens/s per accelerator of :func:`estimate` for many parameter sets at once (the calibration's grid):
    ``grid`` maps every parameter to a number or a numpy array (all arrays of one shape); the result has
    that shape. The same formulas as :func:`estimate_checked`, vectorised; ``tests/test_roofline.py``
    checks that both agree. ``max_replica_units`` must be a number."""
    import numpy as np

    b = bytes_per_value(workload.precision)
    peak = chip.effective_tflops(workload.precision)
    shape = np.broadcast(*(np.asarray(v) for v in grid.values())).shape
    zero = np.zeros(shape)
    if peak is None or not chip.hbm_gb or not chip.mem_bw_tbs:
        return zero
    p = {k: np.asarray(v, dtype=float) for k, v in grid.items()}
    tflops = sustained_tflops(chip, peak, p["tflops_per_watt_8bit"], p["gemm_share"])[0] + zero
    flops = tflops * 1e12 * p["mfu"]
    (bandwidth, weights, seq, usable, f, h, tpot, ttft, tail, t_c, g, prompt,
     unit) = _serving_inputs(chip, workload, p, b, flops)
    max_units = int(grid["max_replica_units"])
    # n_min depends on hbm_usable: the sizes tried are those of the smallest n_min, each masked by its own
    n_min = np.ceil((weights + seq) / usable)
    best = zero.copy()
    per_seq = (g / f) * t_c + seq / bandwidth if f > 0 else zero
    for n in replica_sizes(int(n_min.min()), unit, max_units):
        eta = np.ones(shape) if n == 1 else p["scale_up_efficiency"] * (p["scale_out_efficiency"] if n > unit
                                                                         else 1.0) + zero
        ok = n >= n_min
        prefill_s = prompt * t_c / (n * eta)
        if ttft is not None:
            ok = ok & ~(prefill_s * tail >= ttft / 1e3)
        if f == 0:
            rate = eta / ((1 - h) * t_c)
        else:
            batch = p["max_batch"] + zero
            if seq > 0:
                batch = np.minimum(batch, np.floor((n * usable - weights) / seq))
            for name, target in (("tpot", tpot), ("ttft", ttft)):
                if target is not None:
                    limit = (target / 1e3 - (prefill_s if name == "ttft" else 0.0)) / tail
                    batch = np.minimum(batch, np.floor((n * eta * limit - weights / bandwidth) / per_seq))
            ok = ok & (batch >= 1)
            safe = np.where(ok, batch, 1.0)
            rate = eta / (g * t_c + f * (weights / safe + seq) / bandwidth)
        best = np.where(ok & (rate > best), rate, best)
    return best


def tokens_per_s(chip: Chip, workload: Any, params: dict[str, Any] | None = None) -> float:
    """Tokens/s per accelerator (prompt and generated tokens together); 0 if the chip cannot serve it."""
    return estimate(chip, workload, params).tokens_per_s


@hookimpl
def tokenplan_throughput_models() -> list[ThroughputModel]:
    return [ThroughputModel(
        name=NAME,
        description="Continuous batching: FLOPs, weight and KV reads per step; batch limited by HBM and "
                    "latency targets; replicas across units; measured GEMM rates (else a power-capped "
                    "share of peak); MFU/MBU and communication shares calibrated on MLPerf v4.1",
        workload_fields=list(WORKLOAD_FIELDS),
        params=dict(DEFAULTS),
        param_bounds=dict(PARAM_BOUNDS),
    )]


@hookimpl
def tokenplan_throughput(chip: Chip, workload: Any, params: dict[str, Any]) -> float | None:
    if params.get("model") != NAME:
        return None
    return tokens_per_s(chip, workload, {k: v for k, v in params.items() if k != "model"})
