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
    expect = header(path)["expect"]
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
