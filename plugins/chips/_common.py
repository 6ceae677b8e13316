"""Figures shared by the chip modules, with their sources."""

from __future__ import annotations

from typing import Any

REF = "shared/reference/accelerators.csv"

#: Purchasable accelerators are depreciated over 4-6 years at large CSPs; 5 is the middle.
LIFETIME_YEARS = 5.0
LIFETIME_SOURCE = "seed:002 (server depreciation lives at large US CSPs: 4-6 years); 5 = midpoint"

#: Cooling kinds an air-cooled HGX/OAM server can use: air (vendor/MLPerf), and liquid retrofits.
AIR_AND_LIQUID = ["air", "cold_plate", "immersion_1p"]
AIR_AND_LIQUID_SOURCE = ("air: MLPerf system description 'Air-cooled' ({ref}); cold plate and immersion: "
                         "assumption that an air-cooled server can be liquid-cooled (estimate)")

#: DGX H100 node ~10.2 kW for 8 x 700 W GPUs -> (10,200 - 5,600) / 8 = 575 W of host per GPU.
HOPPER_HOST_W = 575.0
HOPPER_HOST_SOURCE = ("EST: DGX H100 node ~10.2 kW (shared/reference/domain-data.md section 3, [W] kshirol) "
                      "minus 8 x 700 W GPU TDP, divided by 8")


def chip(**fields: Any) -> dict[str, Any]:
    """A chip record as a dict, with the shared lifetime and its source filled in."""
    fields.setdefault("lifetime_years", LIFETIME_YEARS)
    fields.setdefault("sources", {})
    fields["sources"].setdefault("lifetime_years", LIFETIME_SOURCE)
    return fields
