"""`generate_dataset`: layouts in, a finished nuScenes-format dataset folder out (or nothing at all).

The dataset is assembled in a hidden sibling folder `.NAME.partial-PID` holding an `.incomplete` marker
(`anyscene.atomic.atomic_folder`); each scene is first written into its own folder under it (`write_scene`),
then the scenes are merged (`merge_into`) and the folder is renamed to NAME. Errors, Ctrl-C and SIGTERM remove
the partial folder, so NAME either is a complete dataset or does not exist; an existing NAME is replaced only
with `overwrite`.
"""
from __future__ import annotations

import dataclasses
import shutil
import sys
from pathlib import Path
from typing import Callable, Sequence

from tqdm import tqdm

from ..atomic import atomic_folder, check_output
from ..errors import LayoutError
from ..validation import load_valid
from .config import GenerateConfig, apply_environment
from .merge import merge_into
from .scene import frame_count, scene_name, write_scene_folder

SCENES = ".scenes"


def load_layouts(paths: Sequence[str | Path], config: GenerateConfig, warn: Callable[[str], None] | None = None
                 ) -> list:
    """Apply the config's duration and seed to every layout and validate the result (a longer duration is
    checked like one written in the file); the errors of all files at once, as one LayoutError. Warnings go
    to `warn` (default: stderr). Returns a ValidLayout per file (`.layout`, and `.compile()` for its World,
    reusing what the checks compiled)."""
    warn = warn or (lambda msg: print(msg, file=sys.stderr))
    changes = {}
    if config.duration is not None:
        changes["duration"] = float(config.duration)
    if config.seed is not None:
        changes["seed"] = int(config.seed)
    layouts, errors = [], []
    for p in paths:
        try:
            valid = load_valid(p, changes)
        except LayoutError as e:
            errors.extend(e.issues)
            continue
        for issue in valid.issues:
            warn(str(issue))
        # The run's environment overrides change only the light and weather, not what the checks compiled.
        layouts.append(dataclasses.replace(valid, layout=apply_environment(valid.layout, config)))
    if errors:
        raise LayoutError(errors)
    return layouts


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
    valid = load_layouts(layout_paths, config)
    names = unique_names([v.layout for v in valid])
    rig = config.check_sensors()
    check_output(Path(out_dir), config.overwrite)
    total = sum(frame_count(v.layout, config, len(rig.cameras)) for v in valid)
    bar = None
    if on_progress is None and config.progress:
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
        with atomic_folder(Path(out_dir), config.overwrite, marker=True) as tmp:
            scene_dirs = []
            for v, name in zip(valid, names):
                if bar is not None:
                    bar.set_description(name)
                world = v.compile()
                scene_dir = tmp / SCENES / name
                write_scene_folder(world, scene_dir, config, rig, name=name, on_frames=advance)
                scene_dirs.append(scene_dir)
            merge_into(scene_dirs, tmp, config.version, None, config.splits, move=True)
            shutil.rmtree(tmp / SCENES)
    finally:
        if bar is not None:
            bar.close()
    return Path(out_dir)
