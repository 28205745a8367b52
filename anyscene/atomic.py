"""Outputs that appear whole or not at all: one helper for a folder and one for a file.

Both write into a hidden sibling (`.NAME.partial-PID`) and rename it into place when the block completes; an
existing output is replaced only at that moment (with `overwrite`). An error, Ctrl-C or SIGTERM removes the
partial output, so nothing half-written is left behind: while a block runs in the main thread, SIGTERM is
raised as `Terminated` (a KeyboardInterrupt), which unwinds like Ctrl-C.

A symbolic link given as the output stands for its target: the target is replaced and the link kept.
OSErrors about files inside the partial output (a full disk, a permission) become an OutputError naming the
output; every other exception passes through as it is.
"""
from __future__ import annotations

import os
import shutil
import signal
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import OutputError

INCOMPLETE = ".incomplete"


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that cleanup runs as for Ctrl-C; the CLI exits 143."""

    exit_code = 128 + signal.SIGTERM


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block (main thread only), SIGTERM raises Terminated; the previous handler is restored after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def output_target(out: str | Path) -> Path:
    """The absolute path an output really goes to: a symbolic link's target, else `out` itself."""
    out = Path(out).absolute()
    return Path(os.path.realpath(out)) if out.is_symlink() else out


def check_output(out: str | Path, overwrite: bool, *, folder: bool = True, empty_ok: bool = False) -> Path:
    """The output's real absolute path, after checking it can be written: OutputError when it exists (unless
    `overwrite`, or `empty_ok` and it is an empty folder), is of the wrong kind, or its parent cannot be
    created or written."""
    given = Path(out)
    out = output_target(out)
    if out.exists():
        if folder and not out.is_dir():
            raise OutputError(f"{given}: exists and is not a folder; choose another output")
        if not folder and out.is_dir():
            raise OutputError(f"{given}: is a folder; give a file name")
        empty = out.is_dir() and not any(out.iterdir())
        if not overwrite and not (empty_ok and empty):
            what = "exists and is not empty" if empty_ok else "already exists"
            raise OutputError(f"{given}: {what}; pass --overwrite to replace it")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"{out.parent}: cannot create the folder: {e.strerror or e}") from None
    if not os.access(out.parent, os.W_OK | os.X_OK):
        raise OutputError(f"{out.parent}: not writable; choose another output")
    return out


def _partial(out: Path, kind: str) -> Path:
    return out.parent / f".{out.name}.{kind}-{os.getpid()}"


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink(missing_ok=True)


@contextmanager
def _owned_errors(partial: Path, out: Path) -> Iterator[None]:
    """An OSError about a file inside the partial output becomes an OutputError naming that file of `out`;
    any other exception passes through unchanged."""
    try:
        yield
    except OSError as e:
        for name in (e.filename, getattr(e, "filename2", None)):
            if name and Path(name).is_relative_to(partial):
                rel = Path(name).relative_to(partial)
                raise OutputError(f"{out / rel if rel.parts else out}: cannot write: {e.strerror or e}") from None
        raise


@contextmanager
def atomic_folder(out: str | Path, overwrite: bool = False, *, empty_ok: bool = False, marker: bool = False
                  ) -> Iterator[Path]:
    """Yield an empty partial folder that becomes `out` when the block completes (see the module docstring).
    `marker` puts an `.incomplete` file in it while it is written (removed before the rename)."""
    out = check_output(out, overwrite, empty_ok=empty_ok)
    tmp = _partial(out, "partial")
    _remove(tmp)
    with sigterm_as_interrupt():
        try:
            try:
                tmp.mkdir()
                if marker:
                    (tmp / INCOMPLETE).write_text("this folder is being written; it is not finished\n")
            except OSError as e:
                raise OutputError(f"{out.parent}: cannot create a folder: {e.strerror or e}") from None
            with _owned_errors(tmp, out):
                yield tmp
            if marker:
                (tmp / INCOMPLETE).unlink()
            _replace(tmp, out, is_dir=True)
        finally:
            _remove(tmp)


@contextmanager
def atomic_file(path: str | Path, overwrite: bool = True) -> Iterator[Path]:
    """Yield a partial file path (same suffix as `path`) that becomes `path` when the block completes."""
    path = check_output(path, overwrite, folder=False)
    tmp = path.parent / f".{path.stem}.partial-{os.getpid()}{path.suffix}"
    _remove(tmp)
    with sigterm_as_interrupt():
        try:
            with _owned_errors(tmp, path):
                yield tmp
            _replace(tmp, path, is_dir=False)
        finally:
            _remove(tmp)


def _replace(tmp: Path, out: Path, is_dir: bool) -> None:
    """Move the finished `tmp` to `out`; an existing folder is set aside first and removed after."""
    try:
        if not is_dir or not out.exists():
            os.replace(tmp, out)
            return
        old = _partial(out, "old")
        _remove(old)
        os.replace(out, old)
        try:
            os.replace(tmp, out)
        except BaseException:
            os.replace(old, out)
            raise
        _remove(old)
    except OSError as e:
        raise OutputError(f"{out}: cannot move the finished output into place: {e.strerror or e}") from None
