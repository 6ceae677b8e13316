"""The layout tells the architecture (issue 8): the layer table of docs/architecture.md is checked against the
imports of core/, only core/model/ creates Pyomo components, no core module imports a built-in plugin, and
every constraint family is documented in docs/formulation.md under its name and index."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "core"
ALWAYS = {"tokenplan", "tokenplan.errors", "tokenplan.records"}
#: Pyomo component classes; creating one is modelling, which belongs in core/model/
COMPONENTS = {"ConcreteModel", "Var", "Constraint", "Expression", "Objective", "Set", "Param", "Block"}


def _module(path: Path) -> str:
    parts = list(path.relative_to(CORE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(["tokenplan", *parts])


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node outside ``if TYPE_CHECKING:`` blocks."""
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            hidden.update(id(n) for n in ast.walk(node))
    return [n for n in ast.walk(tree) if id(n) not in hidden]


def _imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "tokenplan":
            for alias in node.names:  # `from tokenplan import overrides` imports the module tokenplan.overrides
                name = f"{node.module}.{alias.name}"
                module = name if (CORE / Path(*name.split(".")[1:])).with_suffix(".py").exists() else node.module
                out.add(module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "tokenplan")
    return out


def _stages() -> dict[str, int]:
    """Module (tokenplan.X) -> stage, from the layer table of docs/architecture.md."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    stages = {}
    for stage, modules in re.findall(r"^\| (\d+) \| ([^|]+) \|", text, flags=re.M):
        for name in re.findall(r"`([a-z_.]+)`", modules):
            stages[f"tokenplan.{name}"] = int(stage)
    return stages


def _stage_of(module: str, stages: dict[str, int]) -> int | None:
    parts = module.split(".")
    for n in range(len(parts), 1, -1):
        if ".".join(parts[:n]) in stages:
            return stages[".".join(parts[:n])]
    return None


def test_every_core_module_is_in_the_layer_table():
    stages = _stages()
    missing = [_module(p) for p in CORE.rglob("*.py")
               if p.name != "__init__.py" or p.parent != CORE
               if _stage_of(_module(p), stages) is None and _module(p) != "tokenplan"]
    assert not missing, f"add these modules to the layer table of docs/architecture.md: {missing}"


def test_modules_import_only_earlier_stages():
    stages = _stages()
    wrong = []
    for path in CORE.rglob("*.py"):
        module = _module(path)
        own = _stage_of(module, stages)
        if own is None:
            continue
        for imported in _imports(path):
            if imported in ALWAYS:
                continue
            theirs = _stage_of(imported, stages)
            same_package = imported.split(".")[:2] == module.split(".")[:2] and module.startswith("tokenplan.model")
            if theirs is None or (theirs >= own and not same_package):
                wrong.append(f"{module} (stage {own}) imports {imported} (stage {theirs})")
    assert not wrong, "\n".join(wrong)


def test_no_core_module_imports_a_builtin_plugin():
    offenders = [f"{_module(p)} imports {m}" for p in CORE.rglob("*.py") for m in _imports(p)
                 if m.startswith("tokenplan.plugins")]
    assert not offenders


def test_only_the_model_package_creates_pyomo_components():
    offenders = []
    for path in CORE.rglob("*.py"):
        if path.parent.name == "model":
            continue
        for node in _runtime_nodes(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    node.func.attr in COMPONENTS and ast.unparse(node.func.value) in ("pyo", "pyomo.environ"):
                offenders.append(f"{_module(path)}:{node.lineno} creates pyo.{node.func.attr}")
    assert not offenders, offenders


def test_every_family_is_in_the_formulation_with_its_name_and_index():
    from tokenplan.model import FAMILIES

    text = (ROOT / "docs" / "formulation.md").read_text()
    documented = dict(re.findall(r"^\| `([a-z_]+)` \| `([a-z_, ]+)` \| `[<>]=` \|", text, flags=re.M))
    declared = {f.name: ", ".join(f.index) for f in FAMILIES}
    assert documented == declared


def test_a_new_family_is_one_module_and_one_line(monkeypatch):
    # a network-bandwidth family, added as a downstream developer would: a Family record with its rows, and
    # the family list extended by it; shadow prices and the diagnosis pick it up with no other change
    from builders import base_problem

    import tokenplan
    from tokenplan.model import FAMILIES, Family, Row, families

    def rows(ctx):  # 10 Gb/s of scale-out network per accelerator in service, 80 Gb/s per site and period
        return {(r, y): Row(ctx.sum(10.0 * p.accelerators * p.var for p in ctx.active(r, y)), 80.0)
                for r, y in ctx.site_periods() if ctx.active(r, y)}

    network = Family(name="network", index=("region", "period"), sense="<=", unit="Gb/s", per="Gb/s", rows=rows,
                     doc="scale-out bandwidth of the fleet <= the site's uplink", elastic="cap")
    monkeypatch.setattr(families, "FAMILIES", (*FAMILIES, network))  # the one line in core/model/families.py
    r = tokenplan.solve(tokenplan.load(base_problem()))
    assert r.status == "infeasible"  # ten accelerators need 100 Gb/s
    grow = [s for s in r.diagnosis["shortfalls"] if s["constraint"] == "network"]
    assert grow == [{"constraint": "network", "where": {"region": "r1", "period": 2030},
                     "amount": pytest.approx(20.0), "unit": "Gb/s", "share": pytest.approx(0.25)}]
