"""Exit codes and the exceptions that carry them.

Every expected failure is a :class:`TokenplanError` with a one-line message that names where the problem
is (file, key path, plugin) and an :class:`ExitCode`. The CLI prints the message and exits with the code;
only unexpected exceptions (bugs) produce a traceback, and only with ``--debug``.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterable
from typing import Any


class ExitCode(enum.IntEnum):
    """Process exit codes of the ``tokenplan`` command (design section 5)."""

    #: Solved: optimal, or a feasible plan within the time limit (the status says which).
    OK = 0
    #: Internal error: a bug. ``--debug`` shows the traceback.
    INTERNAL_ERROR = 1
    #: Bad input or usage: the message names the file, the key and the value.
    USAGE_ERROR = 2
    #: The problem is infeasible; the diagnosis says what must give.
    INFEASIBLE = 3
    #: No feasible plan was found within the time limit.
    NO_SOLUTION = 4
    #: A plugin failed or returned bad data; the message names the plugin.
    PLUGIN_ERROR = 5
    #: Interrupted (Ctrl-C).
    INTERRUPTED = 130


class TokenplanError(Exception):
    """Base class of expected errors; ``exit_code`` says how the CLI ends."""

    exit_code: ExitCode = ExitCode.INTERNAL_ERROR


def did_you_mean(word: Any, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``candidates`` to ``word`` (difflib), else ``""``."""
    if not isinstance(word, str):
        return ""
    known = list(dict.fromkeys(candidates))
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    if not close and len(word) >= 3:  # a key cut short: "capex" for "capex_per_period", "tdp" for "tdp_w"
        close = [c for c in known if c.startswith(word)][:1]
    if not close:  # ids differ mostly in their vendor prefix: compare the part after the last dot too
        tails = {c.rsplit(".", 1)[-1]: c for c in known if "." in c}
        near = difflib.get_close_matches(word.rsplit(".", 1)[-1], list(tails), n=1, cutoff=0.75)
        close = [tails[near[0]]] if near else []
    return f" (did you mean {close[0]!r}?)" if close else ""


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class InputError(TokenplanError):
    """Bad input: a problem file, an override or a command-line value.

    The message has the shape ``FILE: KEY = VALUE: what is wrong`` so that a user can find and fix it.
    """

    exit_code = ExitCode.USAGE_ERROR

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None,
                 value: Any = ..., ) -> None:
        self.file, self.key, self.value, self.reason = file, key, value, message
        parts = []
        if file:
            parts.append(str(file))
        if key:
            parts.append(key if value is ... else f"{key} = {_show(value)}")
        parts.append(message)
        super().__init__(": ".join(parts))


def unknown_in_selection(kind: str, value: Any, known: list[str], *, file: str | None, key: str) -> InputError:
    """The error for an id that is not one of the problem's selection (``known``: its ids, the first 12 shown)."""
    shown = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
    return InputError(f"unknown {kind} (known in this problem's selection: {shown})", file=file, key=key,
                      value=value)


class OutputError(InputError):
    """An output path that cannot be written (``--out``, ``--write-model``): ``OPTION PATH: reason``.

    ``written``: the files that were written before the failure, if any (a failure after the solve)."""

    def __init__(self, message: str, *, option: str, path: Any, written: Any = ()) -> None:
        self.option, self.path, self.written = option, str(path), list(written)
        super().__init__(message, key=f"{option} {path}")


class PluginError(TokenplanError):
    """A plugin raised, returned bad data or could not be loaded.

    One line: ``plugin 'NAME' (distribution DIST VERSION): what is wrong (to skip it: --disable-plugin NAME)``;
    the distribution is left out where it is not known (a plugin registered in-process).

    :param plugin: the plugin's name (its entry-point name), what ``--disable-plugin`` takes.
    :param message: what is wrong, naming the hook or the record and its field.
    :param distribution: the distribution that installed the plugin, with its version.
    :param skip: the way past it, instead of ``(to skip it: --disable-plugin NAME)``.
    """

    exit_code = ExitCode.PLUGIN_ERROR

    def __init__(self, plugin: str, message: str, *, distribution: str | None = None,
                 skip: str | None = None) -> None:
        self.plugin, self.distribution, self.reason = plugin, distribution, message
        where = f"plugin {plugin!r}" + (f" (distribution {distribution})" if distribution else "")
        skip = skip or f"(to skip it: --disable-plugin {plugin})"
        super().__init__(" ".join(f"{where}: {message} {skip}".split()))


class SolverError(TokenplanError):
    """The solver process failed in a way that is not the problem's fault."""

    exit_code = ExitCode.INTERNAL_ERROR


class ModelLimitError(TokenplanError):
    """The model holds a number HiGHS cannot take (``violation``: a :class:`tokenplan.matrix.LimitViolation`).

    Raised before the solver starts; :func:`tokenplan.solve` turns it into an :class:`InputError` naming the
    problem key behind the row, where one is known."""

    exit_code = ExitCode.INTERNAL_ERROR

    def __init__(self, violation: Any) -> None:
        self.violation = violation
        super().__init__(f"HiGHS cannot take this model: {violation}")
