"""The ``tokenplan`` command (click). Heavy imports happen inside the commands, so ``--help`` is fast.

Expected errors print one line (``error: FILE: KEY = VALUE: what is wrong``) and exit with their
:class:`~tokenplan.errors.ExitCode`; ``--debug`` adds the traceback. Machine output (``--json``) goes to
stdout; everything else to stderr or the console.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import click

from tokenplan.errors import ExitCode, TokenplanError

EXIT_BY_STATUS = {"optimal": ExitCode.OK, "feasible": ExitCode.OK, "infeasible": ExitCode.INFEASIBLE,
                  "unbounded": ExitCode.INTERNAL_ERROR, "error": ExitCode.INTERNAL_ERROR}
CATALOG_KINDS = ("chips", "coolings", "regions", "rules")


class Ctx:
    def __init__(self, debug: bool, quiet: bool, disable: tuple[str, ...]) -> None:
        self.debug, self.quiet, self.disable = debug, quiet, list(disable)


def _disable_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--disable-plugin", "disable", multiple=True, metavar="NAME",
                        help="Do not load this plugin (repeatable).")(f)


def _set_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
                        help="Override a problem key (TOML value; repeatable), e.g. --set problem.mip_gap=0.01")(f)


def _finite(_ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    """Refuse NaN and infinities (click's FloatRange lets them through: ``--time-limit nan`` once gave a
    100 %-gap plan with exit 0)."""
    import math

    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"{value!r} is not a finite number", param=param)
    return value


def _scenario_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--scenario", "scenarios", multiple=True, metavar="NAME",
                        help="Apply the file's [scenarios.NAME] overrides (repeatable, in order; --set wins).")(f)


def _version(ctx: click.Context, _param: Any, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from tokenplan import __version__
    from tokenplan.host import PluginHost

    click.echo(f"tokenplan {__version__}")
    try:
        for info in PluginHost().plugin_infos():
            click.echo(f"  {info.name} ({info.distribution or '-'} {info.version or ''}) {info.status}".rstrip())
    except TokenplanError as exc:
        click.echo(f"  plugins: {exc}")
    ctx.exit(0)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_version,
              help="Show the version and the installed plugins.")
@click.option("--debug", is_flag=True, help="Show tracebacks of errors.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the status line (and errors).")
@_disable_option
@click.pass_context
def cli(ctx: click.Context, debug: bool, quiet: bool, disable: tuple[str, ...]) -> None:
    """tokenplan: plan the AI-compute fleet that serves a token demand.

    Which accelerators to buy, how many, where, with which cooling, and when, at the least net present
    cost under token-throughput, power and HBM-supply limits.
    """
    ctx.obj = Ctx(debug, quiet, disable)


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal and not os.environ.get("COLUMNS", "").strip().isdigit():
        # pipes and files: do not squeeze tables into 80 columns, unless COLUMNS says how wide
        console = Console(stderr=stderr, highlight=False, width=200)
    return console


@contextlib.contextmanager
def _library_output_to_stderr() -> Iterator[None]:
    """While the block runs, what libraries print goes to stderr, so that stdout carries only what the command
    prints (the ``--json`` document): Python-level prints to ``sys.stdout``, and Pyomo's log, whose handler
    holds the ``sys.stdout`` of the moment Pyomo was imported (``--write-model x.lp`` once put "WARNING:
    Filename ... likely does not match specified file format (lp)" there). Python's warnings already go to
    stderr, and HiGHS runs in the worker process, whose output is piped."""
    import logging

    import pyomo.common.log  # noqa: F401  (Pyomo's handler exists once this is imported)

    moved: list[tuple[logging.StreamHandler[Any], Any]] = []
    for handler in logging.getLogger("pyomo").handlers:
        if isinstance(handler, logging.StreamHandler) and handler.stream in (sys.stdout, sys.__stdout__):
            moved.append((handler, handler.stream))
            handler.setStream(sys.stderr)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        for handler, stream in moved:
            handler.setStream(stream)


def _write_out(result: Any, out_dir: str) -> None:
    """Write ``--out`` (after the result was printed); a failure is a one-line :class:`OutputError` saying
    which file failed and which were written."""
    from pathlib import Path

    from tokenplan.errors import OutputError

    try:
        result.write(out_dir)
    except OSError as exc:
        failed = Path(exc.filename) if exc.filename else None
        what = "create it" if failed == Path(out_dir) else f"write {failed.name}" if failed else "write there"
        written, left = getattr(exc, "written", []), getattr(exc, "not_written", [])
        if written:
            done = (f"written: {', '.join(p.name for p in written)}; "
                    f"left as they were: {', '.join(p.name for p in left)}")
        elif what == "create it":
            done = "no file written"
        else:
            done = "no file written, the directory is as it was"
        raise OutputError(f"could not {what} ({exc.strerror or exc}); {done}", option="--out", path=out_dir,
                          written=written) from exc


def _check_plots(out_dir: str) -> None:
    """``--plots`` writes into ``OUT/plots/``: checked with ``--out``, before anything runs."""
    from pathlib import Path

    from tokenplan.files import check_writable

    check_writable(Path(out_dir) / "plots", directory=True, key="--plots")


def _write_plots(figures: dict[str, Any], out_dir: str, *, quiet: bool, nothing: str) -> None:
    """Save the figures in ``OUT/plots/`` (PNG and SVG); a failure is a one-line :class:`OutputError`."""
    from pathlib import Path

    from tokenplan import plots
    from tokenplan.errors import OutputError

    directory = Path(out_dir) / "plots"
    if not figures:
        if not quiet:
            click.echo(f"plots: none ({nothing})", err=True)
        return
    try:
        plots.save(figures, directory)
    except OSError as exc:
        raise OutputError(f"could not write the plots ({exc.strerror or exc})", option="--plots",
                          path=directory) from exc
    finally:
        for fig in figures.values():
            fig.clear()
    if not quiet:
        click.echo(f"plots: {', '.join(figures)} in {directory}/ (PNG and SVG)", err=True)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@_scenario_option
@_set_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
@click.option("--out", "out_dir", type=click.Path(), metavar="DIR",
              help="Write plan.csv, plan.parquet, kpis.json there (after the result is printed).")
@click.option("--plots", is_flag=True, help="With --out: also write the plots, PNG and SVG, in OUT/plots/.")
@click.option("--report", "html", is_flag=True,
              help="Also write DIR/report.html, the self-contained HTML report, and DIR/plots/ (needs --out).")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), metavar="S", callback=_finite,
              help="Wall-clock limit in seconds (default: problem.time_limit_s).")
@click.option("--gap", type=click.FloatRange(0, 1, max_open=True), metavar="G", callback=_finite,
              help="Relative MIP gap.")
@click.option("--threads", type=click.IntRange(1, 256), metavar="N", help="HiGHS threads.")
@click.option("--portfolio", is_flag=True,
              help="Branch and bound on a second core from the start, beside the heuristics (sooner first plans; "
                   "the plan found can depend on timing).")
@click.option("--write-model", type=click.Path(), metavar="FILE.lp|FILE.mps",
              help="Also write the model (readable names), before the solve.")
@click.option("-v", "--verbose", is_flag=True, help="Stream the HiGHS log to stderr.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the status line.")
@_disable_option
@click.pass_obj
def solve(obj: Ctx, file: str, scenarios: tuple[str, ...], overrides: tuple[str, ...], as_json: bool,
          out_dir: str | None, plots: bool, html: bool, time_limit: float | None, gap: float | None,
          threads: int | None, portfolio: bool, write_model: str | None, verbose: bool, quiet: bool,
          disable: tuple[str, ...]) -> None:
    """Solve a problem file and show the plan."""
    obj.quiet = obj.quiet or quiet
    if plots and out_dir is None:
        raise click.UsageError("--plots needs --out DIR (the plots are written in DIR/plots/)")
    if html and out_dir is None:
        raise click.UsageError("--report needs --out DIR (the report is written to DIR/report.html)")
    plots = plots or html  # the report's figures are also kept as files, in DIR/plots/
    from tokenplan.files import check_writable

    # the output paths first: a path that cannot be written fails now, not after the solve
    if out_dir is not None:
        from pathlib import Path

        from tokenplan.errors import OutputError
        from tokenplan.result import OUT_FILES

        check_writable(out_dir, directory=True, key="--out")
        for name in (*OUT_FILES, *(("report.html",) if html else ())):
            if (Path(out_dir) / name).is_dir() and not (Path(out_dir) / name).is_symlink():
                raise OutputError(f"cannot write {name} there: it is a directory", option="--out", path=out_dir)
        if plots:
            _check_plots(out_dir)
    if write_model is not None:
        from tokenplan.api import MODEL_SUFFIXES

        check_writable(write_model, directory=False, key="--write-model", suffixes=MODEL_SUFFIXES)
    from tokenplan.api import solve as run_solve
    from tokenplan.loader import load
    from tokenplan.report import print_result

    err = _console(stderr=True)
    log = (lambda line: err.print(line, markup=False, highlight=False)) if verbose else None
    with _library_output_to_stderr():
        problem = load(file, overrides, scenarios)
        status = None
        if not (obj.quiet or as_json or verbose) and err.is_terminal:
            status = err.status("solving...")
            status.start()
        try:
            result = run_solve(problem, time_limit_s=time_limit, mip_gap=gap, threads=threads,
                               disable=[*obj.disable, *disable], write_model=write_model, log=log,
                               portfolio=portfolio)
        finally:
            if status is not None:
                status.stop()
    # printed before --out is written: a write that fails cannot lose the plan
    if as_json:
        click.echo(result.to_json())
    else:
        print_result(result, _console(), quiet=obj.quiet)
    if out_dir is not None:
        sys.stdout.flush()
        with _library_output_to_stderr():
            _write_out(result, out_dir)
            if plots:
                from tokenplan.outputs import from_result
                from tokenplan.plots import solve_figures

                _write_plots(solve_figures(*from_result(result)), out_dir, quiet=obj.quiet,
                             nothing="the result has no plan")
            if html:
                from tokenplan.html_report import solve_report
                from tokenplan.outputs import from_result

                _write_report(solve_report(*from_result(result)), out_dir)
    code = EXIT_BY_STATUS.get(result.status, ExitCode.OK)
    if result.status == "time_limit":
        code = ExitCode.OK if result.solved else ExitCode.NO_SOLUTION
    sys.exit(int(code))


def _write_report(text: str, out_dir: str, output: str | None = None) -> None:
    """Write the HTML report (``OUT/report.html`` or ``output``); a failure is a one-line OutputError."""
    from pathlib import Path

    from tokenplan.errors import OutputError
    from tokenplan.html_report import REPORT, write

    path = Path(output) if output is not None else Path(out_dir) / REPORT
    try:
        write(path, text)
    except OSError as exc:
        raise OutputError(f"could not write the report ({exc.strerror or exc})", option="--output" if output
                          else "--report", path=str(path)) from exc
    click.echo(f"report: {path}", err=True)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--output", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write the report there (default: DIRECTORY/report.html).")
def report(directory: str, output: str | None) -> None:
    """Write the self-contained HTML report of a solve's or a study's --out directory.

    \b
    tokenplan report out/            # a solve's --out (kpis.json): out/report.html
    tokenplan report out/hbm --output hbm.html   # a study's --out (study.json)
    """
    from pathlib import Path

    from tokenplan.errors import InputError, OutputError
    from tokenplan.files import check_writable
    from tokenplan.html_report import REPORT
    from tokenplan.html_report import report as write_report

    folder = Path(directory)
    if not folder.is_dir():
        raise InputError("is not a directory (give the --out directory of a solve or a study)", file=directory)
    target = Path(output) if output is not None else folder / REPORT
    check_writable(target, directory=False, key="--output" if output is not None else "DIRECTORY")
    with _library_output_to_stderr():
        try:
            path = write_report(folder, target)
        except OSError as exc:
            raise OutputError(f"could not write the report ({exc.strerror or exc})",
                              option="--output" if output is not None else "DIRECTORY", path=str(target)) from exc
    click.echo(f"report: {path}", err=True)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@_scenario_option
@_set_option
@_disable_option
@click.pass_obj
def validate(obj: Ctx, file: str, scenarios: tuple[str, ...], overrides: tuple[str, ...],
             disable: tuple[str, ...]) -> None:
    """Check a problem file (schema, catalog, coefficients) without solving."""
    from tokenplan.catalog import select
    from tokenplan.coefficients import compute
    from tokenplan.loader import load

    problem = load(file, overrides, scenarios)
    selection = select(problem, disable=[*obj.disable, *disable])
    data = compute(selection)
    from rich.markup import escape

    err = _console(stderr=True)
    for message in [*selection.warnings, *data.warnings]:
        err.print(f"[yellow]warning:[/yellow] {escape(message)}")
    _console().print(f"ok: {file}: {len(problem.workloads)} workloads, {len(data.regions)} regions, "
                  f"{len(data.chips)} chips, {len(data.coolings)} coolings, {len(data.periods)} periods, "
                  f"{len(data.buy)} purchase options, {len(selection.rules)} rules")


@cli.command()
def schema() -> None:
    """Print the JSON Schema of problem files."""
    from tokenplan.schema import json_schema

    click.echo(json.dumps(json_schema(), indent=2))


def _catalog(obj: Ctx, disable: tuple[str, ...]) -> Any:
    from tokenplan.catalog import Catalog

    return Catalog(disable=[*obj.disable, *disable])


def _contributions(catalog: Any) -> dict[str, str]:
    counts: dict[str, dict[str, int]] = {}
    catalog.chips(), catalog.coolings(), catalog.regions(), catalog.rules(), catalog.throughput_models()
    for (kind, _id), plugin in catalog.provider.items():
        counts.setdefault(plugin, {}).setdefault(kind, 0)
        counts[plugin][kind] += 1
    return {plugin: ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in sorted(kinds.items()))
            for plugin, kinds in counts.items()}


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable list.")
@_disable_option
@click.pass_obj
def plugins(obj: Ctx, as_json: bool, disable: tuple[str, ...]) -> None:
    """List the installed plugins: distribution, version, status and what each contributes."""
    from dataclasses import asdict

    catalog = _catalog(obj, disable)
    contributes = _contributions(catalog)
    infos = catalog.host.plugin_infos()
    if as_json:
        click.echo(json.dumps([{**asdict(i), "contributes": contributes.get(i.name, "")} for i in infos],
                              indent=2))
        return
    from tokenplan.report import plugins_table

    _console().print(plugins_table(infos, contributes))


@cli.command()
@click.argument("kind", type=click.Choice(CATALOG_KINDS))
@click.option("--json", "as_json", is_flag=True, help="Full records with their sources.")
@_disable_option
@click.pass_obj
def catalog(obj: Ctx, kind: str, as_json: bool, disable: tuple[str, ...]) -> None:
    """Show the catalog of chips, coolings, regions or rules."""
    cat = _catalog(obj, disable)
    if as_json:
        if kind == "rules":
            items = [{"id": rid, "description": cls.description, "plugin": cat.provider.get(("rule", rid)),
                      "params": cls.Params.model_json_schema()} for rid, cls in cat.rules().items()]
        else:
            records = getattr(cat, kind)()
            items = [{**r.model_dump(mode="json"), "plugin": cat.provider.get((kind[:-1], r.id))}
                     for r in records]
        click.echo(json.dumps(items, indent=2))
        return
    from tokenplan import report

    table = {"chips": report.chips_table, "coolings": report.coolings_table, "regions": report.regions_table,
             "rules": report.rules_table}[kind](cat)
    _console().print(table)


@cli.command()
@click.option("--workload", "workload_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="TOML: a problem file (its workloads and [throughput]) or one workload's keys.")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Set a workload key (TOML value; repeatable), e.g. --set active_params_b=37")
@click.option("--model", default=None, help="Throughput model (default: the file's, else roofline).")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE", help="A throughput model parameter.")
@click.option("--chips", "pattern", default="*", show_default=True, help="Glob on chip ids.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable rows.")
@_disable_option
@click.pass_obj
def throughput(obj: Ctx, workload_file: str | None, overrides: tuple[str, ...], model: str | None,
               params: tuple[str, ...], pattern: str, as_json: bool, disable: tuple[str, ...]) -> None:
    """Tokens/s per accelerator of every catalog chip on a workload."""
    from tokenplan import overrides as ov
    from tokenplan.throughput_calc import throughput_table, workloads_from

    workloads, file_model, file_params = workloads_from(workload_file, list(overrides))
    given: dict[str, Any] = dict(file_params)
    for text in params:
        path, value = ov.parse(text)
        given[".".join(path)] = value
    rows = throughput_table(_catalog(obj, disable), workloads, model=model or file_model or "roofline",
                            params=given, pattern=pattern)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    from tokenplan.report import Col, Fitted

    ids = [w.id for w in workloads]
    by_chip: dict[str, dict[str, float]] = {}
    for row in rows:
        by_chip.setdefault(row["chip"], {})[row["workload"]] = row["tokens_per_s"]
    # every workload is a column that stays: too many for the width, and the table is stacked
    table = Fitted(f"Tokens/s per accelerator ({model or file_model or 'roofline'} model)",
                   [Col("chip"), *(Col(wid, "right", whole=True) for wid in ids)],
                   [(chip_id, *(f"{values[w]:,.0f}" if values[w] else "-" for w in ids))
                    for chip_id, values in by_chip.items()])
    _console().print(table)


@contextlib.contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """SIGTERM and SIGINT raise KeyboardInterrupt (a study stops as on Ctrl-C: the workers stopped, the results
    kept), SIGINT even when the shell started us with it ignored (a background job); the handlers as they were
    afterwards (the command also runs in-process: tests, notebooks)."""
    import signal

    def terminate(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    before = {sig: signal.signal(sig, terminate) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


class _StudyGroup(click.Group):
    """``tokenplan study FILE ...`` runs a study; ``tokenplan study show OUT`` shows one."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


@cli.group(cls=_StudyGroup)
def study() -> None:
    """What-if studies: many scenarios of a problem, in parallel (docs/studies.md).

    \b
    tokenplan study problems/studies/hbm-crunch.toml --out OUT
    tokenplan study problems/quickstart.toml --grid problem.discount_rate=0.05,0.08,0.1 --out OUT
    tokenplan study show OUT
    """


@study.command("run")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Output directory: index.jsonl, scenarios/, summary.parquet and .csv.")
@click.option("--grid", multiple=True, metavar="KEY=V1,V2,...",
              help="With a problem file: vary a --set key over TOML values (repeatable; 'scenario=a,b' for the "
                   "file's named scenarios).")
@click.option("--zip", "zipped", is_flag=True, help="Combine the --grid axes element by element, not as a grid.")
@click.option("--pareto", is_flag=True, help="With one --grid axis: report the cost curve and its knee.")
@click.option("--plots", is_flag=True, help="Also write the study's plots, PNG and SVG, in OUT/plots/.")
@_scenario_option
@_set_option
@click.option("--workers", type=click.IntRange(1, 1024), metavar="N",
              help="Local worker processes (default: the number of cores).")
@click.option("--scheduler", metavar="tcp://HOST:PORT", help="Run on this Dask distributed scheduler instead.")
@click.option("--resume", is_flag=True, help="Go on with the study in --out, skipping the scenarios done.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), metavar="S", callback=_finite,
              help="Wall-clock limit per scenario (default: the study's, else the problem's).")
@click.option("--gap", type=click.FloatRange(0, 1, max_open=True), metavar="G", callback=_finite,
              help="Relative MIP gap.")
@click.option("--threads", type=click.IntRange(1, 256), metavar="N", help="HiGHS threads per scenario.")
@click.option("--no-warm-start", is_flag=True, help="Do not start each scenario from its neighbour's plan.")
@click.option("--report", "html", is_flag=True, help="Also write OUT/report.html, the study's HTML report.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar; only the final line.")
@_disable_option
@click.pass_obj
def study_run(obj: Ctx, file: str, out_dir: str, grid: tuple[str, ...], zipped: bool, pareto: bool, plots: bool,
              scenarios: tuple[str, ...], overrides: tuple[str, ...], workers: int | None, scheduler: str | None,
              resume: bool, time_limit: float | None, gap: float | None, threads: int | None,
              no_warm_start: bool, html: bool, quiet: bool, disable: tuple[str, ...]) -> None:
    """Run a study file, or a problem file over --grid axes."""
    from tokenplan.files import check_writable
    from tokenplan.studies import load_spec
    from tokenplan.studies import study as run_study
    from tokenplan.studies.display import Live, announce, pareto_lines, table

    with _stopped_by_signals():
        quiet = obj.quiet or quiet
        check_writable(out_dir, directory=True, key="--out")  # before any scenario is loaded or solved
        plots = plots or html  # the report's figures are also kept as files, in OUT/plots/
        if plots:
            _check_plots(out_dir)
        spec = load_spec(file, grid=grid, zipped=zipped, scenarios=scenarios, overrides=overrides, pareto=pareto)
        err = _console(stderr=True)
        live: Live | None = None

        def on_start(spec: Any, expanded: list[Any], done: int, n: int) -> None:
            nonlocal live
            announce(err, spec, expanded, done, n, "Dask" if scheduler else "local")
            if not quiet:
                currency = str(spec.problem_data.get("problem", {}).get("currency", ""))
                live = Live(err, len(expanded), currency).__enter__()

        try:
            result = run_study(spec, out=out_dir, workers=workers, scheduler=scheduler, resume=resume,
                               time_limit_s=time_limit, mip_gap=gap, threads=threads, disable=[*obj.disable, *disable],
                               warm_start=not no_warm_start, on_start=on_start,
                               on_event=(lambda p: live.update(p)) if not quiet else None)
        except KeyboardInterrupt:
            if live is not None:
                live.__exit__(None, None, None)
            click.echo(f"interrupted: the scenarios finished so far are kept in {out_dir}; add --resume to go on",
                       err=True)
            sys.exit(int(ExitCode.INTERRUPTED))
        if live is not None:
            live.__exit__(None, None, None)
        p = result.progress
        failed = p.failed if p else 0
        if not quiet:
            _console().print(table(result))
            if result.pareto is not None:
                for line in pareto_lines(result.pareto):
                    _console().print(line, markup=False)
        click.echo(f"study {spec.name}: {len(result.records)} scenarios, {failed} without a plan; "
                   f"summary in {out_dir}/summary.parquet", err=True)
        if plots:
            from tokenplan.outputs import from_study
            from tokenplan.plots import study_figures

            _write_plots(study_figures(*from_study(result)), out_dir, quiet=quiet,
                         nothing="no scenario has a plan")
        if html:
            from tokenplan.html_report import study_report

            with _library_output_to_stderr():
                _write_report(study_report(out_dir), out_dir)


@study.command("show")
@click.argument("out_dir", type=click.Path(file_okay=False, exists=False))
@click.option("--json", "as_json", is_flag=True, help="The summary as JSON records.")
def study_show(out_dir: str, as_json: bool) -> None:
    """Show a study's comparison table (deltas against its base scenario)."""
    from tokenplan.studies import open_results
    from tokenplan.studies.display import pareto_lines, table

    result = open_results(out_dir)
    if as_json:
        click.echo(result.summary.to_json(orient="records", indent=2))
        return
    _console().print(table(result))
    if result.pareto is not None:
        for line in pareto_lines(result.pareto):
            _console().print(line, markup=False)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the CLI and map errors to exit codes."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        cli.main(args=argv, prog_name="tokenplan", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.UsageError as exc:  # one line, as every other input error (click's own takes four)
        command = exc.ctx.command_path if exc.ctx is not None else "tokenplan"
        message = " ".join(exc.format_message().split())
        click.echo(f"error: {command}: {message} (see '{command} --help')", err=True)
        sys.exit(ExitCode.USAGE_ERROR)
    except click.ClickException as exc:
        click.echo(f"error: {' '.join(exc.format_message().split())}", err=True)
        sys.exit(ExitCode.USAGE_ERROR)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except TokenplanError as exc:
        if debug:
            traceback.print_exc()
        click.echo(f"error: {exc}", err=True)
        sys.exit(int(exc.exit_code))
    except Exception as exc:  # a bug
        if debug:
            traceback.print_exc()
        click.echo(f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)", err=True)
        sys.exit(ExitCode.INTERNAL_ERROR)
    sys.exit(0)


if __name__ == "__main__":
    main()
