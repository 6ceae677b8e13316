"""Huawei Ascend accelerators (figures: shared/reference/accelerators.csv and domain-data.md section 1).

Huawei does not publish per-chip specs; the figures are low-confidence and flagged as estimates. The 950
and 960 parts are roadmap announcements (Huawei Connect, Sep-2025), not shipped products: their power and
price are unknown and left out, so the core uses them only when a problem supplies those figures.

HBM pools: the 950 family carries Huawei's in-house HBM ("HiBL 1.0" on 950PR, "HiZQ 2.0" on 950DT), pool
"cn". The 910B/910C use HBM2E that China cannot make in volume yet (they used stockpiled foreign HBM2E);
they are put in the "cn" pool too, flagged as an estimate, because new 910-class supply competes for the
same domestic/stockpiled stacks rather than for the global HBM3e market.
"""

from __future__ import annotations

from tokenplan import hookimpl
from tokenplan.plugins.chips._common import (
    AIR_AND_LIQUID,
    DOMAIN_DATA,
    NO_HOST_W_NOTE,
    NO_PRICE_NOTE,
    REF,
    SEED_004,
    UNKNOWN_COOLING_SOURCE,
    chip,
)
from tokenplan.records import Chip

_SIMULATOR = "jiangkuaixue123/light-llm-simulator conf/hardware_config.py"
_EVOKERNEL = "ying-wen/evokernel-spec data/hardware/huawei/ascend-910b.yaml"
_SEMIANALYSIS = "SemiAnalysis CloudMatrix 384 estimates via winbuzzer.com/2025/04/20 and TrendForce [R]"
_ROADMAP = "Huawei Connect 2025 roadmap relayed by cloudnews.tech, partofstyle.com, reportify.ai [V as relayed]"
_STOCKPILED = ("estimate: pool 'cn' (domestic/stockpiled supply): the 910B/910C used stockpiled foreign HBM2E; "
               "Chinese HBM (CXMT HBM2/HBM3) is only ramping")
_HUAWEI_HBM = (f"Huawei in-house HBM ({DOMAIN_DATA} section 5: HiBL 1.0 for 950PR, HiZQ 2.0 for 950DT; "
               f"{SEED_004}: self-developed HBM) -> pool 'cn'")
_UNIT8 = "assumption: 8-NPU Atlas 800 server"
_HBM2E_NOTE = ("HBM: these chips used stockpiled foreign HBM2E; they are put in the 'cn' pool (estimate) because "
               "new supply of 910-class HBM competes with domestic HBM, not with the global HBM3e market.")
#: INT8 (W8A8, the usual serving mode of Ascend parts, which have no FP8): the Da Vinci cube does 8,192 INT8
#: MACs per cycle against 4,096 FP16 (Huawei at Hot Chips 2019, relayed by vengineer.hatenablog.com [W]; the
#: Ascend 910: 256 TFLOPS FP16, 512 TOPS INT8), so INT8 = 2 x FP16 (EST for the 910B and 910C, whose INT8
#: peak Huawei does not publish; 910B: "INT8 640 TOPS" in borimooc.com [W]).
_DAVINCI_INT8 = ("EST: 2 x the FP16 peak (Da Vinci cube: 8,192 INT8 vs 4,096 FP16 MACs per cycle; Ascend 910 "
                 "256 TFLOPS FP16 / 512 TOPS INT8, Huawei Hot Chips 2019 via vengineer.hatenablog.com) [W]; "
                 "not in shared/reference")
_910C_TFLOPS = {"bf16": 780, "fp16": 800, "int8": 1600}
_910C_SOURCES = {
    "tflops.bf16": f"{_SEMIANALYSIS} (~780 BF16)",
    "tflops.fp16": f"{SEED_004} (~800 TFLOPS FP16; the seed writes '920C', the domain brief reads 910C = two "
                   "910B dies) [W]",
    "tflops.int8": f"{_DAVINCI_INT8}: 2 x 800",
    "hbm_gb": f"{_SEMIANALYSIS} (128 GB)",
    "hbm_stacks": "clef1.com relay of SemiAnalysis (eight HBM2E modules) [R]",
    "hbm_pool": _STOCKPILED,
    "mem_bw_tbs": f"{_SEMIANALYSIS} (3.2 TB/s)",
}
#: CloudMatrix 384: ~559 kW for 384 chips (SemiAnalysis, relayed), i.e. per chip *system-level*.
CM384_W_PER_CHIP = round(559_000 / 384)
#: 70-80 M CNY per super-node (seed 004), midpoint, per chip.
CM384_CNY_PER_CHIP = round(75_000_000 / 384)

CHIPS = [
    chip(
        id="huawei.ascend-910b", vendor="Huawei", name="Huawei Ascend 910B", family="Ascend", origin="CN",
        year_available=2023, tflops={"bf16": 320, "int8": 640}, hbm_gb=64, hbm_stacks=4, hbm_pool="cn",
        mem_bw_tbs=1.6, tdp_w=400, unit_size=8,
        price_per_accel=120000, price_currency="CNY", price_year=2024, cooling=AIR_AND_LIQUID,
        sources={
            "tflops.bf16": f"LOW CONFIDENCE: {_EVOKERNEL} (320); FP16 295-376 by bin per {_SIMULATOR} [W]; "
                           "no FP8",
            "tflops.int8": f"{_DAVINCI_INT8}: 2 x 320; borimooc.com (910B 'INT8 640 TOPS') [W]",
            "hbm_gb": f"{_EVOKERNEL}; {_SIMULATOR} (64 GB) [W]",
            "hbm_stacks": "EST: 64 GB / 16 GB per HBM2e stack",
            "hbm_pool": _STOCKPILED,
            "mem_bw_tbs": f"{_SIMULATOR}; {_EVOKERNEL} (1.6 TB/s) [W]",
            "tdp_w": f"{_EVOKERNEL} (400 W; other blogs 310-350 W) [W]",
            "unit_size": _UNIT8,
            "price_per_accel": "Reuters Jan-2024 (about CNY 120k per card) [R]",
            "cooling": UNKNOWN_COOLING_SOURCE.format(ref=REF),
            "year_available": REF,
        },
        estimate=["tflops", "hbm_gb", "hbm_stacks", "hbm_pool", "mem_bw_tbs", "tdp_w", "unit_size", "cooling"],
        notes=f"{_HBM2E_NOTE} {NO_HOST_W_NOTE}",
    ),
    chip(
        id="huawei.ascend-910c", vendor="Huawei", name="Huawei Ascend 910C", family="Ascend", origin="CN",
        year_available=2025, tflops=dict(_910C_TFLOPS), hbm_gb=128, hbm_stacks=8, hbm_pool="cn",
        mem_bw_tbs=3.2, unit_size=8, cooling=AIR_AND_LIQUID,
        sources={
            **_910C_SOURCES,
            "unit_size": _UNIT8,
            "cooling": UNKNOWN_COOLING_SOURCE.format(ref=REF),
            "year_available": f"{REF} (2024-25; volume in 2025)",
        },
        estimate=["tflops", "hbm_pool", "unit_size", "cooling"],
        notes=f"TDP not published: only a system-level ~1.46 kW per chip for CloudMatrix 384 (see "
              f"huawei.cloudmatrix-384), left out here. {NO_PRICE_NOTE}. {_HBM2E_NOTE} {NO_HOST_W_NOTE}",
    ),
    chip(
        id="huawei.cloudmatrix-384", price_basis="system",
        vendor="Huawei", name="Huawei CloudMatrix 384 (Ascend 910C super-node)",
        family="Ascend", origin="CN", year_available=2025, tflops=dict(_910C_TFLOPS), hbm_gb=128, hbm_stacks=8,
        hbm_pool="cn", mem_bw_tbs=3.2, tdp_w=CM384_W_PER_CHIP, host_w_per_accel=0, unit_size=384,
        price_per_accel=CM384_CNY_PER_CHIP, price_currency="CNY", price_year=2025, cooling=AIR_AND_LIQUID,
        sources={
            **_910C_SOURCES,
            "tdp_w": f"EST: ~559 kW per CloudMatrix 384 / 384 chips, system-level (NPUs, CPUs, optics, switches) "
                     f"({_SEMIANALYSIS}; {DOMAIN_DATA} section 1)",
            "unit_size": f"{SEED_004} (Ascend 384 super-node, sold per set); {DOMAIN_DATA} (CM384 = 384 x 910C)",
            "price_basis": f"{SEED_004}: the price is the super-node set's (NPUs, CPUs, optical scale-up fabric)",
            "price_per_accel": f"EST: {SEED_004} (about CNY 70-80 M per super-node set; project discounts up to "
                               "50%) -> midpoint 75 M / 384",
            "cooling": UNKNOWN_COOLING_SOURCE.format(ref=REF),
            "year_available": f"{REF} (910C volume 2025)",
        },
        estimate=["tflops", "hbm_pool", "tdp_w", "price_per_accel", "cooling"],
        notes=f"Per-accelerator figures are the 910C's. {_HBM2E_NOTE} tdp_w is the system-level power per chip "
              "(it already includes the host and network share), so host_w_per_accel stays 0. The super-node "
              "spans several "
              "racks (rack count not in the reference): rack_kw is left unset, so the core's default (IT kW of "
              "the whole 384-chip unit, ~560 kW) exceeds every built-in cooling's max_rack_kw; give rack_kw in "
              "[chips.overrides] to use it. Price: list midpoint; projects see discounts up to 50%.",
    ),
    chip(
        id="huawei.ascend-950pr", vendor="Huawei", name="Huawei Ascend 950PR (planned)", family="Ascend",
        origin="CN", year_available=2026, quarter_available=1, tflops={"fp8": 1000, "fp4": 2000}, hbm_gb=128,
        hbm_stacks=8,
        hbm_pool="cn", mem_bw_tbs=1.6, unit_size=8, cooling=AIR_AND_LIQUID,
        sources={
            "tflops": f"{_ROADMAP} (1 PF FP8, 2 PF FP4); {SEED_004} (~1,000 TFLOPS FP8); BF16 not announced",
            "hbm_gb": f"{_ROADMAP} (128 GB HiBL 1.0); {SEED_004} (8 stacks x 16 GB)",
            "hbm_stacks": f"{SEED_004} (first-gen in-house HBM: 8 stacks, 16 GB and 204 GB/s each; every 950 "
                          "carries 8 HBM)",
            "hbm_pool": _HUAWEI_HBM,
            "mem_bw_tbs": f"{_ROADMAP} (1.6 TB/s)",
            "unit_size": _UNIT8,
            "cooling": UNKNOWN_COOLING_SOURCE.format(ref=REF),
            "year_available": f"{_ROADMAP} (Q1-2026)",
            "quarter_available": f"{_ROADMAP} (Q1-2026; {DOMAIN_DATA} section 1, roadmap line)",
        },
        estimate=["unit_size", "cooling"],
        notes=f"Roadmap part: TDP not announced. {NO_PRICE_NOTE} (one blog's ~CNY 10k per card is implausible "
              f"and not used). {NO_HOST_W_NOTE}",
    ),
    chip(
        id="huawei.ascend-950dt", vendor="Huawei", name="Huawei Ascend 950DT (planned)", family="Ascend",
        origin="CN", year_available=2026, quarter_available=4, tflops={"fp8": 1000, "fp4": 2000}, hbm_gb=144,
        hbm_stacks=6,
        hbm_pool="cn", mem_bw_tbs=4.0, unit_size=8, cooling=AIR_AND_LIQUID,
        sources={
            "tflops": f"{_ROADMAP} (1 PF FP8, 2 PF FP4); BF16 not announced",
            "hbm_gb": f"{_ROADMAP} (144 GB HiZQ 2.0)",
            "hbm_stacks": f"EST: 144 GB / 24 GB per second-gen stack ({SEED_004}: 24 GB and 683 GB/s per stack, "
                          "'6, 8 or 12 stacks'); 6 x 683 GB/s = 4.1 TB/s matches the 4 TB/s announced",
            "hbm_pool": _HUAWEI_HBM,
            "mem_bw_tbs": f"{_ROADMAP} (4 TB/s)",
            "unit_size": _UNIT8,
            "cooling": UNKNOWN_COOLING_SOURCE.format(ref=REF),
            "year_available": f"{_ROADMAP} (Q4-2026)",
            "quarter_available": f"{_ROADMAP} (Q4-2026; {DOMAIN_DATA} section 1, roadmap line)",
        },
        estimate=["hbm_stacks", "unit_size", "cooling"],
        notes=f"Roadmap part: TDP not announced. {NO_PRICE_NOTE}. {NO_HOST_W_NOTE}",
    ),
    chip(
        id="huawei.ascend-960", vendor="Huawei", name="Huawei Ascend 960 (roadmap)", family="Ascend",
        origin="CN", year_available=2027, quarter_available=4, tflops={"fp8": 2000, "fp4": 4000}, hbm_gb=288,
        hbm_pool="cn",
        mem_bw_tbs=9.6,
        unit_size=8, cooling=AIR_AND_LIQUID,
        sources={
            "tflops.fp8": f"{_ROADMAP} (2 PF FP8)",
            "tflops.fp4": "reportify.ai/social-media/721274785461778 relay of Huawei Connect 2025 (960: 2 PF FP8, "
                          "4 PF FP4; Huawei's HiF4 format) [V as relayed; not in shared/reference]",
            "hbm_gb": f"{_ROADMAP} (288 GB)",
            "hbm_pool": "assumption: Huawei's in-house HBM line continues (estimate)",
            "mem_bw_tbs": f"{_ROADMAP} (9.6 TB/s); {SEED_004} (9.6 TB/s, on par with B200)",
            "unit_size": _UNIT8,
            "cooling": UNKNOWN_COOLING_SOURCE.format(ref=REF),
            "year_available": f"{_ROADMAP} (Q4-2027)",
            "quarter_available": f"{_ROADMAP} (Q4-2027; {DOMAIN_DATA} section 1, roadmap line)",
        },
        estimate=["hbm_pool", "unit_size", "cooling"],
        notes=f"Roadmap part: HBM stack count, TDP and price not announced (hbm_stacks None: give it in "
              f"[chips.overrides] when a problem counts HBM in stacks). {NO_PRICE_NOTE}. {NO_HOST_W_NOTE}",
    ),
]


@hookimpl
def tokenplan_chips() -> list[Chip]:
    return [Chip.model_validate(c) for c in CHIPS]
