"""NVIDIA accelerators (figures: shared/reference/accelerators.csv and domain-data.md section 1).

HGX parts are sold as 8-GPU baseboards; NVL72 racks (GB200, GB300) as 72-GPU racks whose per-GPU price is
the rack price / 72 and whose cooling is liquid only.
"""

from __future__ import annotations

from tokenplan import hookimpl
from tokenplan.plugins.chips._common import (
    AIR_AND_LIQUID,
    AIR_AND_LIQUID_SOURCE,
    DOMAIN_DATA,
    GEMM_NOTE,
    HOPPER_HOST_SOURCE,
    HOPPER_HOST_W,
    LIQUID_ONLY,
    NO_HOST_W_NOTE,
    NO_PRICE_NOTE,
    REF,
    SEED_004,
    SEMIANALYSIS_GEMM,
    chip,
)
from tokenplan.records import Chip

_MLPERF_H100 = "mlcommons/inference_results_v3.1 closed/Dell/systems/XE9680_H100_SXM_80GBx8_TRT.json"
_MLPERF_H200 = "mlcommons/inference_results_v4.1 closed/NVIDIA/systems/H200-SXM-141GBx8_TRT.json"
_MLPERF_B200 = "mlcommons/inference_results_v4.1 closed/NVIDIA/systems/B200-SXM-180GBx1_TRT.json"
_MLPERF_GB200 = ("ntuhpc/mlperf_inference_results_v5.0 closed/NVIDIA/results/"
                 "GB200-NVL72_GB200-186GB_aarch64x72_TRT_Triton")
_VERDA = "verda.com/blog/gb300-nvl72-architecture"
_LOCKWOOD_B200 = "glennklockwood.com/garden/processors/B200"
_LOCKWOOD_B300 = "glennklockwood.com/garden/processors/B300"
#: FP4 peaks are not in shared/reference/: NVIDIA's product pages (vendor pages relied on here, [V]) give
#: them per system with 2:4 sparsity ("144 PF FP4" for HGX B200) or sparse | dense (Blackwell Ultra).
_NV_HGX = "nvidia.com/en-us/data-center/hgx (vendor page, not in shared/reference)"
_NV_DGX_B200 = "nvidia.com/en-us/data-center/dgx-b200 (vendor page, not in shared/reference)"
_NV_GB200 = "nvidia.com/en-us/data-center/gb200-nvl72 (vendor page, not in shared/reference)"
_NV_GB300 = "nvidia.com/en-us/data-center/gb300-nvl72 (vendor page, not in shared/reference)"


def _air(ref: str) -> str:
    return AIR_AND_LIQUID_SOURCE.format(ref=ref)


#: GB200 NVL72 rack ~120-132 kW [R introl, cudo]; 120 kW as in the reference CSV.
GB200_RACK_KW = 120.0
#: GB300 NVL72 rack 120-140 kW [W ai-infrastructure.net]; midpoint.
GB300_RACK_KW = 130.0
#: Rack power not drawn by the GPUs (Grace CPUs, NVSwitch trays, NICs, fans), per GPU.
GB200_HOST_W = round((GB200_RACK_KW * 1000 - 72 * 1200) / 72)
GB300_HOST_W = round((GB300_RACK_KW * 1000 - 72 * 1400) / 72)

#: Order to delivery of an HGX H100/H200 server in 2024 (issue 13 item 3): 3-4 months (UBS, Feb 2024, via
#: Wccftech: "8-11 months ... shortened to 3-4 months"), 8-12 weeks at Dell (Apr 2024, Dell Taiwan via United
#: Daily News; about 40 weeks at the end of 2023), 36-52 weeks in Q3/Q4 2023 (Omdia via Tom's Hardware): 3 months
#: for the supply of 2024 on, an estimate (a shortage such as 2023's, or Blackwell's 12-month backlog of late
#: 2024, is a what-if: set lead_time_months in [chips.overrides])
HOPPER_LEAD_SOURCE = ("EST: 3 months from order to an HGX server delivered (2024: UBS Feb-2024 3-4 months via "
                      "Wccftech [R]; Dell Apr-2024 8-12 weeks via UDN/The Register [R]; Omdia Q4-2023 36-52 weeks "
                      "via Tom's Hardware [R])")

CHIPS = [
    chip(
        id="nvidia.h100", vendor="NVIDIA", name="NVIDIA H100 SXM", family="Hopper", origin="US",
        year_available=2022, tflops={"fp8": 1979, "bf16": 989},
        gemm_tflops={"fp8": 1280, "bf16": 720}, hbm_gb=80, hbm_stacks=5, hbm_pool="global",
        mem_bw_tbs=3.35, tdp_w=700, host_w_per_accel=HOPPER_HOST_W, unit_size=8, lead_time_months=3,
        price_per_accel=27500, price_currency="USD", price_year=2025, cooling=AIR_AND_LIQUID,
        sources={
            "tflops.fp8": "lzwjava.github.io/nvidia-h200-gpu-specs-en (3958 sparse -> 1979 dense) [R]",
            "tflops.bf16": "codesota.com/hardware/h100 (989 FP16 dense) [R]; Glenn Lockwood [R]",
            "gemm_tflops": f"{SEMIANALYSIS_GEMM}: H100 SXM ~1,280 FP8, ~720 BF16",
            "hbm_gb": "glennklockwood.com/garden/processors/h100 [R]",
            "hbm_stacks": "glennklockwood.com/garden/processors/h100 (5 active stacks) [R]",
            "hbm_pool": "SK hynix/Samsung/Micron HBM3 (global pool)",
            "mem_bw_tbs": "glennklockwood.com/garden/processors/h100 [R]",
            "tdp_w": "glennklockwood.com/garden/processors/h100 (700 W) [R]",
            "host_w_per_accel": HOPPER_HOST_SOURCE,
            "lead_time_months": HOPPER_LEAD_SOURCE,
            "unit_size": "HGX H100 8-GPU baseboard",
            "price_per_accel": "awesomeagents.ai/hardware/nvidia-h100 ($25-30k) [W]; midpoint",
            "cooling": _air(f"MLPerf system description 'Air-cooled' ({_MLPERF_H100}) [V]"),
            "year_available": REF,
        },
        estimate=["price_per_accel", "host_w_per_accel", "cooling", "lead_time_months"],
        notes=GEMM_NOTE,
    ),
    chip(
        id="nvidia.h200", vendor="NVIDIA", name="NVIDIA H200 SXM", family="Hopper", origin="US",
        year_available=2024, tflops={"fp8": 1979, "bf16": 989},
        gemm_tflops={"fp8": 1280, "bf16": 720}, hbm_gb=141, hbm_stacks=6, hbm_pool="global",
        mem_bw_tbs=4.8, tdp_w=700, host_w_per_accel=HOPPER_HOST_W, unit_size=8, lead_time_months=3,
        price_per_accel=30000, price_currency="USD", price_year=2025, cooling=AIR_AND_LIQUID,
        sources={
            "tflops": "lzwjava.github.io/nvidia-h200-gpu-specs-en; same die as H100 [R]",
            "gemm_tflops": f"{SEMIANALYSIS_GEMM}: H200 ~1,280 FP8, ~720 BF16 (as H100)",
            "hbm_gb": "lzwjava.github.io/nvidia-h200-gpu-specs-en [R]",
            "hbm_stacks": "geektopia.es 2023-11-13 (six 1024-bit controllers) [R]",
            "hbm_pool": "SK hynix/Samsung/Micron HBM3e (global pool)",
            "mem_bw_tbs": "lzwjava.github.io/nvidia-h200-gpu-specs-en [R]",
            "tdp_w": f"{_MLPERF_H200} ('H200 TGP 700W') [V]",
            "host_w_per_accel": HOPPER_HOST_SOURCE,
            "lead_time_months": HOPPER_LEAD_SOURCE,
            "unit_size": "HGX H200 8-GPU baseboard",
            "price_per_accel": "awesomeagents.ai/hardware/nvidia-h200 ($25-35k) [W]; midpoint",
            "cooling": _air(f"MLPerf system description 'Air-cooled' ({_MLPERF_H200}) [V]"),
            "year_available": REF,
        },
        estimate=["price_per_accel", "host_w_per_accel", "cooling", "lead_time_months"],
        notes=GEMM_NOTE,
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
            "unit_size": f"HGX 8-way board ({DOMAIN_DATA} section 1)",
            "price_per_accel": "Reuters Jan-2024 distributor pricing $12-15k per card [R]; midpoint",
            "cooling": _air(f"HGX 8-way board at 400 W, not liquid-only ({DOMAIN_DATA} section 1)"),
            "year_available": REF,
        },
        estimate=["hbm_stacks", "price_per_accel", "cooling"],
        notes=NO_HOST_W_NOTE,
    ),
    chip(
        id="nvidia.b200", vendor="NVIDIA", name="NVIDIA B200 (HGX)", family="Blackwell", origin="US",
        year_available=2024, tflops={"fp4": 9000, "fp8": 4500, "bf16": 2250}, hbm_gb=180, hbm_stacks=8,
        hbm_pool="global", mem_bw_tbs=8.0, tdp_w=1000, unit_size=8,
        price_per_accel=35000, price_currency="USD", price_year=2024, cooling=AIR_AND_LIQUID,
        sources={
            "tflops": f"{_LOCKWOOD_B200} (HGX table); {_VERDA} [R]",
            "tflops.fp4": f"{_NV_DGX_B200} (DGX B200: 144 PF FP4 with sparsity for 8 GPUs -> 72 PF dense / 8 = "
                          "9,000 TFLOPS per GPU) [V]",
            "hbm_gb": f"{_MLPERF_B200} ('B200-SXM-180GB'; 192 GB physical) [V]",
            "hbm_stacks": f"{_LOCKWOOD_B200} (8 stacks) [R]",
            "hbm_pool": "HBM3e from global suppliers",
            "mem_bw_tbs": f"{_NV_DGX_B200} (64 TB/s HBM3e for 8 GPUs = 8 TB/s per GPU) [V]; {DOMAIN_DATA} "
                          "section 1 ('7.7 (8.0 marketing)'; Vultr docs measured-config 8.0); Verda's 7.7 is not "
                          "used",
            "tdp_w": f"{_MLPERF_B200} ('B200 TGP 1000W') [V]",
            "unit_size": "HGX B200 8-GPU baseboard",
            "price_per_accel": "Jensen Huang via CNBC, Oct-2024 ($30-40k) [R]; midpoint",
            "cooling": _air(f"MLPerf system description 'Air-cooled' ({_MLPERF_B200}) [V]"),
            "year_available": REF,
        },
        estimate=["price_per_accel", "cooling"],
        notes=NO_HOST_W_NOTE,
    ),
    chip(
        id="nvidia.b300", vendor="NVIDIA", name="NVIDIA B300 (HGX, Blackwell Ultra)", family="Blackwell",
        origin="US", year_available=2025, tflops={"fp4": 13500, "fp8": 4500, "bf16": 2250}, hbm_gb=270, hbm_stacks=8,
        hbm_pool="global", mem_bw_tbs=7.7, tdp_w=1100, unit_size=8, cooling=AIR_AND_LIQUID,
        sources={
            "tflops": f"{_VERDA} (4.5 PF FP8 dense); {_LOCKWOOD_B300} HGX B300 table [R]",
            "tflops.fp4": f"{_NV_HGX} (HGX B300: FP4 144 PF sparse | 108 PF dense for 8 GPUs -> 13,500 TFLOPS "
                          "dense per GPU) [V]",
            "hbm_gb": f"{_VERDA} (270 GB usable, 288 GB physical) [R]",
            "hbm_stacks": f"{_LOCKWOOD_B300} (8 stacks of 12-high HBM3e) [R]",
            "hbm_pool": "HBM3e 12-high from global suppliers",
            "mem_bw_tbs": f"{_VERDA} (7.7 TB/s; Lockwood lists 8) [R]",
            "tdp_w": f"{_VERDA} (1.1 kW HGX B300) [R]; Lockwood lists 1,400 W (the GB300 value): sources "
                     "disagree",
            "unit_size": "HGX B300 8-GPU baseboard",
            "cooling": _air("not established in the reference for HGX B300; assumed like the air-cooled HGX "
                            "B200 (the GB300 rack is 100% liquid)"),
            "year_available": REF,
        },
        estimate=["tdp_w", "cooling"],
        notes=f"{NO_PRICE_NOTE} ({SEED_004} has only a blended ~54k USD per GPU for a purchase of 7,100 B300 "
              f"+ 4,200 B200 + 1,100 MI350X). {NO_HOST_W_NOTE}",
    ),
    chip(
        id="nvidia.gb200-nvl72", price_basis="system",
        vendor="NVIDIA", name="NVIDIA GB200 NVL72 (per GPU)", family="Blackwell",
        origin="US", year_available=2024, tflops={"fp4": 10000, "fp8": 5000, "bf16": 2500}, gemm_tflops={"fp8": 2744},
        hbm_gb=186, hbm_stacks=8,
        hbm_pool="global", mem_bw_tbs=8.0, tdp_w=1200, host_w_per_accel=GB200_HOST_W, unit_size=72,
        rack_kw=GB200_RACK_KW, price_per_accel=round(2_500_000 / 72), price_currency="USD", price_year=2025,
        cooling=LIQUID_ONLY,
        sources={
            "tflops": f"{_LOCKWOOD_B200} (GB200 @1,200 W table); aiwiki.ai/wiki/nvidia_gb200_nvl72 (rack 720 PF "
                      "FP8 sparse / 72 / 2) [R]",
            "tflops.fp4": f"{_NV_GB200} (rack: 1,440 PF FP4 with sparsity -> 720 PF dense / 72 = 10,000 TFLOPS "
                          "per GPU) [V]",
            "gemm_tflops": f"Azure ND GB200 v6 microbenchmark, techcommunity.microsoft.com ({DOMAIN_DATA} section "
                           "2: 'sustained 2,744 TFLOPS FP8 GEMM') [R]",
            "hbm_gb": f"{_MLPERF_GB200} ('GB200-186GB') [V]",
            "hbm_stacks": f"{_LOCKWOOD_B200} (8 stacks) [R]",
            "hbm_pool": "HBM3e from global suppliers",
            "mem_bw_tbs": "introl.com GB200 NVL72 deployment (rack 576 TB/s / 72) [R]",
            "tdp_w": f"{_LOCKWOOD_B200} (GB200 GPU at 1,200 W) [R]",
            "host_w_per_accel": f"EST: ({GB200_RACK_KW:g} kW rack - 72 x 1,200 W GPU) / 72 (Grace CPUs, "
                                "NVSwitch, NICs)",
            "rack_kw": "introl.com GB200 NVL72 deployment (120 kW; cudo: up to 132 kW) [R]",
            "unit_size": "NVL72 rack: 72 GPUs, sold as one system",
            "price_basis": "the price is the NVL72 rack's (Grace CPUs, NVSwitch trays included) per GPU slot",
            "price_per_accel": "EST: $2.5 M rack / 72 (rack $2-3 M: awesomeagents.ai/hardware/nvidia-gb200-nvl72, "
                               "kshirol-dev.github.io) [W]; includes Grace and NVSwitch",
            "cooling": "introl.com, kshirol: liquid cooling mandatory; the rack is built around cold plates [R]",
            "year_available": f"{REF} (racks ship Dec-2024/2025)",
        },
        estimate=["price_per_accel", "host_w_per_accel"],
        notes="gemm_tflops: measured sustained dense FP8 GEMM TFLOP/s (Azure's microbenchmark, not a datasheet "
              "peak); the roofline carries its share of the FP8 peak (55 %) over to FP4 and BF16",
    ),
    chip(
        id="nvidia.gb300-nvl72", price_basis="system",
        vendor="NVIDIA", name="NVIDIA GB300 NVL72 (per GPU)", family="Blackwell",
        origin="US", year_available=2025, tflops={"fp4": 15000, "fp8": 5000, "bf16": 2500}, hbm_gb=279, hbm_stacks=8,
        hbm_pool="global", mem_bw_tbs=8.0, tdp_w=1400, host_w_per_accel=GB300_HOST_W, unit_size=72,
        rack_kw=GB300_RACK_KW, price_per_accel=round(3_500_000 / 72), price_currency="USD", price_year=2025,
        cooling=LIQUID_ONLY,
        sources={
            "tflops": f"{_VERDA} (5 PF FP8 dense, 2.5 PF BF16; rack 360 / 180 PF dense) [R]",
            "tflops.fp4": f"{_NV_GB300} (rack: FP4 1,440 PF sparse | 1,080 PF dense -> 15,000 TFLOPS dense per "
                          "GPU) [V]",
            "hbm_gb": f"{_VERDA} (279 GB usable, 288 GB physical) [R]",
            "hbm_stacks": f"{_LOCKWOOD_B300} (8 stacks of 12-high HBM3e) [R]",
            "hbm_pool": "HBM3e 12-high from global suppliers",
            "mem_bw_tbs": f"{_VERDA} (8 TB/s; rack 576 TB/s) [R]",
            "tdp_w": f"{_VERDA} (1.4 kW) [R]",
            "host_w_per_accel": f"EST: ({GB300_RACK_KW:g} kW rack - 72 x 1,400 W GPU) / 72",
            "rack_kw": "ai-infrastructure.net (rack 120-140 kW) [W]; midpoint",
            "unit_size": "NVL72 rack: 72 GPUs, sold as one system",
            "price_basis": "the price is the NVL72 rack's (Grace CPUs, NVSwitch trays included) per GPU slot",
            "price_per_accel": "EST: $3.5 M rack / 72 (rack $3-4 M: awesomeagents.ai/hardware/nvidia-gb300-nvl72) "
                               "[W]",
            "cooling": f"{_LOCKWOOD_B300} ('100% liquid-cooled') [R]",
            "year_available": REF,
        },
        estimate=["price_per_accel", "host_w_per_accel", "rack_kw"],
    ),
]


@hookimpl
def tokenplan_chips() -> list[Chip]:
    return [Chip.model_validate(c) for c in CHIPS]
