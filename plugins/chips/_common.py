"""Figures and citations shared by the chip modules (the one place for them: modules import, never copy).

Citation conventions: ``[V]`` vendor document or primary log, ``[R]`` reputable secondary, ``[W]`` weak
secondary, ``EST`` derived here (arithmetic shown), as in ``shared/reference/domain-data.md``. Seeds are
cited as ``seed:<file>``.
"""

from __future__ import annotations

from typing import Any

REF = "shared/reference/accelerators.csv"

#: GB per GiB: figures a source gives in GiB (2^30 bytes) are stored in GB (1e9 bytes), as every hbm_gb.
GIB = 1024**3 / 1e9
DOMAIN_DATA = "shared/reference/domain-data.md"

#: The seed that carries most chip facts of the domain brief (the brief's file column says 002 for several
#: of them, but the text is in 004: Ironwood specs, Ascend 950/960 roadmap, CloudMatrix price, CSP lives).
SEED_004 = "seed:004_dcc5131f58164046.txt"

#: Purchasable accelerators are depreciated over 4-6 years at large CSPs; 5 is the middle.
LIFETIME_YEARS = 5.0
LIFETIME_SOURCE = f"{SEED_004} (server depreciation lives at large US CSPs: 4-6 years); 5 = midpoint"

#: Cooling kinds an air-cooled HGX/OAM server can use: air (evidence per chip), a rear-door heat exchanger
#: (the server itself stays air-cooled; the door only takes the heat out of its exhaust air), and liquid
#: retrofits (cold plate, single- and two-phase immersion), which are an assumption.
AIR_AND_LIQUID = ["air", "rear_door", "cold_plate", "immersion_1p", "immersion_2p"]
AIR_AND_LIQUID_SOURCE = ("air: {ref}; rear door: the server stays air-cooled, the door only cools its exhaust; "
                         "cold plate and immersion (1- and 2-phase): assumption that an air-cooled server can be "
                         "liquid-cooled (estimate)")
#: Same list, for chips whose cooling is not published at all.
UNKNOWN_COOLING_SOURCE = ("not established in {ref}; assumption: air-cooled server like its peers, which "
                          "can also be liquid-cooled (estimate); restrict it in [chips.overrides]")

#: Systems built around cold plates, for which air cooling is not offered.
LIQUID_ONLY = ["cold_plate"]

#: DGX H100 node ~10.2 kW for 8 x 700 W GPUs -> (10,200 - 5,600) / 8 = 575 W of host per GPU.
HOPPER_HOST_W = 575.0
HOPPER_HOST_SOURCE = (f"EST: DGX H100 node ~10.2 kW ({DOMAIN_DATA} section 3, [W] kshirol) "
                      "minus 8 x 700 W GPU TDP, divided by 8")
#: Said in ``notes`` where no source gives the server overhead.
NO_HOST_W_NOTE = ("host_w_per_accel: no source gives this part's server overhead, so the DGX H100 host share "
                  "(575 W per accelerator) stands in for it (estimate); set it in [chips.overrides] if known")
#: The server-class host power an accelerator without a published figure gets (issue 13: every such part had
#: 0 W against 575 W for the H200): CPUs, NICs, fans and storage of an 8-accelerator server, from the DGX
#: H100 (the one server whose whole-node power the reference gives).
SERVER_HOST_W = HOPPER_HOST_W
SERVER_HOST_SOURCE = (f"EST (no figure for this part's server): the host share of an 8-GPU DGX H100, "
                      f"{HOPPER_HOST_SOURCE} = 575 W; CPUs, NICs, fans and storage do not scale with the "
                      "accelerator's own TDP")

#: Said in ``notes`` of chips without a published price.
NO_PRICE_NOTE = "no price found in the reference: give price_per_accel in [chips.overrides] to buy it"

#: Chips the problem cannot buy (cloud_only=True): rented through the vendor's cloud only.
CLOUD_ONLY_SOURCE = f"{REF} (export column 'n/a-cloud-only'): rented, not sold"


#: The server around 8 accelerators priced per card (chassis, CPUs, memory, baseboard with its NVLink/UB
#: scale-up), per accelerator: an 8 x H20 server costs CNY 1.2-1.4 M against $12-15k per card (both in
#: {DOMAIN_DATA} section 1, H20 row: Reuters Jan-2024): (1.3 M / 7.1 - 8 x $13.5k) / 8 = $9,387 per
#: accelerator, CNY 66,648 at 7.1 CNY per USD (the fx of the shipped problems).
#: CNY per USD: the rate at which the built-in bill's USD figures are given in CNY (the shipped problems' fx)
CNY_PER_USD = 7.1
SERVER_SHARE_USD = round((1_300_000 / CNY_PER_USD - 8 * 13_500) / 8)


def in_currency(usd: float, currency: str) -> float:
    """A built-in bill figure given in USD, in a chip's price currency (USD, or CNY at :data:`CNY_PER_USD`),
    rounded to a whole unit."""
    return round(usd * (1.0 if currency == "USD" else CNY_PER_USD))

SERVER_SHARE_SOURCE = (f"EST: server share per accelerator of an 8-card server, from the H20 row of {DOMAIN_DATA} "
                       "section 1 (8-GPU server CNY 1.2-1.4 M vs $12-15k per card, Reuters Jan-2024 [R]): "
                       "(1.3 M / 7.1 - 8 x 13.5k) / 8 = $9,387 (CNY 66,648)")
PER_CARD_BASIS_SOURCE = "the price source quotes a price per card (accelerator), not per server or system"

#: The scale-out fabric every accelerator of a cluster reaches the others over (one 400G NIC per GPU on HGX/DGX
#: H100, H200 and B200: NVIDIA DGX H100 user guide; SemiAnalysis, "MI300X vs H100 vs H200", Dec 2024), which no
#: catalog price includes (an 8-GPU server's price includes its NICs; NVL72 and CloudMatrix 384 prices their
#: scale-up fabric, not the scale-out one). Per accelerator, all estimates (issue 13 item 4):
#: - optics: 2 modules of 800G (equivalent): one 400G module at the NIC (half an 800G) and, in a two-tier
#:   non-blocking fat tree, half an 800G twin-port module at each of the leaf's down and up ports and the
#:   spine's port (NVIDIA's 400G transceiver docs: "linked to a single 800Gb/s Twin-port 2x400G OSFP
#:   transceiver ... in a Quantum-2 InfiniBand or Spectrum-4 Ethernet switch"); 16 W each (NVIDIA datasheets:
#:   800G twin-port 15 W multimode, 17 W single-mode; 400G 8-9 W); $1,600 each with its fibre: $3.2k of
#:   "connector & cable" per GPU (midpoint of $2.6-3.8k) in a public cost sheet of InfiniBand clusters of
#:   1,024-32,768 H100 (Aug 2024, FS.com/Thinkmate quotes; weak source) over the 2 modules;
#: - scale_out: the switches, $2,250 per accelerator (midpoint of $1.7-2.8k of 400G InfiniBand switches per GPU in
#:   the same sheet; weak source), and 110 W: storage servers, switches and optics draw about 10 % of an H100
#:   cluster's power (SemiAnalysis, "100,000 H100 Clusters", Jun 2024), 0.1 / 0.9 x 1,275 W = 142 W per GPU, less
#:   the optics' 32 W;
#: - storage: the networked flash an inference fleet keeps beside its servers (whose own NVMe drives are in the
#:   server's price): a model repository of about 0.5 PB per 1,000 GPUs, 0.5 TB per accelerator, at $0.08-0.15
#:   per GB of enterprise flash ("Storage geometry of a 100k-GPU cluster", manishklach.github.io, 2026; weak
#:   source): $60 per accelerator at the midpoint; its power is in scale_out's 110 W (the 10 % share counts
#:   storage servers). Training clusters keep far more (checkpoints, datasets: 2.5-3 EB per 100,000 GPUs, the
#:   same source), which a problem can set in [chips.overrides].
SCALE_OUT_USD = 2250.0
SCALE_OUT_W = 110.0
OPTICS_PER_ACCEL = 2.0
OPTICS_USD = 1600.0
OPTICS_W = 16.0
STORAGE_USD = 60.0
SCALE_OUT_SOURCE = ("EST (plugins/chips/_common.py): scale_out = 400G switches $2,250 per accelerator (midpoint of "
                    "$1.7-2.8k per GPU, Aug-2024 InfiniBand cluster cost sheet, weak) and 110 W (storage, switches "
                    "and optics ~10 % of an H100 cluster's power, SemiAnalysis Jun-2024, less the optics); optics = "
                    "2 x 800G-equivalent modules per accelerator (two-tier fat tree, NVIDIA transceiver docs), "
                    "16 W each (NVIDIA datasheets 15-17 W), $1,600 each with fibre (weak); storage = 0.5 TB of "
                    "networked flash per accelerator (a model repository) at $0.08-0.15/GB, $60 (weak; its power "
                    "is in scale_out)")


def scale_out_bill(currency: str) -> dict[str, dict[str, float]]:
    """The scale-out, optics and storage lines of a sold chip's bill, in its price currency (``in_currency``)."""
    return {"scale_out": {"price_each": in_currency(SCALE_OUT_USD, currency), "w_each": SCALE_OUT_W},
            "optics": {"count_per_accel": OPTICS_PER_ACCEL, "price_each": in_currency(OPTICS_USD, currency),
                       "w_each": OPTICS_W},
            "storage": {"price_each": in_currency(STORAGE_USD, currency)}}


def chip(**fields: Any) -> dict[str, Any]:
    """A chip record as a dict, with the shared lifetime and its source filled in, and, where the module gives
    no ``host_w_per_accel``, the server-class estimate ``SERVER_HOST_W`` (flagged, with its basis)."""
    fields.setdefault("lifetime_years", LIFETIME_YEARS)
    fields.setdefault("sources", {})
    fields["sources"].setdefault("lifetime_years", LIFETIME_SOURCE)
    if "price_basis" not in fields and not fields.get("cloud_only") and fields.get("unit_size", 1) <= 16:
        # every built-in server-class price is a per-card price: the bill adds the server around it
        if fields.get("price_currency") is None:  # no price published: the vendor's home currency, so that
            # the server share below has one (an override's price is read in it unless it gives price_currency)
            fields["price_currency"] = "CNY" if fields.get("origin") == "CN" else "USD"
        currency = fields["price_currency"]
        if currency in ("USD", "CNY"):
            fields["price_basis"] = "accelerator"
            fields["sources"].setdefault("price_basis", PER_CARD_BASIS_SOURCE)
            share = in_currency(SERVER_SHARE_USD, currency)
            fields.setdefault("bill", {"server": {"price_each": share}})
            fields["sources"].setdefault("bill", SERVER_SHARE_SOURCE)
            fields["estimate"] = [*fields.get("estimate", []), "bill"]
    if fields.get("price_basis") is not None and not fields.get("cloud_only") \
            and fields.get("price_currency", "USD") in ("USD", "CNY"):
        bill = fields.setdefault("bill", {})
        for part, line in scale_out_bill(fields.get("price_currency", "USD")).items():
            bill.setdefault(part, line)
        fields["sources"]["bill"] = "; ".join(s for s in (fields["sources"].get("bill"), SCALE_OUT_SOURCE) if s)
        if "bill" not in fields.get("estimate", []):
            fields["estimate"] = [*fields.get("estimate", []), "bill"]
    if "host_w_per_accel" not in fields:
        fields["host_w_per_accel"] = SERVER_HOST_W
        fields["sources"].setdefault("host_w_per_accel", SERVER_HOST_SOURCE)
        fields["estimate"] = [*fields.get("estimate", []), "host_w_per_accel"]
    return fields

#: Measured sustained dense GEMM throughput (``Chip.gemm_tflops``): an independent microbenchmark of the
#: chip and its software stack, not a datasheet peak. H100, H200, MI300X: one article, one method.
SEMIANALYSIS_GEMM = ("SemiAnalysis, 'MI300X vs H100 vs H200 Benchmark Part 1: Training - CUDA Moat Still Alive', "
                     "22 Dec 2024, https://semianalysis.com/2024/12/22/mi300x-vs-h100-vs-h200-benchmark-part-1-"
                     "training/ (Triton do_bench, median over Llama-70B training GEMM shapes such as (16384, "
                     "8192, 7168) and (8192, 8192, 8192)) [R]")
GEMM_NOTE = ("gemm_tflops: measured sustained dense GEMM TFLOP/s (microbenchmark, not a datasheet peak), "
             "approximate, read from the article's text")
