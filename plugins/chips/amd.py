"""AMD Instinct accelerators (figures: shared/reference/accelerators.csv and domain-data.md section 1).

All are OAM modules on 8-GPU platforms. MI355X (1.4 kW) is liquid-only; the others have air-cooled systems.
"""

from __future__ import annotations

from tokenplan import hookimpl
from tokenplan.plugins.chips._common import (
    AIR_AND_LIQUID,
    AIR_AND_LIQUID_SOURCE,
    GEMM_NOTE,
    LIQUID_ONLY,
    NO_HOST_W_NOTE,
    NO_PRICE_NOTE,
    REF,
    SEMIANALYSIS_GEMM,
    chip,
)
from tokenplan.records import Chip

_MLPERF_MI300X = "mlcommons/inference_results_v4.1 closed/AMD/systems/8xMI300X_2xEPYC-9374F.json"
_MLPERF_MI325X = "ntuhpc/mlperf_inference_results_v5.0 closed/AMD/systems/8xMI325X_2xEPYC_9575F.json"
_REGISTER = "theregister.com/2025/06/12/amd_mi355x"
_GANGLIAO = "gangliao.me/blog/2026/amd-gpu-architecture-deep-dive"
#: CDNA3 compute (MI300X and MI325X share it).
_CDNA3_TFLOPS = ("awesomeagents.ai/hardware/amd-mi325x (CDNA3 2614.9 FP8 / 1307.4 BF16 dense); yobitel.com "
                 "(same as MI300X) [W]")
_OAM8 = "8-GPU OAM platform"
#: FP4 peaks are not in shared/reference/: AMD's product pages (vendor pages relied on here, [V]).
_AMD_MI350 = "amd.com/en/products/accelerators/instinct/mi350 (vendor page, not in shared/reference)"

CHIPS = [
    chip(
        id="amd.mi300x", vendor="AMD", name="AMD Instinct MI300X", family="CDNA3", origin="US",
        year_available=2023, tflops={"fp8": 2615, "bf16": 1307}, gemm_tflops={"fp8": 990, "bf16": 620}, hbm_gb=192,
        hbm_stacks=8, hbm_pool="global", mem_bw_tbs=5.3, tdp_w=750, unit_size=8,
        price_per_accel=12500, price_currency="USD", price_year=2025, cooling=AIR_AND_LIQUID,
        sources={
            "tflops": _CDNA3_TFLOPS,
            "gemm_tflops": f"{SEMIANALYSIS_GEMM}: MI300X ~990 FP8, ~620 BF16, on AMD's custom 'VIP' image (Nov "
                           "2024; out of the box it was slower)",
            "hbm_gb": "servethehome.com MI300X launch [R]",
            "hbm_stacks": "servethehome.com MI300X launch p3 (eight HBM3 stacks) [R]",
            "hbm_pool": "HBM3 from global suppliers",
            "mem_bw_tbs": "servethehome.com MI300X launch [R]",
            "tdp_w": f"{_MLPERF_MI300X} ('MI300X-...-750W') [V]",
            "unit_size": f"{_OAM8} (MLPerf system 8xMI300X)",
            "price_per_accel": "awesomeagents.ai/hardware/amd-mi300x ($10-15k) [W]; midpoint",
            "cooling": AIR_AND_LIQUID_SOURCE.format(ref=f"MLPerf system 'Air-cooled' ({_MLPERF_MI300X}) [V]"),
            "year_available": REF,
        },
        estimate=["price_per_accel", "tflops", "cooling"],
        notes=f"{GEMM_NOTE}; taken on AMD's tuned image. {NO_HOST_W_NOTE}",
    ),
    chip(
        id="amd.mi325x", vendor="AMD", name="AMD Instinct MI325X", family="CDNA3", origin="US",
        year_available=2024, tflops={"fp8": 2615, "bf16": 1307}, hbm_gb=256, hbm_stacks=8, hbm_pool="global",
        mem_bw_tbs=6.0, tdp_w=1000, unit_size=8, cooling=AIR_AND_LIQUID,
        sources={
            "tflops": _CDNA3_TFLOPS,
            "hbm_gb": f"{_MLPERF_MI325X} ('256GB HBM3E') [V]",
            "hbm_stacks": f"{REF} (8 stacks; domain-data.md section 5 stacks list) [R]",
            "hbm_pool": "HBM3E from global suppliers",
            "mem_bw_tbs": "awesomeagents.ai/hardware/amd-mi325x (6 TB/s) [W]",
            "tdp_w": "awesomeagents.ai/hardware/amd-mi325x (~1,000 W); yobitel.com [W]",
            "unit_size": f"{_OAM8} (MLPerf system 8xMI325X)",
            "cooling": AIR_AND_LIQUID_SOURCE.format(ref=f"MLPerf system 'Passive OAM' ({_MLPERF_MI325X}) [V]"),
            "year_available": REF,
        },
        estimate=["tflops", "tdp_w", "mem_bw_tbs", "cooling"],
        notes=f"{NO_PRICE_NOTE}. {NO_HOST_W_NOTE}",
    ),
    chip(
        id="amd.mi350x", vendor="AMD", name="AMD Instinct MI350X", family="CDNA4", origin="US",
        year_available=2025, tflops={"fp4": 9200, "fp8": 4600, "bf16": 2300}, hbm_gb=288, hbm_stacks=8,
        hbm_pool="global",
        mem_bw_tbs=8.0, tdp_w=1000, unit_size=8, cooling=AIR_AND_LIQUID,
        sources={
            "tflops.bf16": f"{_GANGLIAO} (2.3 PF FP16 dense / 4.61 sparse) [W]; {_REGISTER} (~8% below "
                           "MI355X peak) [R]",
            "tflops.fp8": "EST: 2 x the 2.3 PF FP16 dense figure",
            "tflops.fp4": f"{_AMD_MI350} (MI350X: peak MXFP4 9.2 PFLOPS, no sparsity) [V]",
            "hbm_gb": f"{_REGISTER} (288 GB HBM3E) [R]",
            "hbm_stacks": "EST: 288 GB / 36 GB per 12-high HBM3E stack",
            "hbm_pool": "HBM3E from global suppliers",
            "mem_bw_tbs": f"{_REGISTER} (8 TB/s) [R]",
            "tdp_w": f"{_REGISTER} (1 kW); wccftech.com Hot Chips 2025 (air-cooled 1,000 W TBP) [R]",
            "unit_size": _OAM8,
            "cooling": AIR_AND_LIQUID_SOURCE.format(ref="wccftech.com Hot Chips 2025: air-cooled variant [R]"),
            "year_available": REF,
        },
        estimate=["tflops", "hbm_stacks", "cooling"],
        notes=f"{NO_PRICE_NOTE}. {NO_HOST_W_NOTE}",
    ),
    chip(
        id="amd.mi355x", vendor="AMD", name="AMD Instinct MI355X", family="CDNA4", origin="US",
        year_available=2025, tflops={"fp4": 10100, "fp8": 5000, "bf16": 2500}, hbm_gb=288, hbm_stacks=8,
        hbm_pool="global",
        mem_bw_tbs=8.0, tdp_w=1400, unit_size=8,
        price_per_accel=24000, price_currency="USD", price_year=2025, cooling=LIQUID_ONLY,
        sources={
            "tflops.fp8": "world-today-news.com ISSCC 2026 report ('five petaflops' FP8) [R]",
            "tflops.fp4": f"{_AMD_MI350} (MI355X: peak MXFP4 10.1 PFLOPS, no sparsity) [V]",
            "tflops.bf16": f"{_GANGLIAO} (2.52 PF FP16 dense / 5.03 sparse) [W]",
            "hbm_gb": f"{_REGISTER} (288 GB) [R]",
            "hbm_stacks": "EST: 288 GB / 36 GB per 12-high HBM3E stack (one blog says 10: inconsistent with "
                          "288 GB)",
            "hbm_pool": "HBM3E from global suppliers",
            "mem_bw_tbs": f"{_REGISTER} (8 TB/s) [R]",
            "tdp_w": f"{_REGISTER} (1.4 kW) [R]",
            "unit_size": _OAM8,
            "price_per_accel": "HSBC ASP estimate $23-25k via moneycheck.com [R]; midpoint",
            "cooling": f"{_REGISTER}: 'you'll need a liquid-cooling loop' (direct liquid, cold plate) [R]",
            "year_available": REF,
        },
        estimate=["tflops", "hbm_stacks", "price_per_accel"],
        notes=NO_HOST_W_NOTE,
    ),
]


@hookimpl
def tokenplan_chips() -> list[Chip]:
    return [Chip.model_validate(c) for c in CHIPS]
