"""The solver process boundary (issue 7): the message channel belongs to tokenplan alone, a dying worker
is explained, the worker imports nothing from the user's directory and dies with its parent.

The worker's misbehaviour is staged by a *shim* ``highspy`` package put first on ``PYTHONPATH``: it loads
the real highspy, then does what a C extension, a plugin or a broken solver might do (``os.write`` to fd 1
and fd 2, a torn frame on the message pipe, an exit or a signal) at import, around every ``Highs.run`` and
at exit. The parent (this test process) is unaffected: only the worker it starts sees the shim.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from builders import M, base_problem, chip, write_toml

import tokenplan
from tokenplan.catalog import select
from tokenplan.coefficients import compute
from tokenplan.errors import ExitCode, SolverError
from tokenplan.model import build
from tokenplan.solver import SolveOptions, run

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
#: bytes that look like a frame header of a huge message, and a text like HiGHS's banner
JUNK = b"\x00\x00\x00\x00\x7f\xff\xff\xffTPW1 Running HiGHS 9.9.9: Copyright (c) junk\n"

SHIM = '''
import atexit, importlib.machinery, importlib.util, os, sys
ACTION = os.environ.get("SHIM_ACTION", "junk")
JUNK = {junk!r}
here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.write(1, JUNK); os.write(2, JUNK)                      # before any message
spec = importlib.machinery.PathFinder.find_spec(
    "highspy", [p for p in sys.path if os.path.abspath(p or ".") != here])
real = importlib.util.module_from_spec(spec)
sys.modules["highspy"] = real
spec.loader.exec_module(real)

def message_fd():
    return int(sys.argv[sys.argv.index("--messages") + 1])

class Highs(real.Highs):
    def run(self, *args, **kwargs):
        os.write(1, JUNK); os.write(2, b"shim: stderr between messages\\n")   # between messages
        if ACTION == "tear-and-die":
            os.write(message_fd(), b"TPW1" + (1000).to_bytes(8, "big") + b"half a message")
            os.kill(os.getpid(), 9)
        if ACTION == "banner-on-channel":
            os.write(message_fd(), b"Running HiGHS 1.16.0 (git hash: f3f113d): Copyright (c) 2026\\n")
            import time; time.sleep(120)
        if ACTION == "hang":  # a solve stuck in C that writes nothing
            import time; time.sleep(120)
        if ACTION == "exit":
            os.write(2, b"shim: a C library gave up\\n")
            os._exit(3)
        result = super().run(*args, **kwargs)
        os.write(1, JUNK)
        return result

real.Highs = Highs
atexit.register(lambda: os.write(1, JUNK))                 # after the last message
'''


@pytest.fixture
def shim(tmp_path, monkeypatch):
    """Put the misbehaving highspy first on the worker's path; returns a setter for its action."""
    package = tmp_path / "shim" / "highspy"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(SHIM.format(junk=JUNK))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "shim"))

    def action(name: str) -> None:
        monkeypatch.setenv("SHIM_ACTION", name)

    action("junk")
    return action


def _model(problem):
    return build(compute(select(tokenplan.load(problem))))


def _two_chip_problem():
    # a (100 tok/s for 1 M) and b (250 tok/s for 1.5 M, units of 3): 1,000 tok/s -> one unit of b (750 tok/s,
    # 4.5 M) and 3 a (300 tok/s, 3 M) = 7.5 M; two units of b cost 9 M, ten a 10 M
    p = base_problem()
    p["chips"]["custom"].append(chip(id="t.b", tflops={"fp8": 250}, price_per_accel=1.5 * M, unit_size=3))
    return p


def test_junk_on_the_workers_stdout_and_stderr_never_reaches_the_messages(shim):
    sol = run(_model(_two_chip_problem()), SolveOptions(time_limit_s=30, mip_gap=0.0))
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(7.5)  # MONEY is 1 M
    # the junk was kept (for --verbose and for the error of a dying worker), not lost
    assert any("Running HiGHS 9.9.9" in line for line in sol.output)
    assert any("stderr between messages" in line for line in sol.output)


def test_verbose_shows_what_the_worker_printed(shim):
    lines: list[str] = []
    run(_model(base_problem()), SolveOptions(time_limit_s=30, log=lines.append))
    assert any(line.startswith("[worker] ") and "stderr between messages" in line for line in lines)


def test_a_worker_killed_mid_frame_is_explained(shim):
    shim("tear-and-die")
    with pytest.raises(SolverError) as info:
        run(_model(base_problem()), SolveOptions(time_limit_s=30))
    text = str(info.value)
    assert "message stream was torn" in text and "14 of 1000 bytes" in text
    assert "while the LP relaxation" in text  # the phase it was in
    assert "killed by SIGKILL (signal 9), not by tokenplan" in text and "out of memory" in text
    assert "stderr between messages" in text  # the last lines it wrote
    assert "\n" not in text


def test_a_corrupt_stream_from_a_live_worker_is_named_and_not_reported_as_a_kill(shim):
    # HiGHS's banner written on the message channel itself, the worker still running: the parent names the
    # bytes, gives the worker 2 s to end by itself, then stops it and says so (not "SIGKILL, out of memory")
    shim("banner-on-channel")
    t0 = time.monotonic()
    with pytest.raises(SolverError) as info:
        run(_model(base_problem()), SolveOptions(time_limit_s=60))
    assert time.monotonic() - t0 < 15  # not the 60 s limit: the broken stream ends the wait
    text = str(info.value)
    assert "bytes that are not a tokenplan frame" in text and "Running HiGHS" in text
    assert "was stopped by tokenplan after its message stream broke" in text
    assert "SIGKILL" not in text and "memory" not in text


def test_a_worker_that_exits_gives_its_code_phase_and_last_output(shim):
    shim("exit")
    with pytest.raises(SolverError) as info:
        run(_model(base_problem()), SolveOptions(time_limit_s=30))
    text = str(info.value)
    assert "the process exited with code 3" in text
    assert "while the LP relaxation" in text
    assert "shim: a C library gave up" in text




def _tokenplan_command() -> list[str]:
    script = Path(sys.executable).with_name("tokenplan")
    if not script.exists():  # pragma: no cover - tokenplan is installed in the test environment
        pytest.skip("the tokenplan console script is not installed next to this Python")
    return [str(script)]


def test_modules_in_the_users_directory_are_never_imported(tmp_path):
    # a user runs tokenplan in a directory holding numpy.py, highspy.py and pickle.py: the worker must
    # import the real ones (python -P), and the plan must be the right one
    for name in ("numpy", "highspy", "pickle"):
        (tmp_path / f"{name}.py").write_text(
            f"open({str(tmp_path / ('imported-' + name))!r}, 'w').write('x')\n"
            "raise SystemExit('a planted module was imported')\n")
    write_toml(tmp_path, base_problem())
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([*_tokenplan_command(), "-q", "solve", "problem.toml"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "optimal" in done.stdout + done.stderr
    assert not list(tmp_path.glob("imported-*"))


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to find the worker process")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL], ids=lambda s: s.name)
def test_the_worker_dies_with_its_parent(sig, shim):
    # the worker is stuck in a solve that writes nothing (so no broken pipe would stop it) when its parent
    # is terminated, hung up on or killed: it must be gone within 2 s
    shim("hang")
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(TESTS)!r})
        from builders import base_problem
        import tokenplan
        tokenplan.solve(tokenplan.load(base_problem()), time_limit_s=120)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        workers: list[int] = []
        for _ in range(300):  # the worker starts after the model is built
            workers = [p for p in _children(parent.pid) if "highs_worker" in
                       Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace")]
            if workers:
                break
            time.sleep(0.1)
        assert workers, "the worker process did not start"
        time.sleep(0.5)  # let it get into the solve
        parent.send_signal(sig)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline and _alive(workers[0]):
            time.sleep(0.05)
        assert not _alive(workers[0]), f"the worker outlived its parent by more than 2 s after {sig.name}"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


@pytest.mark.parametrize(("override", "key"), [
    ("workloads.w.tokens_per_day=1e-30", "workloads.w.tokens_per_day"),
])
def test_a_model_highs_would_refuse_names_the_input_key(tmp_path, override, key):
    # (numbers out of every plausible range, such as power_mw = 1e300, are refused at load: test_bad_input.py)
    write_toml(tmp_path, base_problem())
    done = subprocess.run([*_tokenplan_command(), "solve", "problem.toml", "--set", override], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == ExitCode.USAGE_ERROR, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert lines[0].startswith(f"error: problem.toml: {key}: out of the range tokenplan can solve")
    assert "HiGHS takes coefficients up to 1e+15" in lines[0]


def test_the_worker_refuses_to_start_without_its_channel():
    done = subprocess.run([sys.executable, "-P", "-m", "tokenplan.highs_worker"], capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode != 0 and "started by tokenplan" in done.stderr


@pytest.mark.slow
def test_no_plan_within_the_limit_exits_4(shim, capsys, tmp_path):
    # HiGHS stuck in its first solve (the LP relaxation, a blink on any real model now) until the deadline:
    # no plan, status time_limit, exit 4, and the JSON says so
    import json

    from tokenplan.cli import main

    shim("hang")
    with pytest.raises(SystemExit) as info:
        main(["solve", write_toml(tmp_path, base_problem()), "--time-limit", "0.5", "--json"])
    assert int(info.value.code) == ExitCode.NO_SOLUTION
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "time_limit" and doc["objective"] is None and doc["plan"] == []


def test_a_re_solve_reuses_the_process_that_ended_cleanly_and_never_one_that_was_stopped():
    """keep_spare (a study's re-solves): the process that reported ``done`` waits for the next model, and the
    next solve gets the same answer from it; a process stopped at the deadline is never reused."""
    import numpy as np

    from tokenplan import solver

    model = _model(_two_chip_problem())
    options = SolveOptions(time_limit_s=30, mip_gap=0.0, keep_spare=True)
    first = run(model, options)
    kept = solver._SPARES[solver._env_key(solver._worker_env(1))]
    pid, solves = kept.proc.pid, kept.solves
    second = run(model, options)
    again = solver._SPARES[solver._env_key(solver._worker_env(1))]
    assert (again.proc.pid, again.solves) == (pid, solves + 1)  # the same process, one more solve
    assert second.objective == first.objective == pytest.approx(7.5 * M / 1e6, rel=1e-9)
    assert np.array_equal(second.x, first.x)
    fresh = run(model, SolveOptions(time_limit_s=30, mip_gap=0.0))
    assert np.array_equal(fresh.x, first.x)
    # a solve the deadline stops: its process is killed, and the spare is a new one
    stopped = run(model, SolveOptions(time_limit_s=0.0, mip_gap=0.0, keep_spare=True, kill_grace_s=0.0))
    assert stopped.killed
    assert kept.proc.poll() is not None
    assert solver._SPARES[solver._env_key(solver._worker_env(1))].proc.pid != pid


def test_prestart_starts_the_next_solves_process_and_that_solve_takes_it():
    from tokenplan import solver

    solver.prestart(1)
    key = solver._env_key(solver._worker_env(1))
    spare = solver._SPARES[key]
    assert spare.alive()
    solver.prestart(1)  # a live spare is kept, not replaced
    assert solver._SPARES[key] is spare
    result = run(_model(_two_chip_problem()), SolveOptions(time_limit_s=30, mip_gap=0.0))
    assert result.objective == pytest.approx(7.5 * M / 1e6, rel=1e-9)
    assert key not in solver._SPARES  # taken, and without keep_spare not kept
    assert spare.proc.poll() is not None  # it solved, then ended


def test_a_kept_process_is_replaced_after_its_reuse_limit(monkeypatch):
    from tokenplan import solver

    monkeypatch.setattr(solver, "REUSE_LIMIT", 2)
    solver._discard_spares()  # no process kept by an earlier test
    model = _model(_two_chip_problem())
    options = SolveOptions(time_limit_s=30, mip_gap=0.0, keep_spare=True)
    key = solver._env_key(solver._worker_env(1))
    spares = []
    for _ in range(4):
        run(model, options)
        spares.append((solver._SPARES[key].proc.pid, solver._SPARES[key].solves))
    # a process serves at most 2 solves: after its second, a fresh spare (0 solves) replaces it
    (a, n1), (b, n2), (b2, n3), (c, n4) = spares
    assert (n1, n2, n3, n4) == (1, 0, 1, 0)
    assert a != b == b2 != c
