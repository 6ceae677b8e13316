"""An example third-party tokenplan plugin: the (fictional) Example Labs X1 accelerator.

Every figure carries a source; figures that are estimates are listed in ``estimate``; figures you do not
know are left out (None) — tokenplan then asks the problem to supply them instead of guessing.
"""

from __future__ import annotations

from tokenplan import Chip, hookimpl

DATASHEET = "Example Labs X1 datasheet rev. 3 (fictional, for the plugin tutorial)"

X1 = Chip(
    id="example.x1",
    vendor="Example Labs",
    name="Example Labs X1",
    family="X",
    origin="US",
    year_available=2026,
    tflops={"fp8": 2000.0, "bf16": 1000.0},
    hbm_gb=144,
    hbm_stacks=6,
    hbm_pool="global",
    mem_bw_tbs=4.0,
    tdp_w=800,
    unit_size=8,
    price_per_accel=20000,
    price_currency="USD",
    price_year=2026,
    cooling=["air", "cold_plate"],
    lifetime_years=5,
    sources={
        "year_available": DATASHEET, "tflops": DATASHEET, "hbm_gb": DATASHEET, "hbm_stacks": DATASHEET,
        "hbm_pool": "HBM3e from the global suppliers", "mem_bw_tbs": DATASHEET, "tdp_w": DATASHEET,
        "unit_size": "8-accelerator server (datasheet)", "price_per_accel": "list price, Example Labs 2026",
        "cooling": DATASHEET, "lifetime_years": "5-year depreciation, as tokenplan's built-ins",
    },
    estimate=["price_per_accel"],
)


@hookimpl
def tokenplan_chips() -> list[Chip]:
    """Contribute the X1 to tokenplan's catalog."""
    return [X1]
