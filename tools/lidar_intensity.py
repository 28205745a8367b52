"""LiDAR intensity against real HDL-32E sweeps: overall and per-category histograms, real and synthetic side by
side, as JSON and a Markdown table.

    .venv/bin/python tools/lidar_intensity.py --out intensity.json [--real ../shared/nuscenes-real]
        [--layout layouts/crowded_crossing.yaml] [--sweeps 20]

Real sweeps carry no lidarseg labels here, so per category both sides use the points inside annotation boxes
(the real scene's sample_annotation boxes; the synthetic scene's agent boxes at the sweep time), grouped by the
nuScenes category's first two levels (vehicle.car, human.pedestrian, ...). Points closer than 1 m (the real
files keep non-returns at the origin) are left out.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BINS = np.array([0, 2, 5, 10, 15, 20, 30, 50, 75, 100, 150, 256])
DEFAULT_REAL = ROOT / ".." / "shared" / "nuscenes-real"


def group(category: str) -> str:
    """Category grouped for the comparison: vehicle.bus.rigid -> vehicle.bus, human.pedestrian.adult ->
    human.pedestrian."""
    return ".".join(category.split(".")[:2])


def summarise(values: np.ndarray) -> dict:
    v = np.asarray(values, dtype=np.float64)
    hist = np.histogram(v, BINS)[0]
    return {"n": int(v.size), "median": float(np.median(v)) if v.size else None,
            "p10": float(np.percentile(v, 10)) if v.size else None,
            "p90": float(np.percentile(v, 90)) if v.size else None,
            "hist": (hist / max(v.size, 1)).round(4).tolist()}


def real_intensities(dataroot: Path, max_sweeps: int | None = None) -> tuple[np.ndarray, dict]:
    """All real keyframe sweeps' intensities (range > 1 m) and, per category group, those inside the boxes."""
    from nuscenes.nuscenes import NuScenes
    from nuscenes.utils.data_classes import LidarPointCloud
    from nuscenes.utils.geometry_utils import points_in_box

    nusc = NuScenes("v1.0-real", str(dataroot), verbose=False)
    overall, per = [], defaultdict(list)
    for s in nusc.sample[:max_sweeps]:
        path, boxes, _ = nusc.get_sample_data(s["data"]["LIDAR_TOP"])
        pc = LidarPointCloud.from_file(path).points
        ok = np.linalg.norm(pc[:3], axis=0) > 1.0
        pc = pc[:, ok]
        overall.append(pc[3])
        for b in boxes:
            m = points_in_box(b, pc[:3])
            if m.any():
                per[group(b.name)].append(pc[3, m])
    return np.concatenate(overall), {k: np.concatenate(v) for k, v in per.items()}


def synthetic_intensities(world, sweeps: int, start: float | None = None) -> tuple[np.ndarray, dict]:
    """Intensities of `sweeps` keyframe sweeps of a compiled World (every 0.5 s from `start`), overall and per
    category group of the agent boxes holding the points."""
    from anyscene.sensors import WorldScene, load_rig, sweep_lidar, sweep_to_world
    from anyscene.sensors.visibility import points_in_box

    scene, lidar = WorldScene(world), load_rig("nuscenes").lidar
    overall, per = [], defaultdict(list)
    t0 = 0.0 if start is None else start
    for k in range(sweeps):
        t = t0 + 0.5 * k
        if t > world.duration:
            break
        s = sweep_lidar(scene, lidar, world, t)
        overall.append(s.points[:, 3])
        pts = sweep_to_world(s)
        st = world.states(t)
        for a in np.flatnonzero(st.present):
            m = points_in_box(pts, st.center[a], st.size[a], st.yaw[a], margin=0.0)
            if m.any():
                cat = world.track_by_instance[int(st.instance[a])].klass.category
                per[group(cat)].append(s.points[m, 3])
    return np.concatenate(overall), {k: np.concatenate(v) for k, v in per.items()}


def compare(real: tuple, synthetic: tuple) -> dict:
    out = {"bins": BINS.tolist(), "overall": {"real": summarise(real[0]), "synthetic": summarise(synthetic[0])},
           "per_category": {}}
    for cat in sorted(set(real[1]) | set(synthetic[1])):
        out["per_category"][cat] = {"real": summarise(real[1].get(cat, [])),
                                    "synthetic": summarise(synthetic[1].get(cat, []))}
    return out


def markdown(result: dict) -> str:
    rows = ["| points | real n | real p10 / median / p90 | synthetic n | synthetic p10 / median / p90 |",
            "| --- | --- | --- | --- | --- |"]

    def cell(s):
        return "—" if not s["n"] else f"{s['p10']:.0f} / {s['median']:.0f} / {s['p90']:.0f}"

    items = [("all (range > 1 m)", result["overall"])] + list(result["per_category"].items())
    for name, d in items:
        rows.append(f"| {name} | {d['real']['n']} | {cell(d['real'])} | {d['synthetic']['n']} | "
                    f"{cell(d['synthetic'])} |")
    hist = ["", "Histogram (fraction of points per intensity bin " +
            ", ".join(f"[{a}, {b})" for a, b in zip(BINS[:-1], BINS[1:])) + "):", "",
            "| points | side | " + " | ".join(str(a) for a in BINS[:-1]) + " |",
            "| --- | --- | " + " | ".join("---" for _ in BINS[:-1]) + " |"]
    for name, d in items:
        for side in ("real", "synthetic"):
            hist.append(f"| {name} | {side} | " + " | ".join(f"{x:.3f}" for x in d[side]["hist"]) + " |")
    return "\n".join(rows + hist) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True, help="JSON file to write (a .md table is written next to it)")
    p.add_argument("--real", default=str(DEFAULT_REAL), help="folder of the real nuScenes scene")
    p.add_argument("--layout", default=str(ROOT / "layouts" / "crowded_crossing.yaml"), help="synthetic layout")
    p.add_argument("--sweeps", type=int, default=20, help="synthetic keyframe sweeps (every 0.5 s)")
    args = p.parse_args(argv)
    from anyscene.layout import load_layout
    from anyscene.world import World

    world = World.compile(load_layout(Path(args.layout))[0])
    result = compare(real_intensities(Path(args.real)), synthetic_intensities(world, args.sweeps))
    result["layout"] = str(args.layout)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    Path(args.out).with_suffix(".md").write_text(markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
