"""Derived nuScenes versions: a dataroot's tables filtered to some scenes and keyframe ranges, written into
another folder whose sensor files and maps are symbolic links to the original (nothing is copied).

The devkit loads the result as any dataroot, and its `splits.json` names the selected scenes, so the
devkit's DetectionEval can score exactly the selected keyframes (a custom split, DESIGN.md)."""
from __future__ import annotations

import json
from pathlib import Path

from ..atomic import make_link
from ..errors import DatasetError
from .data import TABLES, SceneSelection, check_dataroot


def _load(vdir: Path, table: str) -> list[dict]:
    try:
        return json.loads((vdir / f"{table}.json").read_text())
    except (OSError, ValueError) as e:
        raise DatasetError(f"{vdir / table}.json: cannot read the table: {e}") from None


def _relink(records: list[dict]) -> None:
    """Fix prev/next of a filtered chain: links to dropped records become ''."""
    kept = {r["token"] for r in records}
    for r in records:
        for k in ("prev", "next"):
            if r.get(k) and r[k] not in kept:
                r[k] = ""


def write_subset(dataroot: Path, version: str, selections: tuple[SceneSelection, ...], out_root: Path,
                 split: str) -> list[str]:
    """Write `out_root` as a dataroot holding `version` filtered to `selections` (every scene when empty),
    plus `splits.json` {split: scene names}. Returns the kept sample tokens, in order."""
    check_dataroot(dataroot, version)
    src = dataroot / version
    t = {name: _load(src, name) for name in TABLES}
    scenes = {s["name"]: s for s in t["scene"]}
    samples = {s["token"]: s for s in t["sample"]}
    if not selections:
        selections = tuple(SceneSelection(n) for n in scenes)
    kept_scenes, kept_samples = [], []
    for sel in selections:
        if sel.name not in scenes:
            raise DatasetError(f"{src}: scene {sel.name!r} does not exist (scenes: "
                               f"{', '.join(sorted(scenes)[:8])}{' ...' if len(scenes) > 8 else ''})")
        chain, tok = [], scenes[sel.name]["first_sample_token"]
        while tok:
            chain.append(tok)
            tok = samples[tok]["next"]
        last = len(chain) - 1 if sel.last is None else sel.last
        if sel.first >= len(chain) or last >= len(chain):
            raise DatasetError(f"{src}: scene {sel.name} has keyframes 0-{len(chain) - 1}; {sel} is out of range")
        chosen = chain[sel.first:last + 1]
        scene = dict(scenes[sel.name], first_sample_token=chosen[0], last_sample_token=chosen[-1],
                     nbr_samples=len(chosen))
        kept_scenes.append(scene)
        kept_samples.extend(chosen)
    keep = set(kept_samples)
    order = {tok: i for i, tok in enumerate(kept_samples)}
    new = dict(t)
    new["scene"] = kept_scenes
    new["sample"] = [dict(samples[tok]) for tok in kept_samples]
    new["sample_data"] = [dict(r) for r in t["sample_data"] if r["sample_token"] in keep]
    new["sample_annotation"] = [dict(r) for r in t["sample_annotation"] if r["sample_token"] in keep]
    for name in ("sample", "sample_data", "sample_annotation"):
        _relink(new[name])
    by_instance: dict[str, list[dict]] = {}
    for a in new["sample_annotation"]:
        by_instance.setdefault(a["instance_token"], []).append(a)
    instances = []
    for inst in t["instance"]:
        anns = sorted(by_instance.get(inst["token"], []), key=lambda a: order[a["sample_token"]])
        if anns:
            instances.append(dict(inst, nbr_annotations=len(anns), first_annotation_token=anns[0]["token"],
                                  last_annotation_token=anns[-1]["token"]))
    new["instance"] = instances
    poses = {r["ego_pose_token"] for r in new["sample_data"]}
    new["ego_pose"] = [r for r in t["ego_pose"] if r["token"] in poses]
    vdir = out_root / version
    vdir.mkdir(parents=True)
    for name, records in new.items():
        (vdir / f"{name}.json").write_text(json.dumps(records))
    (vdir / "splits.json").write_text(json.dumps({split: [s["name"] for s in kept_scenes]}, indent=2))
    # sensor files and maps: links to the original folders (absolute, so the output folder may move)
    for entry in sorted(dataroot.iterdir()):
        if entry.name != version and entry.is_dir() and entry.name in ("maps", "samples", "sweeps", "lidarseg"):
            make_link(entry, out_root / entry.name)
    return kept_samples
