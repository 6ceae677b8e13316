"""The malformed-input corpus (tests/data/bad/, written by its make.py): every case is a problem file or a
command line with one mistake, and each must end with exit 2 and one line on stderr that names the key, with no
traceback and nothing on stdout (issue 11, item 1)."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tokenplan.cli import main

DATA = Path(__file__).resolve().parent / "data"
CASES = sorted((DATA / "bad").glob("*.toml"))


def header(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("# "):
            break
        name, _, value = line[2:].partition(": ")
        out[name] = value
    return out


def command(path: Path, tmp_path: Path) -> list[str]:
    """The case's command line; ``{tmp}`` is a scratch directory holding a regular file ``bad``."""
    (tmp_path / "bad").write_text("a file, where a directory is asked for")
    h = header(path)
    args = shlex.split(h.get("args", "").replace("{tmp}", str(tmp_path)))
    return [h.get("command", "solve"), str(path), *args]


def test_the_corpus_has_at_least_150_cases_each_with_an_expectation():
    assert len(CASES) >= 150
    assert all(header(p).get("expect") for p in CASES)


def test_the_base_of_the_corpus_is_valid(capsys):
    with pytest.raises(SystemExit) as info:
        main(["validate", str(DATA / "corpus-base.toml")])
    assert info.value.code == 0, capsys.readouterr().err


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_each_mistake_is_one_line_naming_the_key_with_exit_2(path, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # relative outputs (--write-model model.txt) land here
    with pytest.raises(SystemExit) as info:
        main(command(path, tmp_path))
    out = capsys.readouterr()
    expect = header(path)["expect"].replace("{tmp}", str(tmp_path))
    lines = out.err.strip().splitlines()
    assert info.value.code == 2, (out.err, out.out[:500])
    assert len(lines) == 1, out.err
    assert lines[0].startswith("error: ") and "Traceback" not in out.err
    assert expect in lines[0]
    assert out.out == ""


@pytest.mark.parametrize("name", ["toml-unclosed-array", "toml-nested-too-deep", "type-rate-as-string",
                                  "cli-unknown-option"])
def test_the_installed_command_says_the_same(name, tmp_path):
    # a few cases through the real process (python -m tokenplan): its exit code, stderr and stdout
    path, = (DATA / "bad").glob(f"[0-9][0-9][0-9]-{name}.toml")
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.run([sys.executable, "-m", "tokenplan", *command(path, tmp_path)], capture_output=True,
                          text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and header(path)["expect"] in proc.stderr and proc.stdout == ""


#: the kinds of mistake: each corpus message holds one, and docs/troubleshooting.md shows each
KINDS = [
    "not valid TOML", "nested", "unknown key", "missing required key", "missing;", "unknown parameter",
    "Input should be", "expected a number", "table keys must be years", "unknown precision",
    "expected a finite number", "a cap must be >= 0", "must be >= 0", "List should have at least",
    "is out of range: tokenplan takes", "must increase strictly", "is not a plausible year",
    "must be in [1e-06, 1e+06]", "is not an ISO 4217 currency code", "matches no", "unknown cooling id",
    "unknown chip id", "unknown rule", "unknown region", "no chip draws on this HBM pool", "is not a period",
    "no value for period", "duplicate id", "already defined by plugin", "no exchange rate", "unknown plugin",
    "(from scenario", "no such scenario", "no installed plugin provides this throughput model",
    "is before year_available", "is above the dense peak", "so it would do nothing", "sources names unknown field",
    "String should match pattern",
    "contains the control character", "No such option", "Invalid value for", "expected KEY=VALUE",
    "not a valid dotted key", "not a valid TOML value", "scale must be a finite number", "nothing to scale",
    "cannot scale", "only a number or a table of numbers can be scaled", "Missing option", "--out",
    "--write-model",
    "--time-limit", "--gap", "--threads", "--grid"]


def test_every_kind_of_mistake_is_in_the_troubleshooting_page(tmp_path, capsys, monkeypatch):
    page = " ".join((Path(__file__).resolve().parents[1] / "docs" / "troubleshooting.md").read_text().split())
    assert [k for k in KINDS if k not in page] == []
    monkeypatch.chdir(tmp_path)
    unknown = []
    for path in CASES:
        with pytest.raises(SystemExit):
            main(command(path, tmp_path))
        line = capsys.readouterr().err.strip()
        if not any(k in line for k in KINDS):
            unknown.append(line)
    assert unknown == []
