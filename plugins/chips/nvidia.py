"""NVIDIA accelerators (figures: shared/reference/accelerators.csv and domain-data.md section 1)."""

from __future__ import annotations

from tokenplan import hookimpl
from tokenplan.plugins.chips._common import (
    AIR_AND_LIQUID,
    AIR_AND_LIQUID_SOURCE,
    HOPPER_HOST_SOURCE,
    HOPPER_HOST_W,
    chip,
)
from tokenplan.records import Chip

_MLPERF_H100 = "mlcommons/inference_results_v3.1 closed/Dell/systems/XE9680_H100_SXM_80GBx8_TRT.json"
_MLPERF_H200 = "mlcommons/inference_results_v4.1 closed/NVIDIA/systems/H200-SXM-141GBx8_TRT.json"
_MLPERF_B200 = "mlcommons/inference_results_v4.1 closed/NVIDIA/systems/B200-SXM-180GBx1_TRT.json"

CHIPS = [
    chip(
        id="nvidia.h100", vendor="NVIDIA", name="NVIDIA H100 SXM", family="Hopper", origin="US",
        year_available=2022, tflops={"fp8": 1979, "bf16": 989}, hbm_gb=80, hbm_stacks=5, hbm_pool="global",
        mem_bw_tbs=3.35, tdp_w=700, host_w_per_accel=HOPPER_HOST_W, unit_size=8,
        price_per_accel=27500, price_currency="USD", price_year=2025, cooling=AIR_AND_LIQUID,
        sources={
            "tflops.fp8": "lzwjava.github.io/nvidia-h200-gpu-specs-en (3958 sparse -> 1979 dense) [R]",
            "tflops.bf16": "codesota.com/hardware/h100 (989 FP16 dense) [R]; Glenn Lockwood [R]",
            "hbm_gb": "glennklockwood.com/garden/processors/h100 [R]",
            "hbm_stacks": "glennklockwood.com/garden/processors/h100 (5 active stacks) [R]",
            "hbm_pool": "SK hynix/Samsung/Micron HBM3 (global pool)",
            "mem_bw_tbs": "glennklockwood.com/garden/processors/h100 [R]",
            "tdp_w": "glennklockwood.com/garden/processors/h100 (700 W) [R]",
            "host_w_per_accel": HOPPER_HOST_SOURCE,
            "unit_size": "HGX H100 8-GPU baseboard",
            "price_per_accel": "awesomeagents.ai/hardware/nvidia-h100 ($25-30k) [W]; midpoint",
            "cooling": AIR_AND_LIQUID_SOURCE.format(ref=_MLPERF_H100),
            "year_available": "shared/reference/accelerators.csv",
        },
        estimate=["price_per_accel", "host_w_per_accel"],
    ),
    chip(
        id="nvidia.h200", vendor="NVIDIA", name="NVIDIA H200 SXM", family="Hopper", origin="US",
        year_available=2024, tflops={"fp8": 1979, "bf16": 989}, hbm_gb=141, hbm_stacks=6, hbm_pool="global",
        mem_bw_tbs=4.8, tdp_w=700, host_w_per_accel=HOPPER_HOST_W, unit_size=8,
        price_per_accel=30000, price_currency="USD", price_year=2025, cooling=AIR_AND_LIQUID,
        sources={
            "tflops": "lzwjava.github.io/nvidia-h200-gpu-specs-en; same die as H100 [R]",
            "hbm_gb": "lzwjava.github.io/nvidia-h200-gpu-specs-en [R]",
            "hbm_stacks": "geektopia.es 2023-11-13 (six 1024-bit controllers) [R]",
            "hbm_pool": "SK hynix/Samsung/Micron HBM3e (global pool)",
            "mem_bw_tbs": "lzwjava.github.io/nvidia-h200-gpu-specs-en [R]",
            "tdp_w": f"{_MLPERF_H200} ('H200 TGP 700W') [V]",
            "host_w_per_accel": HOPPER_HOST_SOURCE,
            "unit_size": "HGX H200 8-GPU baseboard",
            "price_per_accel": "awesomeagents.ai/hardware/nvidia-h200 ($25-35k) [W]; midpoint",
            "cooling": AIR_AND_LIQUID_SOURCE.format(ref=_MLPERF_H200),
            "year_available": "shared/reference/accelerators.csv",
        },
        estimate=["price_per_accel", "host_w_per_accel"],
    ),
    chip(
        id="nvidia.h20", vendor="NVIDIA", name="NVIDIA H20", family="Hopper", origin="US",
        year_available=2024, tflops={"fp8": 296, "bf16": 148}, hbm_gb=96, hbm_stacks=6, hbm_pool="global",
        mem_bw_tbs=4.0, tdp_w=400, unit_size=8,
        price_per_accel=13500, price_currency="USD", price_year=2024, cooling=AIR_AND_LIQUID,
        sources={
            "tflops": "tomshardware.com H20/L20/L2 spec table [R]",
            "hbm_gb": "tomshardware.com H20 spec table [R]",
            "hbm_stacks": "EST: 96 GB / 16 GB per HBM3 stack",
            "hbm_pool": "HBM3 from global suppliers",
            "mem_bw_tbs": "tomshardware.com H20 spec table [R]",
            "tdp_w": "tweaktown.com/news/95224 (400 W) [R]",
            "unit_size": "HGX 8-way board (shared/reference/domain-data.md section 1)",
            "price_per_accel": "Reuters Jan-2024 distributor pricing $12-15k per card [R]; midpoint",
            "cooling": AIR_AND_LIQUID_SOURCE.format(ref="HGX 8-way board, 400 W"),
            "year_available": "shared/reference/accelerators.csv",
        },
        estimate=["hbm_stacks", "price_per_accel"],
    ),
    chip(
        id="nvidia.b200", vendor="NVIDIA", name="NVIDIA B200 (HGX)", family="Blackwell", origin="US",
        year_available=2024, tflops={"fp8": 4500, "bf16": 2250}, hbm_gb=180, hbm_stacks=8, hbm_pool="global",
        mem_bw_tbs=7.7, tdp_w=1000, unit_size=8,
        price_per_accel=35000, price_currency="USD", price_year=2024, cooling=AIR_AND_LIQUID,
        sources={
            "tflops": "glennklockwood.com/garden/processors/B200 (HGX table); verda.com GB300 article [R]",
            "hbm_gb": f"{_MLPERF_B200} ('B200-SXM-180GB'; 192 GB physical) [V]",
            "hbm_stacks": "glennklockwood.com/garden/processors/B200 (8 stacks) [R]",
            "hbm_pool": "HBM3e from global suppliers",
            "mem_bw_tbs": "verda.com/blog/gb300-nvl72-architecture (7.7 TB/s) [R]",
            "tdp_w": f"{_MLPERF_B200} ('B200 TGP 1000W') [V]",
            "unit_size": "HGX B200 8-GPU baseboard",
            "price_per_accel": "Jensen Huang via CNBC, Oct-2024 ($30-40k) [R]; midpoint",
            "cooling": AIR_AND_LIQUID_SOURCE.format(ref=_MLPERF_B200),
            "year_available": "shared/reference/accelerators.csv",
        },
        estimate=["price_per_accel"],
        notes="host_w_per_accel not published for HGX B200; set it in [chips.overrides] if known",
    ),
]


@hookimpl
def tokenplan_chips() -> list[Chip]:
    return [Chip.model_validate(c) for c in CHIPS]
