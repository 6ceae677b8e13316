"""Output files: written whole or not at all, and their paths checked before any work is done.

- :func:`atomic` writes one file through a temporary file in the same directory, renamed over the
  destination (``os.replace``): the file is whole or absent, never partial. A symbolic link at the
  destination is replaced by the new file; its target is left untouched.
- :func:`atomic_set` writes several files so: every one to its temporary file first, then all renamed in a
  row, with SIGINT and SIGTERM held back during the renames (in the main thread), so Ctrl-C leaves either
  all the old files or all the new ones.
- :func:`check_writable` checks an output path (``--out``, ``--write-model``) before a solve starts, and
  raises an :class:`~tokenplan.errors.OutputError` naming the option, the path and the reason.

Standard library only, so the CLI can check its paths before importing Pyomo.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from tokenplan.errors import OutputError

#: what the temporary files start with (``.plan.csv.`` + random): hidden, and named after their file
TEMP_PREFIX = "."


class WriteError(OSError):
    """Writing a set of files failed. An :class:`OSError` (``errno``, ``strerror``, ``filename``: the file that
    failed) that also says which files were replaced (``written``) and which were left as they were
    (``not_written``)."""

    def __init__(self, cause: OSError, path: Path, written: Sequence[Path], not_written: Sequence[Path]) -> None:
        super().__init__(cause.errno, cause.strerror or str(cause), str(path))
        self.path, self.written, self.not_written = path, list(written), list(not_written)


def _umask() -> int:
    """The process's umask, read without changing it where Linux says it (``/proc/self/status``)."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _temp(path: Path) -> str:
    """A new empty file next to ``path``, with the mode a file created by ``open`` would have (``mkstemp``
    makes 0600)."""
    fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
    except OSError:
        pass
    finally:
        os.close(fd)
    return tmp


def _fsync(tmp: str) -> None:
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _held_signals() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back while the block runs, then deliver them (main thread only: elsewhere
    signals are not delivered to Python code anyway)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous: dict[int, Any] = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(sig) is None:  # installed from C: it could not be put back
            continue
        previous[sig] = signal.signal(sig, lambda signum, _frame: caught.append(signum))
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for sig in dict.fromkeys(caught):
            signal.raise_signal(sig)


def atomic_set(files: Iterable[tuple[Path, Callable[[str], Any]]]) -> list[Path]:
    """Write several files, each by ``write(temporary path)``, and only then rename them all into place.

    If writing any of them fails or is interrupted, the temporary files are removed and no destination is
    touched. The renames run with SIGINT and SIGTERM held back, so an interrupt never leaves some files new
    and some old. A rename that fails (rare: the check passed, then the directory changed) raises a
    :class:`WriteError` saying which files were replaced. Returns the paths.
    """
    files = [(Path(path), write) for path, write in files]
    for path, _write in files:
        if path.is_dir() and not path.is_symlink():
            raise WriteError(OSError(errno.EISDIR, os.strerror(errno.EISDIR)), path, [], [p for p, _ in files])
    temps: list[str] = []
    try:
        for path, write in files:
            try:
                with _held_signals():  # a Ctrl-C between creating the file and noting it would leave it behind
                    temps.append(_temp(path))
                write(temps[-1])
                _fsync(temps[-1])
            except OSError as exc:
                raise WriteError(exc, path, [], [p for p, _ in files]) from exc
        done: list[Path] = []
        with _held_signals():
            for (path, _write), tmp in zip(files, temps):
                try:
                    os.replace(tmp, path)
                except OSError as exc:
                    raise WriteError(exc, path, done, [p for p, _ in files if p not in done]) from exc
                done.append(path)
        temps.clear()
        return [p for p, _ in files]
    finally:
        for tmp in temps:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def atomic(path: Path, write: Callable[[str], Any]) -> None:
    """``write(temporary path)`` next to ``path``, then rename it over ``path``: the file is whole or absent
    (the temporary file is removed if writing fails). A symbolic link at ``path`` is replaced, not followed."""
    atomic_set([(Path(path), write)])


def write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def _fail(key: str, path: str | os.PathLike[str], reason: str) -> OutputError:
    return OutputError(reason, option=key, path=path)


def _unwritable(directory: Path) -> str | None:
    """Why no file can be created in the existing ``directory``, or None: ``os.access``, then a real file
    created and removed there (which catches read-only mounts, ACLs and file systems like /proc)."""
    if not os.access(directory, os.W_OK | os.X_OK, effective_ids=os.access in os.supports_effective_ids):
        with contextlib.suppress(OSError):
            if os.statvfs(directory).f_flag & os.ST_RDONLY:
                return os.strerror(errno.EROFS)
        return os.strerror(errno.EACCES)
    try:
        fd, probe = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}tokenplan-probe.", dir=directory)
    except OSError as exc:
        return exc.strerror or str(exc)
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)
    return None


def check_writable(path: str | os.PathLike[str], *, directory: bool, key: str,
                   suffixes: Iterable[str] = ()) -> Path:
    """Check that ``path`` can be written, before any work is done; raise an :class:`OutputError`
    (``KEY PATH: reason``, exit 2) if not.

    ``directory``: ``path`` is a directory to write files into (``--out``), else a file (``--write-model``).
    Missing directories are fine when they can be created (they are, like ``mkdir -p``, when the files are
    written, not here): the nearest existing one must be a directory in which a file can be created (a
    real file is created there and removed). ``suffixes`` (files only): the name must end in one of them
    (any case).
    Returns ``path`` as a :class:`~pathlib.Path`. Nothing is left behind.
    """
    target = Path(path)
    suffixes = tuple(suffixes)
    if directory:
        if target.exists() and not target.is_dir():
            raise _fail(key, path, "is a file, not a directory")
        folder = target
    else:
        if target.is_dir():
            raise _fail(key, path, "is a directory")
        if suffixes and target.suffix.lower() not in suffixes:
            raise _fail(key, path, "must end in " + " or ".join(suffixes))
        folder = target.parent
    existing = folder
    while not existing.exists():
        if existing.is_symlink():
            raise _fail(key, path, "is a broken symbolic link" if existing == target else
                        f"cannot create {'it' if directory else 'its directory'}: {existing} is a broken "
                        "symbolic link")
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise _fail(key, path, f"cannot create it: {existing} is a file, not a directory" if directory
                    else f"cannot create its directory: {existing} is a file, not a directory")
    reason = _unwritable(existing)
    if reason is not None:
        raise _fail(key, path, f"cannot write {'there' if existing == target else f'in {existing}'} ({reason})")
    return target
