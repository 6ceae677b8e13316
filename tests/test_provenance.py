"""Provenance (issue 12, item 2): every result says what produced it: the versions of tokenplan, Python, Pyomo,
highspy and HiGHS, every plugin, the problem's source and hash, the scenarios and overrides applied, the solver
options, the machine and the time (``--json``, ``--out``'s kpis.json, a study's index.jsonl and study.json)."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import pytest
from builders import base_problem, write_toml

import tokenplan
from tokenplan.cli import main
from tokenplan.provenance import OF_DATA, OF_FILE, canonical_sha256, compact, problem_of
from tokenplan.studies.worker import task_provenance

KEYS = {"tokenplan", "python", "pyomo", "highspy", "highs", "plugins", "plugins_sha256", "problem", "applied",
        "solver", "machine", "timestamp"}


def _builtins() -> set[str]:
    return {ep.name for ep in metadata.entry_points(group="tokenplan")
            if ep.dist is not None and ep.dist.metadata["Name"] == "tokenplan"}


def _sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _check_environment(prov: dict) -> None:
    import highspy

    assert prov["tokenplan"] == tokenplan.__version__
    assert prov["python"] == platform.python_version()
    assert prov["pyomo"] == metadata.version("pyomo")
    assert prov["highspy"] == metadata.version("highspy")
    assert prov["highs"] == (f"{highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}."
                             f"{highspy.HIGHS_VERSION_PATCH}")
    assert prov["machine"] == {"cpu_count": os.cpu_count(), "cpus_usable": len(os.sched_getaffinity(0)),
                               "platform": platform.platform()}
    when = datetime.strptime(prov["timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - when).total_seconds()) < 600


def _check_plugins(prov: dict, disabled: frozenset[str] = frozenset()) -> None:
    """Every built-in plugin, of the distribution tokenplan at its version; enabled unless disabled."""
    plugins = prov["plugins"]
    assert all(set(p) == {"name", "distribution", "version", "status"} for p in plugins)
    builtin = {p["name"]: p for p in plugins if p["distribution"] == "tokenplan"}
    assert set(builtin) == _builtins()
    assert all(p["version"] == tokenplan.__version__ for p in builtin.values())
    assert {n for n, p in builtin.items() if p["status"] == "disabled"} == disabled
    assert {n for n, p in builtin.items() if p["status"] == "enabled"} == _builtins() - disabled
    assert prov["plugins_sha256"] == canonical_sha256(plugins)


def test_json_and_kpis_json_of_a_solve_say_what_produced_them(capsys, tmp_path):
    path = write_toml(tmp_path, base_problem())
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as info:
        main(["solve", path, "--json", "--out", str(out), "--set", "problem.discount_rate=0.05",
              "--gap", "0.01", "--time-limit", "20", "--disable-plugin", "rules.cn_subsidies"])
    assert info.value.code == 0
    doc = json.loads(capsys.readouterr().out)
    prov = doc["provenance"]
    assert set(prov) == KEYS
    _check_environment(prov)
    _check_plugins(prov, disabled=frozenset({"rules.cn_subsidies"}))
    assert prov["problem"] == {"source": path, "sha256": _sha256(path), "sha256_of": OF_FILE}
    assert prov["applied"] == doc["applied"] == {"scenarios": [], "overrides": ["problem.discount_rate=0.05"]}
    assert prov["solver"] == {"time_limit_s": 20.0, "mip_gap": 0.01, "threads": 1, "seed": 0, "portfolio": False,
                              "warm_start": False}
    # --out's kpis.json carries the same provenance
    assert json.loads((out / "kpis.json").read_text())["provenance"] == prov


def test_the_api_result_has_it_and_names_scenarios_and_a_warm_start(tmp_path):
    data = base_problem()
    data["scenarios"] = {"dear": {"chips.custom": [{**data["chips"]["custom"][0], "price_per_accel": 2e6}]}}
    path = write_toml(tmp_path, data)
    problem = tokenplan.load(path, scenarios=["dear"], overrides=["problem.seed=3"])
    result = tokenplan.solve(problem, threads=1, portfolio=True, start={"nothing": 0.0})
    prov = result.provenance
    assert result.to_dict()["provenance"] == prov
    _check_environment(prov)
    _check_plugins(prov)
    assert prov["applied"] == {"scenarios": ["dear"], "overrides": ["problem.seed=3"]}
    assert prov["solver"] == {"time_limit_s": 30.0, "mip_gap": 0.0, "threads": 1, "seed": 3, "portfolio": True,
                              "warm_start": True}


def test_the_hash_is_of_the_file_bytes_and_changes_with_the_file(tmp_path):
    path = Path(write_toml(tmp_path, base_problem()))
    first = problem_of(tokenplan.load(path))
    assert first == {"source": str(path), "sha256": _sha256(path), "sha256_of": OF_FILE}
    assert problem_of(tokenplan.load(path, overrides=["problem.discount_rate=0.1"]))["sha256"] == first["sha256"]
    path.write_bytes(path.read_bytes() + b"\n# a comment changes the bytes, not the problem\n")
    second = problem_of(tokenplan.load(path))
    assert second["sha256"] == _sha256(path) != first["sha256"]
    # CRLF line ends are read as before (universal newlines) and hashed as they are
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert problem_of(tokenplan.load(path))["sha256"] == _sha256(path) not in (first["sha256"], second["sha256"])


def test_a_problem_given_as_a_dict_is_hashed_as_canonical_json():
    data = base_problem()
    got = problem_of(tokenplan.load(data))
    assert got == {"source": "<problem>", "sha256": canonical_sha256(data), "sha256_of": OF_DATA}
    assert got["sha256"] == hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    data["problem"]["discount_rate"] = 0.1
    assert problem_of(tokenplan.load(data))["sha256"] != got["sha256"]


def test_a_study_records_provenance_in_index_jsonl_and_study_json(tmp_path):
    path = write_toml(tmp_path, base_problem())
    study = tokenplan.study(path, out=tmp_path / "out", grid=["problem.discount_rate=0.0,0.1"], workers=1)
    assert len(study.records) == 2
    manifest = json.loads((tmp_path / "out" / "study.json").read_text())
    top = manifest["provenance"]
    assert set(top) == KEYS | {"study"}
    _check_environment(top)
    _check_plugins(top)
    assert top["study"] == top["problem"] == {"source": path, "sha256": _sha256(path), "sha256_of": OF_FILE}
    assert top["applied"] == {"scenarios": [], "overrides": []}
    assert top["solver"] == {"time_limit_s": None, "mip_gap": None, "threads": None, "warm_start": True,
                             "persistent": True, "workers": 1, "scheduler": None}
    lines = [json.loads(line) for line in (tmp_path / "out" / "index.jsonl").read_text().splitlines()]
    assert [r["status"] for r in lines] == ["optimal", "optimal"]
    for record, rate in zip(sorted(lines, key=lambda r: r["position"]), ("0.0", "0.1")):
        prov = record["provenance"]
        assert set(prov) == KEYS - {"plugins"}  # the list is in study.json: the same plugins, the same hash
        assert prov["plugins_sha256"] == top["plugins_sha256"]
        _check_environment(prov)
        assert prov["problem"] == top["problem"]
        assert prov["applied"] == {"scenarios": [], "overrides": [f"problem.discount_rate={rate}"]}
        assert prov["solver"] == {"time_limit_s": 30.0, "mip_gap": 0.0, "threads": 1, "seed": 0,
                                  "portfolio": False, "warm_start": record["start_given"]}


def test_a_study_file_is_hashed_beside_its_problem_file(tmp_path):
    problem = write_toml(tmp_path, base_problem())
    study_file = tmp_path / "study.toml"
    study_file.write_text(f'[study]\nname = "t"\nproblem = "{Path(problem).name}"\nscenarios = []\n'
                          '[[vary]]\nkey = "problem.discount_rate"\nvalues = [0.0]\n')
    from tokenplan.studies import load_spec

    spec = load_spec(study_file)
    assert spec.source_sha256 == _sha256(study_file) and spec.problem_sha256 == _sha256(problem)


def test_a_record_keeps_the_plugin_list_when_its_plugins_differ_from_the_study():
    prov = {"plugins": [{"name": "x"}], "plugins_sha256": canonical_sha256([{"name": "x"}]), "timestamp": "t"}
    assert "plugins" not in compact(prov, prov["plugins_sha256"])
    assert compact(prov, canonical_sha256([])) == prov
    assert compact(prov, None) == prov


def test_a_scenario_without_a_result_has_the_provenance_of_its_task(tmp_path):
    from tokenplan.catalog import Catalog

    task = {"problem_path": "p.toml", "problem_sha256": "ab" * 32, "scenarios": ["s"],
            "overrides": [[["problem", "discount_rate"], 0.1]], "time_limit_s": 5.0, "mip_gap": None,
            "threads": 2, "start": {"x": 1.0}, "plugins_sha256": None}
    prov = task_provenance(task, Catalog().host)
    assert set(prov) == KEYS
    _check_environment(prov)
    assert prov["problem"] == {"source": "p.toml", "sha256": "ab" * 32, "sha256_of": OF_FILE}
    assert prov["applied"] == {"scenarios": ["s"], "overrides": ["problem.discount_rate=0.1"]}
    assert prov["solver"] == {"time_limit_s": 5.0, "mip_gap": None, "threads": 2, "seed": None, "portfolio": False,
                              "warm_start": True}


def test_the_module_imports_only_the_standard_library():
    code = ("import sys, tokenplan.provenance\n"
            "print([m for m in ('pyomo', 'highspy', 'numpy', 'pandas', 'pydantic') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
