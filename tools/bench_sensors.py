"""Sensor simulation benchmarks: cameras, LiDAR and the ray engine, medians (and best) over repeats, as JSON.

    .venv/bin/python tools/bench_sensors.py --out bench_sensors.json [--layout layouts/crowded_crossing.yaml]
    .venv/bin/python tools/bench_sensors.py --out before_after.json --baseline /tmp/anyscene-base

With --baseline (a checkout of another commit, e.g. `git worktree add /tmp/anyscene-base main`), the LiDAR,
camera maps-only (1600×900) and ray-engine figures of that checkout and of this one are measured in the same
run, alternating (before, after, before, after), each in its own process.
    .venv/bin/python tools/bench_sensors.py --out bench_camera_path.json --camera-path   # camera path only

Goals: all camera maps + RGB of the default rig at 1600×900 within 1.5× the time of the ray engine alone on
the same rays; ≥ 50 LiDAR sweeps/s on 2 cores; six 800×450 cameras at interactive frame rates.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_LAYOUT = ROOT / "layouts" / "crowded_crossing.yaml"


def load_bench_world(layout: str | Path | None = None):
    """The World of `layout`, else of layouts/crowded_crossing.yaml, else of the test suite's small crossing."""
    from anyscene.layout import load_layout, parse_layout
    from anyscene.world import World

    path = Path(layout) if layout else DEFAULT_LAYOUT
    if path.exists():
        lay, _ = load_layout(path)
        return World.compile(lay), str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import SMALL_LAYOUT

    lay, _ = parse_layout(SMALL_LAYOUT, "tests/conftest.py:SMALL_LAYOUT")
    return World.compile(lay), "tests/conftest.py:SMALL_LAYOUT"


def _busiest_time(world, radius: float = 40.0) -> float:
    """A keyframe time (multiple of 0.5 s) with the most agents present within `radius` m of the ego."""
    ts = np.arange(0.0, world.duration + 1e-9, 0.5)
    counts = []
    for t in ts:
        st, ego = world.states(t), world.ego_pose(t)
        near = np.hypot(*(st.center[:, :2] - ego.translation[:2]).T) < radius
        counts.append(int((st.present & near).sum()))
    return float(ts[int(np.argmax(counts))])


def _median(xs) -> float:
    return float(np.median(np.asarray(xs)))


def _engine_cast(snapshot, rays_per_camera) -> float:
    """Seconds for the BVH casts alone of the given rays, on the layers the snapshot uses for them."""
    import open3d as o3d

    from anyscene.sensors.raycast import num_threads

    t0 = time.perf_counter()
    for rays in rays_per_camera:
        tensor = o3d.core.Tensor.from_numpy(rays)
        for layer in snapshot._layers(rays.shape[0]):
            layer.scene.cast_rays(tensor, nthreads=num_threads())
    return time.perf_counter() - t0


def _rgb_renderer(world):
    """render(frame, camera) -> RGB of the raster renderer, or None where it is not installed."""
    try:
        from anyscene.render.markings import BuildingIndex, MarkingRaster
    except ImportError:
        return None
    try:
        from anyscene.render.shading import render_rgb
        from anyscene.render.style import load_style
    except ImportError:  # a baseline checkout from before the split of render/raster.py
        from anyscene.render.shading import render_rgb
        from anyscene.render.style import load_style
    style, markings, buildings = load_style(), MarkingRaster.build(world), BuildingIndex.build(world)
    return lambda frame, cam: render_rgb(frame, cam, style, markings, world.layout.seed,
                                         agents=world.states(frame.t), buildings=buildings)


def bench_cameras(world, rig: str = "nuscenes", resolution=(1600, 900), repeats: int = 3, t: float | None = None,
                  rgb: bool = True, fps_resolution=(800, 450)) -> dict:
    """One frame of every camera at `resolution`: the ray engine alone (BVH casts of precomputed rays) against
    all camera maps (ray set-up, casts, labels, normals, points) and against maps + RGB, each timed on a fresh
    snapshot (agents posed anew); then frames per second of all cameras at `fps_resolution`."""
    from anyscene.sensors.camera import image_rays, render_camera
    from anyscene.sensors.raycast import WorldScene
    from anyscene.sensors.rig import load_rig

    scene = WorldScene(world)
    cams = load_rig(rig, tuple(resolution)).cameras
    t = _busiest_time(world) if t is None else t
    renderer = _rgb_renderer(world) if rgb else None
    engine, maps, rgbs = [], [], []
    for k in range(repeats + 1):  # the first round warms up (imports, caches)
        tk = t + 1e-3 * k
        ego = world.ego_pose(tk)
        snapshot = scene.snapshot(tk)
        rays = [np.ascontiguousarray(image_rays(c, ego).reshape(-1, 6)) for c in cams]
        snapshot._layers(rays[0].shape[0])  # a merged BVH, where chosen, is built before the engine timing
        e = _engine_cast(snapshot, rays)
        scene._last = None
        t0 = time.perf_counter()
        frames = [render_camera(scene, c, world.ego_pose(tk), tk) for c in cams]
        m = time.perf_counter() - t0
        r = 0.0
        if renderer is not None:
            t0 = time.perf_counter()
            for f, c in zip(frames, cams):
                renderer(f, c)
            r = time.perf_counter() - t0
        if k:
            engine.append(e)
            maps.append(m)
            rgbs.append(r)
    out = {
        "rig": rig, "resolution": list(resolution), "cameras": len(cams), "t": t,
        "rays": int(sum(c.width * c.height for c in cams)),
        "engine_s": _median(engine), "maps_s": _median(maps),
        "maps_over_engine": _median(maps) / _median(engine),
        "maps_over_engine_best": min(maps) / min(engine),
        "engine_rays_per_s": sum(c.width * c.height for c in cams) / _median(engine),
    }
    if renderer is not None:
        total = [m + r for m, r in zip(maps, rgbs)]
        out.update(rgb_s=_median(rgbs), maps_rgb_s=_median(total),
                   maps_rgb_over_engine=_median(total) / _median(engine),
                   maps_rgb_over_engine_best=min(total) / min(engine))
    else:
        out.update(rgb_s=None, maps_rgb_s=None, maps_rgb_over_engine=None, maps_rgb_over_engine_best=None)
    small = load_rig(rig, tuple(fps_resolution)).cameras
    times = []
    for k in range(repeats + 1):
        tk = t + 0.05 * k
        t0 = time.perf_counter()
        for c in small:
            render_camera(scene, c, world.ego_pose(tk), tk)
        times.append(time.perf_counter() - t0)
    out["fps_resolution"] = list(fps_resolution)
    out["maps_fps"] = 1.0 / _median(times[1:])
    out["maps_fps_best"] = 1.0 / min(times[1:])
    return out


def bench_lidar(world, rig: str = "nuscenes", sweeps: int = 40, t: float | None = None) -> dict:
    """Sweeps per second of `sweep_lidar` over consecutive 20 Hz sweeps (each with its agents posed anew), in
    the default (auto) cast mode and in both fixed modes, the modes interleaved sweep by sweep so that they
    meet the same machine load. Rates from the median and from the fastest sweep."""
    from anyscene.sensors.lidar import sweep_lidar
    from anyscene.sensors.raycast import StaticGeometry, WorldScene
    from anyscene.sensors.rig import load_rig

    lidar = load_rig(rig).lidar
    t = _busiest_time(world) if t is None else t
    static = StaticGeometry.build(world)
    modes = ("auto", "split", "merged")
    scenes = {m: WorldScene(world, static, mode=m) for m in modes}
    each: dict[str, list[float]] = {m: [] for m in modes}
    cpu: dict[str, list[float]] = {m: [] for m in modes}
    points = []
    for k in range(sweeps + 1):  # the first round warms up
        tk = t + k / lidar.rate
        for m in modes:
            t0, c0 = time.perf_counter(), time.process_time()
            s = sweep_lidar(scenes[m], lidar, world, tk)
            if k:
                each[m].append(time.perf_counter() - t0)
                cpu[m].append(time.process_time() - c0)
        points.append(s.points.shape[0])
    out = {"rig": rig, "t": t, "sweeps": sweeps, "points_per_sweep": int(np.median(points)),
           "static_triangles": static.mesh.num_triangles, "static_props": len(getattr(world, "props", ()))}
    for m in modes:
        key = "" if m == "auto" else f"{m}_"
        out[f"{key}sweeps_per_s"] = 1.0 / _median(each[m])
        out[f"{key}sweeps_per_s_best"] = 1.0 / min(each[m])
        # CPU seconds of all threads per sweep: on an otherwise idle machine the wall time is at most this.
        out[f"{key}cpu_s_per_sweep"] = _median(cpu[m])
    return out


def bench_engine(world, rig: str = "nuscenes", resolution=(400, 225), repeats: int = 3, t: float | None = None) -> dict:
    """open3d RaycastingScene (Embree BVH over the exact meshes) against a numpy voxel DDA over the occupancy
    grid (first occupied voxel), on the same rays: the rig's cameras at `resolution` plus one LiDAR sweep, from
    the ego at t. Also the costs that set SceneSnapshot.BUILD_PER_RAY: BVH build per triangle and the extra
    small-BVH cast per ray."""
    from anyscene.classes import FREE
    from anyscene.sensors.camera import image_rays
    from anyscene.sensors.lidar import lidar_rays
    from anyscene.sensors.meshes import agent_mesh
    from anyscene.sensors.raycast import SceneSnapshot, WorldScene, _Layer, world_agent_mesh
    from anyscene.sensors.rig import load_rig
    from anyscene.sensors.voxel_traversal import traverse
    from anyscene.world import GridSpec

    r = load_rig(rig, tuple(resolution))
    t = _busiest_time(world) if t is None else t
    ego = world.ego_pose(t)
    rays = np.concatenate([image_rays(c, ego).reshape(-1, 6) for c in r.cameras] + [lidar_rays(r.lidar, ego)])
    n = rays.shape[0]
    scene = WorldScene(world)
    mesh = world_agent_mesh(world, world.states(t))
    merged = SceneSnapshot(scene.static.layer, mesh, world.static, mode="merged")
    split = SceneSnapshot(scene.static.layer, mesh, world.static, mode="split")
    grid = GridSpec()
    occupied = world.frame(t, grid, with_flow=False).semantics != FREE
    origins = ego.to_ego(rays[:, :3].astype(np.float64))
    dirs = rays[:, 3:].astype(np.float64) @ ego.rotation
    times = {"merged": [], "split": [], "dda": []}
    for k in range(repeats + 1):
        for name, fn in (("merged", lambda: merged.cast(rays)), ("split", lambda: split.cast(rays)),
                         ("dda", lambda: traverse(grid, origins, dirs, np.inf, occupied))):
            t0 = time.perf_counter()
            fn()
            if k:
                times[name].append(time.perf_counter() - t0)
    # Cost model: build time per triangle vs casting one ray into a small agents-only BVH.
    rng = np.random.default_rng(0)
    m = 2000
    boxes = agent_mesh(np.c_[rng.uniform(-150, 150, (m, 2)), np.full(m, 1.0)], np.tile([4.0, 2.0, 2.0], (m, 1)),
                       rng.uniform(0, 6, m), ["box"] * m, np.full(m, 4), np.arange(1, m + 1))
    builds = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        _Layer(boxes).cast(rays[:1])
        builds.append(time.perf_counter() - t0)
    small = _Layer(mesh)
    casts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        small.cast(rays)
        casts.append(time.perf_counter() - t0)
    build_per_tri = _median(builds) / boxes.num_triangles
    cast_per_ray = _median(casts) / n
    return {
        "rays": n, "static_triangles": scene.static.mesh.num_triangles, "agent_triangles": mesh.num_triangles,
        "open3d_rays_per_s": n / _median(times["merged"]), "open3d_split_rays_per_s": n / _median(times["split"]),
        "voxel_dda_rays_per_s": n / _median(times["dda"]),
        "bvh_build_s_per_triangle": build_per_tri, "small_bvh_cast_s_per_ray": cast_per_ray,
        "measured_build_per_ray": build_per_tri / cast_per_ray,
        "configured_build_per_ray": SceneSnapshot.BUILD_PER_RAY,
    }


def _measure_checkout(root: Path, layout: str | None, repeats: int) -> dict:
    """LiDAR, camera maps-only and engine figures of the checkout at `root`, in a process importing it."""
    code = (f"import sys, json; sys.path.insert(0, {str(root / 'tools')!r}); import bench_sensors as b; "
            f"w, _ = b.load_bench_world({str(layout) if layout else None!r}); "
            f"print(json.dumps({{'lidar': b.bench_lidar(w, sweeps=40), "
            f"'cameras': b.bench_cameras(w, repeats={repeats}, rgb=False), "
            f"'engine': b.bench_engine(w, repeats={repeats})}}))")
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


KEY_FIGURES = {  # name: (section, key)
    "lidar_sweeps_per_s": ("lidar", "sweeps_per_s"), "lidar_sweeps_per_s_best": ("lidar", "sweeps_per_s_best"),
    "lidar_cpu_s_per_sweep": ("lidar", "cpu_s_per_sweep"), "lidar_points_per_sweep": ("lidar", "points_per_sweep"),
    "camera_maps_s_1600x900": ("cameras", "maps_s"), "camera_engine_s_1600x900": ("cameras", "engine_s"),
    "camera_maps_fps_800x450": ("cameras", "maps_fps"), "engine_rays_per_s": ("engine", "open3d_rays_per_s"),
}


def before_after(baseline: Path, layout: str | None, repeats: int, rounds: int = 2) -> dict:
    """Alternating measurements of `baseline` and this checkout; medians over the rounds of each key figure."""
    runs: dict[str, list[dict]] = {"before": [], "after": []}
    for _ in range(rounds):
        runs["before"].append(_measure_checkout(baseline, layout, repeats))
        runs["after"].append(_measure_checkout(ROOT, layout, repeats))
    out = {"baseline": str(baseline), "rounds": rounds}
    for side, rs in runs.items():
        out[side] = {name: _median([r[sec][key] for r in rs]) for name, (sec, key) in KEY_FIGURES.items()}
    out["after_over_before"] = {k: out["after"][k] / out["before"][k] for k in KEY_FIGURES if out["before"][k]}
    return out
def bench_camera_path(world, rig: str = "nuscenes", resolution=(1600, 900), repeats: int = 3,
                      t: float | None = None) -> dict:
    """The camera path of `anyscene generate` against the ray engine, measured in one run on the same instants:
    the ray engine alone (open3d's casts of every camera's rays), the camera maps by ray casting and by GL
    rasterisation (anyscene.sensors.gl), and RGB by the raster renderer and by the GL renderer as generate runs
    them (the layout's environment, sun shadows, night lights, camera effects). Ratios over the engine:
    `gl_maps_gl_rgb_over_engine` (renderer=gl camera_backend=gl) is the goal's figure (≤ 1.0)."""
    from anyscene.render.raster_renderer import RasterConfig, RasterRenderer
    from anyscene.sensors.camera import image_rays, render_camera
    from anyscene.sensors.gl import GLWorldCameras
    from anyscene.sensors.raycast import WorldScene
    from anyscene.sensors.rig import load_rig

    scene = WorldScene(world)
    cams = load_rig(rig, tuple(resolution)).cameras
    t = _busiest_time(world) if t is None else t
    gl = GLWorldCameras(scene)
    renderer = RasterRenderer(world, cams, RasterConfig(), seed=world.layout.seed, scene=scene)
    from anyscene.render.gl_renderer import GLRenderConfig, GLRenderer

    gl_renderer = GLRenderer(world, cams, GLRenderConfig(), seed=world.layout.seed, scene=scene)
    rows = {"engine": [], "raycast_maps": [], "gl_maps": [], "rgb": [], "gl_rgb": []}
    for k in range(repeats + 1):  # the first round warms up (imports, caches, GL buffers)
        tk = t + 1e-3 * k
        ego = world.ego_pose(tk)
        snapshot = scene.snapshot(tk)
        rays = [np.ascontiguousarray(image_rays(c, ego).reshape(-1, 6)) for c in cams]
        snapshot._layers(rays[0].shape[0])
        e = _engine_cast(snapshot, rays)
        del rays
        t0 = time.perf_counter()
        frames = [render_camera(scene, c, ego, tk) for c in cams]
        m = time.perf_counter() - t0
        del frames
        t0 = time.perf_counter()
        frames = [gl.render(c, ego, tk) for c in cams]
        g = time.perf_counter() - t0
        t0 = time.perf_counter()
        for f, c in zip(frames, cams):
            renderer.render(f, c)
        r = time.perf_counter() - t0
        t0 = time.perf_counter()
        for f, c in zip(frames, cams):
            gl_renderer.render(f, c)
        q = time.perf_counter() - t0
        if k:
            for key, v in zip(rows, (e, m, g, r, q)):
                rows[key].append(v)
    med = {k: _median(v) for k, v in rows.items()}
    return {
        "rig": rig, "resolution": list(resolution), "cameras": len(cams), "t": t,
        "environment": {"time_of_day": world.layout.environment.time_of_day,
                        "weather": world.layout.environment.weather},
        "gl_renderer": gl.maps.ctx.info["GL_RENDERER"],
        "engine_s": med["engine"], "raycast_maps_s": med["raycast_maps"], "gl_maps_s": med["gl_maps"],
        "rgb_s": med["rgb"], "gl_rgb_s": med["gl_rgb"],
        "gl_maps_over_engine": med["gl_maps"] / med["engine"],
        "raycast_maps_rgb_over_engine": (med["raycast_maps"] + med["rgb"]) / med["engine"],
        "gl_maps_rgb_over_engine": (med["gl_maps"] + med["rgb"]) / med["engine"],
        "gl_maps_gl_rgb_over_engine": (med["gl_maps"] + med["gl_rgb"]) / med["engine"],
        "runs": rows,
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True, help="JSON file to write")
    p.add_argument("--layout", default=None, help="layout YAML (default: layouts/crowded_crossing.yaml)")
    p.add_argument("--repeats", type=int, default=3, help="timed repeats per measurement (median reported)")
    p.add_argument("--baseline", default=None, help="another checkout to measure before/after against")
    p.add_argument("--camera-path", action="store_true",
                   help="only the camera path: engine vs ray-cast maps, GL maps and RGB, in one run")
    args = p.parse_args(argv)
    if args.baseline:
        result = {"load_average_at_start": list(os.getloadavg()),
                  **before_after(Path(args.baseline), args.layout, args.repeats)}
        result["load_average_at_end"] = list(os.getloadavg())
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
        print(json.dumps(result, indent=2))
        return 0
    from anyscene.sensors.raycast import num_threads

    world, source = load_bench_world(args.layout)
    result = {
        "layout": source, "agents": len(world.agents), "threads": num_threads(), "cpu_count": os.cpu_count(),
        "load_average_at_start": list(os.getloadavg()),
        "machine": platform.machine(), "python": platform.python_version(),
    }
    if not args.camera_path:
        result.update(engine=bench_engine(world, repeats=args.repeats), lidar=bench_lidar(world),
                      cameras=bench_cameras(world, repeats=args.repeats))
    result["camera_path"] = bench_camera_path(world, repeats=args.repeats)
    result["load_average_at_end"] = list(os.getloadavg())
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
