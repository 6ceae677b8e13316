"""The plugin host and the catalog facade: entry points, duplicates, failures, switches, rules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
from builders import M, base_problem, by_chip, chip

import tokenplan
from tokenplan import hookimpl, hookspecs
from tokenplan.catalog import Catalog
from tokenplan.errors import ExitCode, InputError, PluginError
from tokenplan.host import PluginHost
from tokenplan.records import Chip, Rule, RuleParams

ROOT = Path(__file__).resolve().parents[1]


def make_distribution(tmp_path: Path, *, name: str = "tokenplan-fake", version: str = "1.2.3",
                      module: str = "tokenplan_fake", ep_name: str = "fake", body: str = "") -> Path:
    """A plugin distribution on a path entry: module + dist-info with an entry point in group tokenplan."""
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / f"{module}.py").write_text(textwrap.dedent(body or '''
        from tokenplan import hookimpl

        @hookimpl
        def tokenplan_chips():
            return [dict(id="fake.x1", vendor="Fake", origin="US", year_available=2025,
                         tflops={"fp8": 1000}, tdp_w=700, unit_size=8, price_per_accel=20000,
                         price_currency="USD", cooling=["air"], sources={"*": "fake datasheet"})]
    '''))
    dist = site / f"{name.replace('-', '_')}-{version}.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (dist / "entry_points.txt").write_text(f"[tokenplan]\n{ep_name} = {module}\n")
    return site


@pytest.fixture
def fake_site(tmp_path, monkeypatch):
    site = make_distribution(tmp_path)
    monkeypatch.syspath_prepend(str(site))
    return site


def test_builtins_are_entry_point_plugins():
    host = PluginHost()
    infos = {i.name: i for i in host.plugin_infos()}
    assert {"throughput.flops", "chips.nvidia", "coolings.standard"} <= set(infos)
    assert all(i.builtin and i.distribution == "tokenplan" for i in infos.values() if i.name.startswith("chips."))
    assert "tokenplan_chips" in infos["chips.nvidia"].hooks


def test_external_plugin_from_an_installed_distribution(fake_site):
    host = PluginHost(autoload=True)
    info = {i.name: i for i in host.plugin_infos()}["fake"]
    assert (info.distribution, info.version, info.status, info.builtin) == ("tokenplan-fake", "1.2.3", "enabled",
                                                                          False)
    catalog = Catalog(host)
    assert "fake.x1" in {c.id for c in catalog.chips()}
    assert catalog.provider[("chip", "fake.x1")] == "fake"


def test_autoload_switch_skips_third_party_plugins(fake_site, monkeypatch):
    monkeypatch.setenv("TOKENPLAN_DISABLE_PLUGIN_AUTOLOAD", "1")
    host = PluginHost()
    info = {i.name: i for i in host.plugin_infos()}
    assert info["fake"].status.startswith("skipped")
    assert info["chips.nvidia"].status == "enabled"
    assert "fake.x1" not in {c.id for c in Catalog(host).chips()}


def test_cli_lists_an_external_plugin(fake_site):
    env = {**os.environ, "PYTHONPATH": str(fake_site)}
    env.pop("TOKENPLAN_DISABLE_PLUGIN_AUTOLOAD", None)
    out = subprocess.run([sys.executable, "-m", "tokenplan.cli", "plugins", "--json"], capture_output=True,
                         text=True, env=env, check=True).stdout
    fake = next(p for p in json.loads(out) if p["name"] == "fake")
    assert fake["distribution"] == "tokenplan-fake" and fake["contributes"] == "1 chip"
    out = subprocess.run([sys.executable, "-m", "tokenplan.cli", "catalog", "chips", "--json"],
                         capture_output=True, text=True, env=env, check=True).stdout
    x1 = next(c for c in json.loads(out) if c["id"] == "fake.x1")
    assert x1["plugin"] == "fake" and x1["sources"] == {"*": "fake datasheet"}


class ChipsPlugin:
    def __init__(self, *chips):
        self.chips = chips

    @hookimpl
    def tokenplan_chips(self):
        return list(self.chips)


def test_duplicate_ids_name_both_plugins():
    a = ChipsPlugin(chip(id="dup.x", cooling=["air"]))
    b = ChipsPlugin(chip(id="dup.x", cooling=["air"]))
    host = PluginHost(autoload=False, entry_points=[], plugins=[("first", a), ("second", b)])
    with pytest.raises(PluginError) as info:
        Catalog(host).chips()
    assert str(info.value) == ("plugin 'second': chip 'dup.x' is defined by two plugins: 'first' and this one "
                               "(to skip one: --disable-plugin first or --disable-plugin second)")
    assert info.value.exit_code == ExitCode.PLUGIN_ERROR


def test_exception_in_a_hook_names_the_plugin():
    class Broken:
        @hookimpl
        def tokenplan_chips(self):
            raise RuntimeError("datasheet server down")

    host = PluginHost(autoload=False, entry_points=[], plugins=[("broken", Broken())])
    with pytest.raises(PluginError, match="^plugin 'broken': tokenplan_chips raised RuntimeError: datasheet server "
                                          r"down \(to skip it: --disable-plugin broken\)$"):
        Catalog(host).chips()


def test_bad_data_names_plugin_record_and_field():
    host = PluginHost(autoload=False, entry_points=[],
                      plugins=[("hot", ChipsPlugin(chip(id="hot.x", tdp_w=9000)))])
    with pytest.raises(PluginError, match=r"^plugin 'hot': chip 'hot.x': tdp_w = 9000: .*less than or equal to 5000 "
                                          r"\(to skip it: --disable-plugin hot\)$"):
        Catalog(host).chips()


def test_not_a_list_is_bad_data():
    class Wrong:
        @hookimpl
        def tokenplan_coolings(self):
            return {"id": "x"}

    host = PluginHost(autoload=False, entry_points=[], plugins=[("wrong", Wrong())])
    with pytest.raises(PluginError, match="^plugin 'wrong': tokenplan_coolings returned a dict, expected a list "
                                          r"\(to skip it: --disable-plugin wrong\)$"):
        Catalog(host).coolings()


def test_misspelled_hook_is_rejected():
    class Typo:
        @hookimpl
        def tokenplan_chip(self):
            return []

    with pytest.raises(PluginError, match="typo"):
        PluginHost(autoload=False, entry_points=[], plugins=[("typo", Typo())])


def test_plugin_that_cannot_be_imported(tmp_path, monkeypatch):
    site = make_distribution(tmp_path, name="tokenplan-broken", module="tokenplan_broken", ep_name="broken",
                             body="raise ImportError('needs a missing library')\n")
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(PluginError, match=r"^plugin 'broken' \(distribution tokenplan-broken 1.2.3\): could not be "
                                          r"loaded from tokenplan_broken: ImportError: needs a missing library "
                                          r"\(to skip it: --disable-plugin broken\)$"):
        PluginHost(autoload=True)


def test_disable_plugin():
    host = PluginHost(disable=["chips.nvidia"])
    assert {i.name: i.status for i in host.plugin_infos()}["chips.nvidia"] == "disabled"
    ids = {c.id for c in Catalog(host).chips()}
    assert not any(i.startswith("nvidia.") for i in ids) and "amd.mi300x" in ids


def test_disable_unknown_plugin_is_an_input_error():
    with pytest.raises(InputError, match="plugins.disable = 'nope': unknown plugin"):
        PluginHost(disable=["nope"])


def test_problem_can_disable_plugins():
    p = base_problem()
    p["chips"]["allow"] = ["*"]
    p["plugins"] = {"disable": ["chips.nvidia", "chips.amd", "chips.intel", "chips.huawei"]}
    r = tokenplan.solve(tokenplan.load(p))
    assert set(r.plan["chip"]) == {"t.a"}
    p["plugins"] = {"disable": ["throughput.flops"]}
    with pytest.raises(InputError, match="no installed plugin provides this throughput model"):
        tokenplan.solve(tokenplan.load(p))


def test_throughput_hook_returning_garbage_names_the_plugin():
    class Negative:
        @hookimpl(tryfirst=True)
        def tokenplan_throughput(self, chip, workload, params):
            return -1.0

    host = PluginHost(plugins=[("negative", Negative())])
    with pytest.raises(PluginError, match=r"^plugin 'negative': tokenplan_throughput returned -1.0 for chip 't.a' "
                                          r"and workload 'w'; expected a finite number >= 0 "
                                          r"\(to skip it: --disable-plugin negative\)$"):
        tokenplan.solve(tokenplan.load(base_problem()), catalog=Catalog(host))


def test_hooks_are_documented():
    names = [n for n in dir(hookspecs) if n.startswith("tokenplan_")]
    doc = (ROOT / "docs" / "plugins" / "hooks.md").read_text()
    for name in names:
        assert getattr(hookspecs, name).__doc__.strip(), name
        assert f"`{name}`" in doc, f"{name} is not documented in docs/plugins/hooks.md"


# -- rules: the mechanism (the real rules are plugins of their own) --------------------------------------
class LevyParams(RuleParams):
    chip: str = "t.a"
    region: str = "r1"
    levy_per_accel: float = 0.5e6
    ban: str | None = None


class Levy(Rule):
    """A test rule: a levy per accelerator of one chip in one region (a cost term), and an optional ban."""

    id = "test.levy"
    description = "levy on one chip in one region"
    Params = LevyParams

    def adjust(self, data):
        if self.params.ban:
            data.forbid(data.chip_index(self.params.ban), data.region_index(self.params.region),
                        reason="banned by test.levy")

    def apply(self, ctx):
        chosen = [p for p in ctx.purchases if p.chip == self.params.chip and p.region == self.params.region]
        self.levy = ctx.add_expression("levy", [None], lambda _: ctx.sum(
            self.params.levy_per_accel / ctx.money * p.accelerators * p.var for p in chosen))
        ctx.add_cost("levy", "capex", self.levy[None])

    def report(self, ctx):
        return {"levy": ctx.value(self.levy[None]) * ctx.money}


def levy_catalog():
    plugin = SimpleNamespace(tokenplan_rules=hookimpl(lambda: [Levy]))
    return Catalog(PluginHost(plugins=[("test-rules", plugin)]))


def test_rule_appends_a_cost_term_and_reports():
    p = base_problem()
    p["chips"]["custom"].append(chip(id="t.b", price_per_accel=1.3 * M))
    r = tokenplan.solve(tokenplan.load(p), catalog=levy_catalog())
    # a costs 1 M + 0.5 M levy > b's 1.3 M: 10 b
    assert r.objective == pytest.approx(13 * M)
    assert set(r.plan["chip"]) == {"t.b"}
    assert r.rules == {"test.levy": {"levy": 0.0}}
    p["rules"] = {"test.levy": {"levy_per_accel": 0.1e6}}
    r = tokenplan.solve(tokenplan.load(p), catalog=levy_catalog())
    assert r.objective == pytest.approx(11 * M)
    assert r.rules["test.levy"]["levy"] == pytest.approx(1 * M)
    assert r.cost_terms["levy"] == pytest.approx(1 * M)


def test_rule_forbids_tuples_in_adjust():
    p = base_problem()
    p["chips"]["custom"].append(chip(id="t.b", price_per_accel=1.3 * M))
    p["rules"] = {"test.levy": {"levy_per_accel": 0, "ban": "t.b"}}
    r = tokenplan.solve(tokenplan.load(p), catalog=levy_catalog())
    assert set(r.plan["chip"]) == {"t.a"}


def test_rule_can_be_switched_off_and_rejects_unknown_parameters():
    p = base_problem()
    p["chips"]["custom"].append(chip(id="t.b", price_per_accel=1.3 * M))
    p["rules"] = {"test.levy": {"enabled": False}}
    assert tokenplan.solve(tokenplan.load(p), catalog=levy_catalog()).objective == pytest.approx(10 * M)
    p["rules"] = {"test.levy": {"levy": 1}}
    with pytest.raises(InputError, match=r'rules."test.levy".levy = 1: unknown parameter'):
        tokenplan.solve(tokenplan.load(p), catalog=levy_catalog())
    p["rules"] = {"test.nope": {}}
    with pytest.raises(InputError, match=r'rules."test.nope": unknown rule'):
        tokenplan.solve(tokenplan.load(p), catalog=levy_catalog())


def test_exception_in_a_rule_names_its_plugin():
    class Crash(Levy):
        id = "test.crash"

        def apply(self, ctx):
            raise ZeroDivisionError("oops")

    plugin = SimpleNamespace(tokenplan_rules=hookimpl(lambda: [Crash]))
    catalog = Catalog(PluginHost(plugins=[("crashy", plugin)]))
    with pytest.raises(PluginError, match=r"^plugin 'crashy': rule 'test.crash' apply\(\) raised ZeroDivisionError: "
                                          r"oops \(to skip it: --disable-plugin crashy\)$"):
        tokenplan.solve(tokenplan.load(base_problem()), catalog=catalog)


def test_records_reject_unknown_provenance_fields():
    with pytest.raises(ValueError, match="sources names unknown field 'tflop'"):
        Chip.model_validate(chip(sources={"tflop": "x"}))


def test_trace_switch_prints_hook_calls(capfd, monkeypatch):
    monkeypatch.setenv("TOKENPLAN_TRACE_PLUGINS", "1")
    host = PluginHost()
    host.pm.hook.tokenplan_coolings()
    assert "tokenplan_coolings" in capfd.readouterr().err
    # the application's own calls (one implementation at a time, to name a failing plugin) are traced too
    Catalog(host).chips()
    err = capfd.readouterr().err
    assert "tokenplan_chips [chips.nvidia]" in err and "finish tokenplan_chips [chips.nvidia] -->" in err


# -- the rule of docs/plugins/writing.md, run as it stands there -------------------------------------------------
def _carbon_catalog():
    text = (Path(__file__).resolve().parents[1] / "docs" / "plugins" / "writing.md").read_text()
    code = text.split("<!-- example: carbon-rule -->", 1)[1].split("<!-- end example -->", 1)[0]
    code = code.strip().removeprefix("```python").removesuffix("```")
    namespace: dict = {}
    exec(compile(code, "docs/plugins/writing.md", "exec"), namespace)
    plugin = SimpleNamespace(tokenplan_rules=namespace["tokenplan_rules"])
    return Catalog(PluginHost(plugins=[("acme-carbon", plugin)]))


def _carbon_problem(**params):
    # a (1 kW, 1 M) and h (3 kW, 0.8 M), ten accelerators needed, energy free, load 1, PUE 1: a year of an a
    # emits 1 kW x 8,760 h x 0.5 t/MWh = 4.38 t, of an h 13.14 t
    p = base_problem()
    p["chips"]["custom"].append(chip(id="t.h", tdp_w=3000, price_per_accel=0.8 * M))
    p["rules"] = {"acme.carbon": {"enabled": True, "t_per_mwh": {"r1": 0.5}, **params}}
    return p


def test_the_documented_carbon_rule_prices_emissions():
    catalog = _carbon_catalog()
    r = tokenplan.solve(tokenplan.load(_carbon_problem()), catalog=catalog)
    assert by_chip(r) == {"t.h": 10} and r.objective == pytest.approx(8 * M)  # no price: the cheap, hot chip
    # 30,000 CNY/t: h costs 0.8 M + 13.14 t x 30,000 = 1.1942 M, a 1 M + 4.38 t x 30,000 = 1.1314 M
    r = tokenplan.solve(tokenplan.load(_carbon_problem(price_per_t=30_000)), catalog=catalog)
    assert by_chip(r) == {"t.a": 10} and r.objective == pytest.approx(11.314 * M)
    assert r.rules["acme.carbon"]["t_per_year"] == {2030: pytest.approx(43.8)}


def test_the_documented_carbon_cap_reports_the_implied_carbon_price():
    # cap 80 t: 4.38 x + 13.14 y <= 80 with x + y = 10 -> y <= 4.13 -> 6 a + 4 h = 9.2 M. The cap's shadow
    # price (counts relaxed, binaries fixed): replacing an h by an a costs 0.2 M and frees 8.76 t:
    # 0.2 M / 8.76 t = 22,831.05 CNY per t, the carbon price that makes the two chips cost the same
    r = tokenplan.solve(tokenplan.load(_carbon_problem(cap_t_per_year=80)), catalog=_carbon_catalog())
    assert by_chip(r) == {"t.a": 6, "t.h": 4} and r.objective == pytest.approx(9.2 * M)
    cap = [b for b in r.binding if b["constraint"] == "acme_carbon_cap"]
    assert cap == [{"constraint": "acme_carbon_cap", "where": {"period": 2030},
                    "shadow_price": pytest.approx(0.2 * M / 8.76), "unit": "CNY per t CO2"}]
    # an impossible cap is diagnosed like any other cap: what it must grow by
    r = tokenplan.solve(tokenplan.load(_carbon_problem(cap_t_per_year=20)), catalog=_carbon_catalog())
    assert r.status == "infeasible"
    grow = {s["constraint"]: s["amount"] for s in r.diagnosis["shortfalls"] if s["constraint"] != "demand"}
    assert grow == {"acme_carbon_cap": pytest.approx(43.8 - 20)}
