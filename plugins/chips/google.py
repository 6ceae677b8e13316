"""Google Cloud TPUs (figures: shared/reference/accelerators.csv and domain-data.md section 1).

TPUs are rented through Google Cloud, not sold: every chip here is ``cloud_only`` (the core leaves them out
unless a problem sets ``chips.allow_cloud_only``), with no price and, except Ironwood, no published power.
``unit_size`` is the number of chips per TPU VM host as Google documents it (the smallest multi-chip block a
slice is made of); pods are much larger (256 chips for v5e/v6e, 8,960 for v5p, 9,216 for Ironwood).
"""

from __future__ import annotations

from tokenplan import hookimpl
from tokenplan.plugins.chips._common import (
    AIR_AND_LIQUID,
    CLOUD_ONLY_SOURCE,
    GIB,
    LIQUID_ONLY,
    REF,
    SEED_004,
    UNKNOWN_COOLING_SOURCE,
    chip,
)
from tokenplan.records import Chip

_DOCS = "docs.cloud.google.com/tpu/docs"
_DOCS_TPU7X = f"{_DOCS}/tpu7x"
_STACKS_EST = "EST: stack count not published ({gb} GB {gen}; {ref})"
_NOTES = ("cloud-only: rented through Google Cloud, never sold, so no price_per_accel; power not published "
          "(tdp_w None). To study it as if it could be bought, set chips.allow_cloud_only and give tdp_w and "
          "price_per_accel in [chips.overrides].")


def _unit(chips_per_host: int, url: str) -> str:
    return f"{url}: {chips_per_host} chips per TPU VM host (one host = the purchasable block here)"


CHIPS = [
    chip(
        id="google.tpu-v5e", vendor="Google", name="Google Cloud TPU v5e", family="TPU", origin="US",
        year_available=2023, tflops={"bf16": 197, "int8": 393}, hbm_gb=16, hbm_stacks=2, hbm_pool="global",
        mem_bw_tbs=0.819, unit_size=8, cooling=AIR_AND_LIQUID, cloud_only=True,
        sources={
            "tflops": f"{_DOCS}/v5e (197 BF16 TFLOPS, 393 INT8 TOPS; no FP8 listed) [V]",
            "hbm_gb": f"{_DOCS}/v5e (16 GB HBM2) [V]",
            "hbm_stacks": _STACKS_EST.format(gb=16, gen="HBM2", ref=f"{REF}: ~2"),
            "hbm_pool": "HBM from global suppliers",
            "mem_bw_tbs": f"{_DOCS}/v5e (819 GB/s) [V]",
            "unit_size": _unit(8, f"{_DOCS}/v5e ('chips per host: 8'; ct5lp-hightpu-8t)"),
            "cooling": UNKNOWN_COOLING_SOURCE.format(ref=REF),
            "cloud_only": CLOUD_ONLY_SOURCE,
            "year_available": REF,
        },
        estimate=["hbm_stacks", "cooling"],
        notes=_NOTES,
    ),
    chip(
        id="google.tpu-v5p", vendor="Google", name="Google Cloud TPU v5p", family="TPU", origin="US",
        year_available=2023, tflops={"fp8": 459, "bf16": 459}, hbm_gb=round(95 * GIB, 1), hbm_stacks=6,
        hbm_pool="global",
        mem_bw_tbs=2.765, unit_size=4, cooling=AIR_AND_LIQUID, cloud_only=True,
        sources={
            "tflops": f"{_DOCS}/v5p-training (459 BF16); {_DOCS_TPU7X} comparison table (FP8 459: no FP8 "
                      "speed-up) [V]",
            "hbm_gb": f"{_DOCS}/v5p-training (95 GiB usable of 96 physical) [V]; 95 GiB = 102.0 GB",
            "hbm_stacks": _STACKS_EST.format(gb=96, gen="HBM2e", ref=f"{REF}: ~6"),
            "hbm_pool": "HBM2e from global suppliers",
            "mem_bw_tbs": f"{_DOCS}/v5p-training (2,765 GB/s) [V]",
            "unit_size": _unit(4, f"{_DOCS}/v5p (slice 2x2x1 = 4 chips on 1 host)"),
            "cooling": UNKNOWN_COOLING_SOURCE.format(ref=REF),
            "cloud_only": CLOUD_ONLY_SOURCE,
            "year_available": REF,
        },
        estimate=["hbm_stacks", "cooling"],
        notes=_NOTES,
    ),
    chip(
        id="google.tpu-v6e", vendor="Google", name="Google Cloud TPU v6e (Trillium)", family="TPU", origin="US",
        year_available=2024, tflops={"fp8": 918, "bf16": 918, "int8": 1836}, hbm_gb=32, hbm_stacks=2,
        hbm_pool="global", mem_bw_tbs=1.638, unit_size=8, cooling=AIR_AND_LIQUID, cloud_only=True,
        sources={
            "tflops.bf16": f"{_DOCS}/v6e (918 BF16 TFLOPS) [V]",
            "tflops.fp8": f"{_DOCS_TPU7X} comparison table (FP8 918, same as BF16) [V]",
            "tflops.int8": f"{_DOCS}/v6e (peak compute per chip (Int8) 1,836 TOPS; vendor page, not in "
                           "shared/reference) [V]",
            "hbm_gb": f"{_DOCS}/v6e (32 GB) [V]",
            "hbm_stacks": _STACKS_EST.format(gb=32, gen="HBM, generation not stated", ref=f"{REF}: ~2"),
            "hbm_pool": "HBM from global suppliers",
            "mem_bw_tbs": f"{_DOCS}/v6e (1,638 GB/s) [V]",
            "unit_size": _unit(8, f"{_DOCS}/v6e ('chips per host: 8')"),
            "cooling": UNKNOWN_COOLING_SOURCE.format(ref=REF),
            "cloud_only": CLOUD_ONLY_SOURCE,
            "year_available": REF,
        },
        estimate=["hbm_stacks", "cooling"],
        notes=_NOTES,
    ),
    chip(
        id="google.tpu-v7", vendor="Google", name="Google Cloud TPU7x (Ironwood)", family="TPU", origin="US",
        year_available=2025, tflops={"fp8": 4614, "bf16": 2307}, hbm_gb=round(192 * GIB, 1),
        hbm_stacks=8, hbm_pool="global",
        mem_bw_tbs=7.37, tdp_w=1000, unit_size=4, cooling=LIQUID_ONLY, cloud_only=True,
        sources={
            "tflops": f"{_DOCS_TPU7X} (4,614 FP8; 2,307 BF16) [V]; {SEED_004} (4,614 TFLOPS FP8)",
            "hbm_gb": f"{_DOCS_TPU7X} (192 GiB HBM3e) [V]; {SEED_004} ('192GB'); 192 GiB = 206.2 GB",
            "hbm_stacks": "techradar.com Hot Chips 2025 coverage (8 HBM3e stacks) [R]",
            "hbm_pool": "HBM3e from global suppliers",
            "mem_bw_tbs": f"aicoin.com relay of CNBC (7.37 TB/s) [R]; {SEED_004} (7.4 TB/s)",
            "tdp_w": f"{SEED_004} ('power about 1,000 W'); not published by Google; {REF}: ~10 MW per 9,216-chip "
                     "pod -> ~1.1 kW per chip all-in (EST)",
            "unit_size": _unit(4, "docs.cloud.google.com/kubernetes-engine/docs/concepts/tpu-ironwood ('each "
                                  "TPU7x VM contains four chips'); pod 9,216 chips"),
            "cooling": f"{SEED_004} (100% liquid-cooled); techradar.com Hot Chips 2025 (cold plates covering 4 "
                       "TPUs and VRMs) [R]",
            "cloud_only": CLOUD_ONLY_SOURCE,
            "year_available": REF,
        },
        estimate=["tdp_w"],
        notes="cloud-only: rented through Google Cloud, never sold, so no price_per_accel. To study it as if it "
              "could be bought, set chips.allow_cloud_only and give price_per_accel in [chips.overrides].",
    ),
]


@hookimpl
def tokenplan_chips() -> list[Chip]:
    return [Chip.model_validate(c) for c in CHIPS]
