"""Hygon DCU accelerators (figures: shared/reference/accelerators.csv and domain-data.md section 1).

Specs are low-confidence and flagged; power, bandwidth and price are not found and left out.
"""

from __future__ import annotations

from tokenplan import hookimpl
from tokenplan.plugins.chips._common import AIR_AND_LIQUID, REF, UNKNOWN_COOLING_SOURCE, chip
from tokenplan.records import Chip

CHIPS = [
    chip(
        id="hygon.dcu-k100-ai", vendor="Hygon", name="Hygon DCU K100-AI", family="DCU", origin="CN",
        year_available=2024, tflops={"bf16": 192}, hbm_gb=64, unit_size=8, cooling=AIR_AND_LIQUID,
        sources={
            "tflops.bf16": "LOW CONFIDENCE: ying-wen/evokernel-spec data/hardware/hygon/dcu-k100.yaml (192) [W]",
            "hbm_gb": "cnblogs.com/aidoll/p/19664133 (64 GB per card observed in a vLLM deployment) [W]; "
                      "evokernel claims 96 GB",
            "unit_size": "assumption: 8 cards per server",
            "cooling": UNKNOWN_COOLING_SOURCE.format(ref=REF),
            "year_available": REF,
        },
        estimate=["tflops", "hbm_gb", "unit_size", "cooling"],
        notes="Not found: memory bandwidth, TDP (evokernel's 600 W is low confidence and not used), price, HBM "
              "stack count and supplier (hbm_pool None). Give them in [chips.overrides] to use the chip.",
    ),
]


@hookimpl
def tokenplan_chips() -> list[Chip]:
    return [Chip.model_validate(c) for c in CHIPS]
