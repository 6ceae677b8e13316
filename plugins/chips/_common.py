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


def chip(**fields: Any) -> dict[str, Any]:
    """A chip record as a dict, with the shared lifetime and its source filled in, and, where the module gives
    no ``host_w_per_accel``, the server-class estimate ``SERVER_HOST_W`` (flagged, with its basis)."""
    fields.setdefault("lifetime_years", LIFETIME_YEARS)
    fields.setdefault("sources", {})
    fields["sources"].setdefault("lifetime_years", LIFETIME_SOURCE)
    if "host_w_per_accel" not in fields:
        fields["host_w_per_accel"] = SERVER_HOST_W
        fields["sources"].setdefault("host_w_per_accel", SERVER_HOST_SOURCE)
        fields["estimate"] = [*fields.get("estimate", []), "host_w_per_accel"]
    return fields
