"""The ``roofline`` throughput model: its formulas on made-up chips, its wiring, and its MLPerf calibration.

The unit tests build chips and workloads inline and pass every parameter explicitly, so they check the
formulas and not the calibrated defaults. The calibration tests run the model on the installed catalog.
"""

from __future__ import annotations

import math
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

import tokenplan
from tokenplan.catalog import Catalog
from tokenplan.errors import InputError
from tokenplan.plugins.throughput import mlperf, roofline
from tokenplan.records import Chip
from tokenplan.schema import Workload

DOC = Path(__file__).resolve().parents[1] / "docs" / "throughput.md"

#: Explicit parameters: no power cap (huge TFLOPS/W) and gemm_share 1, so the peak is the only compute limit
#: of a chip without a measured GEMM rate.
PARAMS = {"mfu": 0.5, "mbu": 0.8, "tflops_per_watt_8bit": 1e6, "gemm_share": 1.0, "max_batch": 64, "hbm_usable": 0.9,
          "scale_up_efficiency": 0.9, "scale_out_efficiency": 0.8, "max_replica_units": 4, "latency_tail": 1.0}
F = 1000e12 * 0.5            # achieved FLOP/s of chip()
BW = 3.0e12 * 0.8            # achieved bytes/s of chip()
U = 80e9 * 0.9               # usable HBM bytes of chip()


def chip(**changes: Any) -> Chip:
    fields: dict[str, Any] = dict(id="test.x", vendor="T", origin="US", year_available=2024,
                                  tflops={"fp8": 1000}, hbm_gb=80, hbm_stacks=5, mem_bw_tbs=3.0, tdp_w=700,
                                  unit_size=8, price_per_accel=1, cooling=["air"])
    fields.update(changes)
    return Chip(**fields)


def workload(**changes: Any) -> Workload:
    fields: dict[str, Any] = dict(id="w", tokens_per_day=1.0, precision="fp8", active_params_b=10,
                                  total_params_b=10, kv_bytes_per_token=1e5, context_tokens=1000,
                                  output_fraction=0.25)
    fields.update(changes)
    return Workload(**fields)


def rate(c: Chip, w: Workload, **params: Any) -> float:
    return roofline.tokens_per_s(c, w, {**PARAMS, **params})


def formula(*, eta: float = 1.0, batch: int, f: float = 0.25, h: float = 0.0, p_a: float = 10e9,
            w_bytes: float = 10e9, seq: float = 1e8, flops: float = F, bw: float = BW) -> float:
    """R = eta / (g t_c + f (W / B + S) / BW), g = f + (1 - f)(1 - h), t_c = 2 P_a / F (module docstring)."""
    t_c = 2 * p_a / flops
    g = f + (1 - f) * (1 - h)
    return eta / (g * t_c + f * (w_bytes / batch + seq) / bw)


def step(*, n: int = 1, eta: float = 1.0, batch: int, f: float = 0.25, h: float = 0.0) -> float:
    """Mean time per output token of a replica: (B (g/f) t_c + W / BW + B S / BW) / (n eta)."""
    g = f + (1 - f) * (1 - h)
    return (batch * (g / f) * 2e10 / F + 10e9 / BW + batch * 1e8 / BW) / (n * eta)


# -- formulas --------------------------------------------------------------------------------------------
def test_rate_matches_a_hand_computation() -> None:
    # W = 10e9 B, S = 1e5 x 1000 = 1e8 B, U = 72e9 B: one accelerator holds 620 sequences, max_batch 64.
    # t_c = 2e10 / 5e14 = 4e-5 s; per token: 4e-5 + 0.25 x (10e9 / 64 + 1e8) / 2.4e12 = 6.669e-5 s.
    est = roofline.estimate(chip(), workload(), PARAMS)
    assert (est.replica_size, est.units, est.batch, est.batch_bound) == (1, 1, 64, "max_batch")
    assert est.tokens_per_s == pytest.approx(1 / (4e-5 + 0.25 * (10e9 / 64 + 1e8) / 2.4e12))
    assert est.tokens_per_s == pytest.approx(formula(batch=64))
    assert est.tokens_per_s == pytest.approx(14_994.1, rel=1e-5)
    assert est.step_s == pytest.approx(step(batch=64))
    # larger replicas pay scale_up_efficiency for nothing (the batch is already full): n = 1 is chosen
    assert est.efficiency == 1.0


def test_pure_prefill_and_pure_decode() -> None:
    c = chip()
    assert rate(c, workload(output_fraction=0.0)) == pytest.approx(F / 2e10)      # 25,000
    assert rate(c, workload(output_fraction=1.0)) == pytest.approx(1 / (4e-5 + (10e9 / 64 + 1e8) / BW))


def test_decode_time_grows_with_context_and_kv_bytes() -> None:
    c = chip()
    by_context = [rate(c, workload(output_fraction=1.0, context_tokens=n)) for n in (250, 500, 1000, 2000, 8000)]
    assert all(a > b for a, b in pairwise(by_context))
    by_kv = [rate(c, workload(output_fraction=1.0, kv_bytes_per_token=k)) for k in (2.5e4, 5e4, 1e5, 4e5)]
    assert all(a > b for a, b in pairwise(by_kv))


def test_kv_cache_limits_the_batch() -> None:
    # One accelerator per unit and replica: 72 GB usable - 10 GB weights = 62 GB for KV; 1 GB per sequence.
    w = workload(context_tokens=10_000, output_fraction=1.0)
    est = roofline.estimate(chip(unit_size=1), w, {**PARAMS, "max_replica_units": 1})
    assert (est.replica_size, est.batch, est.batch_bound) == (1, 62, "hbm")
    assert est.tokens_per_s == pytest.approx(formula(batch=62, f=1.0, seq=1e9))


def test_bandwidth_always_counts() -> None:
    # The weight and KV reads are added to the FLOPs: more bandwidth is faster even where FLOPs dominate
    # (the cap does not hide memory), and the gain is exactly the formula's.
    w = workload(output_fraction=0.5)
    slow, fast = rate(chip(mem_bw_tbs=2.0), w), rate(chip(mem_bw_tbs=4.0), w)
    assert fast > slow
    assert slow == pytest.approx(formula(batch=64, f=0.5, bw=2.0e12 * 0.8))
    assert fast == pytest.approx(formula(batch=64, f=0.5, bw=4.0e12 * 0.8))


def test_compute_bound_prefill_scales_with_tflops() -> None:
    w = workload(output_fraction=0.0)
    one, two = rate(chip(tflops={"fp8": 1000}), w), rate(chip(tflops={"fp8": 2000}), w)
    assert two / one == pytest.approx(2.0)
    assert one == pytest.approx(1000e12 * 0.5 / (2 * 10e9))
    assert rate(chip(mem_bw_tbs=6.0), w) == pytest.approx(one)     # prefill reads nothing per token


def test_model_too_large_for_one_chip_spans_a_replica() -> None:
    # 100 GB of weights > 72 GB usable: the smallest replica is 2, paying scale_up_efficiency 0.9; larger
    # replicas inside the unit pay the same and add nothing (the batch is full at 64): n = 2.
    w = workload(total_params_b=100, active_params_b=100, output_fraction=1.0)
    est = roofline.estimate(chip(), w, PARAMS)
    assert (est.replica_size, est.units, est.batch, est.efficiency) == (2, 1, 64, 0.9)
    assert est.tokens_per_s == pytest.approx(formula(eta=0.9, batch=64, f=1.0, p_a=100e9, w_bytes=100e9))
    # A chip that is two of these fused serves the replica alone, without the communication share.
    double = chip(tflops={"fp8": 2000}, hbm_gb=160, mem_bw_tbs=6.0, tdp_w=1400)
    assert roofline.estimate(double, w, PARAMS).replica_size == 1
    assert rate(double, w) > est.tokens_per_s


def test_a_replica_spans_several_units_when_one_cannot_hold_the_model() -> None:
    # 1 TB of fp8 weights > 8 x 72 GB: no unit of 8 holds it; two units (16 accelerators, 1,152 GB) do,
    # at scale_up_efficiency x scale_out_efficiency = 0.72.
    w = workload(total_params_b=1000, active_params_b=50, output_fraction=0.5)
    assert math.ceil((1000e9 + 1e8) / U) == 14 > 8
    est = roofline.estimate(chip(), w, PARAMS)
    assert (est.replica_size, est.units, est.efficiency) == (16, 2, pytest.approx(0.72))
    assert est.batch == 64
    assert est.tokens_per_s == pytest.approx(formula(eta=0.72, batch=64, f=0.5, p_a=50e9, w_bytes=1000e9))
    # One unit per replica at most: it cannot be served.
    single = roofline.estimate(chip(), w, {**PARAMS, "max_replica_units": 1})
    assert single.tokens_per_s == 0.0 and single.reason and "1 units of 8" in single.reason
    assert tokenplan.throughput(chip(), w, model="roofline", params={**PARAMS, "max_replica_units": 1}) == 0.0
    # The inter-unit share scales the rate exactly.
    assert rate(chip(), w, scale_out_efficiency=0.4) == pytest.approx(est.tokens_per_s * 0.5)


def test_an_h100_server_hosts_deepseek_v3_on_a_multi_node_replica() -> None:
    # DeepSeek-V3 (671 B fp8) does not fit one 8 x 80 GB HGX H100 server; with replicas across servers it
    # is served, on at least two of them; with one server per replica it is not.
    problem = tokenplan.load(Path(__file__).resolve().parents[1] / "problems" / "cn-2030.toml")
    w = problem.workloads[0]
    h100 = {c.id: c for c in Catalog().chips()}["nvidia.h100"]
    assert 671e9 > h100.unit_size * h100.hbm_gb * 1e9
    est = roofline.estimate(h100, w)
    assert est.tokens_per_s > 0 and est.units >= 2 and est.replica_size % h100.unit_size == 0
    assert est.efficiency == pytest.approx(roofline.DEFAULTS["scale_up_efficiency"]
                                           * roofline.DEFAULTS["scale_out_efficiency"])
    assert roofline.tokens_per_s(h100, w, {"max_replica_units": 1}) == 0.0


def test_replica_sizes() -> None:
    assert roofline.replica_sizes(1, 8, 3) == [1, 2, 4, 8, 16, 24]
    assert roofline.replica_sizes(3, 8, 2) == [3, 4, 8, 16]
    assert roofline.replica_sizes(10, 8, 4) == [16, 24, 32]
    assert roofline.replica_sizes(40, 8, 4) == []
    assert roofline.replica_sizes(1, 72, 1) == [1, 2, 4, 8, 16, 32, 64, 72]


def test_prefix_cache_raises_a_prefill_bound_rate_by_the_formula() -> None:
    # 95 % of the tokens are prompt (prefill-bound). A hit rate h removes h of the prompt FLOPs:
    # R(h) / R(0) = (t_c + f m) / ((f + (1 - f)(1 - h)) t_c + f m), m = (W / B + S) / BW.
    f, h = 0.05, 0.6
    base = rate(chip(), workload(output_fraction=f))
    cached = rate(chip(), workload(output_fraction=f, prefix_cache_hit=h))
    t_c, m = 2e10 / F, (10e9 / 64 + 1e8) / BW
    expected = (t_c + f * m) / ((f + (1 - f) * (1 - h)) * t_c + f * m)
    assert cached / base == pytest.approx(expected)
    assert expected > 2.0                     # close to 1 / (1 - h) = 2.5 on a prefill-bound workload
    assert cached == pytest.approx(formula(batch=64, f=f, h=h))
    # pure prefill: exactly 1 / (1 - h)
    assert (rate(chip(), workload(output_fraction=0.0, prefix_cache_hit=h))
            / rate(chip(), workload(output_fraction=0.0))) == pytest.approx(1 / (1 - h))


def test_a_tighter_tpot_lowers_the_batch_and_the_rate() -> None:
    # One accelerator, one unit: the mean step is (B (g/f) t_c + W / BW + B S / BW); at B = 64 it is 17.1 ms.
    c, p = chip(unit_size=1), {**PARAMS, "max_replica_units": 1}
    loose = roofline.estimate(c, workload(tpot_ms=20.0), p)
    assert step(batch=64) * 1e3 == pytest.approx(17.07, rel=1e-3)
    assert (loose.batch, loose.batch_bound) == (64, "max_batch")
    tight = roofline.estimate(c, workload(tpot_ms=10.0), p)
    per_seq = 4 * 2e10 / F + 1e8 / BW
    expected_batch = math.floor((0.010 - 10e9 / BW) / per_seq)
    assert expected_batch == 28
    assert (tight.batch, tight.batch_bound) == (expected_batch, "tpot")
    assert tight.step_s <= 0.010 and step(batch=expected_batch + 1) > 0.010
    assert tight.tokens_per_s == pytest.approx(formula(batch=expected_batch))
    assert tight.tokens_per_s < loose.tokens_per_s
    # latency_tail: a p99 target of 20 ms with p99 = 2 x mean is the mean target of 10 ms
    assert rate(c, workload(tpot_ms=20.0), **{**p, "latency_tail": 2.0}) == pytest.approx(tight.tokens_per_s)
    # a target no batch meets: the weights alone take 4.2 ms per step
    none = roofline.estimate(c, workload(tpot_ms=4.0), p)
    assert none.tokens_per_s == 0.0 and none.reason and "tpot_ms" in none.reason


def test_a_ttft_target_needs_a_replica_that_prefills_in_time() -> None:
    # Prompt I = 1000 x 2 (1 - f) / (2 - f) = 857 tokens; prefill on one accelerator = I t_c = 34.3 ms.
    prompt = roofline.prompt_tokens(1000, 0.25)
    assert prompt == pytest.approx(857.14, rel=1e-4)
    w = workload(ttft_ms=30.0)
    alone = roofline.estimate(chip(unit_size=1), w, {**PARAMS, "max_replica_units": 1})
    assert alone.tokens_per_s == 0.0 and alone.reason and "ttft_ms" in alone.reason
    # inside a unit of 8: n = 2 prefills in 34.3 / (2 x 0.9) = 19.0 ms, leaving 11 ms for the running step,
    # which a full batch (9.5 ms) meets
    est = roofline.estimate(chip(), w, PARAMS)
    prefill2 = prompt * 2e10 / F / (2 * 0.9)
    assert step(n=2, eta=0.9, batch=64) + prefill2 <= 0.030
    assert (est.replica_size, est.batch) == (2, 64)
    assert est.ttft_s == pytest.approx(est.step_s + prefill2) and est.ttft_s <= 0.030
    assert est.tokens_per_s == pytest.approx(formula(eta=0.9, batch=64))
    assert est.tokens_per_s < rate(chip(), workload())      # interactive costs more than offline
    # at 25 ms, a replica of 2 (units of 2 here) keeps only the batch whose step fits in 25 - 19.0 ms
    pair = roofline.estimate(chip(unit_size=2), workload(ttft_ms=25.0), {**PARAMS, "max_replica_units": 1})
    per_seq = 4 * 2e10 / F + 1e8 / BW
    expected = math.floor((2 * 0.9 * (0.025 - prefill2) - 10e9 / BW) / per_seq)
    assert 1 <= expected < 64
    assert (pair.replica_size, pair.batch, pair.batch_bound) == (2, expected, "ttft")
    # ... while in a unit of 8 a replica of 4 prefills in 9.5 ms and keeps a full batch
    assert roofline.estimate(chip(), workload(ttft_ms=25.0), PARAMS).replica_size == 4


def test_bytes_per_parameter_follow_the_precision() -> None:
    # Weight-bound decode (no KV cache, tiny FLOPs): fp4 weights are read twice as fast as fp8.
    w = {p: workload(precision=p, output_fraction=1.0, kv_bytes_per_token=0, active_params_b=0.001)
         for p in ("fp4", "fp8", "bf16")}
    c = chip(tflops={"fp4": 1e5, "fp8": 1e5, "bf16": 1e5})
    t_c = 2e6 / (1e5 * 1e12 * 0.5)
    for p, b in (("fp4", 0.5), ("fp8", 1.0), ("bf16", 2.0)):
        assert rate(c, w[p]) == pytest.approx(1 / (t_c + 10e9 * b / 64 / BW))


def test_precision_fallback_and_missing_precision() -> None:
    w = workload(output_fraction=0.0)
    est = roofline.estimate(chip(tflops={"bf16": 400}), w, PARAMS)
    assert est.compute_precision == "bf16"
    assert est.tokens_per_s == pytest.approx(400e12 * 0.5 / 2e10)
    # fp8 and int8 are the same width: an fp8 workload runs W8A8 on a chip with only an int8 peak
    int8 = roofline.estimate(chip(tflops={"int8": 800, "bf16": 400}), w, PARAMS)
    assert int8.compute_precision == "int8" and int8.tokens_per_s == pytest.approx(800e12 * 0.5 / 2e10)
    none = roofline.estimate(chip(tflops={"fp64": 50}), w, PARAMS)
    assert none.tokens_per_s == 0.0 and none.reason


def test_power_cap_scales_with_the_width_of_the_format_computed_in() -> None:
    # 700 W x 1 TFLOPS/W = 700 TFLOPS < 1000 peak at fp8; at fp4 the cap doubles to 1400 < 2000 peak.
    c = chip(tflops={"fp8": 1000, "fp4": 2000})
    capped = {**PARAMS, "tflops_per_watt_8bit": 1.0}
    fp8 = roofline.estimate(c, workload(output_fraction=0.0), capped)
    assert fp8.power_capped and fp8.tokens_per_s == pytest.approx(700e12 * 0.5 / 2e10)
    fp4 = roofline.estimate(c, workload(output_fraction=0.0, precision="fp4"), capped)
    assert fp4.compute_precision == "fp4"
    assert fp4.power_capped and fp4.tokens_per_s == pytest.approx(1400e12 * 0.5 / 2e10)
    # without an fp4 peak the chip computes in fp8: the cap is the fp8 one (fp4 weights, fp8 maths)
    no_fp4 = roofline.estimate(chip(tflops={"fp8": 1000}), workload(output_fraction=0.0, precision="fp4"), capped)
    assert no_fp4.compute_precision == "fp8" and no_fp4.tokens_per_s == pytest.approx(700e12 * 0.5 / 2e10)
    bf16 = roofline.estimate(chip(tflops={"bf16": 500}), workload(output_fraction=0.0, precision="bf16"), capped)
    assert bf16.power_capped and bf16.tokens_per_s == pytest.approx(350e12 * 0.5 / 2e10)
    # No TDP: no cap.
    assert not roofline.estimate(chip(tdp_w=None), workload(), capped).power_capped


def test_a_measured_gemm_rate_sets_the_compute() -> None:
    # prefill only (f = 0): R = F / (2 P_a). Measured 600 of a 1000 peak, mfu 0.5: F = 300e12, R = 15,000.
    w = workload(output_fraction=0.0)
    c = chip(tflops={"fp8": 1000}, gemm_tflops={"fp8": 600})
    est = roofline.estimate(c, w, PARAMS)
    assert est.compute_basis == "measured" and not est.power_capped
    assert est.flops_per_s == pytest.approx(300e12)
    assert est.tokens_per_s == pytest.approx(600e12 * 0.5 / 2e10) == pytest.approx(15_000)
    # the measurement replaces the power cap: 700 W x 0.5 TFLOPS/W = 350 would cap the peak, not the measured rate
    capped = {**PARAMS, "tflops_per_watt_8bit": 0.5}
    assert rate(c, w, **capped) == pytest.approx(15_000)
    assert rate(chip(), w, **capped) == pytest.approx(350e12 * 0.5 / 2e10)   # 8,750: no measurement, capped
    # without a measurement (and no binding cap): peak x gemm_share, 1000 x 0.6 x 0.5 / 2e10
    est = roofline.estimate(chip(), w, {**PARAMS, "gemm_share": 0.6})
    assert est.compute_basis == "share of peak" and est.tokens_per_s == pytest.approx(15_000)
    # gemm_share does not touch a measured chip
    assert rate(c, w, gemm_share=0.1) == pytest.approx(15_000)
    # a decode-heavy workload reads the same F through t_c (formula of the module docstring)
    assert rate(c, workload()) == pytest.approx(formula(batch=64, flops=300e12))


def test_a_measured_share_of_peak_carries_over_to_another_precision() -> None:
    # measured at fp8 only: 600 / 1000 = 60 % of peak, applied to the fp4 peak (2000 -> 1200) and to the
    # bf16 peak (500 -> 300); prefill only, mfu 0.5, P_a = 10e9
    c = chip(tflops={"fp4": 2000, "fp8": 1000, "bf16": 500}, gemm_tflops={"fp8": 600})
    fp4 = roofline.estimate(c, workload(output_fraction=0.0, precision="fp4"), PARAMS)
    assert (fp4.compute_precision, fp4.compute_basis) == ("fp4", "measured at fp8")
    assert fp4.tokens_per_s == pytest.approx(1200e12 * 0.5 / 2e10) == pytest.approx(30_000)
    bf16 = roofline.estimate(c, workload(output_fraction=0.0, precision="bf16"), PARAMS)
    assert bf16.tokens_per_s == pytest.approx(300e12 * 0.5 / 2e10)
    # the measured precision nearest in width is used; on a tie (fp4 and bf16 both a factor 2 from fp8)
    # the narrower: 50 % measured at fp4 (not 80 % at bf16) -> 500 TFLOPS at fp8
    tie = chip(tflops={"fp4": 2000, "fp8": 1000, "bf16": 500}, gemm_tflops={"fp4": 1000, "bf16": 400})
    est = roofline.estimate(tie, workload(output_fraction=0.0), PARAMS)
    assert est.compute_basis == "measured at fp4" and est.flops_per_s == pytest.approx(500e12 * 0.5)
    assert roofline.measured_share(tie, "fp8") == (0.5, "fp4")
    assert roofline.measured_share(tie, "fp16") == (0.8, "bf16")
    # a measurement at a precision the chip has no peak at cannot give a share: the estimate applies
    assert roofline.measured_share(chip(gemm_tflops={"bf16": 300}), "fp8") is None
    # the catalog GB200: 2,744 measured of 5,000 at FP8 carries over to its 10,000 FP4 peak
    gb = mlperf.catalog_chips()["nvidia.gb200-nvl72"]
    est = roofline.estimate(gb, mlperf.workload_for("fp4"))
    assert est.compute_basis == "measured at fp8"
    assert est.flops_per_s == pytest.approx(10_000 * 2744 / 5000 * 1e12 * roofline.DEFAULTS["mfu"])


def test_fp4_is_used_where_the_workload_asks_and_the_chip_has_it() -> None:
    # The catalog B200 has a 9 PF dense FP4 peak: an fp4 workload computes in fp4 and beats the same
    # workload at fp8 by more than the weight bytes alone would give.
    chips = {c.id: c for c in Catalog().chips()}
    b200, h200 = chips["nvidia.b200"], chips["nvidia.h200"]
    assert b200.tflops["fp4"] == 9000
    fp4 = roofline.estimate(b200, mlperf.workload_for("fp4"))
    fp8 = roofline.estimate(b200, mlperf.workload_for("fp8"))
    assert fp4.compute_precision == "fp4" and fp4.flops_per_s == pytest.approx(2 * fp8.flops_per_s)
    assert fp4.tokens_per_s > 1.5 * fp8.tokens_per_s
    # H200 has no fp4 peak: it computes an fp4 workload in fp8 (only the weight bytes shrink)
    h = roofline.estimate(h200, mlperf.workload_for("fp4"))
    assert h.compute_precision == "fp8"
    assert h.flops_per_s == pytest.approx(roofline.estimate(h200, mlperf.workload_for("fp8")).flops_per_s)


def test_h200_is_faster_than_h100_on_llama2_70b() -> None:
    # Same peak, TDP and measured GEMM rate; H200 holds the model and a full batch on one GPU and reads
    # HBM 1.43 x as fast, H100 needs a replica of several: the same compute does not make them equal.
    chips = {c.id: c for c in Catalog().chips()}
    h100, h200 = chips["nvidia.h100"], chips["nvidia.h200"]
    assert h100.tflops == h200.tflops and h100.tdp_w == h200.tdp_w and h100.gemm_tflops == h200.gemm_tflops
    w = mlperf.workload_for("fp8")
    e100, e200 = roofline.estimate(h100, w), roofline.estimate(h200, w)
    assert e100.compute_basis == e200.compute_basis == "measured"
    assert e100.flops_per_s == e200.flops_per_s
    assert e100.replica_size > 1 and e200.replica_size == 1
    assert e200.tokens_per_s > 1.1 * e100.tokens_per_s
    # ... and with the same replica size and batch, bandwidth alone still separates them
    p = {"scale_up_efficiency": 1.0, "max_batch": 64}
    assert roofline.tokens_per_s(h200, w, p) > roofline.tokens_per_s(h100, w, p)


def test_chip_without_memory_figures_cannot_be_evaluated() -> None:
    assert rate(chip(mem_bw_tbs=None), workload()) == 0.0
    assert rate(chip(hbm_gb=None), workload()) == 0.0


def test_vectorised_rates_match_the_scalar_model() -> None:
    import numpy as np

    cases = [(chip(), workload()), (chip(), workload(output_fraction=0.0, prefix_cache_hit=0.3)),
             (chip(), workload(total_params_b=1000, active_params_b=50, tpot_ms=80.0)),
             (chip(unit_size=1), workload(ttft_ms=40.0, tpot_ms=12.0)),
             (chip(tflops={"fp8": 1000, "fp4": 2000}), workload(precision="fp4", prefix_cache_hit=0.5)),
             (chip(tflops={"fp8": 1000, "fp4": 2000}, gemm_tflops={"fp8": 600}), workload(precision="fp4")),
             (chip(gemm_tflops={"fp8": 600}), workload(tpot_ms=30.0)), (chip(tdp_w=None), workload()),
             *((c, mlperf.workload_for(p, scenario=s)) for c in mlperf.catalog_chips().values()
               for p in ("fp8", "fp4") for s in ("Offline", "Server") if c.id.startswith(("nvidia.", "amd.")))]
    rng = np.random.default_rng(0)
    grid = {"mfu": rng.uniform(0.3, 1, 40), "mbu": rng.uniform(0.5, 1, 40),
            "tflops_per_watt_8bit": rng.uniform(1, 3, 40), "gemm_share": rng.uniform(0.3, 1, 40),
            "max_batch": rng.choice([16, 64, 256, 1024], 40),
            "hbm_usable": rng.uniform(0.8, 0.95, 40), "scale_up_efficiency": rng.uniform(0.6, 1, 40),
            "scale_out_efficiency": rng.uniform(0.5, 1, 40), "max_replica_units": 4,
            "latency_tail": rng.uniform(1, 4, 40)}
    for c, w in cases:
        vector = roofline.rates(c, w, grid)
        for i in range(40):
            p = roofline.check_params({k: (float(v[i]) if isinstance(v, np.ndarray) else v) for k, v in grid.items()})
            assert vector[i] == pytest.approx(roofline.estimate_checked(c, w, p).tokens_per_s, rel=1e-9), (c.id, w)


def test_parameters_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown roofline parameter"):
        roofline.tokens_per_s(chip(), workload(), {"mfu": 0.5, "bogus": 1})
    with pytest.raises(ValueError, match="outside"):
        roofline.tokens_per_s(chip(), workload(), {"mfu": 1.5})
    with pytest.raises(ValueError, match="outside"):
        roofline.tokens_per_s(chip(), workload(), {"latency_tail": 0.5})
    with pytest.raises(ValueError, match="whole number"):
        roofline.tokens_per_s(chip(), workload(), {"max_batch": 10.5})
    with pytest.raises(ValueError, match="whole number"):
        roofline.tokens_per_s(chip(), workload(), {"max_replica_units": 1.5})
    with pytest.raises(ValueError, match="needs"):
        roofline.tokens_per_s(chip(), workload(context_tokens=None), {})
    # through the public API and problem files, a bad value is an input error naming the parameter
    with pytest.raises(InputError, match=r"params.mbu = 0: must be a number in \[1e-06, 1\]"):
        tokenplan.throughput(chip(), workload(), params={"mbu": 0})
    problem = tokenplan.load(Path(__file__).resolve().parents[1] / "problems" / "quickstart.toml", ["throughput.mfu=2"])
    with pytest.raises(InputError, match=r"throughput.mfu = 2: must be a number in \[1e-06, 1\]"):
        tokenplan.solve(problem)


@pytest.mark.parametrize(("key", "value", "message"), [
    ("prefix_cache_hit", 1.0, "less than 1"), ("prefix_cache_hit", -0.1, "greater than or equal to 0"),
    ("tpot_ms", 0.0, "greater than 0"), ("ttft_ms", -5.0, "greater than 0"), ("tpot_ms", "fast", "number"),
])
def test_serving_keys_are_range_checked(key: str, value: Any, message: str) -> None:
    path = Path(__file__).resolve().parents[1] / "problems" / "quickstart.toml"
    with pytest.raises(InputError, match=rf"workloads\[chat\]\.{key} = .*{message}"):
        tokenplan.load(path, [f"workloads.chat.{key}={value!r}" if isinstance(value, str)
                              else f"workloads.chat.{key}={value}"])
    with pytest.raises(Exception, match="Extra inputs"):
        workload(tpot=1.0)


# -- wiring ----------------------------------------------------------------------------------------------
def test_registered_with_its_defaults() -> None:
    models = Catalog().throughput_models()
    model = models["roofline"]
    assert model.params == roofline.DEFAULTS
    assert set(model.workload_fields) == {"active_params_b", "total_params_b", "kv_bytes_per_token",
                                          "context_tokens", "output_fraction", "precision"}
    assert "flops" in models


def test_python_api_uses_the_plugin_and_its_defaults() -> None:
    c, w = chip(), workload()
    assert tokenplan.throughput(c, w) == pytest.approx(roofline.tokens_per_s(c, w, roofline.DEFAULTS))
    assert tokenplan.throughput(c, w, params=PARAMS) == pytest.approx(rate(c, w))
    assert roofline.tokenplan_throughput(chip=c, workload=w, params={"model": "flops"}) is None


def test_python_api_with_a_catalog_chip() -> None:
    w = mlperf.workload_for("fp8")
    assert tokenplan.throughput("nvidia.h200", w) > 0


# -- MLPerf calibration ----------------------------------------------------------------------------------
def test_mlperf_workload() -> None:
    w = mlperf.workload_for("fp8")
    assert w.kv_bytes_per_token == 2 * 80 * 8 * 128 * 1 == 163_840
    assert w.output_fraction == pytest.approx(294.45 / (mlperf.MEAN_INPUT_TOKENS + 294.45))
    assert w.context_tokens == round(mlperf.MEAN_INPUT_TOKENS + 294.45 / 2)
    assert (w.active_params_b, w.total_params_b) == (70, 70)
    assert mlperf.workload_for("fp4").precision == "fp4"
    # the prompt the model derives from context_tokens and output_fraction is the benchmark's mean prompt
    assert roofline.prompt_tokens(w.context_tokens, w.output_fraction) == pytest.approx(mlperf.MEAN_INPUT_TOKENS,
                                                                                       abs=1.0)
    # Offline has no latency target; Server carries MLPerf v4.1's p99 limits for Llama-2-70B
    assert (w.tpot_ms, w.ttft_ms) == (None, None)
    server = mlperf.workload_for("fp8", scenario="Server")
    assert (server.tpot_ms, server.ttft_ms) == (200.0, 2000.0)


def test_mlperf_rows_match_the_reference() -> None:
    per_accel = {(r.chip, r.scenario): round(r.measured) for r in mlperf.ROWS}
    assert per_accel == {
        ("nvidia.h100", "Offline"): 3066, ("nvidia.h200", "Offline"): 3913, ("nvidia.h200", "Server"): 3654,
        ("nvidia.b200", "Offline"): 11264, ("nvidia.b200", "Server"): 10756,
        ("amd.mi300x", "Offline"): 2939, ("amd.mi300x", "Server"): 2629,
    }
    assert {r.precision for r in mlperf.ROWS if r.chip == "nvidia.b200"} == {"fp4"}
    assert {r.precision for r in mlperf.ROWS if r.chip != "nvidia.b200"} == {"fp8"}


def test_modelled_mlperf_rows_count_output_tokens() -> None:
    for result in mlperf.evaluate():
        f = mlperf.workload_for(result.row.precision).output_fraction
        assert result.modelled == pytest.approx(result.estimate.tokens_per_s * f)


def test_calibration_error_of_every_row_is_within_20_percent_and_the_mean_within_10() -> None:
    # issue 13 item 6: one global parameter set, every row within 20 %, the mean |error| within 10 %
    results = mlperf.evaluate(roofline.DEFAULTS)
    assert len(results) == len(mlperf.ROWS) == 7
    for result in results:
        error = result.modelled / result.row.measured - 1
        assert abs(error) <= 0.20, (result.row.label, result.modelled, result.row.measured)
    mean = sum(abs(r.modelled / r.row.measured - 1) for r in results) / len(results)
    assert mean <= mlperf.MEAN_BOUND == 0.10
    assert f"mean |error|: {mean:.1%} (bound 10%: met)" in DOC.read_text(encoding="utf-8")
    # the H100, H200 and MI300X rows compute at their measured GEMM rates; B200 (none measured) at the
    # power-capped estimate
    assert {r.row.chip: r.estimate.compute_basis for r in results} == {
        "nvidia.h100": "measured", "nvidia.h200": "measured", "amd.mi300x": "measured",
        "nvidia.b200": "power-capped"}


def test_gemm_share_is_the_median_measured_share_of_the_catalog() -> None:
    import statistics

    shares = [c.gemm_tflops["fp8"] / c.tflops["fp8"] for c in mlperf.catalog_chips().values()
              if "fp8" in c.gemm_tflops]
    assert len(shares) == 4
    assert roofline.DEFAULTS["gemm_share"] == round(statistics.median(shares), 2) == 0.6


def test_server_rows_get_their_own_figure_through_the_latency_targets() -> None:
    by = {(r.row.chip, r.row.scenario): r for r in mlperf.evaluate(roofline.DEFAULTS)}
    for chip_id in ("nvidia.h200", "amd.mi300x", "nvidia.b200"):
        offline, server = by[chip_id, "Offline"], by[chip_id, "Server"]
        assert server.modelled < offline.modelled, chip_id
        assert server.estimate.step_s * roofline.DEFAULTS["latency_tail"] <= 0.200 + 1e-12
        assert offline.estimate.step_s * roofline.DEFAULTS["latency_tail"] > 0.200   # Offline would miss it
    # B200 (FP4) keeps one accelerator per replica: the 200 ms target bounds its batch (a larger replica
    # would pay scale_up_efficiency); H200 and MI300X spread the Server batch over a larger replica instead
    b200 = by["nvidia.b200", "Server"]
    assert b200.estimate.replica_size == 1 and b200.estimate.batch_bound == "tpot"


@pytest.fixture(scope="module")
def calibration() -> mlperf.Calibration:
    return mlperf.calibrate()


@pytest.mark.slow
def test_defaults_are_the_calibration_result(calibration: mlperf.Calibration) -> None:
    assert calibration.params == roofline.DEFAULTS
    assert calibration.max_error <= mlperf.ROW_BOUND
    assert calibration.within_bound >= 1
    errors = [abs(r.error) for r in mlperf.evaluate(calibration.params)]
    assert calibration.max_error == pytest.approx(max(errors))
    assert calibration.mean_error == pytest.approx(sum(errors) / len(errors))
    assert calibration.best_mean_error <= calibration.mean_error
    assert calibration.mean_error <= mlperf.MEAN_BOUND


@pytest.mark.slow
def test_docs_are_up_to_date(calibration: mlperf.Calibration) -> None:
    expected = mlperf.render(calibration=calibration)
    assert DOC.read_text(encoding="utf-8") == expected, (
        "docs/throughput.md is stale: run `python -m tokenplan.plugins.throughput.mlperf --write "
        "docs/throughput.md`")


def test_doc_prints_every_row_error() -> None:
    text = DOC.read_text(encoding="utf-8")
    for result in mlperf.evaluate(roofline.DEFAULTS):
        assert f"| {result.error:+.1%} |" in text


def test_a_measured_gemm_rate_changes_the_plan(problem) -> None:
    # Prefill only (output_fraction 0), 10 B active parameters at fp8: R = F / 2e10 with F = rate x mfu (0.5),
    # no power cap (huge TFLOPS/W), gemm_share 1. Demand 10,000 tokens/s.
    # t.a: peak 100 -> 2,500 tokens/s, 1 M. t.b: peak 150 -> 3,750 tokens/s, 1.2 M. Best: 2 t.b + 1 t.a (7,500 +
    # 2,500) = 3.4 M (3 t.b 3.6 M, 4 t.a 4 M, 1 t.b + 3 t.a 4.2 M). Measured, t.b sustains 90 -> 2,250 tokens/s
    # at 1.2 M, dearer per token than t.a, and no mix with it reaches 10,000 below 4 M: 4 t.a.
    from builders import by_chip, solve
    from builders import chip as test_chip

    problem["problem"]["throughput_model"] = "roofline"
    problem["throughput"] = {"mfu": 0.5, "gemm_share": 1.0, "tflops_per_watt_8bit": 1e6}
    problem["workloads"][0] = {"id": "w", "tokens_per_day": 86400 * 10_000.0, "precision": "fp8",
                               "active_params_b": 10, "total_params_b": 10, "kv_bytes_per_token": 0,
                               "context_tokens": 100, "output_fraction": 0.0}
    problem["chips"]["custom"] = [test_chip(mem_bw_tbs=2.0),
                                  test_chip(id="t.b", tflops={"fp8": 150.0}, price_per_accel=1.2e6, mem_bw_tbs=2.0)]
    r = solve(problem)
    assert by_chip(r) == {"t.a": 1, "t.b": 2} and r.objective == pytest.approx(3.4e6, rel=1e-9)
    problem["chips"]["custom"][1]["gemm_tflops"] = {"fp8": 90.0}
    problem["chips"]["custom"][1]["sources"] = {"gemm_tflops": "test"}
    r = solve(problem)
    assert by_chip(r) == {"t.a": 4} and r.objective == pytest.approx(4e6, rel=1e-9)
