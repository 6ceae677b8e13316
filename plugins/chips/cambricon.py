"""Cambricon MLU accelerators (figures: shared/reference/accelerators.csv and domain-data.md section 1).

MLU370-X8 is a dual-chip PCIe card with LPDDR5 memory, not HBM: it is recorded with ``hbm_gb = 0`` and
``hbm_stacks = 0`` and no HBM pool, so it never draws on an HBM supply (its 48 GB LPDDR5 and 614.4 GB/s are
in ``notes`` and ``mem_bw_tbs``). MLU590 specs conflict between sources and are left out.
"""

from __future__ import annotations

from tokenplan import hookimpl
from tokenplan.plugins.chips._common import (
    AIR_AND_LIQUID,
    AIR_AND_LIQUID_SOURCE,
    NO_HOST_W_NOTE,
    NO_PRICE_NOTE,
    REF,
    UNKNOWN_COOLING_SOURCE,
    chip,
)
from tokenplan.records import Chip

_LAUNCH = "Cambricon launch relayed by guangxilong.com and rencaizhenjiang.com [R]"
_UNIT8 = "assumption: 8 cards per server"

CHIPS = [
    chip(
        id="cambricon.mlu370-x8", vendor="Cambricon", name="Cambricon MLU370-X8 (dual-chip card)", family="MLU",
        origin="CN", year_available=2022, tflops={"bf16": 96, "fp16": 96}, hbm_gb=0, hbm_stacks=0,
        mem_bw_tbs=0.6144, tdp_w=250, unit_size=8, cooling=AIR_AND_LIQUID,
        sources={
            "tflops": f"{_LAUNCH} (96 TFLOPS FP16/BF16); no FP8",
            "hbm_gb": f"{_LAUNCH}: memory is 48 GB LPDDR5, no HBM -> 0",
            "hbm_stacks": f"{_LAUNCH}: LPDDR5, no HBM stacks -> 0",
            "mem_bw_tbs": f"{_LAUNCH} (614.4 GB/s LPDDR5)",
            "tdp_w": f"{_LAUNCH} (250 W max)",
            "unit_size": _UNIT8,
            "cooling": AIR_AND_LIQUID_SOURCE.format(ref=f"passive air-cooled card ({_LAUNCH})"),
            "year_available": REF,
        },
        estimate=["unit_size", "cooling"],
        notes="Memory: 48 GB LPDDR5 (not HBM), so hbm_gb/hbm_stacks are 0 and hbm_pool is None: the chip uses "
              "no HBM supply. The record has no field for non-HBM memory capacity: a capacity-aware throughput "
              f"model sees 0 GB. {NO_PRICE_NOTE}. {NO_HOST_W_NOTE}",
    ),
    chip(
        id="cambricon.mlu590", vendor="Cambricon", name="Cambricon MLU590", family="MLU", origin="CN",
        year_available=2023, unit_size=8, price_per_accel=75000, price_currency="CNY", price_year=2024,
        cooling=AIR_AND_LIQUID,
        sources={
            "price_per_accel": "blog.xasun.com (CNY 60-90k per card) [W]; midpoint; awesomeagents.ai says $8-12k "
                               "[W]",
            "unit_size": _UNIT8,
            "cooling": UNKNOWN_COOLING_SOURCE.format(ref=REF),
            "year_available": f"{REF} (2023-24)",
        },
        estimate=["price_per_accel", "price_year", "unit_size", "cooling"],
        notes="CONFLICTING SPECS left out (tflops, hbm_gb, mem_bw_tbs, tdp_w): ying-wen/evokernel-spec says "
              "256 BF16 / 64 GB / 1.228 TB/s / 350 W (identical to MLU290, likely copied) while awesomeagents.ai "
              "says 192 GB / 2.4 TB/s / 450 W. Memory is HBM2e from an unknown supplier: hbm_pool None. "
              "price_year is an estimate (the blog is undated). Give the figures in [chips.overrides] to use it.",
    ),
]


@hookimpl
def tokenplan_chips() -> list[Chip]:
    return [Chip.model_validate(c) for c in CHIPS]
