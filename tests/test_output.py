"""Output is atomic and checked first (issue 11, item 5): ``--out`` and ``--write-model`` paths are checked
before the solve; every file is written to a temporary name and renamed into place (a symbolic link there is
replaced, its target untouched; an interrupt leaves the previous files, all of them); the result is printed
before ``--out`` is written; ``--json`` puts nothing but the JSON on stdout."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import tokenplan
from tokenplan.cli import main
from tokenplan.errors import ExitCode, OutputError
from tokenplan.files import WriteError, atomic, atomic_set, check_writable
from tokenplan.result import OUT_FILES as RESULT_FILES

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = str(ROOT / "problems" / "quickstart.toml")
OUT_FILES = sorted(RESULT_FILES)
ROOT_USER = os.geteuid() == 0


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out = capsys.readouterr()
    return int(info.value.code), out.out, out.err


def run_cmd(*args: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own: its real stdout (Pyomo's log handler holds the stdout of the
    moment Pyomo was imported, which capsys cannot see)."""
    prefix = ["-c", code, "solve"] if code else ["-m", "tokenplan.cli", "solve"]
    return subprocess.run([sys.executable, *prefix, *args], capture_output=True, text=True, cwd=ROOT)


@pytest.fixture
def no_solve(monkeypatch):
    """Loading or solving fails the test: the paths must be refused before."""
    import tokenplan.api
    import tokenplan.loader

    def never(*_args, **_kwargs):
        raise AssertionError("the problem was loaded or solved before the output paths were checked")

    monkeypatch.setattr(tokenplan.loader, "load", never)
    monkeypatch.setattr(tokenplan.api, "solve", never)


def _error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def result():
    return tokenplan.solve(tokenplan.load(QUICKSTART))


# --- checked before the solve ------------------------------------------------------------------------------


@pytest.mark.skipif(ROOT_USER, reason="root ignores permissions (the path under a file is tested instead)")
def test_a_read_only_directory_is_refused_before_the_solve(capsys, tmp_path, no_solve):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        for args, message in [
            (["--out", str(ro)], f"error: --out {ro}: cannot write there (Permission denied)"),
            (["--out", str(ro / "a" / "b")],
             f"error: --out {ro / 'a' / 'b'}: cannot write in {ro} (Permission denied)"),
            (["--write-model", str(ro / "m.lp")],
             f"error: --write-model {ro / 'm.lp'}: cannot write in {ro} (Permission denied)"),
        ]:
            code, out, err = run_cli(capsys, "solve", QUICKSTART, *args)
            assert code == ExitCode.USAGE_ERROR and out == ""
            assert _error_line(err) == message
        assert list(ro.iterdir()) == []
    finally:
        ro.chmod(0o700)


@pytest.mark.parametrize(("option", "where", "reason"), [
    ("--out", "file/sub", "cannot create it: {tmp}/file is a file, not a directory"),
    ("--out", "file/a/b", "cannot create it: {tmp}/file is a file, not a directory"),
    ("--out", "file", "is a file, not a directory"),
    ("--out", "dangling", "is a broken symbolic link"),
    ("--write-model", "file/m.lp", "cannot create its directory: {tmp}/file is a file, not a directory"),
    ("--write-model", "dangling/m.lp", "cannot create its directory: {tmp}/dangling is a broken symbolic link"),
    ("--out", "dangling/sub", "cannot create it: {tmp}/dangling is a broken symbolic link"),
    ("--write-model", "dir", "is a directory"),
    ("--write-model", "dir/m.txt", "must end in .lp or .mps"),
    ("--write-model", "m", "must end in .lp or .mps"),
])
def test_an_impossible_path_is_refused_before_the_solve(capsys, tmp_path, no_solve, option, where, reason):
    # a path under a regular file cannot be created, even by root
    (tmp_path / "file").write_text("not a directory")
    (tmp_path / "dir").mkdir()
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    path = tmp_path / where
    code, out, err = run_cli(capsys, "solve", QUICKSTART, option, str(path))
    assert code == ExitCode.USAGE_ERROR and out == ""
    assert _error_line(err) == f"error: {option} {path}: {reason.format(tmp=tmp_path)}"


def test_a_directory_where_an_out_file_goes_is_refused_before_the_solve(capsys, tmp_path, no_solve):
    (tmp_path / "plan.parquet").mkdir()
    code, _, err = run_cli(capsys, "solve", QUICKSTART, "--out", str(tmp_path))
    assert code == ExitCode.USAGE_ERROR
    assert _error_line(err) == f"error: --out {tmp_path}: cannot write plan.parquet there: it is a directory"


def test_a_file_system_that_takes_no_files_is_refused_by_the_probe(capsys, no_solve):
    # /proc says it is writable to root (os.access), but no file can be created in it: the probe finds out
    code, _, err = run_cli(capsys, "solve", QUICKSTART, "--out", "/proc/tokenplan-x")
    assert code == ExitCode.USAGE_ERROR
    assert _error_line(err).startswith("error: --out /proc/tokenplan-x: cannot write in /proc (")


def test_check_writable_leaves_nothing_behind_and_creates_nothing(tmp_path):
    assert check_writable(tmp_path / "a" / "b", directory=True, key="--out") == tmp_path / "a" / "b"
    assert check_writable(tmp_path / "m.MPS", directory=False, key="--write-model", suffixes=(".lp", ".mps"))
    assert check_writable(str(tmp_path), directory=True, key="--report") == tmp_path
    assert list(tmp_path.iterdir()) == []  # the probe file removed, the missing directories not made
    with pytest.raises(OutputError) as info:
        check_writable(tmp_path / "x.csv", directory=False, key="--report", suffixes=(".md",))
    assert str(info.value) == f"--report {tmp_path / 'x.csv'}: must end in .md"
    assert info.value.exit_code == ExitCode.USAGE_ERROR
    assert (info.value.option, info.value.path) == ("--report", str(tmp_path / "x.csv"))


def test_missing_parents_are_created_like_mkdir_p(capsys, tmp_path):
    out, model = tmp_path / "a" / "b" / "c", tmp_path / "d" / "e" / "m.lp"
    code, _, _ = run_cli(capsys, "-q", "solve", QUICKSTART, "--out", str(out), "--write-model", str(model))
    assert code == ExitCode.OK
    assert sorted(p.name for p in out.iterdir()) == OUT_FILES
    assert "buy(" in model.read_text()
    assert [p.name for p in model.parent.iterdir()] == ["m.lp"]  # no temporary file left


# --- written atomically ------------------------------------------------------------------------------------


def test_a_symlink_at_the_destination_is_replaced_and_its_target_untouched(capsys, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    victims = {name: tmp_path / f"victim-{name}" for name in [*OUT_FILES, "m.lp"]}
    for name, victim in victims.items():
        victim.write_text(f"precious {name}")
        (tmp_path / name if name == "m.lp" else out / name).symlink_to(victim)
    code, _, _ = run_cli(capsys, "-q", "solve", QUICKSTART, "--out", str(out), "--write-model",
                         str(tmp_path / "m.lp"))
    assert code == ExitCode.OK
    for name, victim in victims.items():
        assert victim.read_text() == f"precious {name}"
        written = tmp_path / name if name == "m.lp" else out / name
        assert not written.is_symlink() and written.is_file()
    assert pd.read_csv(out / "plan.csv").equals(pd.read_parquet(out / "plan.parquet"))


def test_the_mode_of_a_written_file_follows_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        atomic(tmp_path / "f.txt", lambda tmp: Path(tmp).write_text("x"))
    finally:
        os.umask(old)
    assert (tmp_path / "f.txt").stat().st_mode & 0o777 == 0o640  # not mkstemp's 0600


@pytest.mark.parametrize("writer", ["to_csv", "to_parquet"])
@pytest.mark.parametrize("previous", [True, False])
def test_an_interrupt_while_writing_leaves_the_previous_files(capsys, tmp_path, monkeypatch, writer, previous):
    out = tmp_path / "out"
    if previous:
        code, _, _ = run_cli(capsys, "-q", "solve", QUICKSTART, "--out", str(out), "--set",
                             "problem.discount_rate=0.2")
        assert code == ExitCode.OK
        before = _snapshot(out)
        assert sorted(before) == OUT_FILES
    real = getattr(pd.DataFrame, writer)

    def torn(self, path, *args, **kwargs):  # half the file written, then Ctrl-C
        real(self, path, *args, **kwargs)
        data = Path(path).read_bytes()
        Path(path).write_bytes(data[: len(data) // 2])
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, writer, torn)
    code, stdout, err = run_cli(capsys, "-q", "solve", QUICKSTART, "--out", str(out))
    assert code == ExitCode.INTERRUPTED and "interrupted" in err
    assert stdout.startswith("status: optimal")  # the plan was printed before the files were written
    # all the previous run's files, unchanged, and nothing else (no partial file, no temporary file)
    assert _snapshot(out) == (before if previous else {})


def test_an_interrupt_during_the_renames_is_held_until_all_are_done(tmp_path, monkeypatch):
    # Python's own Ctrl-C handler, whatever the run inherited (a background job starts with SIGINT ignored)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        _interrupt_during_the_renames(tmp_path, monkeypatch)
    finally:
        signal.signal(signal.SIGINT, previous)


def _interrupt_during_the_renames(tmp_path, monkeypatch):
    names = ["a.csv", "b.parquet", "c.json"]
    for name in names:
        (tmp_path / name).write_text("old")
    real = os.replace
    calls = []

    def replace_then_ctrl_c(src, dst):
        real(src, dst)
        calls.append(dst)
        if len(calls) == 1:
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(os, "replace", replace_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        atomic_set([(tmp_path / name, lambda tmp: Path(tmp).write_text("new")) for name in names])
    assert len(calls) == 3
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == dict.fromkeys(names, "new")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_failed_write_removes_its_temporary_files_and_names_the_file(tmp_path):
    (tmp_path / "a.txt").write_text("old")

    def full(_tmp):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(WriteError) as info:
        atomic_set([(tmp_path / "a.txt", lambda tmp: Path(tmp).write_text("new")), (tmp_path / "b.txt", full)])
    assert info.value.errno == errno.ENOSPC and info.value.path == tmp_path / "b.txt"
    assert info.value.written == [] and info.value.not_written == [tmp_path / "a.txt", tmp_path / "b.txt"]
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {"a.txt": "old"}


# --- printed before written --------------------------------------------------------------------------------


@pytest.mark.parametrize("as_json", [True, False])
def test_a_failed_write_after_the_solve_keeps_the_printed_plan(capsys, tmp_path, monkeypatch, as_json):
    def full(self, path, *args, **kwargs):
        Path(path).write_bytes(b"PAR1")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    out = tmp_path / "out"
    code, stdout, err = run_cli(capsys, "solve", QUICKSTART, "--out", str(out), *(["--json"] if as_json else []))
    assert code == ExitCode.USAGE_ERROR
    if as_json:
        assert json.loads(stdout)["status"] == "optimal"
    else:
        assert "status: optimal" in stdout and "Plan: quickstart" in stdout
    assert _error_line(err) == (f"error: --out {out}: could not write plan.parquet (No space left on device); "
                                "no file written, the directory is as it was")
    assert list(out.iterdir()) == []


def test_a_failed_rename_says_which_files_were_written(capsys, tmp_path, monkeypatch):
    out = tmp_path / "out"
    real = os.replace

    def third_fails(src, dst):
        if Path(dst).name == "kpis.json":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
        real(src, dst)

    monkeypatch.setattr(os, "replace", third_fails)
    code, stdout, err = run_cli(capsys, "solve", QUICKSTART, "--out", str(out), "--json")
    assert code == ExitCode.USAGE_ERROR and json.loads(stdout)["status"] == "optimal"
    rest = [n for n in RESULT_FILES if n not in ("plan.csv", "plan.parquet")]  # kpis.json and the tables
    assert _error_line(err) == (f"error: --out {out}: could not write kpis.json (Permission denied); "
                                f"written: plan.csv, plan.parquet; left as they were: {', '.join(rest)}")
    assert sorted(p.name for p in out.iterdir()) == ["plan.csv", "plan.parquet"]


def test_an_out_directory_that_cannot_be_made_after_the_check_is_one_line(capsys, tmp_path, monkeypatch):
    out = tmp_path / "a" / "b"
    real = Path.mkdir

    def refuse(self, *args, **kwargs):
        if self == out:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", refuse)
    code, stdout, err = run_cli(capsys, "-q", "solve", QUICKSTART, "--out", str(out))
    assert code == ExitCode.USAGE_ERROR and stdout.startswith("status: optimal")
    assert _error_line(err) == f"error: --out {out}: could not create it (Permission denied); no file written"


def test_a_model_file_that_fails_to_write_stops_before_the_solve(capsys, tmp_path, monkeypatch):
    import tokenplan.files

    def full(path, _write):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(tokenplan.files, "atomic", full)
    model = tmp_path / "m.mps"
    code, stdout, err = run_cli(capsys, "solve", QUICKSTART, "--write-model", str(model))
    assert code == ExitCode.USAGE_ERROR and stdout == ""  # written before the solve: no plan to lose yet
    assert _error_line(err) == f"error: --write-model {model}: could not write it (No space left on device)"


def test_result_write_raises_an_oserror_naming_the_file(result, tmp_path):
    (tmp_path / "kpis.json").mkdir()  # a directory where a file goes: refused before anything is written
    with pytest.raises(OSError) as info:
        result.write(tmp_path)
    assert isinstance(info.value, WriteError) and info.value.errno == errno.EISDIR
    assert info.value.path == tmp_path / "kpis.json" and info.value.written == []
    assert [p.name for p in tmp_path.iterdir()] == ["kpis.json"]
    assert result.write(tmp_path / "new") == [tmp_path / "new" / n for n in RESULT_FILES]


# --- --json: stdout carries the JSON only ------------------------------------------------------------------


@pytest.mark.parametrize("model", ["m.lp", "m.mps"])
def test_json_stdout_is_only_the_json_with_write_model_and_out(tmp_path, model):
    proc = run_cmd(QUICKSTART, "--json", "--write-model", str(tmp_path / model), "--out", str(tmp_path / "out"))
    assert proc.returncode == ExitCode.OK, proc.stderr
    doc = json.loads(proc.stdout)  # Pyomo once printed "WARNING: Filename ... likely does not match" here
    assert doc["status"] == "optimal"
    assert "likely does not match" not in proc.stderr  # the cause fixed, not only moved
    assert (tmp_path / model).stat().st_size > 0 and sorted(p.name for p in (tmp_path / "out").iterdir()) == OUT_FILES


def test_json_stdout_is_only_the_json_when_libraries_log_or_print(tmp_path):
    # whatever Pyomo logs (its handler writes to the stdout it found at import) or a plugin prints goes to stderr
    code = ("import logging, sys, tokenplan.api, tokenplan.cli\n"
            "real = tokenplan.api.solve\n"
            "def noisy(*a, **k):\n"
            "    logging.getLogger('pyomo.core').warning('a Pyomo warning')\n"
            "    print('a plugin print')\n"
            "    return real(*a, **k)\n"
            "tokenplan.api.solve = noisy\n"
            "tokenplan.cli.main(sys.argv[1:])\n")
    proc = run_cmd(QUICKSTART, "--json", "--out", str(tmp_path / "out"), code=code)
    assert proc.returncode == ExitCode.OK, proc.stderr
    assert json.loads(proc.stdout)["status"] == "optimal"
    assert "a Pyomo warning" in proc.stderr and "a plugin print" in proc.stderr
