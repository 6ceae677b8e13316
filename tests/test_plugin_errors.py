"""Plugins fail loudly and helpfully (issue 11, item 6): a plugin that raises, returns the wrong type, an
invalid record or a duplicate id, or cannot be imported, stops the run with exit code 5 and ONE line naming
the plugin, its distribution (where known), the record and the field, ending with the way past it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from builders import base_problem, chip, cooling
from pydantic import ValidationError
from test_plugin_host import make_distribution

import tokenplan
from tokenplan import hookimpl
from tokenplan.catalog import Catalog
from tokenplan.errors import ExitCode, PluginError
from tokenplan.host import PluginHost
from tokenplan.messages import describe, invalid_record
from tokenplan.records import Chip, Cooling, Region, Rule, RuleParams, ThroughputModel

ROOT = Path(__file__).resolve().parents[1]


class GoodRule(Rule):
    id = "t.rule"


#: kind -> (hook, a valid record, (a field, a value it refuses), the record class, the Catalog method)
KINDS: dict[str, tuple[str, dict[str, Any], tuple[str, Any], type, str]] = {
    "chip": ("tokenplan_chips", chip(id="t.x", sources={"*": "test datasheet"}), ("tdp_w", 9000), Chip, "chips"),
    "cooling": ("tokenplan_coolings", cooling(id="t.cool"), ("pue", 0.5), Cooling, "coolings"),
    "region": ("tokenplan_regions", {"id": "t.r", "country": "CN"}, ("country", "China"), Region, "regions"),
    "throughput model": ("tokenplan_throughput_models",
                         {"name": "t_model", "description": "test", "workload_fields": []},
                         ("workload_fields", "tokens"), ThroughputModel, "throughput_models"),
}
#: every hook that returns records, with the Catalog method that calls it
HOOKS = {kind: (hook, method) for kind, (hook, _, _, _, method) in KINDS.items()} | {
    "rule": ("tokenplan_rules", "rules")}


def plugin(hook: str, fn: Any) -> SimpleNamespace:
    """An in-process plugin implementing one hook."""
    return SimpleNamespace(**{hook: hookimpl(fn)})


def catalog(*plugins: tuple[str, object], disable: tuple[str, ...] = ()) -> Catalog:
    """A catalog of these plugins only (no built-ins, no entry points)."""
    return Catalog(PluginHost(disable, autoload=False, entry_points=[], plugins=plugins))


def failure(cat: Catalog, method: str) -> str:
    """The message of the PluginError that calling ``cat.<method>()`` raises; checks it is one line."""
    with pytest.raises(PluginError) as info:
        getattr(cat, method)()
    message = str(info.value)
    assert "\n" not in message, message
    assert info.value.exit_code == ExitCode.PLUGIN_ERROR
    return message


def pydantic_message(model: type, data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return info.value.errors()[0]["msg"].removeprefix("Value error, ")


def record_id(kind: str) -> str:
    record = KINDS[kind][1]
    return record.get("id") or record["name"]


# -- a hook that raises ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", HOOKS)
def test_a_hook_that_raises_names_the_plugin_and_the_way_past_it(kind):
    hook, method = HOOKS[kind]

    def broken():
        raise RuntimeError("datasheet server down\n  (retry later)")

    assert failure(catalog(("acme", plugin(hook, broken))), method) == (
        f"plugin 'acme': {hook} raised RuntimeError: datasheet server down (retry later) "
        f"(to skip it: --disable-plugin acme)")
    # and the way past it works
    assert getattr(catalog(("acme", plugin(hook, broken)), disable=("acme",)), method)() in ([], {})


# -- the wrong type ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", HOOKS)
def test_a_dict_instead_of_a_list(kind):
    hook, method = HOOKS[kind]
    cat = catalog(("acme", plugin(hook, lambda: {"id": "t.x"})))
    assert failure(cat, method) == f"plugin 'acme': {hook} returned a dict, expected a list " \
                                   f"(to skip it: --disable-plugin acme)"


@pytest.mark.parametrize("kind", KINDS)
def test_a_str_in_the_list(kind):
    hook, good, _, model, method = KINDS[kind]
    cat = catalog(("acme", plugin(hook, lambda: [good, "t.y"])))
    assert failure(cat, method) == (f"plugin 'acme': {hook} returned 't.y' (a str) as item 1, expected a "
                                    f"{model.__name__} or a dict (to skip it: --disable-plugin acme)")


def test_a_rule_that_is_not_a_rule_class():
    cat = catalog(("acme", plugin("tokenplan_rules", lambda: [GoodRule, "t.other"])))
    assert failure(cat, "rules") == ("plugin 'acme': tokenplan_rules returned 't.other' (a str) as item 1, "
                                     "expected a subclass of tokenplan.Rule (to skip it: --disable-plugin acme)")


def test_a_rule_without_an_id_or_with_bad_params():
    class Anonymous(Rule):
        pass

    assert failure(catalog(("acme", plugin("tokenplan_rules", lambda: [Anonymous]))), "rules") == (
        "plugin 'acme': rule class Anonymous: id: missing (set the class attribute id, e.g. id = \"acme.carbon\") "
        "(to skip it: --disable-plugin acme)")

    class BadParams(Rule):
        id = "t.bad"
        Params = dict

    assert failure(catalog(("acme", plugin("tokenplan_rules", lambda: [BadParams]))), "rules") == (
        "plugin 'acme': rule 't.bad': Params = <class 'dict'>: must be a subclass of tokenplan.RuleParams "
        "(to skip it: --disable-plugin acme)")


# -- an invalid record ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_an_invalid_record_names_the_record_and_the_field(kind):
    hook, good, (name, value), model, method = KINDS[kind]
    bad = {**good, name: value}
    cat = catalog(("acme", plugin(hook, lambda: [bad])))
    assert failure(cat, method) == (f"plugin 'acme': {kind} {record_id(kind)!r}: {name} = {value!r}: "
                                    f"{pydantic_message(model, bad)} (to skip it: --disable-plugin acme)")


@pytest.mark.parametrize("kind", KINDS)
def test_an_invalid_record_built_in_the_hook_names_the_record_and_the_field(kind):
    # the documented way: the plugin builds Chip(...) itself, so pydantic raises inside the plugin's code
    hook, good, (name, value), model, method = KINDS[kind]
    bad = {**good, name: value}
    cat = catalog(("acme", plugin(hook, lambda: [model(**bad)])))
    assert failure(cat, method) == (f"plugin 'acme': {hook} raised ValidationError: {kind} {record_id(kind)!r}: "
                                    f"{name} = {value!r}: {pydantic_message(model, bad)} "
                                    f"(to skip it: --disable-plugin acme)")


def test_an_invalid_record_without_an_id_and_with_several_errors():
    good = KINDS["chip"][1]
    nameless = {k: v for k, v in good.items() if k != "id"}
    cat = catalog(("acme", plugin("tokenplan_chips", lambda: [nameless])))
    assert failure(cat, "chips") == "plugin 'acme': chip: id: missing (to skip it: --disable-plugin acme)"
    several = {**good, "tdp_w": 9000, "lifetime_years": 0, "colour": "red"}
    message = failure(catalog(("acme", plugin("tokenplan_chips", lambda: [several]))), "chips")
    # an unknown field is named first (it is often a misspelt field that is also "missing" or out of range)
    assert message == "plugin 'acme': chip 't.x': colour: unknown field (and 2 more errors) (to skip it: " \
                      "--disable-plugin acme)"


def test_a_check_of_the_whole_record_names_the_record():
    bad = {**KINDS["chip"][1], "year_available": 2025, "year_last": 2020}
    cat = catalog(("acme", plugin("tokenplan_chips", lambda: [Chip(**bad)])))
    assert failure(cat, "chips") == ("plugin 'acme': tokenplan_chips raised ValidationError: chip 't.x': "
                                     "year_last 2020 is before year_available 2025 "
                                     "(to skip it: --disable-plugin acme)")


# -- a duplicate id ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", HOOKS)
def test_a_duplicate_id_names_both_plugins(kind):
    hook, method = HOOKS[kind]
    records = [GoodRule] if kind == "rule" else [KINDS[kind][1]]
    rid = GoodRule.id if kind == "rule" else record_id(kind)
    cat = catalog(("first", plugin(hook, lambda: records)), ("second", plugin(hook, lambda: records)))
    message = failure(cat, method)
    assert message == (f"plugin 'second': {kind} {rid!r} is defined by two plugins: 'first' and "
                       f"this one (to skip one: --disable-plugin first or --disable-plugin second)")
    assert failure(cat, method) == message  # asked again, the same answer (not "defined twice")
    assert getattr(catalog(("first", plugin(hook, lambda: records)), ("second", plugin(hook, lambda: records)),
                           disable=("first",)), method)()


def test_an_id_defined_twice_by_one_plugin():
    good = KINDS["cooling"][1]
    cat = catalog(("acme", plugin("tokenplan_coolings", lambda: [good, good])))
    assert failure(cat, "coolings") == ("plugin 'acme': cooling 't.cool' is defined twice by this plugin "
                                        "(to skip it: --disable-plugin acme)")


def test_a_duplicate_id_names_both_distributions(tmp_path, monkeypatch):
    body = """
        from tokenplan import hookimpl

        @hookimpl
        def tokenplan_coolings():
            return [dict(id="t.cool", pue=1.1, max_rack_kw=50, capex_per_kw_it=0, opex_per_kw_it_year=0)]
    """
    site = make_distribution(tmp_path, name="tokenplan-one", version="1.0", module="tokenplan_one", ep_name="one",
                             body=body)
    make_distribution(tmp_path, name="tokenplan-two", version="2.0", module="tokenplan_two", ep_name="two",
                      body=body)
    monkeypatch.syspath_prepend(str(site))
    eps = [ep for ep in metadata.entry_points(group="tokenplan") if ep.name in ("one", "two")]
    cat = Catalog(PluginHost(autoload=True, entry_points=eps))
    assert failure(cat, "coolings") == (
        "plugin 'two' (distribution tokenplan-two 2.0): cooling 't.cool' is defined by two plugins: 'one' "
        "(distribution tokenplan-one 1.0) and this one (to skip one: --disable-plugin one or --disable-plugin two)")


# -- a plugin that cannot be imported -----------------------------------------------------------------------
def test_a_plugin_that_cannot_be_imported():
    ghost = metadata.EntryPoint(name="ghost", value="tokenplan_no_such_module", group="tokenplan")
    with pytest.raises(PluginError) as info:
        PluginHost(autoload=True, entry_points=[ghost])
    assert str(info.value) == ("plugin 'ghost': could not be loaded from tokenplan_no_such_module: "
                               "ModuleNotFoundError: No module named 'tokenplan_no_such_module' "
                               "(to skip it: --disable-plugin ghost)")
    assert info.value.exit_code == ExitCode.PLUGIN_ERROR
    assert PluginHost(["ghost"], autoload=True, entry_points=[ghost]).infos["ghost"].status == "disabled"


def test_an_invalid_record_built_at_import_names_distribution_record_and_field(tmp_path, monkeypatch):
    site = make_distribution(tmp_path, name="tokenplan-acme", version="1.0.0", module="tokenplan_acme",
                             ep_name="acme", body=ACME_AT_IMPORT)
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(PluginError) as info:
        PluginHost(autoload=True)
    assert str(info.value) == ACME_MESSAGE


def test_two_entry_points_with_one_name(tmp_path, monkeypatch):
    site = make_distribution(tmp_path, name="tokenplan-same-a", module="tokenplan_same_a", ep_name="same")
    make_distribution(tmp_path, name="tokenplan-same-b", module="tokenplan_same_b", ep_name="same")
    monkeypatch.syspath_prepend(str(site))
    eps = [ep for ep in metadata.entry_points(group="tokenplan") if ep.name == "same"]
    with pytest.raises(PluginError) as info:
        PluginHost(autoload=True, entry_points=eps)
    assert "two plugins share this name" in str(info.value)
    assert str(info.value).endswith("(to skip both: --disable-plugin same)")
    host = PluginHost(["same"], autoload=True, entry_points=eps)  # and that way past works
    assert host.infos["same"].status == "disabled" and not host.pm.get_plugins()
    host = PluginHost(autoload=False, entry_points=eps)  # neither is loaded without autoload: no clash
    assert host.infos["same"].status.startswith("skipped") and not host.pm.get_plugins()


# -- the rest of the catalog and the rules' own code ----------------------------------------------------------
def test_a_rule_whose_code_raises_names_its_plugin_in_one_line():
    class Picky(Rule):
        id = "t.picky"

        def apply(self, ctx):
            Chip(id="t.z", vendor="T", origin="CN", year_available=2020, cooling=["t.air"], tdp_w=-1)

    cat = Catalog(PluginHost(plugins=[("picky", plugin("tokenplan_rules", lambda: [Picky]))]))
    with pytest.raises(PluginError) as info:
        tokenplan.solve(tokenplan.load(base_problem()), catalog=cat)
    assert str(info.value) == ("plugin 'picky': rule 't.picky' apply() raised ValidationError: chip 't.z': "
                               "tdp_w = -1: Input should be greater than 0 (to skip it: --disable-plugin picky)")


def test_validate_returning_a_str_instead_of_a_list():
    cat = Catalog(PluginHost(plugins=[("nag", plugin("tokenplan_validate", lambda problem, catalog: "hm"))]))
    with pytest.raises(PluginError, match=r"^plugin 'nag': tokenplan_validate returned a str, expected a list "
                                          r"\(to skip it: --disable-plugin nag\)$"):
        tokenplan.solve(tokenplan.load(base_problem()), catalog=cat)


def test_describe_and_invalid_record_are_one_line():
    assert describe(ValueError("a\n\n  b")) == "ValueError: a b"
    assert describe(KeyError()) == "KeyError"
    assert describe(RuntimeError("x" * 1000)).endswith("...") and len(describe(RuntimeError("x" * 1000))) < 320
    with pytest.raises(ValidationError) as info:
        Cooling.model_validate({"id": "t.c", "pue": 9, "max_rack_kw": 1, "capex_per_kw_it": 0,
                                "opex_per_kw_it_year": 0})
    assert invalid_record(info.value) == "cooling 't.c': pue = 9: Input should be less than or equal to 3"

    class Params(RuleParams):
        rate: float = 0.0

    with pytest.raises(ValidationError) as info:
        Params(rate="high")
    assert describe(info.value) == "ValidationError: params: rate = 'high': Input should be a valid number"


# -- end to end: the command --------------------------------------------------------------------------------
ACME_AT_IMPORT = """
    from tokenplan import Chip, hookimpl

    A1 = Chip(id="acme.a1", vendor="ACME", origin="US", year_available=2026, tflops={"fp8": 2500.0},
              tdp_w=9000, unit_size=8, price_per_accel=22000, price_currency="USD", cooling=["air"],
              sources={"*": "ACME A1 datasheet"})

    @hookimpl
    def tokenplan_chips():
        return [A1]
"""
ACME_MESSAGE = ("plugin 'acme' (distribution tokenplan-acme 1.0.0): could not be loaded from tokenplan_acme: "
                "ValidationError: chip 'acme.a1': tdp_w = 9000: Input should be less than or equal to 5000 "
                "(to skip it: --disable-plugin acme)")


def test_the_command_exits_5_with_one_line_and_the_way_past_it(tmp_path):
    site = make_distribution(tmp_path, name="tokenplan-acme", version="1.0.0", module="tokenplan_acme",
                             ep_name="acme", body=ACME_AT_IMPORT)
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("TOKENPLAN_DISABLE_PLUGIN_AUTOLOAD", None)
    quickstart = str(ROOT / "problems" / "quickstart.toml")
    for argv in (["catalog", "chips"], ["solve", quickstart, "-q"]):
        proc = subprocess.run([sys.executable, "-m", "tokenplan.cli", *argv], capture_output=True, text=True,
                              env=env)
        assert proc.returncode == ExitCode.PLUGIN_ERROR, proc.stderr
        assert proc.stderr.splitlines() == [f"error: {ACME_MESSAGE}"]
    proc = subprocess.run([sys.executable, "-m", "tokenplan.cli", "catalog", "chips", "--json",
                           "--disable-plugin", "acme"], capture_output=True, text=True, env=env)
    assert proc.returncode == ExitCode.OK, proc.stderr


# -- provenance: a third-party chip needs a source for every figure (docs/plugins/writing.md) --------------------
PARTLY_SOURCED = {"id": "acme.a1", "vendor": "ACME", "origin": "US", "year_available": 2026,
                  "tflops": {"fp8": 2500.0}, "hbm_gb": 192, "hbm_stacks": 8, "hbm_pool": "global", "mem_bw_tbs": 6.0,
                  "tdp_w": 900, "unit_size": 8, "price_per_accel": 22000, "price_currency": "USD",
                  "cooling": ["air"], "sources": {"tflops": "datasheet", "tdp_w": "datasheet", "hbm_gb": "datasheet"}}


def test_a_third_party_chip_without_sources_stops_the_run():
    from tokenplan.testing import catalog_with, small_problem

    cat = catalog_with(("acme", plugin("tokenplan_chips", lambda: [PARTLY_SOURCED])))
    assert failure(cat, "chips") == (
        "plugin 'acme': chip 'acme.a1': no source for year_available, hbm_stacks, mem_bw_tbs, unit_size, "
        "price_per_accel, lifetime_years, hbm_pool, cooling (give each figure a citation in sources, or '*' for "
        "the whole record; see docs/plugins/writing.md) (to skip it: --disable-plugin acme)")
    with pytest.raises(PluginError, match="no source for"):  # it used to load and solve
        tokenplan.solve(tokenplan.load(small_problem("acme.a1")), catalog=cat)
    sourced = {**PARTLY_SOURCED, "sources": {**PARTLY_SOURCED["sources"], "*": "ACME A1 datasheet rev. 2"}}
    cat = catalog_with(("acme", plugin("tokenplan_chips", lambda: [sourced])))
    assert "acme.a1" in {c.id for c in cat.chips()}


def test_the_builtin_chips_need_no_check_at_run_time_because_they_are_sourced():
    from tokenplan.records import missing_sources

    cat = Catalog(PluginHost(autoload=False))
    builtin = {c.id for c in cat.chips() if cat.host.infos[cat.provider[("chip", c.id)]].builtin}
    assert builtin and not [c.id for c in cat.chips() if c.id in builtin and missing_sources(c)]


# -- the documentation lists every message (docs/plugins/writing.md section 6, docs/troubleshooting.md) --
HEAD = re.compile(r"^plugin '(?P<name>[^']+)'(?: \(distribution [^()]+\))?: (?P<what>.*) "
                  r"(?P<skip>\(to skip (?:it|one|both): [^()]*\))$")
SKIPS = ("(to skip it: --disable-plugin NAME)", "(to skip one: --disable-plugin OTHER or --disable-plugin NAME)",
         "(to skip both: --disable-plugin NAME)")


def _raised(fn: Any) -> str:
    with pytest.raises(PluginError) as info:
        fn()
    assert "\n" not in str(info.value)
    return str(info.value)


def every_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """One message of every kind a plugin failure gives."""
    good = KINDS["chip"][1]
    out = []

    def chips(*records: Any, name: str = "acme") -> str:
        return failure(catalog((name, plugin("tokenplan_chips", lambda: list(records)))), "chips")

    ghost = metadata.EntryPoint(name="ghost", value="tokenplan_no_such_module", group="tokenplan")
    out.append(_raised(lambda: PluginHost(autoload=True, entry_points=[ghost])))
    twice = plugin("tokenplan_chips", lambda: [])
    out.append(_raised(lambda: PluginHost(autoload=False, entry_points=[], plugins=[("a", twice), ("b", twice)])))
    out.append(_raised(lambda: PluginHost(autoload=False, entry_points=[],
                                          plugins=[("typo", plugin("tokenplan_chip", lambda: []))])))
    site = make_distribution(tmp_path, name="tokenplan-doc-a", module="tokenplan_doc_a", ep_name="doc")
    make_distribution(tmp_path, name="tokenplan-doc-b", module="tokenplan_doc_b", ep_name="doc")
    make_distribution(tmp_path, name="tokenplan-doc-c", version="3.0", module="tokenplan_doc_c", ep_name="doc-c")
    monkeypatch.syspath_prepend(str(site))
    eps = list(metadata.entry_points(group="tokenplan"))
    out.append(_raised(lambda: PluginHost(autoload=True, entry_points=[ep for ep in eps if ep.name == "doc"])))

    def boom():
        raise OSError("datasheet server down")

    out.append(failure(catalog(("acme", plugin("tokenplan_chips", boom))), "chips"))
    out.append(failure(catalog(("acme", plugin("tokenplan_chips", lambda: [Chip(**{**good, "tdp_w": 9000})]))),
                       "chips"))
    out.append(failure(catalog(("acme", plugin("tokenplan_chips", lambda: {"id": "t.x"}))), "chips"))
    out.append(chips(good, "t.y"))
    out.append(chips({**good, "tdp_w": 9000}))
    out.append(chips({**good, "tdp_w": 9000, "lifetime_years": 0}))
    out.append(chips({k: v for k, v in good.items() if k != "vendor"}))
    out.append(chips({**good, "colour": "red"}))
    out.append(chips({k: v for k, v in good.items() if k != "id"}))
    out.append(chips({**good, "year_available": 2025, "year_last": 2020}))
    out.append(failure(catalog(("first", plugin("tokenplan_chips", lambda: [good])),
                               ("second", plugin("tokenplan_chips", lambda: [good]))), "chips"))
    third = [ep for ep in eps if ep.name == "doc-c"]
    host = PluginHost(autoload=True, entry_points=third, plugins=[("second", plugin("tokenplan_chips", lambda: [
        {**good, "id": "fake.x1"}]))])
    out.append(failure(Catalog(host), "chips"))
    out.append(chips(good, good))
    out.append(chips(PARTLY_SOURCED))
    rules = lambda *items: failure(catalog(("acme", plugin("tokenplan_rules", lambda: list(items)))), "rules")  # noqa: E731

    class Anonymous(Rule):
        pass

    class BadParams(Rule):
        id = "t.bad"
        Params = dict

    class Crash(Rule):
        id = "t.crash"

        def adjust(self, data):
            raise ZeroDivisionError("oops")

    out += [rules("t.other"), rules(Anonymous), rules(BadParams)]

    def solve(*plugins: tuple[str, object], **problem: Any) -> str:
        p = base_problem()
        p["problem"].update(problem)
        return _raised(lambda: tokenplan.solve(tokenplan.load(p), catalog=Catalog(PluginHost(plugins=plugins))))

    out.append(solve(("crash", plugin("tokenplan_rules", lambda: [Crash]))))
    negative = SimpleNamespace(tokenplan_throughput=hookimpl(tryfirst=True)(lambda chip, workload, params: -1.0))
    out.append(solve(("negative", negative)))
    mute = plugin("tokenplan_throughput_models", lambda: [KINDS["throughput model"][1]])
    out.append(solve(("mute", mute), throughput_model="t_model"))
    return out


def _shape(text: str) -> re.Pattern[str]:
    """A documented message shape (upper-case words are placeholders) as a regex."""
    text = re.sub(r" \(distribution [^()]*\)", "", " ".join(text.split()))
    parts = re.split(r"\b[A-Z][A-Z_]*\b", text)
    return re.compile(".+?".join(re.escape(p) for p in parts) + "$")


def _documented(path: str) -> list[str]:
    text = (ROOT / "docs" / path).read_text()
    if path.endswith("writing.md"):
        section = text.split("## 6. When a plugin fails", 1)[1].split("\n# ", 1)[0]
        rows = [line.split(" | ", 1)[1] for line in section.splitlines()
                if line.startswith("| ") and not line.startswith(("| your plugin", "|---"))]
        return [s for row in rows for s in re.findall(r"`([^`]+)`", row) if not s.startswith(" ")]
    section = text.split("## Plugin errors", 1)[1].split("\n## ", 1)[0]  # the section, to the next one
    bullets = re.split(r"\n- ", section.split("What `WHAT` says", 1)[1])[1:]
    return [s for b in bullets for s in re.findall(r"`([^`]+)`", " ".join(b.split()).split("`: ", 1)[0] + "`")]


@pytest.mark.parametrize("doc", ["plugins/writing.md", "troubleshooting.md"])
def test_the_docs_list_every_message(doc, tmp_path, monkeypatch):
    messages = every_failure(tmp_path, monkeypatch)
    shapes = _documented(doc)
    assert len(shapes) >= 20, shapes
    text = (ROOT / "docs" / doc).read_text()
    assert all(skip in " ".join(text.split()) for skip in SKIPS)
    whats = []
    for message in messages:
        head = HEAD.match(message)
        assert head, message
        names = re.findall(r"--disable-plugin ([^\s()]+)", head["skip"])
        assert names[-1] == head["name"], message
        skip = re.sub(r"--disable-plugin [^\s()]+", "--disable-plugin NAME", head["skip"])
        assert skip.replace("NAME or", "OTHER or") in SKIPS, message
        whats.append(re.sub(r" \(distribution [^()]*\)", "", head["what"]))
    undocumented = [w for w in whats if not any(_shape(s).match(w) for s in shapes)]
    assert not undocumented, f"messages {doc} does not list: {undocumented}"
    unused = [s for s in shapes if not any(_shape(s).match(w) for w in whats)]
    assert not unused, f"{doc} lists messages no failure gives: {unused}"


def test_the_example_in_writing_md_is_what_tokenplan_prints(tmp_path, monkeypatch):
    site = make_distribution(tmp_path, name="tokenplan-acme-chips", version="1.0.0", module="tokenplan_acme_chips",
                             ep_name="acme-chips", body="""
        from tokenplan import hookimpl

        @hookimpl
        def tokenplan_chips():
            return [dict(id="acme.a1", vendor="ACME", origin="US", year_available=2026, tdp_w=9000,
                         cooling=["air"])]
    """)
    monkeypatch.syspath_prepend(str(site))
    eps = [ep for ep in metadata.entry_points(group="tokenplan") if ep.name == "acme-chips"]
    message = failure(Catalog(PluginHost(autoload=True, entry_points=eps)), "chips")
    section = (ROOT / "docs" / "plugins" / "writing.md").read_text().split("## 6. When a plugin fails", 1)[1]
    assert f"error: {message}\n" in section
