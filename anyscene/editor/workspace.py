"""The files the editor may touch: one opened layout file, or the layout files of one opened folder.

Every path that comes from the browser goes through `Workspace.resolve`, which accepts only relative paths
to *.yaml / *.yml files inside the workspace (no absolute paths, no `..`, no symlinks leading out), so the
server reads and writes nothing else.
"""
from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import AnySceneError

LAYOUT_SUFFIXES = (".yaml", ".yml")
MAX_LAYOUT_BYTES = 8 * 1024 * 1024  # a layout file larger than this is refused (reading and writing)
MAX_LISTED = 2000  # layout files listed from a folder


class WorkspaceError(AnySceneError):
    """A path outside the workspace, a file that is not a layout, or one that cannot be read or written."""

    status = 403  # HTTP status the editor's server answers with


class MissingFile(WorkspaceError):
    """A layout file of the workspace that does not exist."""

    status = 404


@dataclass(frozen=True)
class Workspace:
    """`root` is the opened folder, or the folder of the opened `file` (then only that file is reachable).

    Paths inside are POSIX strings relative to `root` ("layouts/a.yaml").
    """

    root: Path
    file: Path | None = None

    @classmethod
    def open(cls, target: str | os.PathLike) -> Workspace:
        """The workspace of a layout file or a folder; WorkspaceError when it does not exist."""
        p = Path(target).expanduser()
        if p.is_dir():
            return cls(p.resolve())
        if p.is_file():
            if p.suffix.lower() not in LAYOUT_SUFFIXES:
                raise WorkspaceError(f"{p}: not a layout file; give a .yaml or .yml file or a folder")
            p = p.resolve()
            return cls(p.parent, p)
        if p.suffix.lower() in LAYOUT_SUFFIXES and p.parent.is_dir():
            # A new file: the editor starts empty and writes it on the first save.
            p = p.parent.resolve() / p.name
            return cls(p.parent, p)
        raise WorkspaceError(f"{p}: no such file or folder")

    @property
    def is_folder(self) -> bool:
        return self.file is None

    def relative(self, path: Path) -> str:
        return PurePosixPath(path.relative_to(self.root)).as_posix()

    def resolve(self, rel: str) -> Path:
        """The absolute path of a workspace-relative layout path; WorkspaceError for anything outside."""
        if not isinstance(rel, str) or not rel or len(rel) > 1024:
            raise WorkspaceError("path: give a layout file name relative to the opened folder")
        if "\x00" in rel or "\\" in rel:
            raise WorkspaceError(f"path '{rel[:80]}': invalid characters")
        pure = PurePosixPath(rel)
        if pure.is_absolute() or rel.startswith("~") or (len(rel) > 1 and rel[1] == ":"):
            raise WorkspaceError(f"path '{rel}': absolute paths are not allowed; give a path relative to the "
                                 "opened folder")
        if any(part in ("..", ".") for part in pure.parts) or any(part.startswith(".") for part in pure.parts):
            raise WorkspaceError(f"path '{rel}': '..', '.' and hidden names are not allowed")
        if pure.suffix.lower() not in LAYOUT_SUFFIXES:
            raise WorkspaceError(f"path '{rel}': only .yaml and .yml layout files can be opened or saved")
        path = self.root.joinpath(*pure.parts)
        real = Path(os.path.realpath(path))
        if not real.is_relative_to(self.root):
            raise WorkspaceError(f"path '{rel}': leads outside the opened folder")
        if self.file is not None and path != self.file:
            raise WorkspaceError(f"path '{rel}': only the opened file {self.file.name} can be read or written; "
                                 "open a folder to work with several layouts")
        return path

    def layouts(self) -> list[str]:
        """Workspace-relative paths of the layout files, sorted; only the file itself for a file workspace."""
        if self.file is not None:
            return [self.relative(self.file)]
        out = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.startswith(".") or Path(name).suffix.lower() not in LAYOUT_SUFFIXES:
                    continue
                path = Path(dirpath) / name
                if Path(os.path.realpath(path)).is_relative_to(self.root):
                    out.append(self.relative(path))
                if len(out) >= MAX_LISTED:
                    return out
        return out

    def read(self, rel: str) -> str:
        path = self.resolve(rel)
        try:
            if path.stat().st_size > MAX_LAYOUT_BYTES:
                raise WorkspaceError(f"{rel}: larger than {MAX_LAYOUT_BYTES // (1024 * 1024)} MiB")
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise MissingFile(f"{rel}: no such layout file") from None
        except (OSError, UnicodeDecodeError) as e:
            raise WorkspaceError(f"{rel}: cannot read it: {e}") from None


_SAVE_LOCK = threading.Lock()


def atomic_write(path: Path, text: str) -> None:
    """Write `text` to `path` so that readers see the old or the new file, never a mix: a temporary file in the
    same folder, flushed to disk, renamed over `path`. Saves in this process are serialised by a lock; saves
    from other processes each rename a complete file of their own."""
    data = text.encode("utf-8")
    if len(data) > MAX_LAYOUT_BYTES:
        raise WorkspaceError(f"{path.name}: the layout is larger than {MAX_LAYOUT_BYTES // (1024 * 1024)} MiB")
    with _SAVE_LOCK:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            if path.exists():
                os.chmod(tmp, path.stat().st_mode & 0o777)
            else:
                os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException as e:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            if isinstance(e, OSError):
                raise WorkspaceError(f"{path.name}: cannot write it: {e}") from None
            raise
