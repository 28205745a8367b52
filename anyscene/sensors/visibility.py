"""What the sensors observe: Occ3D visibility masks of an occupancy frame, and per-agent visibility
(visible fraction across the cameras, nuScenes visibility level, LiDAR points in the box)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from ..classes import FREE
from .camera import camera_to_world, pixel_rays
from .lidar import firing_times, lidar_directions, lidar_rays, sweep_to_world
from .lidar_motion import cast_moving
from .raycast import _Layer, identity_pose, world_agent_mesh
from .types import Camera
from .voxel_traversal import traverse

MASK_DISTANCE = 40.0  # m: the default camera-ray stride resolves a voxel face seen head-on up to this distance


def camera_mask_stride(camera: Camera, voxel: float, distance: float = MASK_DISTANCE) -> int:
    """Pixel stride for the camera mask: a voxel face of edge `voxel` seen head-on at `distance` spans
    f·voxel/distance pixels, so casting every stride-th pixel (in u and v) puts at least one ray on every such
    face nearer than `distance`: 12 for the nuScenes front cameras at 1600×900, 8 for CAM_BACK (f = 809 px)."""
    f = min(camera.intrinsic[0, 0], camera.intrinsic[1, 1])
    return max(1, int(np.floor(f * voxel / distance)))


def camera_mask(frame, cameras, stride: int | None = None) -> np.ndarray:
    """mask_camera (nx, ny, nz) uint8 0/1 of an OccupancyFrame: every voxel a camera ray passes through, up to
    and including the first occupied voxel (semantics ≠ free), marching the frame's own grid (exact DDA).
    Rays through the centres of every `stride`-th pixel (default per camera: `camera_mask_stride`)."""
    grid = frame.grid
    occupied = frame.semantics != FREE
    seen = np.zeros(grid.shape, dtype=bool)
    for cam in cameras:
        s = stride or camera_mask_stride(cam, grid.voxel)
        u = np.arange(s // 2, cam.width, s)[None, :]
        v = np.arange(s // 2, cam.height, s)[:, None]
        rays = pixel_rays(cam, identity_pose(), u, v).reshape(-1, 6)  # in the ego frame
        seen |= traverse(grid, rays[:, :3], rays[:, 3:], np.inf, occupied)
    return seen.astype(np.uint8)


def lidar_mask(frame, world, lidar, t: float, scene, sweeps: int = 1) -> np.ndarray:
    """mask_lidar (nx, ny, nz) uint8 0/1: voxels the LiDAR rays of `sweeps` revolutions ending at t pass
    through, from the sensor to the voxel holding the return (or to max_range without one), traversed in the
    frame's grid (its ego frame); returns come from the exact scene, each ray cast from where the spinning sensor
    was at its firing time against the agents posed at that time (as `sweep_lidar` casts them).

    A voxel is occupied when its centre lies inside a shape, so a return on a surface can lie in the free voxel
    just in front of the surface's first occupied voxel: from its return a ray therefore goes on, for at most
    one voxel diagonal, into the first occupied voxel it meets (included).
    """
    grid = frame.grid
    occupied = frame.semantics != FREE
    seen = np.zeros(grid.shape, dtype=bool)
    for k in range(sweeps):
        ts = t - k / lidar.rate
        if hasattr(scene, "static"):  # a WorldScene: the rays of the spinning sensor at their firing times

            d_lidar, _ = lidar_directions(lidar, spin=True)
            rays, hits = cast_moving(scene, lidar, world, ts, d_lidar, firing_times(lidar))
            r = hits.distance
        else:
            rays = lidar_rays(lidar, world.ego_pose(ts))
            r = scene.snapshot(ts).cast(rays).distance
        hit = np.isfinite(r) & (r <= lidar.max_range)
        origin = frame.ego.to_ego(rays[:, :3].astype(np.float64))
        dirs = rays[:, 3:].astype(np.float64) @ frame.ego.rotation
        seen |= traverse(grid, origin, dirs, np.where(hit, r, lidar.max_range))
        returns = origin[hit] + dirs[hit] * r[hit, None].astype(np.float64)
        seen |= traverse(grid, returns, dirs[hit], np.sqrt(3.0) * grid.voxel, occupied)
    return seen.astype(np.uint8)


def occupancy_masks(frame, world, rig, t: float, scene, *, stride: int | None = None,
                    lidar_sweeps: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(mask_lidar, mask_camera) of an OccupancyFrame at time t, each (nx, ny, nz) uint8 0/1, as DESIGN.md
    defines them. The camera mask uses the rig's cameras at the frame's ego pose; see `camera_mask` for the
    pixel stride and `lidar_mask` for the sweeps."""
    return (lidar_mask(frame, world, rig.lidar, t, scene, lidar_sweeps),
            camera_mask(frame, rig.cameras, stride))


class AgentVisibility(NamedTuple):
    """Visibility of one agent: `visible_fraction` of the pixels its shape would cover unoccluded (all cameras
    together) that show it; nuScenes `level` 1..4 (0-40, 40-60, 60-80, 80-100 %); `num_lidar_pts` in its box."""

    visible_fraction: float
    level: int
    num_lidar_pts: int


def visibility_level(fraction: float) -> int:
    """nuScenes visibility token: 1 below 40 %, 2 below 60 %, 3 below 80 %, 4 from 80 %."""
    return 1 + int(np.searchsorted([0.4, 0.6, 0.8], fraction, side="right"))


def box_corners(center: np.ndarray, size: np.ndarray, yaw: float) -> np.ndarray:
    """(8, 3) world corners of a box with `center` (3,), `size` (l, w, h), heading `yaw`."""
    s = np.array([[x, y, z] for x in (-0.5, 0.5) for y in (-0.5, 0.5) for z in (-0.5, 0.5)]) * size
    c, sn = np.cos(yaw), np.sin(yaw)
    return np.stack([c * s[:, 0] - sn * s[:, 1], sn * s[:, 0] + c * s[:, 1], s[:, 2]], axis=1) + center


def points_in_box(points: np.ndarray, center: np.ndarray, size: np.ndarray, yaw: float,
                  margin: float = 1e-3) -> np.ndarray:
    """Whether world points (N, 3) lie inside the box (grown by `margin` m for float error)."""
    d = points - center
    c, s = np.cos(yaw), np.sin(yaw)
    lx, ly = c * d[:, 0] + s * d[:, 1], -s * d[:, 0] + c * d[:, 1]
    half = np.asarray(size) / 2 + margin
    return (np.abs(lx) <= half[0]) & (np.abs(ly) <= half[1]) & (np.abs(d[:, 2]) <= half[2])


def _convex_hull(points: np.ndarray) -> np.ndarray:
    """Vertices (K, 2) of the convex hull of 2-D points (N, 2), counter-clockwise; empty when the points span
    no area."""
    try:
        return points[ConvexHull(points).vertices]
    except (QhullError, ValueError):
        return np.zeros((0, 2))


def _polygon_rows(poly: np.ndarray, width: int, height: int) -> list[tuple[int, int, int]]:
    """(v, u0, u1) pixel rows (inclusive column ranges) whose centres lie inside a convex polygon (K, 2)."""
    if len(poly) < 3:
        return []
    v = np.arange(max(int(np.floor(poly[:, 1].min() - 0.5)), 0), min(int(np.ceil(poly[:, 1].max())), height))
    if v.size == 0:
        return []
    y = v[:, None] + 0.5
    a, b = poly, np.roll(poly, -1, axis=0)
    lo, hi = np.minimum(a[:, 1], b[:, 1]), np.maximum(a[:, 1], b[:, 1])
    crosses = (y >= lo) & (y <= hi) & (hi > lo)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = a[:, 0] + (y - a[:, 1]) * (b[:, 0] - a[:, 0]) / (b[:, 1] - a[:, 1])
    xl = np.where(crosses, x, np.inf).min(axis=1)
    xr = np.where(crosses, x, -np.inf).max(axis=1)
    u0 = np.maximum(np.ceil(xl - 0.5), 0)
    u1 = np.minimum(np.floor(xr - 0.5), width - 1)
    ok = u1 >= u0
    return [(int(r), int(c0), int(c1)) for r, c0, c1 in zip(v[ok], u0[ok], u1[ok])]


NEAR = 1e-3  # m: the agent's silhouette is that of its part in front of the plane z = NEAR of the camera


def _unoccluded_pixels(mesh, camera: Camera, ego) -> int:
    """Pixels whose rays would hit an agent's `mesh` if it were alone: the pixel centres inside the convex hull
    of its projected vertices (the mesh first clipped by the plane z = NEAR in front of the camera, for a body
    reaching behind the camera) whose rays hit the mesh (library shapes are not convex: wheels, limbs)."""
    rot, origin = camera_to_world(camera, ego)
    pc = (mesh.vertices.astype(np.float64) - origin) @ rot  # camera frame
    z = pc[:, 2]
    if np.all(z <= NEAR):
        return 0
    pts = pc[z > NEAR]
    if np.any(z <= NEAR):
        edges = np.concatenate([mesh.triangles[:, [0, 1]], mesh.triangles[:, [1, 2]], mesh.triangles[:, [2, 0]]])
        z0, z1 = z[edges[:, 0]], z[edges[:, 1]]
        cut = (z0 - NEAR) * (z1 - NEAR) < 0
        f = ((NEAR - z0[cut]) / (z1[cut] - z0[cut]))[:, None]
        pts = np.vstack([pts, pc[edges[cut, 0]] + f * (pc[edges[cut, 1]] - pc[edges[cut, 0]])])
    uvw = pts @ camera.intrinsic.T
    uv = uvw[:, :2] / uvw[:, 2:3]
    lo, hi = uv.min(axis=0), uv.max(axis=0)
    if hi[0] < 0 or hi[1] < 0 or lo[0] > camera.width or lo[1] > camera.height:
        return 0
    rows = _polygon_rows(_convex_hull(uv), camera.width, camera.height)
    if not rows:
        return 0
    counts = np.array([c1 - c0 + 1 for _, c0, c1 in rows])
    v = np.repeat([r for r, _, _ in rows], counts)
    u = np.concatenate([np.arange(c0, c1 + 1) for _, c0, c1 in rows])
    t_hit, _, _ = _Layer(mesh).cast(pixel_rays(camera, ego, u, v))
    return int(np.isfinite(t_hit).sum())


def lidar_points_in_boxes(points: np.ndarray, states, agents: np.ndarray, margin: float = 1e-3) -> np.ndarray:
    """Number of world points (N, 3) inside the box of each agent index in `agents` (grown by `margin` m)."""
    order = np.argsort(points[:, 0], kind="stable")
    xs = points[order, 0]
    counts = np.zeros(len(agents), np.int64)
    for n, a in enumerate(agents):
        reach = np.hypot(states.size[a, 0], states.size[a, 1]) / 2 + margin
        i0, i1 = np.searchsorted(xs, [states.center[a, 0] - reach, states.center[a, 0] + reach])
        cand = points[order[i0:i1]]
        counts[n] = int(points_in_box(cand, states.center[a], states.size[a], states.yaw[a], margin).sum())
    return counts


def agent_visibility(world, states, camera_frames, lidar_sweep, *, rig=None) -> dict[int, AgentVisibility]:
    """Visibility of every agent present in `states` (world.states(t) at a keyframe).

    `camera_frames`: CameraFrames (a mapping by channel or a sequence), each with its own time; the cameras
    come from `rig` or from the frames themselves (`render_camera` returns frames carrying their camera).
    The visible fraction counts, over all cameras, the pixels showing the agent in the frame's instance map
    against the pixels whose rays would hit the agent alone, posed at that frame's time (the pixel centres
    inside its projected silhouette). `num_lidar_pts` counts the
    sweep's points inside the agent's box at `states`' time (1 mm margin); for box-shaped agents they are
    exactly the points labelled with the agent's instance.
    """
    frames = list(camera_frames.values()) if isinstance(camera_frames, Mapping) else list(camera_frames)
    present = np.flatnonzero(states.present)
    index_of = {int(states.instance[a]): a for a in present}
    seen = dict.fromkeys(index_of, 0)
    cover = dict.fromkeys(index_of, 0)
    meshes: dict[float, dict[int, object]] = {}  # per frame time: each reported agent's mesh at that time
    for f in frames:
        cam = rig.camera(f.channel) if rig is not None else getattr(f, "camera", None)
        if cam is None:
            raise ValueError(f"frame {f.channel} carries no camera: pass rig=")
        if f.t not in meshes:
            st = world.states(f.t)
            meshes[f.t] = {int(st.instance[a]): world_agent_mesh(world, st, [a])
                           for a in np.flatnonzero(st.present) if int(st.instance[a]) in index_of}
        counts = np.bincount(f.instance.ravel(), minlength=max(index_of, default=0) + 1)
        for inst, mesh in meshes[f.t].items():
            seen[inst] += int(counts[inst])
            cover[inst] += _unoccluded_pixels(mesh, cam, f.ego)
    lidar = rig.lidar if rig is not None else getattr(lidar_sweep, "lidar", None)
    if lidar is None:
        raise ValueError("the LiDAR sweep carries no LiDAR model: pass rig=")
    n_pts = lidar_points_in_boxes(sweep_to_world(lidar_sweep, lidar), states, present)
    out = {}
    for (inst, a), n in zip(index_of.items(), n_pts):
        frac = min(seen[inst] / cover[inst], 1.0) if cover[inst] else 0.0
        out[inst] = AgentVisibility(float(frac), visibility_level(frac), int(n))
    return out
