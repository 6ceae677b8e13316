"""Baidu Kunlunxin accelerators (figures: shared/reference/accelerators.csv and domain-data.md section 1).

No official datasheet exists for the P800: every figure but the year is unknown and left out. The core
uses it only when a problem supplies tdp_w and price_per_accel (and the HBM fields when HBM is limited)
in ``[chips.overrides."baidu.kunlun-p800"]``.
"""

from __future__ import annotations

from tokenplan import hookimpl
from tokenplan.plugins.chips._common import AIR_AND_LIQUID, REF, UNKNOWN_COOLING_SOURCE, chip
from tokenplan.records import Chip

CHIPS = [
    chip(
        id="baidu.kunlun-p800", vendor="Baidu Kunlunxin", name="Baidu Kunlunxin P800", family="Kunlun",
        origin="CN", year_available=2024, unit_size=8, cooling=AIR_AND_LIQUID,
        sources={
            "unit_size": "assumption: 8 cards per server",
            "cooling": UNKNOWN_COOLING_SOURCE.format(ref=REF),
            "year_available": f"{REF} (2024: 30,000-card cluster, reportify.ai [R]); "
                              "seed:000_71edd0971ade753a.txt (P800 shown in a 30,000-card cluster)",
        },
        estimate=["unit_size", "cooling"],
        notes="No official datasheet (hellochinatech.com comments); memory type disputed (GDDR6 vs HBM3), so "
              "hbm_pool is None. TFLOPS, memory, bandwidth, power and price are unknown.",
    ),
]


@hookimpl
def tokenplan_chips() -> list[Chip]:
    return [Chip.model_validate(c) for c in CHIPS]
