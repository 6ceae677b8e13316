"""AWS Trainium accelerators (figures: shared/reference/accelerators.csv and domain-data.md section 1).

Trainium is rented through EC2, not sold: ``cloud_only`` (the core leaves it out unless a problem sets
``chips.allow_cloud_only``), no price. ``unit_size`` is the 16 chips of one trn2.48xlarge instance.
"""

from __future__ import annotations

from tokenplan import hookimpl
from tokenplan.plugins.chips._common import (
    AIR_AND_LIQUID,
    CLOUD_ONLY_SOURCE,
    GIB,
    REF,
    UNKNOWN_COOLING_SOURCE,
    chip,
)
from tokenplan.records import Chip

_NEURON = "awsdocs-neuron.readthedocs-hosted.com"

CHIPS = [
    chip(
        id="aws.trainium2", vendor="AWS", name="AWS Trainium2", family="Trainium", origin="US",
        year_available=2024, tflops={"fp8": 1299, "bf16": 667}, hbm_gb=round(96 * GIB, 1), hbm_stacks=4,
        hbm_pool="global",
        mem_bw_tbs=2.9, tdp_w=500, unit_size=16, cooling=AIR_AND_LIQUID, cloud_only=True,
        sources={
            "tflops": f"{_NEURON} v2.29.0 about-neuron/arch/neuron-hardware/trainium2.rst (1,299 FP8; 667 BF16 "
                      "dense) [V]",
            "hbm_gb": f"{_NEURON} latest nki/arch/trainium2_arch (96 GiB) [V]; 96 GiB = 103.1 GB",
            "hbm_stacks": f"{_NEURON} latest nki/arch/trainium2_arch (4 HBM stacks) [V]",
            "hbm_pool": "HBM from global suppliers",
            "mem_bw_tbs": f"{_NEURON} latest nki/arch/trainium2_arch (2.9 TB/s) [V]",
            "tdp_w": "ying-wen/evokernel-spec data/hardware/aws/trainium-2.yaml (~500 W; unconfirmed) [W]",
            "unit_size": f"{_NEURON} latest general/arch/neuron-hardware/trn2-arch (trn2.48xlarge: 16 "
                         "Trainium2 chips; an UltraServer joins 4 instances = 64) [V]",
            "cooling": UNKNOWN_COOLING_SOURCE.format(ref=REF),
            "cloud_only": CLOUD_ONLY_SOURCE,
            "year_available": REF,
        },
        estimate=["tdp_w", "cooling"],
        notes="cloud-only: rented through EC2, never sold, so no price_per_accel. To study it as if it could be "
              "bought, set chips.allow_cloud_only and give price_per_accel in [chips.overrides]. hbm_gb is the "
              "documented 96 GiB in GB. host_w_per_accel: the server-class estimate (see sources).",
    ),
]


@hookimpl
def tokenplan_chips() -> list[Chip]:
    return [Chip.model_validate(c) for c in CHIPS]
