"""End-to-end tests of the ``tokenplan`` command on the shipped problems and on bad input."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from builders import base_problem, write_toml

from tokenplan.cli import main
from tokenplan.errors import ExitCode

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = str(ROOT / "problems" / "quickstart.toml")
SEED = str(ROOT / "problems" / "seed-2027.toml")
JSON_KEYS = {"status", "objective", "currency", "gap", "kpis", "plan", "binding", "diagnosis", "timings"}
KPI_KEYS = {"capex", "opex", "subsidy", "salvage", "accelerators", "it_mw", "facility_mw", "cost_per_million_tokens"}
PLAN_KEYS = {"period", "region", "chip", "cooling", "units_bought", "accelerators_bought", "accelerators_active",
             "it_mw"}


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out = capsys.readouterr()
    return int(info.value.code), out.out, out.err


def test_solve_quickstart_prints_the_plan(capsys):
    code, out, _ = run_cli(capsys, "solve", QUICKSTART)
    assert code == ExitCode.OK
    assert "status: optimal" in out
    assert "Plan: quickstart" in out and "KPIs" in out and "net present cost" in out


def test_seed_scenario_needs_5_651_million_accelerators(capsys):
    code, out, _ = run_cli(capsys, "solve", SEED, "--json")
    assert code == ExitCode.OK
    doc = json.loads(out)
    assert doc["status"] == "optimal"
    assert abs(doc["kpis"]["accelerators"] - 5_651_000) <= 1_000
    assert JSON_KEYS <= set(doc) and KPI_KEYS <= set(doc["kpis"])
    assert PLAN_KEYS <= set(doc["plan"][0])
    assert doc["currency"] == "CNY" and doc["diagnosis"] is None
    assert {"build_s", "solve_s"} <= set(doc["timings"])
    k = doc["kpis"]
    assert k["capex"] + k["opex"] - k["subsidy"] - k["salvage"] == pytest.approx(doc["objective"], rel=1e-9)


def test_out_dir_and_model_files(capsys, tmp_path):
    lp, mps = tmp_path / "m.lp", tmp_path / "m.mps"
    code, _, _ = run_cli(capsys, "solve", SEED, "--out", str(tmp_path / "out"), "--write-model", str(lp), "-q")
    assert code == ExitCode.OK
    plan = pd.read_csv(tmp_path / "out" / "plan.csv")
    assert plan.equals(pd.read_parquet(tmp_path / "out" / "plan.parquet"))
    kpis = json.loads((tmp_path / "out" / "kpis.json").read_text())
    assert kpis["kpis"]["accelerators"] == plan["accelerators_bought"].sum()
    text = lp.read_text()
    assert "demand(seed_chat_2027)" in text and "buy(" in text
    run_cli(capsys, "solve", SEED, "--write-model", str(mps), "-q")
    assert "ROWS" in mps.read_text()
    code, _, err = run_cli(capsys, "solve", SEED, "--write-model", str(tmp_path / "m.txt"))
    assert code == ExitCode.USAGE_ERROR and "must end in .lp or .mps" in err


def test_solver_options_from_the_command_line(capsys):
    code, out, _ = run_cli(capsys, "solve", QUICKSTART, "--json", "--gap", "0.05", "--threads", "2",
                           "--time-limit", "30", "--set", "problem.discount_rate=0.1")
    assert code == ExitCode.OK
    doc = json.loads(out)
    assert doc["gap"] <= 0.05


def test_quiet_prints_only_the_status_line(capsys):
    code, out, _ = run_cli(capsys, "-q", "solve", SEED)
    assert code == ExitCode.OK and out.strip().startswith("status: optimal") and len(out.strip().splitlines()) == 1


def test_validate_schema_plugins_catalog(capsys):
    code, out, _ = run_cli(capsys, "validate", QUICKSTART)
    assert code == 0 and out.startswith("ok: ")
    code, out, _ = run_cli(capsys, "schema")
    assert code == 0 and json.loads(out)["title"] == "tokenplan problem file"
    code, out, _ = run_cli(capsys, "plugins", "--json")
    names = {p["name"] for p in json.loads(out)}
    assert {"chips.nvidia", "coolings.standard", "throughput.flops"} <= names
    code, out, _ = run_cli(capsys, "catalog", "chips", "--json")
    chips = {c["id"]: c for c in json.loads(out)}
    assert chips["nvidia.h100"]["sources"]["tdp_w"] and chips["nvidia.h100"]["plugin"] == "chips.nvidia"
    code, out, _ = run_cli(capsys, "catalog", "coolings")
    assert code == 0 and "cold_plate" in out
    code, out, _ = run_cli(capsys, "plugins")
    assert code == 0 and "chips.nvidia" in out


@pytest.mark.parametrize(("args", "needle"), [
    (["solve", "missing.toml"], "missing.toml: no such file"),
    (["solve", QUICKSTART, "--set", "workloads.chat.bogus=1"], "workloads[chat].bogus: unknown key"),
    (["solve", QUICKSTART, "--set", "problem.mip_gap=7"], "problem.mip_gap = 7"),
    (["solve", QUICKSTART, "--set", "nonsense"], "--set = 'nonsense': expected KEY=VALUE"),
    (["solve", QUICKSTART, "--disable-plugin", "nope"], "plugins.disable = 'nope': unknown plugin"),
    (["validate", QUICKSTART, "--set", "problem.throughput_model=magic"], "no installed plugin provides"),
    (["catalog", "gpus"], "Invalid value"),
])
def test_bad_input_is_one_line_with_exit_2(capsys, args, needle):
    code, _out, err = run_cli(capsys, *args)
    assert code == ExitCode.USAGE_ERROR
    assert needle in err
    assert "Traceback" not in err
    if "error:" in err:
        assert len([line for line in err.splitlines() if line.strip()]) == 1


def test_debug_shows_the_traceback(capsys):
    code, _, err = run_cli(capsys, "--debug", "solve", "missing.toml")
    assert code == ExitCode.USAGE_ERROR and "Traceback" in err


def test_infeasible_exits_3_with_the_diagnosis(capsys, tmp_path):
    p = base_problem()
    p["regions"][0].update(power_mw=0.006, block_mw=0.001)
    code, out, _ = run_cli(capsys, "solve", write_toml(tmp_path, p))
    assert code == ExitCode.INFEASIBLE
    assert "status: infeasible" in out and "diagnosis (before solving):" in out and "needs at least" in out
    assert "to fix: raise regions' power_mw for 2030" in out


def test_plugin_failure_exits_5(tmp_path):
    from test_plugin_host import make_distribution

    site = make_distribution(tmp_path, name="tokenplan-bad", module="tokenplan_bad", ep_name="bad", body="""
from tokenplan import hookimpl

@hookimpl
def tokenplan_chips():
    raise RuntimeError("no datasheet")
""")
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("TOKENPLAN_DISABLE_PLUGIN_AUTOLOAD", None)
    proc = subprocess.run([sys.executable, "-m", "tokenplan.cli", "solve", QUICKSTART], capture_output=True,
                          text=True, env=env)
    assert proc.returncode == ExitCode.PLUGIN_ERROR
    assert proc.stderr.strip() == ("error: plugin 'bad' (distribution tokenplan-bad 1.2.3): tokenplan_chips raised "
                                   "RuntimeError: no datasheet (to skip it: --disable-plugin bad)")
    proc = subprocess.run([sys.executable, "-m", "tokenplan.cli", "solve", QUICKSTART, "-q",
                           "--disable-plugin", "bad"], capture_output=True, text=True, env=env)
    assert proc.returncode == ExitCode.OK, proc.stderr


def test_help_does_not_import_pyomo_highspy_or_matplotlib():
    code = ("import sys\nfrom tokenplan.cli import cli\n"
            "try:\n    cli.main(['--help'], standalone_mode=False)\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('pyomo', 'highspy', 'pandas', 'scipy', 'matplotlib') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "plan the AI-compute fleet" in proc.stdout


def test_console_script_runs():
    proc = subprocess.run(["tokenplan", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("tokenplan ")
    assert "chips.nvidia" in proc.stdout


def test_exit_codes_are_documented():
    assert [int(c) for c in ExitCode] == [0, 1, 2, 3, 4, 5, 130]
    doc = (ROOT / "docs" / "cli.md").read_text()
    for code in ExitCode:
        assert f"| {int(code)} |" in doc


CN2030 = str(ROOT / "problems" / "cn-2030.toml")
RULES_OFF = [f"--set=rules.{r}.enabled=false" for r in ("cn.export_controls", "cn.national_ai_city", "cn.hub_node",
                                                       "cn.domestic_power_discount")]


@pytest.mark.slow
def test_cn_2030_solves_optimal_within_its_default_time_limit_and_the_rules_change_the_plan(capsys):
    code, out, _ = run_cli(capsys, "solve", CN2030, "--json")
    assert code == ExitCode.OK
    on = json.loads(out)
    assert on["status"] == "optimal" and on["gap"] <= 1e-3
    chips_on = {row["chip"] for row in on["plan"] if row["accelerators_bought"]}
    # export controls: no banned part in a Chinese site; only domestic parts and the licensed H200/H20
    assert all(c.startswith(("huawei.", "cambricon.", "hygon.", "baidu.")) or c in ("nvidia.h200", "nvidia.h20")
               for c in chips_on), chips_on
    assert on["kpis"]["subsidy"] > 0 and on["rules"]["cn.national_ai_city"]["took"]
    code, out, _ = run_cli(capsys, "solve", CN2030, "--json", *RULES_OFF)
    off = json.loads(out)
    assert off["objective"] < on["objective"] and off["kpis"]["subsidy"] == 0
    # MI355X (MI300X before the server share weighed on the cheaper card)
    assert "amd.mi355x" in {row["chip"] for row in off["plan"] if row["accelerators_bought"]}


def test_throughput_command(capsys, tmp_path):
    # from a problem file: its workloads, model and [throughput] parameters
    code, out, _ = run_cli(capsys, "throughput", "--workload", QUICKSTART, "--chips", "nvidia.h*", "--json")
    assert code == ExitCode.OK
    rows = {(r["chip"], r["workload"]): r["tokens_per_s"] for r in json.loads(out)}
    assert set(rows) == {("nvidia.h100", "chat"), ("nvidia.h20", "chat"), ("nvidia.h200", "chat")}
    import tokenplan

    problem = tokenplan.load(QUICKSTART)
    assert rows[("nvidia.h200", "chat")] == pytest.approx(
        tokenplan.throughput("nvidia.h200", problem.workloads[0], model="roofline"))
    # from --set alone: DeepSeek-V3 (671 B) does not fit one 8 x 80 GB H100 server; a replica spans servers
    sets = ["--set", "active_params_b=37", "--set", "total_params_b=671", "--set", "kv_bytes_per_token=70000",
            "--set", "context_tokens=4096", "--set", "output_fraction=0.25", "--set", "precision=fp8"]
    code, out, _ = run_cli(capsys, "throughput", *sets, "--chips", "nvidia.h*", "--json")
    rows = {r["chip"]: r["tokens_per_s"] for r in json.loads(out)}
    assert rows["nvidia.h100"] > 0 and rows["nvidia.h200"] > 0
    # ... and with one server per replica, the chip whose unit cannot hold the weights gets 0 ("-")
    one = ["--param", "max_replica_units=1"]
    code, out, _ = run_cli(capsys, "throughput", *sets, *one, "--chips", "nvidia.h*", "--json")
    rows = {r["chip"]: r["tokens_per_s"] for r in json.loads(out)}
    assert rows["nvidia.h100"] == 0 and rows["nvidia.h200"] > 0
    code, out, _ = run_cli(capsys, "throughput", *sets, *one, "--chips", "nvidia.h*")
    assert "nvidia.h100" in out and " - " in out.split("nvidia.h100")[1].splitlines()[0] + " "
    # a file holding one workload's keys, with the flops model and a parameter error
    path = tmp_path / "w.toml"
    path.write_text('flops_per_token = 2e11\nutilisation = 0.5\nprecision = "fp8"\n')
    code, out, _ = run_cli(capsys, "throughput", "--workload", str(path), "--model", "flops", "--chips",
                           "nvidia.h100", "--json")
    assert json.loads(out)[0]["tokens_per_s"] == pytest.approx(1979e12 * 0.5 / 2e11)
    code, _, err = run_cli(capsys, "throughput", *sets, "--param", "mfu=3")
    assert code == ExitCode.USAGE_ERROR and "params.mfu = 3" in err
    code, _, err = run_cli(capsys, "throughput", "--set", "active_params_b=-1")
    assert code == ExitCode.USAGE_ERROR and "workload.active_params_b = -1" in err


def test_solve_with_the_portfolio(capsys):
    code, out, _ = run_cli(capsys, "-q", "solve", QUICKSTART, "--portfolio")
    assert code == ExitCode.OK and "status: optimal" in out
    cost = float(re.search(r"net present cost ([0-9.]+) M USD", out).group(1))
    import tokenplan

    default = tokenplan.solve(tokenplan.load(QUICKSTART))
    assert default.status == "optimal"
    assert cost == pytest.approx(default.objective / 1e6, rel=1e-3)  # the default strategy's optimum, within the gap
