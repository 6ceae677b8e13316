"""The built-in catalog data: chips, coolings and the China region pack validate and carry their sources.

Only the plugins of the ``tokenplan`` distribution are loaded (third-party plugins are skipped), so these
tests check what ships, whatever else is installed.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tokenplan.catalog import Catalog
from tokenplan.cli import cli
from tokenplan.host import AUTOLOAD_ENV, BUILTIN_DISTRIBUTION, PluginHost
from tokenplan.records import Chip, Cooling, Region
from tokenplan.testing import missing_sources

COOLING_KINDS = {"air", "rear_door", "cold_plate", "immersion_1p", "immersion_2p"}

CLOUD_ONLY = {"google.tpu-v5e", "google.tpu-v5p", "google.tpu-v6e", "google.tpu-v7", "aws.trainium2"}
NVL72 = {"nvidia.gb200-nvl72", "nvidia.gb300-nvl72"}
EXPECTED_CHIPS = {
    "nvidia.h100", "nvidia.h200", "nvidia.h20", "nvidia.b200", "nvidia.b300", *NVL72,
    "amd.mi300x", "amd.mi325x", "amd.mi350x", "amd.mi355x", "intel.gaudi3", *CLOUD_ONLY,
    "huawei.ascend-910b", "huawei.ascend-910c", "huawei.ascend-950pr", "huawei.ascend-950dt",
    "huawei.ascend-960", "huawei.cloudmatrix-384",
    "cambricon.mlu370-x8", "cambricon.mlu590", "baidu.kunlun-p800", "hygon.dcu-k100-ai",
}
HUBS = {
    "cn.jing-jin-ji": {"zhangjiakou"},
    "cn.yangtze-delta": {"demo-zone", "wuhu"},
    "cn.gba": {"shaoguan"},
    "cn.chengdu-chongqing": {"tianfu", "chongqing"},
    "cn.inner-mongolia": {"horinger"},
    "cn.guizhou": {"guian"},
    "cn.gansu": {"qingyang"},
    "cn.ningxia": {"zhongwei"},
}
DISCOUNT_HUBS = {"cn.gansu", "cn.guizhou", "cn.inner-mongolia"}
AI_CITIES = {"cn.beijing", "cn.shanghai", "cn.shenzhen", "cn.hangzhou"}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    """The built-in plugins only."""
    return Catalog(PluginHost(autoload=False))


@pytest.fixture(scope="module")
def chips(catalog: Catalog) -> dict[str, Chip]:
    return {c.id: c for c in catalog.chips()}


@pytest.fixture(scope="module")
def coolings(catalog: Catalog) -> dict[str, Cooling]:
    return {k.id: k for k in catalog.coolings()}


@pytest.fixture(scope="module")
def regions(catalog: Catalog) -> dict[str, Region]:
    return {r.id: r for r in catalog.regions()}


def _builtin(catalog: Catalog, kind: str, record_id: str) -> bool:
    plugin = catalog.provider[(kind, record_id)]
    return catalog.host.infos[plugin].distribution == BUILTIN_DISTRIBUTION


# -- everything validates -----------------------------------------------------------------------------
def test_every_builtin_record_validates(catalog: Catalog) -> None:
    for kind, records, model in (("chip", catalog.chips(), Chip), ("cooling", catalog.coolings(), Cooling),
                                 ("region", catalog.regions(), Region)):
        assert records, f"no built-in {kind}"
        for record in records:
            assert _builtin(catalog, kind, record.id)
            model.model_validate(record.model_dump())  # round-trips through validation


def test_the_expected_chips_ship(chips: dict[str, Chip]) -> None:
    assert EXPECTED_CHIPS <= set(chips), sorted(EXPECTED_CHIPS - set(chips))


def test_the_expected_coolings_ship(coolings: dict[str, Cooling]) -> None:
    assert set(coolings) == COOLING_KINDS
    assert "PFAS" in (coolings["immersion_2p"].notes or "")


# -- provenance ---------------------------------------------------------------------------------------
def test_every_chip_figure_has_a_source(chips: dict[str, Chip]) -> None:
    missing = [f"{chip.id}.{name}" for chip in chips.values() for name in missing_sources(chip)]
    assert not missing, f"figures without a source: {missing}"
    for chip in chips.values():
        if chip.price_per_accel is not None:
            assert chip.price_currency and chip.price_year, f"{chip.id}: price without currency or year"


def test_every_cooling_figure_has_a_source(coolings: dict[str, Cooling]) -> None:
    for k in coolings.values():
        assert missing_sources(k) == [], k.id
        assert k.currency, k.id


def test_every_region_figure_has_a_source(regions: dict[str, Region]) -> None:
    for r in regions.values():
        assert missing_sources(r) == [], r.id


def test_the_source_check_can_fail() -> None:
    chip = Chip(id="x.y", vendor="X", origin="US", year_available=2025, tflops={"fp8": 1.0, "bf16": 0.5},
                tdp_w=100, cooling=["air"], sources={"tdp_w": "datasheet", "tflops.fp8": "datasheet"})
    assert missing_sources(chip) == ["year_available", "unit_size", "lifetime_years", "cooling", "tflops.bf16"]
    # a measured GEMM rate needs its own source (the microbenchmark), like a peak
    measured = chip.model_copy(update={"gemm_tflops": {"fp8": 0.6}})
    assert missing_sources(measured)[-1] == "gemm_tflops.fp8"
    sourced = measured.model_copy(update={"sources": {**chip.sources, "gemm_tflops": "a microbenchmark"}})
    assert "gemm_tflops.fp8" not in missing_sources(sourced)


def test_measured_gemm_rates_are_below_the_peaks_and_carry_their_source(chips: dict[str, Chip]) -> None:
    measured = {c.id: c.gemm_tflops for c in chips.values() if c.gemm_tflops}
    # the microbenchmark figures of the catalog (SemiAnalysis Dec 2024; Azure for GB200)
    assert measured == {"nvidia.h100": {"fp8": 1280, "bf16": 720}, "nvidia.h200": {"fp8": 1280, "bf16": 720},
                        "amd.mi300x": {"fp8": 990, "bf16": 620}, "nvidia.gb200-nvl72": {"fp8": 2744}}
    for chip_id, rates in measured.items():
        chip = chips[chip_id]
        assert chip.sources.get("gemm_tflops"), chip_id
        assert all(v < chip.tflops[p] for p, v in rates.items()), chip_id
    assert "VIP" in chips["amd.mi300x"].sources["gemm_tflops"]


def test_a_measured_gemm_rate_above_the_peak_is_refused() -> None:
    fields = dict(id="x.y", vendor="X", origin="US", year_available=2025, tflops={"fp8": 100.0}, cooling=["air"])
    with pytest.raises(ValueError, match=r"gemm_tflops fp8 = 150 is above the dense peak \(tflops fp8 = 100\)"):
        Chip(**fields, gemm_tflops={"fp8": 150.0})
    with pytest.raises(ValueError, match="unknown precision 'fp7'"):
        Chip(**fields, gemm_tflops={"fp7": 50.0})
    with pytest.raises(ValueError, match="less than or equal to 100000"):
        Chip(**{**fields, "tflops": {"fp8": 1e5}}, gemm_tflops={"fp8": 1e6})
    # equal to the peak, or at a precision without a peak: accepted
    assert Chip(**fields, gemm_tflops={"fp8": 100.0, "bf16": 40.0}).gemm_tflops["bf16"] == 40.0


def test_estimates_name_real_fields(catalog: Catalog) -> None:
    for record in [*catalog.chips(), *catalog.coolings(), *catalog.regions()]:
        fields = set(type(record).model_fields)
        for name in record.estimate:
            head, _, sub = name.partition(".")
            assert head in fields, f"{record.id}: estimate names unknown field {name!r}"
            if sub:
                assert isinstance(record, Chip) and head == "tflops" and sub in record.tflops, \
                    f"{record.id}: estimate names unknown sub-figure {name!r}"
        for key in record.sources:
            head, _, sub = key.partition(".")
            assert head in fields or key == "*", f"{record.id}: source for unknown field {key!r}"
            if sub:
                assert isinstance(record, Chip) and head == "tflops" and sub in record.tflops, \
                    f"{record.id}: source for unknown sub-figure {key!r}"


def test_estimated_figures_have_values_or_reasons(chips: dict[str, Chip]) -> None:
    """An estimate flag on an unknown (None) field would be meaningless."""
    for chip in chips.values():
        for name in chip.estimate:
            head = name.split(".")[0]
            assert getattr(chip, head) not in (None, {}, []), f"{chip.id}: {name} flagged but unset"


# -- chip rules ---------------------------------------------------------------------------------------
def test_cloud_only_chips_are_the_tpus_and_trainium2(chips: dict[str, Chip]) -> None:
    assert {c.id for c in chips.values() if c.cloud_only} == CLOUD_ONLY
    for chip_id in CLOUD_ONLY:
        assert chips[chip_id].price_per_accel is None


def test_nvl72_racks_are_72_gpu_liquid_only_units(chips: dict[str, Chip]) -> None:
    for chip_id in NVL72:
        chip = chips[chip_id]
        assert chip.unit_size == 72
        assert "air" not in chip.cooling and "rear_door" not in chip.cooling
        assert set(chip.cooling) <= {"cold_plate", "immersion_1p", "immersion_2p"}
        assert chip.rack_kw is not None and chip.rack_kw >= 72 * chip.tdp_w / 1000
    assert chips["amd.mi355x"].cooling == ["cold_plate"]
    assert chips["google.tpu-v7"].cooling == ["cold_plate"]


def test_cloudmatrix_is_a_384_chip_unit_of_910c(chips: dict[str, Chip]) -> None:
    cm, c910 = chips["huawei.cloudmatrix-384"], chips["huawei.ascend-910c"]
    assert cm.unit_size == 384
    for name in ("tflops", "hbm_gb", "hbm_stacks", "hbm_pool", "mem_bw_tbs"):
        assert getattr(cm, name) == getattr(c910, name), name
    assert cm.price_currency == "CNY" and 70e6 <= cm.price_per_accel * 384 <= 80e6
    assert cm.tdp_w is not None and 1400 <= cm.tdp_w <= 1500
    assert {"tdp_w", "price_per_accel"} <= set(cm.estimate)


def test_units_cooling_and_pools_are_consistent(chips: dict[str, Chip]) -> None:
    for chip in chips.values():
        assert set(chip.cooling) <= COOLING_KINDS, chip.id
        assert chip.hbm_pool in (None, "global", "cn"), chip.id
        if chip.hbm_stacks == 0:
            assert chip.hbm_gb == 0 and chip.hbm_pool is None, chip.id
        if chip.origin == "US":
            assert chip.hbm_pool == "global" and chip.price_currency in (None, "USD"), chip.id
        assert chip.lifetime_years == 5.0
    for chip_id in ("huawei.ascend-950pr", "huawei.ascend-950dt"):
        assert chips[chip_id].hbm_pool == "cn" and "hbm_pool" not in chips[chip_id].estimate
    for chip_id in ("huawei.ascend-910b", "huawei.ascend-910c"):
        assert chips[chip_id].hbm_pool == "cn" and "hbm_pool" in chips[chip_id].estimate
    assert chips["huawei.ascend-960"].year_available == 2027


def test_unknown_figures_are_left_out(chips: dict[str, Chip]) -> None:
    """Figures the reference does not give stay None instead of being invented."""
    assert chips["huawei.ascend-910c"].tdp_w is None
    assert chips["huawei.ascend-950pr"].tdp_w is None and chips["huawei.ascend-950pr"].price_per_accel is None
    assert chips["cambricon.mlu590"].tflops == {} and chips["cambricon.mlu590"].tdp_w is None
    p800 = chips["baidu.kunlun-p800"]
    assert p800.tflops == {} and p800.hbm_gb is None and p800.tdp_w is None and p800.price_per_accel is None
    for chip_id in ("google.tpu-v5e", "google.tpu-v5p", "google.tpu-v6e"):
        assert chips[chip_id].tdp_w is None


# -- region pack --------------------------------------------------------------------------------------
def test_region_pack_hubs_clusters_and_cities(regions: dict[str, Region]) -> None:
    hubs = {r.id for r in regions.values() if "cn-hub" in r.tags and "cn-cluster" not in r.tags}
    assert hubs == set(HUBS)
    clusters = {r.id for r in regions.values() if "cn-cluster" in r.tags}
    assert clusters == {f"{hub}.{c}" for hub, cs in HUBS.items() for c in cs}
    for cluster_id in clusters:
        assert "cn-hub" in regions[cluster_id].tags
    assert {r.id for r in regions.values() if "cn-ai-city" in r.tags} == AI_CITIES
    discounted = {r.id for r in regions.values() if "cn-power-discount" in r.tags}
    assert discounted == {rid for rid in hubs | clusters if rid.rsplit(".", 1)[0] in DISCOUNT_HUBS
                          or rid in DISCOUNT_HUBS}


def test_regions_carry_prices_caps_and_sources(regions: dict[str, Region]) -> None:
    for r in regions.values():
        assert r.country == "CN" and r.currency == "CNY"
        assert r.power_mw is None and r.facility_capex_per_mw is None  # site-specific: the problem gives them
        assert isinstance(r.power_price_per_kwh, float) and 0.1 < r.power_price_per_kwh < 1.5
        assert r.pue_cap is not None
        assert r.sources.get("tags"), f"{r.id}.tags"
    for hub in HUBS:
        assert regions[hub].pue_cap == 1.25
    # coastal prices are estimates derived from the western ones
    assert "power_price_per_kwh" in regions["cn.shanghai"].estimate
    assert "power_price_per_kwh" not in regions["cn.gansu.qingyang"].estimate
    assert regions["cn.shanghai"].power_price_per_kwh > regions["cn.gansu"].power_price_per_kwh


# -- CLI ----------------------------------------------------------------------------------------------
def test_cli_catalog_chips_json_lists_every_chip_with_sources(chips: dict[str, Chip],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(AUTOLOAD_ENV, "1")
    result = CliRunner().invoke(cli, ["catalog", "chips", "--json"])
    assert result.exit_code == 0, result.output
    items = {item["id"]: item for item in json.loads(result.output)}
    assert set(items) == set(chips)
    for chip_id, item in items.items():
        assert item["sources"] == chips[chip_id].sources and item["sources"], chip_id
        assert item["plugin"].startswith("chips."), chip_id


@pytest.mark.parametrize("kind", ["coolings", "regions"])
def test_cli_catalog_lists_coolings_and_regions(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(AUTOLOAD_ENV, "1")
    result = CliRunner().invoke(cli, ["catalog", kind, "--json"])
    assert result.exit_code == 0, result.output
    items = json.loads(result.output)
    assert items and all(item["sources"] for item in items)


def test_every_sold_chip_pays_for_its_scale_out_fabric_and_optics(chips: dict[str, Chip]) -> None:
    # issue 13 item 4: an HGX server, an NVL72 rack and a CloudMatrix 384 all reach the rest of a cluster over
    # a scale-out fabric that none of their prices includes; cloud-only chips are not bought, so have no bill
    from tokenplan.plugins.chips._common import (
        OPTICS_PER_ACCEL,
        OPTICS_USD,
        OPTICS_W,
        SCALE_OUT_USD,
        SCALE_OUT_W,
        STORAGE_USD,
    )

    for chip in chips.values():
        if chip.cloud_only:
            assert not chip.bill, chip.id
            continue
        added = chip.bill_added()
        assert {"scale_out", "optics", "storage"} <= set(added), (chip.id, added)
        rate = 1.0 if chip.price_currency == "USD" else 7.1
        assert chip.bill["scale_out"].price_each == pytest.approx(SCALE_OUT_USD * rate, abs=1), chip.id
        assert chip.bill["optics"].count_per_accel * chip.bill["optics"].price_each == pytest.approx(
            OPTICS_PER_ACCEL * OPTICS_USD * rate, abs=2), chip.id
        assert chip.bill["storage"].price_each == pytest.approx(STORAGE_USD * rate, abs=1), chip.id
        assert chip.bill_w_per_accel == pytest.approx(SCALE_OUT_W + OPTICS_PER_ACCEL * OPTICS_W), chip.id
        assert "bill" in chip.estimate and "scale_out" in chip.sources["bill"], chip.id
    # the system prices still get no server line (they include it), the per-card ones do
    assert "server" not in chips["nvidia.gb200-nvl72"].bill_added()
    assert "server" in chips["nvidia.h200"].bill_added()
