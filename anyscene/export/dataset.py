"""`generate_dataset`: layouts in, a finished nuScenes-format dataset folder out (or nothing at all).

The dataset is assembled in a hidden sibling folder `.NAME.partial-PID` holding an `.incomplete` marker; each
scene is first written into its own folder under it (`write_scene`), then the scenes are merged
(`merge_into`) and the folder is renamed to NAME. Errors and interrupts remove the partial folder, so
NAME either is a complete dataset or does not exist; an existing NAME is replaced only with `overwrite`.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Sequence

from ..errors import LayoutError, OutputError
from .config import GenerateConfig
from .merge import merge_into
from .scene import frame_count, scene_name, write_scene
from .writer import SceneWriter

INCOMPLETE = ".incomplete"
SCENES = ".scenes"


def check_output(out: Path, overwrite: bool) -> Path:
    """`out` as an absolute Path; OutputError when it exists (without `overwrite`), is a file, or its parent
    cannot be created or written."""
    out = Path(out).absolute()
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder; choose another --out")
    if out.exists() and not overwrite:
        raise OutputError(f"{out}: already exists; pass --overwrite to replace it")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"{out.parent}: cannot create the folder: {e.strerror or e}") from None
    if not os.access(out.parent, os.W_OK | os.X_OK):
        raise OutputError(f"{out.parent}: not writable; choose another --out")
    return out


@contextmanager
def staging(out: Path, overwrite: bool) -> Iterator[Path]:
    """Yield an empty hidden sibling folder of `out`; when the block completes it becomes `out` (replacing an
    existing one only now); on any exception or interrupt it is removed."""
    out = check_output(out, overwrite)
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir()
        (tmp / INCOMPLETE).write_text("this folder is being written; it is not a finished dataset\n")
        yield tmp
        (tmp / INCOMPLETE).unlink()
        if out.exists():
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            shutil.rmtree(old, ignore_errors=True)
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out)
    except OSError as e:
        raise OutputError(f"{out}: cannot write: {e.strerror or e}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def load_layouts(paths: Sequence[str | Path], config: GenerateConfig, warn: Callable[[str], None] | None = None
                 ) -> list:
    """Validate every layout (the errors of all files at once, as one LayoutError) and apply the config's
    duration and seed. Warnings go to `warn` (default: stderr)."""
    from ..layout.validate import failed, validate_layout
    from ..layout.yamlio import load_layout

    warn = warn or (lambda msg: print(msg, file=sys.stderr))
    layouts, errors = [], []
    for p in paths:
        try:
            layout, source = load_layout(p)
        except LayoutError as e:
            errors.extend(e.issues)
            continue
        issues = validate_layout(layout, source, str(p))
        if failed(issues, strict=False):
            errors.extend(issues)
            continue
        for issue in issues:
            warn(str(issue))
        layouts.append(layout)
    if errors:
        raise LayoutError(errors)
    changes = {}
    if config.duration is not None:
        changes["duration"] = float(config.duration)
    if config.seed is not None:
        changes["seed"] = int(config.seed)
    from .config import apply_environment

    return [apply_environment(dataclasses.replace(lay, **changes), config) for lay in layouts]


def unique_names(layouts: Sequence) -> list[str]:
    """File-safe scene names from the layout names; repeats get -2, -3, ... in input order."""
    names, seen = [], {}
    for lay in layouts:
        base = scene_name(lay.name)
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return names


def generate_dataset(layout_paths: Sequence[str | Path], out_dir: str | Path, config: GenerateConfig,
                     on_progress: Callable[[int, int], None] | None = None) -> Path:
    """Generate the dataset of `layout_paths` into `out_dir` (a nuScenes dataroot) and return its path.

    Layouts are validated first (LayoutError with FILE:LINE:COL issues), then the rig, renderer and output
    folder are checked, all before anything is written. `on_progress(done, total)` counts sensor frames;
    without it a tqdm bar on stderr shows them when `config.progress` is on.
    """
    from ..world import World
    from .sensors_io import SensorSuite, check_sensor_config

    layouts = load_layouts(layout_paths, config)
    names = unique_names(layouts)
    rig = check_sensor_config(config)
    check_output(Path(out_dir), config.overwrite)
    total = sum(frame_count(lay.duration, config, len(rig.cameras)) for lay in layouts)
    bar = None
    if on_progress is None and config.progress:
        from tqdm import tqdm

        bar = tqdm(total=total, unit="frame", file=sys.stderr, dynamic_ncols=True, desc="generate",
                   mininterval=0.5 if sys.stderr.isatty() else 10.0)
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if bar is not None:
            bar.update(n)
        elif on_progress is not None:
            on_progress(done, total)

    try:
        with staging(Path(out_dir), config.overwrite) as tmp:
            scene_dirs = []
            for lay, name in zip(layouts, names):
                if bar is not None:
                    bar.set_description(name)
                world = World.compile(lay)
                scene_dir = tmp / SCENES / name
                writer = SceneWriter(scene_dir, config.version, config.workers)
                try:
                    write_scene(world, writer, config, name=name, suite=SensorSuite(world, config, rig),
                                on_frames=advance)
                except BaseException:
                    writer.close(cancel=True)
                    raise
                writer.close()
                scene_dirs.append(scene_dir)
            merge_into(scene_dirs, tmp, config.version, None, config.splits, move=True)
            shutil.rmtree(tmp / SCENES)
    finally:
        if bar is not None:
            bar.close()
    return Path(out_dir)
