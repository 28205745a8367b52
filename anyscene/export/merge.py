"""Joining scene folders (written by `write_scene`, possibly in separate processes) into one dataset.

`merge_datasets(scene_dirs, out_dir, version, splits)` concatenates the scenes' tables (shared records such
as categories once), gathers their files, and lets each format writer write what spans scenes
(`FormatWriter.merge`): the tables and `<version>/splits.json`, `lidarseg.json`, the Occ3D
`annotations.json` and one mmdetection3d info pkl per split.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Sequence

from ..atomic import atomic_folder
from ..errors import OutputError
from .config import DEVKIT_SPLITS, SplitConfig
from .fileio import load_json
from .scene_folder import FRAGMENT, TABLES
from .writers import WRITERS, MergeInput
from .writers.infos import info_filename  # noqa: F401 (the info pkl names, part of this module's API)

SHARED_TABLES = ("category", "attribute", "visibility", "sensor")
DATA_FOLDERS = ("samples", "sweeps", "lidarseg", "maps", "gts", "conditions", "previews")


def default_splits(scene_names: Sequence[str], cfg: SplitConfig = SplitConfig()) -> dict[str, list[str]]:
    """PREFIX_train / PREFIX_val / PREFIX_all over the scenes in order.

    The last round(n · val_fraction) scenes (at least one when val_fraction > 0) form the validation split,
    the others the training split. A single scene is in both, so that each split can be evaluated.
    """
    names = list(scene_names)
    n = len(names)
    n_val = 0 if cfg.val_fraction <= 0 else min(n, max(1, int(round(n * cfg.val_fraction))))
    if n == 1 and n_val:
        train, val = names, names
    else:
        train, val = names[:n - n_val], names[n - n_val:]
    p = cfg.prefix
    return {f"{p}_train": train, f"{p}_val": val, f"{p}_all": names}


def read_fragment(scene_dir: Path) -> dict:
    path = Path(scene_dir) / FRAGMENT
    if not path.exists():
        raise OutputError(f"{scene_dir}: not a scene folder written by write_scene (no {FRAGMENT})")
    return load_json(path)


def merge_into(scene_dirs: Sequence[Path], root: Path, version: str, splits: dict[str, list[str]] | None = None,
               split_config: SplitConfig = SplitConfig(), move: bool = False) -> dict[str, list[str]]:
    """Merge scene folders into the existing folder `root` (see `merge_datasets`); returns the splits."""
    frags = [read_fragment(Path(d)) for d in scene_dirs]
    names = [f["name"] for f in frags]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise OutputError(f"scene names must be unique across merged scenes; repeated: {', '.join(dup)}")
    splits = splits if splits is not None else default_splits(names, split_config)
    unknown = sorted({s for v in splits.values() for s in v} - set(names))
    if unknown:
        raise OutputError(f"splits name scenes that are not merged: {', '.join(unknown)}")
    reserved = sorted(set(splits) & set(DEVKIT_SPLITS))
    if reserved:
        raise OutputError(f"split names {reserved} are reserved by the nuScenes devkit for the real scenes")
    tables: dict[str, list[dict]] = {t: [] for t in TABLES}
    shared: dict[str, dict[str, dict]] = {t: {} for t in SHARED_TABLES}
    for d, frag in zip(scene_dirs, frags):
        d = Path(d)
        table_dir = d / frag["version"]
        for t in TABLES:
            path = table_dir / f"{t}.json"
            if not path.exists():
                continue
            for rec in load_json(path):
                if t in SHARED_TABLES:
                    seen = shared[t].setdefault(rec["token"], rec)
                    if seen != rec:
                        raise OutputError(f"{path}: record {rec['token']} differs from another scene's")
                else:
                    tables[t].append(rec)
    for t in SHARED_TABLES:
        tables[t] = list(shared[t].values())
    merge = MergeInput(root, [Path(d) for d in scene_dirs], frags, splits, split_config.prefix, version, tables)
    for cls in WRITERS.values():
        cls.merge(merge)
    for d, frag in zip(scene_dirs, frags):
        _gather_files(Path(d), root, frag["version"], version, move)
    return splits


def _gather_files(scene_dir: Path, root: Path, src_version: str, version: str, move: bool) -> None:
    for folder in DATA_FOLDERS:
        base = scene_dir / folder
        if not base.exists():
            continue
        for dirpath, _dirs, files in os.walk(base):
            for f in sorted(files):
                src = Path(dirpath) / f
                rel = src.relative_to(scene_dir)
                if folder == "lidarseg" and rel.parts[1] == src_version:
                    rel = Path("lidarseg", version, *rel.parts[2:])
                dst = root / rel
                if dst.exists():
                    raise OutputError(f"{dst}: two merged scenes write the same file")
                dst.parent.mkdir(parents=True, exist_ok=True)
                if move:
                    os.replace(src, dst)
                else:
                    shutil.copyfile(src, dst)


def merge_datasets(scene_dirs: Sequence[str | Path], out_dir: str | Path, version: str,
                   splits: dict[str, list[str]] | None = None, *, split_config: SplitConfig = SplitConfig(),
                   overwrite: bool = False, move: bool = False) -> Path:
    """Merge scene folders written by `write_scene` into the dataset `out_dir` (a nuScenes dataroot).

    `version` names the merged table folder; `splits` maps split names to scene names (default:
    `default_splits` over the scenes in the given order with `split_config`); names the devkit reserves
    (train, val, ...) are refused. With `move` the scenes' files are moved instead of copied (the scene folders
    are then spent). The dataset is assembled in a hidden sibling folder and renamed into place when complete;
    an existing `out_dir` is replaced only with `overwrite`. Returns `out_dir`.
    """
    with atomic_folder(Path(out_dir), overwrite, marker=True) as tmp:
        merge_into([Path(d) for d in scene_dirs], tmp, version, splits, split_config, move)
    return Path(out_dir)
