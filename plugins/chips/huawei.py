"""Huawei Ascend accelerators (figures: shared/reference/accelerators.csv and domain-data.md section 1).

Huawei does not publish per-chip specs; the figures are low-confidence and flagged as estimates.
"""

from __future__ import annotations

from tokenplan import hookimpl
from tokenplan.plugins.chips._common import chip
from tokenplan.records import Chip

CHIPS = [
    chip(
        id="huawei.ascend-910b", vendor="Huawei", name="Huawei Ascend 910B", family="Ascend", origin="CN",
        year_available=2023, tflops={"bf16": 320}, hbm_gb=64, hbm_stacks=4, hbm_pool="cn",
        mem_bw_tbs=1.6, tdp_w=400, unit_size=8,
        price_per_accel=120000, price_currency="CNY", price_year=2024,
        cooling=["air", "cold_plate", "immersion_1p"],
        sources={
            "tflops.bf16": "LOW CONFIDENCE: ying-wen/evokernel-spec ascend-910b.yaml (320); FP16 295-376 by bin "
                           "per jiangkuaixue123/light-llm-simulator [W]; no FP8",
            "hbm_gb": "ying-wen/evokernel-spec; light-llm-simulator (64 GB) [W]",
            "hbm_stacks": "EST: 64 GB / 16 GB per HBM2e stack",
            "hbm_pool": "assumption: domestic supply pool (CXMT HBM2 / stockpiles); see domain-brief section 6",
            "mem_bw_tbs": "light-llm-simulator; evokernel (1.6 TB/s) [W]",
            "tdp_w": "ying-wen/evokernel-spec (400 W; other blogs 310-350 W) [W]",
            "unit_size": "Atlas 800 8-card server (assumption)",
            "price_per_accel": "Reuters Jan-2024 (about CNY 120k per card) [R]",
            "cooling": "assumption: air-cooled 8-card servers, liquid retrofits possible (estimate)",
            "year_available": "shared/reference/accelerators.csv",
        },
        estimate=["tflops", "hbm_stacks", "hbm_pool", "tdp_w", "unit_size", "cooling"],
    ),
]


@hookimpl
def tokenplan_chips() -> list[Chip]:
    return [Chip.model_validate(c) for c in CHIPS]
