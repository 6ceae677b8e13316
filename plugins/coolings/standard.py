"""Standard cooling options (figures: shared/reference/domain-data.md section 3, with sources).

Costs are per kW of IT load, in USD, on top of the region's ``facility_capex_per_mw`` (which, like the
Cushman & Wakefield cost guide it comes from, already includes an air-cooled mechanical plant): air is the
baseline at 0; the liquid options carry their premium over air.

Figures the reference lacks (rear-door heat exchangers) come from public pages cited by URL; where no
figure was found the value is an estimate with its reasoning in the source string.
"""

from __future__ import annotations

from tokenplan import hookimpl
from tokenplan.records import Cooling

#: Cushman & Wakefield 2025: average US build cost $11.7 M per MW of critical load [R].
FACILITY_USD_PER_KW = 11_700.0
_PREMIUM = ("hvac.best 'Liquid vs air cooling' (2026) initial cost premium over air: direct-to-chip 10-15%, "
            "immersion 15-20% [W]; x $11.7 M/MW (Cushman & Wakefield 2025 [R]); midpoint; estimate")
_NO_FIGURE = "no sourced figure: cooling energy is in the PUE; plant upkeep not modelled separately"

COOLINGS = [
    Cooling(
        id="air", name="Air (CRAH/CRAC, hot/cold aisle)", pue=1.4, max_rack_kw=30.0,
        capex_per_kw_it=0.0, opex_per_kw_it_year=0.0, water_l_per_kwh=0.36, currency="USD",
        sources={
            "pue": "Uptime Institute: industry average 1.56-1.58 (2023-24), new large builds <= 1.3 [R]; "
                   "modern air 1.2-1.4 [W inferensys]; 1.4 chosen for a new AI hall",
            "max_rack_kw": "practical air ceiling ~30 kW/rack [W inferensys]; Uptime: few racks > 20-30 kW [R]",
            "capex_per_kw_it": "baseline: included in facility_capex_per_mw (Cushman & Wakefield 2025 [R])",
            "opex_per_kw_it_year": _NO_FIGURE,
            "water_l_per_kwh": "LBNL 2024 via Vertiv: average site WUE 0.36 L/kWh (2023) [R]",
        },
        estimate=["pue", "opex_per_kw_it_year"],
    ),
    Cooling(
        id="cold_plate", name="Direct-to-chip cold plate (single-phase, CDU)", pue=1.15, max_rack_kw=200.0,
        capex_per_kw_it=round(0.125 * FACILITY_USD_PER_KW), opex_per_kw_it_year=0.0,
        water_l_per_kwh=0.0, currency="USD",
        sources={
            "pue": "1.1-1.2 when 60-80% of heat goes to liquid [W fluxtherm]; midpoint",
            "max_rack_kw": "50-200 kW/rack [W fluxtherm]; GB200 NVL72 120-132 kW/rack [R introl]",
            "capex_per_kw_it": _PREMIUM.replace("midpoint", "12.5%"),
            "opex_per_kw_it_year": _NO_FIGURE,
            "water_l_per_kwh": "closed loop with dry coolers: near-zero site water [W]",
        },
        estimate=["pue", "capex_per_kw_it", "opex_per_kw_it_year", "water_l_per_kwh"],
    ),
    Cooling(
        id="immersion_1p", name="Single-phase immersion (hydrocarbon or silicone oil)", pue=1.07,
        max_rack_kw=200.0, capex_per_kw_it=round(0.175 * FACILITY_USD_PER_KW), opex_per_kw_it_year=0.0,
        water_l_per_kwh=0.0, currency="USD",
        sources={
            "pue": "Qingyang (Gansu) immersion site PUE 1.07 [W chinadailybrief]; vendors claim 1.02-1.03 [W]",
            "max_rack_kw": "tank-level density, fans eliminated [R ServeTheHome]; 200 kW/tank assumption",
            "capex_per_kw_it": _PREMIUM.replace("midpoint", "17.5%") +
                               "; Iceotope's 2 MW study finds -10%..-14% at 20-40 kW/rack [R]",
            "opex_per_kw_it_year": _NO_FIGURE,
            "water_l_per_kwh": "minimal [R iceotope]",
        },
        estimate=["max_rack_kw", "capex_per_kw_it", "opex_per_kw_it_year", "water_l_per_kwh"],
    ),
    Cooling(
        id="rear_door", name="Rear-door heat exchanger (active, facility water)", pue=1.3, max_rack_kw=60.0,
        capex_per_kw_it=round(0.10 * FACILITY_USD_PER_KW), opex_per_kw_it_year=0.0, water_l_per_kwh=0.36,
        currency="USD",
        sources={
            "pue": "EST: between air (1.4) and cold plate (1.15): the door removes rack heat at the source and "
                   "cuts air-side fan/chiller work, but servers keep their fans; worked example at "
                   "coolnetpower.com/blog/rdhx-improve-data-center-efficiency-and-pue (PUE 1.4 -> 1.28-1.36 for "
                   "a 10-30% cut in cooling overhead) [W]",
            "max_rack_kw": "yobitel.com/knowledge-base/rear-door-heat-exchanger (active RDHx up to ~60 kW per rack, "
                           "passive ~35 kW) [W]; HPE Motivair door QuickSpecs bands 14-35 / 35-55 / 55-75 kW, via "
                           "coolnetpower.com/blog/how-much-heat-can-a-rear-door-heat-exchanger-remove [W]",
            "capex_per_kw_it": "EST: no public cost figure found; taken as the low end of the direct-to-chip "
                               "premium (10% of $11.7 M/MW, hvac.best [W] x Cushman & Wakefield 2025 [R]): it needs "
                               "the same facility water loop but no in-server hardware",
            "opex_per_kw_it_year": _NO_FIGURE,
            "water_l_per_kwh": "EST: assumes a chilled-water plant with evaporative heat rejection like the air "
                               "baseline (LBNL 2024 via Vertiv: average site WUE 0.36 L/kWh [R]); near 0 with dry "
                               "coolers",
        },
        estimate=["pue", "max_rack_kw", "capex_per_kw_it", "opex_per_kw_it_year", "water_l_per_kwh"],
        notes="Cools the rack exhaust air with a water coil in the rear door; the servers stay air-cooled, so "
              "any air-cooled server can use it. A bridge for 20-60 kW racks, not for NVL72-class racks.",
    ),
    Cooling(
        id="immersion_2p", name="Two-phase immersion (fluorinated dielectric fluid)", pue=1.02,
        max_rack_kw=200.0, capex_per_kw_it=round(0.175 * FACILITY_USD_PER_KW), opex_per_kw_it_year=0.0,
        water_l_per_kwh=0.0, currency="USD",
        sources={
            "pue": "1.02 measured at a 500 kW Hong Kong site (LiquidStack vendor blog) [W] "
                   "(shared/reference/domain-data.md section 3)",
            "max_rack_kw": "very high, tank-level density (domain-data.md section 3); 200 kW/tank assumption as "
                           "for single-phase immersion",
            "capex_per_kw_it": _PREMIUM.replace("midpoint", "17.5%") +
                               "; same premium as single-phase immersion (fluid cost not included)",
            "opex_per_kw_it_year": _NO_FIGURE,
            "water_l_per_kwh": "minimal (domain-data.md section 3); LiquidStack 2022 case study: almost zero makeup "
                               "water, via thecooltank.com/post/two-phase-liquid-immersion-cooling [W]",
        },
        estimate=["max_rack_kw", "capex_per_kw_it", "opex_per_kw_it_year", "water_l_per_kwh"],
        notes="PFAS supply and regulatory risk: the usual two-phase fluids are fluorinated (perfluorocarbons); "
              "3M stopped making its PFAS (Novec) fluids by the end of 2025 and Microsoft and Meta halted "
              "two-phase research [R ServeTheHome, DCD]. Chinese fluorochemical makers also supply such fluids "
              "(seed:000_71edd0971ade753a.txt), which eases but does not remove the risk. Add it to "
              "coolings.deny to plan without it.",
    ),
]


@hookimpl
def tokenplan_coolings() -> list[Cooling]:
    return list(COOLINGS)
