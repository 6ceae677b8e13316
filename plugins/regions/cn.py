"""China region pack: the "East Data, West Computing" hub nodes and clusters, and the national AI cities.

Figures: shared/reference/domain-data.md sections 4b (electricity prices) and 6 (China policy). Problems use
a region with ``extends = "cn.gansu.qingyang"`` and add what is site-specific: ``power_mw`` and
``facility_capex_per_mw`` are left unset here (no public CNY-per-MW figure was found; the grid cap is a
property of the site), and the core asks for them when they are missing.

Tags:
- ``cn-hub``: the eight hub nodes (枢纽) and their ten clusters (集群); clusters also carry ``cn-cluster``;
- ``cn-ai-city``: Beijing, Shanghai, Shenzhen, Hangzhou (cities carrying national AI tasks);
- ``cn-power-discount``: Gansu, Guizhou, Inner Mongolia (hub and clusters), where large data centres running
  domestic chips get up to 50% off electricity (a rule applies the discount; the prices here are before it).

Electricity prices (CNY/kWh, before any discount) are sparse in public sources: Inner Mongolia and Gansu
have sourced figures; Guizhou and Ningxia take their mean (the FT groups Guizhou with the two as ~30% cheaper
than the coast); the coast and the other hubs take western / 0.7 (the FT ratio). Every such value is flagged.
"""

from __future__ import annotations

from typing import Any

from tokenplan import hookimpl
from tokenplan.records import Region

_DD = "shared/reference/domain-data.md"
_EDWC = (f"'East Data, West Computing' plan, Feb-2022 (NDRC, CAC, MIIT, NEA) [R China Daily, Xinhua]; hub and "
         f"cluster list [W cdxwcx.cn / renrendoc] ({_DD} section 6a)")
_FT = "Financial Times, 3/4-Nov-2025, via greenergydaily / semafor [R]"
_DISCOUNT = (f"{_FT}: Gansu, Guizhou and Inner Mongolia cut electricity bills by up to 50% for large data centres "
             f"running domestic chips ({_DD} section 6d)")
_AI_CITIES = ("seed:004_dcc5131f58164046.txt (cities carrying national AI tasks: Beijing, Shanghai, Shenzhen, "
              "Hangzhou; 40% subsidy for domestic-compute projects)")

#: Sourced western prices, CNY/kWh.
INNER_MONGOLIA_PRICE = 0.38
GANSU_PRICE = 0.398
#: Mean of the two sourced western prices.
WEST_PRICE = round((INNER_MONGOLIA_PRICE + GANSU_PRICE) / 2, 3)
#: FT: western industrial power ~30% cheaper than the coastal east -> coast = west / 0.7.
COAST_PRICE = round(WEST_PRICE / 0.7, 3)

_PRICE_SOURCES = {
    "inner-mongolia": f"China Daily (Hohhot standard charge 0.38 CNY/kWh, 2015) [R] ({_DD} section 4b)",
    "gansu": f"chinadailybrief; pulse.bot (Qingyang hub integrated green power 0.398 CNY/kWh, 2025/26) [W] "
             f"({_DD} section 4b)",
    "west": f"EST: mean of Inner Mongolia 0.38 [R] and Gansu 0.398 [W]; {_FT}: Gansu/Guizhou/Inner Mongolia "
            f"industrial power ~30% cheaper than the coast ({_DD} section 4b)",
    "coast": f"EST: western {WEST_PRICE} / 0.7 ({_FT}: western hubs ~30% cheaper than the coastal east); no "
             f"sourced CNY/kWh for Beijing/Shanghai/Guangdong ({_DD} section 4b)",
}
_PRICE = {"inner-mongolia": INNER_MONGOLIA_PRICE, "gansu": GANSU_PRICE, "west": WEST_PRICE, "coast": COAST_PRICE}

#: NDRC et al., Dec-2021: national hub nodes PUE < 1.25; new large/hyperscale data centres < 1.3.
HUB_PUE_CAP = 1.25
CITY_PUE_CAP = 1.3
_HUB_PUE_SOURCE = (f"NDRC et al. Dec-2021 implementation plan: national hub nodes PUE < 1.25 by 2025 [R Reuters "
                   f"relay] ({_DD} section 6b); the often-cited west-hub 1.2 target is unverified and not used")
_CITY_PUE_SOURCE = (f"NDRC et al. Dec-2021: new large/hyperscale data centres average PUE < 1.3 [R] ({_DD} "
                    "section 6b)")

# (slug, name, price key, power discount?, [(cluster slug, cluster name)])
HUBS: list[tuple[str, str, str, bool, list[tuple[str, str]]]] = [
    ("jing-jin-ji", "Beijing-Tianjin-Hebei hub (京津冀)", "coast", False,
     [("zhangjiakou", "Zhangjiakou cluster (张家口)")]),
    ("yangtze-delta", "Yangtze River Delta hub (长三角)", "coast", False,
     [("demo-zone", "YRD Ecological Green Integration Demo Zone cluster (长三角生态绿色一体化发展示范区: "
                    "Qingpu/Wujiang/Jiashan)"),
      ("wuhu", "Wuhu cluster (芜湖)")]),
    ("gba", "Guangdong-Hong Kong-Macao Greater Bay Area hub (粤港澳)", "coast", False,
     [("shaoguan", "Shaoguan cluster (韶关)")]),
    ("chengdu-chongqing", "Chengdu-Chongqing hub (成渝)", "coast", False,
     [("tianfu", "Tianfu cluster (天府)"), ("chongqing", "Chongqing cluster (重庆)")]),
    ("inner-mongolia", "Inner Mongolia hub (内蒙古)", "inner-mongolia", True,
     [("horinger", "Horinger cluster (和林格尔, Hohhot)")]),
    ("guizhou", "Guizhou hub (贵州)", "west", True,
     [("guian", "Gui'an cluster (贵安)")]),
    ("gansu", "Gansu hub (甘肃)", "gansu", True,
     [("qingyang", "Qingyang cluster (庆阳)")]),
    ("ningxia", "Ningxia hub (宁夏)", "west", False,
     [("zhongwei", "Zhongwei cluster (中卫)")]),
]

#: (slug, name): the four cities carrying national AI tasks.
AI_CITIES = [
    ("beijing", "Beijing (北京)"),
    ("shanghai", "Shanghai (上海)"),
    ("shenzhen", "Shenzhen (深圳)"),
    ("hangzhou", "Hangzhou (杭州)"),
]

_PRICE_NOTES = {
    "coast": "Power price is an estimate (western price / 0.7); give the site's tariff if known.",
    "west": "Power price is an estimate (mean of the sourced Gansu and Inner Mongolia prices).",
}
_DISCOUNT_NOTE = ("Up to 50% off electricity for large data centres using only domestic chips (a rule, "
                  "cn.domestic_power_discount, applies it). Caution: the FT puts the price *after* the discount "
                  "at ~0.4 CNY/kWh, about this pack's pre-discount price, so the sourced prices may already "
                  "include incentives; calibrate the discount rate to avoid counting it twice.")
_CHENGDU_NOTE = ("Chengdu-Chongqing is not in the FT's list of cheap western provinces; the coastal estimate is "
                 "an assumption.")


def _region(rid: str, name: str, tags: list[str], price_key: str, pue_cap: float, pue_source: str,
            tag_source: str, notes: list[str]) -> dict[str, Any]:
    estimate = ["power_price_per_kwh"] if price_key in ("west", "coast") else []
    return {
        "id": rid, "name": name, "country": "CN", "currency": "CNY", "tags": tags,
        "power_price_per_kwh": _PRICE[price_key], "pue_cap": pue_cap,
        "sources": {"tags": tag_source, "power_price_per_kwh": _PRICE_SOURCES[price_key], "pue_cap": pue_source,
                    },
        "estimate": estimate,
        "notes": " ".join(n for n in [_PRICE_NOTES.get(price_key, ""), *notes] if n) or None,
    }


def _regions() -> list[dict[str, Any]]:
    out = []
    for slug, name, price_key, discount, clusters in HUBS:
        extra = ["cn-power-discount"] if discount else []
        tag_source = _EDWC + (f"; cn-power-discount: {_DISCOUNT}" if discount else "")
        notes = ([_DISCOUNT_NOTE] if discount else []) + ([_CHENGDU_NOTE] if slug == "chengdu-chongqing" else [])
        out.append(_region(f"cn.{slug}", name, ["cn-hub", *extra], price_key, HUB_PUE_CAP, _HUB_PUE_SOURCE,
                           tag_source, notes))
        for cslug, cname in clusters:
            out.append(_region(f"cn.{slug}.{cslug}", cname, ["cn-hub", "cn-cluster", *extra], price_key,
                               HUB_PUE_CAP, _HUB_PUE_SOURCE, tag_source, notes))
    for slug, name in AI_CITIES:
        notes = ["Beijing: from 2026 a differential (higher) electricity price for data centres with annual PUE "
                 "> 1.35; target average PUE < 1.35 by 2027 (财联社 [R])."] if slug == "beijing" else []
        out.append(_region(f"cn.{slug}", name, ["cn-ai-city"], "coast", CITY_PUE_CAP, _CITY_PUE_SOURCE,
                           _AI_CITIES, notes))
    return out


REGIONS = _regions()


@hookimpl
def tokenplan_regions() -> list[Region]:
    return [Region.model_validate(r) for r in REGIONS]
