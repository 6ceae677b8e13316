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

#: Explicit parameters: no power cap (huge TFLOPS/W), so the peak is the only compute limit.
PARAMS = {"mfu": 0.5, "mbu": 0.8, "tflops_per_watt_8bit": 1e6, "max_batch": 64, "hbm_usable": 0.9}


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


# -- formulas --------------------------------------------------------------------------------------------
def test_combination_by_output_fraction_matches_a_hand_computation() -> None:
    # W = 10e9 B, S = 1e5 x 1000 = 1e8 B, U = 72e9 B: n = 1, B = min(64, floor(62e9 / 1e8)) = 64.
    # F = 1000e12 x 0.5 = 5e14 FLOP/s -> prefill = 5e14 / 2e10 = 25,000 tok/s.
    # decode step = max((10e9 + 64 x 1e8) / (3e12 x 0.8), 2e10 x 64 / 5e14) = max(6.8333 ms, 2.56 ms)
    # -> decode = 64 / 6.8333e-3 = 9,365.85 tok/s; combined = 1 / (0.75 / 25,000 + 0.25 / 9,365.85).
    est = roofline.estimate(chip(), workload(), PARAMS)
    assert (est.replica_size, est.batch, est.decode_bound) == (1, 64, "memory")
    assert est.prefill_tokens_per_s == pytest.approx(25_000)
    assert est.decode_tokens_per_s == pytest.approx(64 / (16.4e9 / 2.4e12))
    assert est.decode_tokens_per_s == pytest.approx(9365.85, rel=1e-5)
    assert est.tokens_per_s == pytest.approx(1 / (0.75 / 25_000 + 0.25 / 9365.853658536585))
    assert est.tokens_per_s == pytest.approx(17_638.9, rel=1e-5)


def test_pure_prefill_and_pure_decode() -> None:
    c = chip()
    assert rate(c, workload(output_fraction=0.0)) == pytest.approx(25_000)
    assert rate(c, workload(output_fraction=1.0)) == pytest.approx(9365.853658536585)


def test_decode_time_grows_with_context_and_kv_bytes() -> None:
    c = chip()
    by_context = [rate(c, workload(output_fraction=1.0, context_tokens=n)) for n in (250, 500, 1000, 2000, 8000)]
    assert all(a > b for a, b in pairwise(by_context))
    by_kv = [rate(c, workload(output_fraction=1.0, kv_bytes_per_token=k)) for k in (2.5e4, 5e4, 1e5, 4e5)]
    assert all(a > b for a, b in pairwise(by_kv))
    # Memory-bound: time per step = (W + B x S) / BW, exactly.
    w = workload(output_fraction=1.0, context_tokens=2000)
    assert rate(c, w) == pytest.approx(64 / ((10e9 + 64 * 2e8) / 2.4e12))


def test_kv_cache_limits_the_batch() -> None:
    # One accelerator per unit: 72 GB usable - 10 GB weights = 62 GB for KV; 1 GB per sequence -> 62, not 64.
    w = workload(context_tokens=10_000, output_fraction=1.0)
    est = roofline.estimate(chip(unit_size=1), w, PARAMS)
    assert (est.replica_size, est.batch) == (1, 62)
    assert est.tokens_per_s == pytest.approx(62 / ((10e9 + 62 * 1e9) / 2.4e12))


def test_memory_bound_decode_scales_with_bandwidth() -> None:
    w = workload(output_fraction=1.0)
    slow, fast = rate(chip(mem_bw_tbs=2.0), w), rate(chip(mem_bw_tbs=4.0), w)
    assert roofline.estimate(chip(mem_bw_tbs=4.0), w, PARAMS).decode_bound == "memory"
    assert fast / slow == pytest.approx(2.0)
    # ... and not with TFLOPS while it stays memory-bound.
    assert rate(chip(tflops={"fp8": 2000}), w) == pytest.approx(rate(chip(), w))


def test_compute_bound_prefill_scales_with_tflops() -> None:
    w = workload(output_fraction=0.0)
    one, two = rate(chip(tflops={"fp8": 1000}), w), rate(chip(tflops={"fp8": 2000}), w)
    assert two / one == pytest.approx(2.0)
    assert one == pytest.approx(1000e12 * 0.5 / (2 * 10e9))
    # ... and not with bandwidth.
    assert rate(chip(mem_bw_tbs=6.0), w) == pytest.approx(one)


def test_compute_bound_decode_is_capped_by_compute() -> None:
    # Tiny KV and weights, big batch: 2 x P_a FLOP per generated token at F.
    c = chip(tflops={"fp8": 100})
    w = workload(output_fraction=1.0, total_params_b=1, active_params_b=1, kv_bytes_per_token=1.0)
    est = roofline.estimate(c, w, {**PARAMS, "max_batch": 4096})
    assert est.decode_bound == "compute"
    assert est.tokens_per_s == pytest.approx(100e12 * 0.5 / 2e9)


def test_model_too_large_for_one_chip_spans_a_replica() -> None:
    # 100 GB of weights > 72 GB usable: two accelerators hold the weights and the batch.
    w = workload(total_params_b=100, active_params_b=100, output_fraction=1.0)
    est = roofline.estimate(chip(), w, PARAMS)
    assert (est.replica_size, est.batch) == (2, 64)
    # Per accelerator: the replica's rate B / ((W + B S) / (2 BW)) divided by the 2 accelerators.
    replica = 64 / ((100e9 + 64 * 1e8) / (2 * 2.4e12))
    assert est.tokens_per_s == pytest.approx(replica / 2)
    # A chip that is two of these fused serves the same replica alone: twice the rate per accelerator.
    double = chip(tflops={"fp8": 2000}, hbm_gb=160, mem_bw_tbs=6.0, tdp_w=1400)
    assert rate(double, w) == pytest.approx(2 * est.tokens_per_s)
    assert roofline.estimate(double, w, PARAMS).replica_size == 1


def test_replica_grows_to_hold_a_full_batch() -> None:
    # One chip holds the weights but only a few sequences; the smallest replica with a full batch is used.
    w = workload(total_params_b=60, active_params_b=60, output_fraction=1.0, context_tokens=10_000)
    est = roofline.estimate(chip(), w, PARAMS)
    assert est.replica_size == math.ceil((60e9 + 64 * 1e9) / 72e9) == 2
    assert est.batch == 64


def test_model_too_large_for_a_unit_cannot_be_served() -> None:
    w = workload(total_params_b=1000, active_params_b=1000)  # 1 TB > 8 x 72 GB
    est = roofline.estimate(chip(), w, PARAMS)
    assert est.tokens_per_s == 0.0 and est.reason and "8" in est.reason
    assert rate(chip(unit_size=16), w) > 0  # 16 x 72 GB holds it
    assert tokenplan.throughput(chip(), w, model="roofline", params=PARAMS) == 0.0


def test_bytes_per_parameter_follow_the_precision() -> None:
    # Weight-bound decode (no KV cache): fp4 weights are read twice as fast as fp8, bf16 half as fast.
    w = {p: workload(precision=p, output_fraction=1.0, kv_bytes_per_token=0) for p in ("fp4", "fp8", "bf16")}
    c = chip(tflops={"fp4": 1e5, "fp8": 1e5, "bf16": 1e5})
    assert rate(c, w["fp4"]) / rate(c, w["fp8"]) == pytest.approx(2.0, rel=1e-6)
    assert rate(c, w["bf16"]) / rate(c, w["fp8"]) == pytest.approx(0.5, rel=1e-6)


def test_precision_fallback_and_missing_precision() -> None:
    w = workload(output_fraction=0.0)
    est = roofline.estimate(chip(tflops={"bf16": 400}), w, PARAMS)
    assert est.compute_precision == "bf16"
    assert est.tokens_per_s == pytest.approx(400e12 * 0.5 / 2e10)
    none = roofline.estimate(chip(tflops={"fp64": 50}), w, PARAMS)
    assert none.tokens_per_s == 0.0 and none.reason


def test_power_cap_scales_with_operand_width() -> None:
    # 700 W x 1 TFLOPS/W = 700 TFLOPS < 1000 peak at fp8; at fp4 the cap doubles to 1400 > 1000 peak.
    c = chip(tflops={"fp8": 1000, "fp4": 2000})
    capped = {"tflops_per_watt_8bit": 1.0}
    fp8 = roofline.estimate(c, workload(output_fraction=0.0), {**PARAMS, **capped})
    assert fp8.power_capped and fp8.tokens_per_s == pytest.approx(700e12 * 0.5 / 2e10)
    fp4 = roofline.estimate(c, workload(output_fraction=0.0, precision="fp4"), {**PARAMS, **capped})
    assert fp4.power_capped and fp4.tokens_per_s == pytest.approx(1400e12 * 0.5 / 2e10)
    bf16 = roofline.estimate(chip(tflops={"bf16": 500}), workload(output_fraction=0.0, precision="bf16"),
                             {**PARAMS, **capped})
    assert bf16.power_capped and bf16.tokens_per_s == pytest.approx(350e12 * 0.5 / 2e10)
    # No TDP: no cap.
    assert not roofline.estimate(chip(tdp_w=None), workload(), {**PARAMS, **capped}).power_capped


def test_chip_without_memory_figures_cannot_be_evaluated() -> None:
    assert rate(chip(mem_bw_tbs=None), workload()) == 0.0
    assert rate(chip(hbm_gb=None), workload()) == 0.0


def test_parameters_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown roofline parameter"):
        roofline.tokens_per_s(chip(), workload(), {"mfu": 0.5, "bogus": 1})
    with pytest.raises(ValueError, match="outside"):
        roofline.tokens_per_s(chip(), workload(), {"mfu": 1.5})
    with pytest.raises(ValueError, match="whole number"):
        roofline.tokens_per_s(chip(), workload(), {"max_batch": 10.5})
    with pytest.raises(ValueError, match="needs"):
        roofline.tokens_per_s(chip(), workload(context_tokens=None), {})
    # through the public API and problem files, a bad value is an input error naming the parameter
    with pytest.raises(InputError, match=r"params.mbu = 0: must be a number in \[1e-06, 1\]"):
        tokenplan.throughput(chip(), workload(), params={"mbu": 0})
    problem = tokenplan.load(Path(__file__).resolve().parents[1] / "problems" / "quickstart.toml", ["throughput.mfu=2"])
    with pytest.raises(InputError, match=r"throughput.mfu = 2: must be a number in \[1e-06, 1\]"):
        tokenplan.solve(problem)


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


def test_calibration_error_of_every_row_is_within_25_percent() -> None:
    results = mlperf.evaluate(roofline.DEFAULTS)
    assert len(results) == len(mlperf.ROWS) == 7
    for result in results:
        assert abs(result.error) <= 0.25, (result.row.label, result.modelled, result.row.measured)


@pytest.fixture(scope="module")
def calibration() -> mlperf.Calibration:
    return mlperf.calibrate()


@pytest.mark.slow
def test_defaults_are_the_calibration_result(calibration: mlperf.Calibration) -> None:
    assert calibration.params == roofline.DEFAULTS
    assert calibration.max_error <= 0.25
    assert calibration.max_error <= calibration.best_max_error + mlperf.TOLERANCE + 1e-12


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
