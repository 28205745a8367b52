"""Pictures of the worked example of docs/import.md: scene-0916 imported with its background, a car removed
and a jaywalker added, generated again. The example's code block runs as written, except for the paths, a
shorter scene and a larger image, and (with --day, the default) without its night line, so that the picture
shows the street; then the CAM_FRONT image of the keyframe at --t and a bird's-eye view of its LiDAR sweep
(lidarseg colours, the jaywalker's returns in red) are written to docs/images/.

    python tools/render_worked_example.py [--dataroot ../shared/nuscenes-real] [--t 6.0] [--out docs/images]
"""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def run_example(dataroot: Path, out: Path, duration: float, day: bool) -> dict:
    """Run the worked-example block of docs/import.md into `out`; its namespace."""
    text = (ROOT / "docs" / "import.md").read_text()
    code = re.search(r"<!-- worked-example begin -->\n```python\n(.*?)```\n<!-- worked-example end -->", text,
                     re.S).group(1)
    swaps = [('Path("/data/nuscenes"), Path("out")', f"Path({str(dataroot)!r}), Path({str(out)!r})"),
             ('"v1.0-mini"', '"v1.0-real"'),
             ('"duration": 12.0', f'"duration": {duration}, "formats": ["nuscenes", "lidarseg"]'),
             ('"320x180"', '"800x450"')]
    if day:
        swaps.append(("time_of_day=22.0", "time_of_day=layout.environment.time_of_day"))
    for old, new in swaps:
        if old not in code:
            raise SystemExit(f"docs/import.md: the worked example no longer holds {old!r}")
        code = code.replace(old, new)
    namespace = {"__name__": "worked_example"}
    exec(compile(code, "docs/import.md", "exec"), namespace)
    return namespace


def pictures(dataset: Path, layout, t: float, out: Path) -> list[Path]:
    """CAM_FRONT of the keyframe nearest to t and the BEV of its LiDAR sweep (the jaywalker: `layout`'s agent
    "jaywalker", found by its instance token)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from nuscenes.nuscenes import NuScenes
    from nuscenes.utils.data_classes import LidarPointCloud
    from PIL import Image

    nusc = NuScenes("v1.0-anyscene", str(dataset), verbose=False)
    first = min(s["timestamp"] for s in nusc.sample)
    sample = min(nusc.sample, key=lambda s: abs((s["timestamp"] - first) * 1e-6 - t))
    out.mkdir(parents=True, exist_ok=True)
    cam = out / "worked_example_front.jpg"
    Image.open(nusc.get_sample_data_path(sample["data"]["CAM_FRONT"])).convert("RGB").save(cam, quality=90)
    sd = sample["data"]["LIDAR_TOP"]
    pts = LidarPointCloud.from_file(nusc.get_sample_data_path(sd)).points
    seg = np.fromfile(dataset / nusc.get("lidarseg", sd)["filename"], dtype=np.uint8)
    names = {int(k): v for k, v in nusc.lidarseg_idx2name_mapping.items()}
    from nuscenes.utils.geometry_utils import points_in_box

    from pyquaternion import Quaternion

    from anyscene.world import World

    # The jaywalker where the world has it at the keyframe, in the sensor frame: the pedestrian box there.
    world = World.compile(layout)
    tk = (sample["timestamp"] - first) * 1e-6
    ego = world.ego_pose(tk)
    track = next(tr for tr in world.agents if tr.id == "jaywalker")
    states = world.states(tk)
    rel = ego.to_ego(states.center[states.instance == track.instance])[0]
    cs = nusc.get("calibrated_sensor", nusc.get("sample_data", sd)["calibrated_sensor_token"])
    at = Quaternion(cs["rotation"]).rotation_matrix.T @ (rel - np.asarray(cs["translation"]))
    walker = np.zeros(seg.size, bool)
    people = [b for b in nusc.get_sample_data(sd)[1] if b.name.startswith("human.pedestrian")]
    if people:
        b = min(people, key=lambda b: np.linalg.norm(b.center[:2] - at[:2]))
        if np.linalg.norm(b.center[:2] - at[:2]) < 0.5:
            walker = points_in_box(b, pts[:3])
            print(f"jaywalker at {b.center.round(2)} m (sensor frame), {int(walker.sum())} returns")
    colours = {"flat": (0.55, 0.55, 0.55), "static.manmade": (0.35, 0.45, 0.75), "static.vegetation": (0.2, 0.6, 0.25),
               "vehicle": (0.95, 0.65, 0.1), "human": (0.6, 0.2, 0.6)}
    c = np.array([next((v for k, v in colours.items() if names[int(i)].startswith(k)), (0.7, 0.7, 0.7))
                  for i in seg])
    c[walker] = (1.0, 0.0, 0.0)
    fig, ax = plt.subplots(figsize=(7, 7), dpi=110)
    near = np.hypot(pts[0], pts[1]) < 40.0
    ax.scatter(pts[0, near], pts[1, near], s=0.4, c=c[near], linewidths=0)
    ax.scatter(pts[0, walker], pts[1, walker], s=6, c="red", linewidths=0, label="jaywalker's returns")
    ax.set_aspect("equal")
    ax.set_xlim(-40, 40)
    ax.set_ylim(-40, 40)
    ax.set_xlabel("LiDAR x (m, right)")
    ax.set_ylabel("LiDAR y (m, forward)")
    ax.set_title(f"scene-0916 replayed with a jaywalker, t = {(sample['timestamp'] - first) * 1e-6:.1f} s "
                 f"(grey ground, blue manmade, green vegetation, orange vehicles, purple pedestrians)", fontsize=8)
    ax.legend(loc="upper right", fontsize=8)
    bev = out / "worked_example_lidar.png"
    fig.savefig(bev, bbox_inches="tight")
    plt.close(fig)
    return [cam, bev]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataroot", type=Path, default=ROOT.parent / "shared" / "nuscenes-real")
    ap.add_argument("--t", type=float, default=6.0, help="scene time of the pictured keyframe (s)")
    ap.add_argument("--duration", type=float, default=6.5, help="seconds generated")
    ap.add_argument("--night", action="store_true", help="keep the example's night line")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        ns = run_example(args.dataroot.absolute(), Path(tmp), args.duration, day=not args.night)
        for p in pictures(Path(tmp) / "night", ns["layout"], args.t, args.out):
            print(f"wrote {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
