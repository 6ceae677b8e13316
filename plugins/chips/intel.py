"""Intel Gaudi accelerators (figures: shared/reference/accelerators.csv and domain-data.md section 1)."""

from __future__ import annotations

from tokenplan import hookimpl
from tokenplan.plugins.chips._common import (
    AIR_AND_LIQUID,
    AIR_AND_LIQUID_SOURCE,
    DOMAIN_DATA,
    NO_HOST_W_NOTE,
    REF,
    chip,
)
from tokenplan.records import Chip

CHIPS = [
    chip(
        id="intel.gaudi3", vendor="Intel", name="Intel Gaudi 3 (OAM)", family="Gaudi", origin="US",
        year_available=2024, tflops={"fp8": 1835, "bf16": 1835}, hbm_gb=128, hbm_stacks=8, hbm_pool="global",
        mem_bw_tbs=3.7, tdp_w=900, unit_size=8,
        price_per_accel=15625, price_currency="USD", price_year=2024, cooling=AIR_AND_LIQUID,
        sources={
            "tflops": "pcguia.pt 2024-04 (1835 FP8/BF16) [R]",
            "hbm_gb": "pcguia.pt 2024-04 [R]",
            "hbm_stacks": "y-ic.de (8 HBM2E stacks) [R]",
            "hbm_pool": "HBM2e from global suppliers",
            "mem_bw_tbs": "pcguia.pt 2024-04 (3.7 TB/s) [R]",
            "tdp_w": "pcguia.pt 2024-04 (900 W OAM) [R]",
            "unit_size": "Intel 8-chip kit",
            "price_per_accel": "y-ic.de: Intel's $125k 8-chip kit / 8 [R]",
            "cooling": AIR_AND_LIQUID_SOURCE.format(ref=f"900 W air-cooled OAM ({DOMAIN_DATA} section 1) [R]"),
            "year_available": REF,
        },
        estimate=["cooling"],
        notes=NO_HOST_W_NOTE,
    ),
]


@hookimpl
def tokenplan_chips() -> list[Chip]:
    return [Chip.model_validate(c) for c in CHIPS]
