"""Outputs that appear whole or not at all: one helper for a folder and one for a file.

Both write into a hidden sibling (`.NAME.partial-PID`) and rename it into place when the block completes; an
existing output is replaced only at that moment (with `overwrite`). An error, Ctrl-C or SIGTERM removes the
partial output, so nothing half-written is left behind: while a block runs in the main thread, SIGTERM is
raised as `Terminated` (a KeyboardInterrupt), which unwinds like Ctrl-C.

Symbolic links are never followed at the output: an output that is a link (to a folder or a file) is refused
with an OutputError, so a folder the user did not name is never written, emptied or deleted. The partial
folder is created by this process with mode 0700 (nothing else can plant an entry in it while it is written),
a partial file is created with O_EXCL | O_NOFOLLOW, and before the rename the partial output is checked for
links that appeared inside it and the output's name for a link put in its place during the run; either is an
OutputError and the partial output is removed. Removal never follows a link (`remove_entry`).
OSErrors about files inside the partial output (a full disk, a permission) become an OutputError naming the
output; every other exception passes through as it is.
"""
from __future__ import annotations

import os
import shutil
import signal
import stat
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


def refuse_link(path: str | Path, given: str | Path | None = None) -> None:
    """OutputError when `path` itself is a symbolic link (its parents may be links: the user named them)."""
    if os.path.islink(path):
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        raise OutputError(f"{given or path}: is a symbolic link (to {target}); outputs are never written through a "
                          "link: give the real folder or file as the output, or remove the link")


def check_output(out: str | Path, overwrite: bool, *, folder: bool = True, empty_ok: bool = False) -> Path:
    """The output's absolute path, after checking it can be written: OutputError when it is a symbolic link,
    exists (unless `overwrite`, or `empty_ok` and it is an empty folder), is of the wrong kind, or its parent
    cannot be created or written."""
    given = Path(out)
    out = Path(out).absolute()
    refuse_link(out, given)
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


def remove_entry(path: str | Path) -> None:
    """Remove a file, a link (the link only) or a folder tree, never following a link (shutil.rmtree works
    on file descriptors and does not descend into links); nothing when it does not exist."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def real_folder(path: str | Path, what: str = "folder") -> Path:
    """`path` as a real folder (created when missing); OutputError when it is a link or not a folder."""
    path = Path(path)
    refuse_link(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(f"{path}: exists and is not a folder ({what})") from None
    except OSError as e:
        raise OutputError(f"{path}: cannot create the {what}: {e.strerror or e}") from None
    refuse_link(path)  # put in place between the check and mkdir
    return path


# Links this process made on purpose inside an output (make_link), e.g. a derived dataroot's links to the
# original sensor folders; every other link found in a partial output stops the run.
# They are known by the link's own inode, which stays the same when an inner output is renamed into an outer one.
_OWN_LINKS: set[tuple[int, int]] = set()


def make_link(target: str | Path, link: str | Path) -> None:
    """Create the symbolic link `link` -> `target` (absolute) as part of an output being written, so that the
    output's final check keeps it. The link is made inside a partial folder this process owns."""
    os.symlink(Path(target).resolve(), link, target_is_directory=Path(target).is_dir())
    st = os.lstat(link)
    _OWN_LINKS.add((st.st_dev, st.st_ino))


def _own_link(path: Path) -> bool:
    st = os.lstat(path)
    return (st.st_dev, st.st_ino) in _OWN_LINKS


def links_inside(root: Path) -> list[Path]:
    """Symbolic links anywhere under the folder `root` (not following them; the directory entries' own types,
    so a dataset of many files costs no extra system call per file)."""
    found, todo = [], [str(root)]
    while todo:
        with os.scandir(todo.pop()) as entries:
            for e in entries:
                if e.is_symlink():
                    found.append(Path(e.path))
                elif e.is_dir(follow_symlinks=False):
                    todo.append(e.path)
    return sorted(found)


def _read_umask() -> int:
    """The process's umask, read without changing it where the system tells it (Linux), else once here, at
    import, before any thread could create a file meanwhile."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def _partial(out: Path, kind: str) -> Path:
    return out.parent / f".{out.name}.{kind}-{os.getpid()}"


_remove = remove_entry


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
                tmp.mkdir(mode=0o700)  # only this user can put anything in it while it is written
                if marker:
                    (tmp / INCOMPLETE).write_text("this folder is being written; it is not finished\n")
            except OSError as e:
                raise OutputError(f"{out.parent}: cannot create a folder: {e.strerror or e}") from None
            with _owned_errors(tmp, out):
                yield tmp
            if marker:
                (tmp / INCOMPLETE).unlink()
            _check_partial(tmp, out, is_dir=True)
            os.chmod(tmp, 0o777 & ~_UMASK)
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
            try:  # created here, so a link planted under its name is not followed
                os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
            except OSError as e:
                raise OutputError(f"{path.parent}: cannot create a file: {e.strerror or e}") from None
            with _owned_errors(tmp, path):
                yield tmp
            _check_partial(tmp, path, is_dir=False)
            os.chmod(tmp, 0o666 & ~_UMASK)  # a regular file: checked just above
            _replace(tmp, path, is_dir=False)
        finally:
            _remove(tmp)


def _check_partial(tmp: Path, out: Path, is_dir: bool) -> None:
    """OutputError when the partial output or the output's name became a link while it was written, or links
    appeared inside the partial folder."""
    if os.path.islink(tmp) or (is_dir and not os.path.isdir(tmp)) or (not is_dir and not os.path.isfile(tmp)):
        raise OutputError(f"{tmp}: the partial output was replaced while it was written; nothing was written "
                          f"to {out}")
    if is_dir:
        links = [p for p in links_inside(tmp) if not _own_link(p)]
        if links:
            rel = links[0].relative_to(tmp)
            raise OutputError(f"{out / rel}: a symbolic link appeared in the output while it was written; nothing "
                              f"was written to {out}")
    if os.path.islink(out):
        raise OutputError(f"{out}: was replaced by a symbolic link while the output was written; nothing was "
                          "written there and the link's target was not touched")


def _replace(tmp: Path, out: Path, is_dir: bool) -> None:
    """Move the finished `tmp` to `out`; an existing folder is set aside first and removed after. Renames act
    on names, never through links, so a link put at `out` meanwhile is moved aside and removed, not followed."""
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
