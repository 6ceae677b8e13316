"""AMD Instinct accelerators (figures: shared/reference/accelerators.csv and domain-data.md section 1)."""

from __future__ import annotations

from tokenplan import hookimpl
from tokenplan.plugins.chips._common import AIR_AND_LIQUID, AIR_AND_LIQUID_SOURCE, chip
from tokenplan.records import Chip

_MLPERF_MI300X = "mlcommons/inference_results_v4.1 closed/AMD/systems/8xMI300X_2xEPYC-9374F.json"

CHIPS = [
    chip(
        id="amd.mi300x", vendor="AMD", name="AMD Instinct MI300X", family="CDNA3", origin="US",
        year_available=2023, tflops={"fp8": 2615, "bf16": 1307}, hbm_gb=192, hbm_stacks=8, hbm_pool="global",
        mem_bw_tbs=5.3, tdp_w=750, unit_size=8,
        price_per_accel=12500, price_currency="USD", price_year=2025, cooling=AIR_AND_LIQUID,
        sources={
            "tflops": "awesomeagents.ai/hardware/amd-mi325x (CDNA3 2614.9 FP8 / 1307.4 BF16 dense); "
                      "yobitel.com (same as MI300X) [W]",
            "hbm_gb": "servethehome.com MI300X launch [R]",
            "hbm_stacks": "servethehome.com MI300X launch p3 (eight HBM3 stacks) [R]",
            "hbm_pool": "HBM3 from global suppliers",
            "mem_bw_tbs": "servethehome.com MI300X launch [R]",
            "tdp_w": f"{_MLPERF_MI300X} ('MI300X-...-750W') [V]",
            "unit_size": "8-GPU OAM platform (MLPerf system 8xMI300X)",
            "price_per_accel": "awesomeagents.ai/hardware/amd-mi300x ($10-15k) [W]; midpoint",
            "cooling": AIR_AND_LIQUID_SOURCE.format(ref=_MLPERF_MI300X),
            "year_available": "shared/reference/accelerators.csv",
        },
        estimate=["price_per_accel", "tflops"],
    ),
]


@hookimpl
def tokenplan_chips() -> list[Chip]:
    return [Chip.model_validate(c) for c in CHIPS]
