"""Background reconstruction: the recorded LiDAR sweeps of a scene -> ground height field + static surfels.

1. Every LIDAR_TOP sample_data of the scene whose file exists (keyframes, and sweeps where the `sweeps/` files
   exist) is read, moved into the world frame with its calibrated sensor and its full ego pose (pitch and roll
   included), stripped of the ego's own returns (points inside the ego's box grown by EGO_MARGIN) and of every
   point inside an annotated box at the sweep's time (the layout's exact boxes, grown by BOX_MARGIN).
2. Ground: per GROUND_RES cell the lowest points; a grey opening over OPENING m removes whatever stands on the
   ground (walls, cars, trees: narrower than the opening; where what survives it stands more than
   WIDE_TOLERANCE above a WIDE_OPENING opening, a building or a canopy, the wide one is the envelope), points
   within GROUND_BAND of that lower envelope are
   ground points, and each cell's height is their median; cells without ground points take their nearest
   neighbour's height (up to FILL_REACH m).
3. Structures: the other points, averaged per VOXEL m voxel, normals from their neighbourhoods (open3d), one
   square surfel per voxel, sized to close the gap to its neighbours (half side from the mean distance to its
   4 nearest neighbours, clipped to [0.6, 2.5] voxels).
4. Classes (Occ3D): ground from the map (driveable_surface where the map mask is drivable, sidewalk where the
   map expansion has walkways), elsewhere terrain when the ground points are rough (residual spread above
   ROUGH m) and sidewalk when smooth; structures: pole (class manmade) for tall (> POLE_HEIGHT) and thin
   (footprint < POLE_AREA m²) clusters, vegetation where the local surface scatters (smallest eigenvalue share
   of the neighbourhood covariance above SCATTER), manmade otherwise.
5. Appearance: intensity is the mean recorded intensity of the element's points; colour comes from the camera
   images of the keyframe nearest in time to the element's mean observation time among those with a clear view
   of it (projected in front of that keyframe's LiDAR depth in its image block), optionally from even keyframes
   only (so odd keyframes stay held out for comparisons).
6. Transmittance: every recorded return (agents' included) is cast back along its beam through the surfels;
   a surfel's `surfel_transmit` is the share of the beams crossing its square that returned from more than
   HIT_BAND beyond it (foliage, fences, a surfel's edge overhanging the surface it stands for), so the LiDAR of
   the replay lets as many through.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...classes import OCC3D_ID
from ...errors import DatasetError
from ...world.background import Background

VOXEL = 0.2  # m: structure voxel (one surfel each)
GROUND_RES = 0.5  # m: ground height-field cell
OPENING = 4.0  # m: width of the grey opening that removes what stands on the ground
WIDE_OPENING = 16.0  # m: ... and of the one that removes wider structures (buildings, canopies)
WIDE_TOLERANCE = 1.5  # m above the wide opening still taken as ground: a 15 % slope over half its width, + 0.3
GROUND_RANGE = 35.0  # m from the sensor within which a sweep's ground points count (farther: sparse, grazing)
LOW_RANK = 0.1  # quantile of a cell's point heights taken as its low height
GROUND_BAND = (-0.3, 0.2)  # m around the opened lower envelope that counts as ground
FILL_REACH = 6.0  # m: ground holes filled from the nearest ground cell up to this distance
EGO_MARGIN = 0.3  # m the ego's box grows by when removing its own returns
BOX_MARGIN = 0.25  # m every annotated box grows by (each side) when removing agent points
MAX_HEIGHT = 30.0  # m above the ground beyond which points are ignored
MAX_RANGE = 80.0  # m from the sensor beyond which points are ignored (sparse, noisy)
ROUGH = 0.035  # m: residual spread of ground points above which non-drivable ground is terrain
POLE_HEIGHT, POLE_AREA = 2.0, 0.5  # m, m²
SCATTER = 0.06  # smallest-eigenvalue share of a surfel's neighbourhood above which it is vegetation
CLEAR_DEPTH = 0.5  # m: an element is seen when it lies no more than this behind the keyframe's LiDAR depth
BLOCK = 16  # px: image blocks of the LiDAR depth test
MIN_POINTS = 1000  # points a scene needs in all for a reconstruction
REDUCE_AT = 3_000_000  # accumulated points at which they are averaged into fine voxels (memory stays bounded)
FINE = 0.05  # m: ... of this size
HIT_BAND = 0.3  # m: a recorded return this close to a surfel along its beam came from it (transmittance)


@dataclass(frozen=True)
class Sweep:
    """One usable LiDAR file: its time `t` s, world-frame `points` (N, 3) float64, `intensity` (N,) float32,
    the sensor's world position `origin` (3,), whether it is a keyframe, and (when asked for) the world-frame
    unit directions `misses` (M, 3) of the firings that returned nothing (see `_miss_directions`)."""

    t: float
    points: np.ndarray
    intensity: np.ndarray
    origin: np.ndarray
    keyframe: bool
    misses: np.ndarray | None = None


def _quat_matrix(q) -> np.ndarray:
    w, x, y, z = (float(v) for v in q)
    n = np.sqrt(w * w + x * x + y * y + z * z)
    w, x, y, z = w / n, x / n, y / n, z / n
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
                     [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
                     [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)]])


def read_points(path: Path, ref: str, warnings: list[str]) -> np.ndarray | None:
    """(N, 5) float32 of a .pcd.bin, or None (with a warning naming file and record) when it is missing,
    truncated, empty or holds only NaN; rows with NaN are dropped with a warning."""
    if not path.is_file():
        warnings.append(f"{path}: LiDAR file of {ref} not found; skipped")
        return None
    raw = path.read_bytes()
    if len(raw) == 0 or len(raw) % 20:
        warnings.append(f"{path}: LiDAR file of {ref} is {'empty' if not raw else 'truncated'} ({len(raw)} bytes, "
                        "not a multiple of 5 float32); skipped")
        return None
    pts = np.frombuffer(raw, dtype=np.float32).reshape(-1, 5)
    bad = ~np.all(np.isfinite(pts[:, :4]), axis=1)
    if bad.all():
        warnings.append(f"{path}: LiDAR file of {ref} holds no finite point; skipped")
        return None
    if bad.any():
        warnings.append(f"{path}: LiDAR file of {ref}: {int(bad.sum())} points with NaN or infinite values dropped")
        pts = pts[~bad]
    return pts


def _miss_directions(pts: np.ndarray) -> np.ndarray:
    """Sensor-frame unit directions (M, 3) of the firings of a sweep file (N, 5) that returned nothing. nuScenes
    files hold one record per firing in firing order (rings 0..R-1 per azimuth step), a firing without a return
    at the sensor's origin: such a record takes the azimuth of the nearest return before it in the file and the
    median elevation of its ring's returns. Files not in that order (rings not counting up) give none."""
    ring = pts[:, 4].astype(np.int64)
    if len(ring) < 2 or np.mean(np.diff(ring) == 1) < 0.5 or ring.min() < 0:
        return np.zeros((0, 3))
    r = np.linalg.norm(pts[:, :3].astype(np.float64), axis=1)
    ret = r >= 1.0
    miss = np.flatnonzero(~ret)
    if not miss.size or not ret.any():
        return np.zeros((0, 3))
    az = np.arctan2(pts[:, 1], pts[:, 0]).astype(np.float64)
    last = np.maximum.accumulate(np.where(ret, np.arange(len(r)), -1))  # the nearest return at or before
    first = int(np.flatnonzero(ret)[0])
    src = np.where(last[miss] >= 0, last[miss], first)
    el_ret = np.arcsin(np.clip(pts[ret, 2] / r[ret], -1.0, 1.0))
    rings = int(ring.max()) + 1
    el_ring = np.full(rings, np.nan)
    for k in np.unique(ring[ret]):
        el_ring[k] = np.median(el_ret[ring[ret] == k])
    el = el_ring[ring[miss]]
    keep = np.isfinite(el)
    a, e = az[src][keep], el[keep]
    return np.stack([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)], axis=1)


def _sweeps(sc, world, origin, ego_box, warnings: list[str], agents: bool = False):
    """The scene's usable LiDAR sweeps (generator, one at a time), in the world frame, without the ego's own
    returns and, unless `agents`, without the points inside annotated boxes; with `agents` each also carries the
    directions of its firings that returned nothing."""
    from .tables import LIDAR
    from .tables import field

    tables = sc.tables
    missing: list[str] = []
    for sd in sc.channels[LIDAR]:
        t = sc.t(sd["timestamp"])
        if t < 0 or t > sc.duration:
            continue
        ref = f"sample_data '{sd['token']}' in {tables.file('sample_data')}"
        path = tables.dataroot / str(sd.get("filename", ""))
        if not path.is_file():
            missing.append(f"{path} ({ref})")
            continue
        pts = read_points(path, ref, warnings)
        if pts is None:
            continue
        cs = tables.get("calibrated_sensor", field(tables, "sample_data", sd, "calibrated_sensor_token"), ref)
        pose = tables.get("ego_pose", field(tables, "sample_data", sd, "ego_pose_token"), ref)
        r_s, t_s = _quat_matrix(cs["rotation"]), np.asarray(cs["translation"], np.float64)
        r_e = _quat_matrix(pose["rotation"])
        t_e = np.asarray(pose["translation"], np.float64) - np.array([origin[0], origin[1], 0.0])
        p_ego = pts[:, :3].astype(np.float64) @ r_s.T + t_s
        lo, hi = ego_box
        own = np.all((p_ego >= lo) & (p_ego <= hi), axis=1)
        rng = np.linalg.norm(pts[:, :3], axis=1)
        keep = ~own & (rng <= MAX_RANGE) & (rng > 0.5)
        p = p_ego[keep] @ r_e.T + t_e
        inten = pts[keep, 3]
        inside = np.zeros(len(p), bool) if agents else _in_boxes(world, t, p)
        misses = _miss_directions(pts) @ (r_e @ r_s).T if agents else None
        yield Sweep(t, p[~inside], inten[~inside], r_e @ t_s + t_e, bool(sd.get("is_key_frame")), misses)
    if missing:
        warnings.append(f"{len(missing)} LIDAR_TOP file(s) not found, skipped for the background: {missing[0]}"
                        + (f" and {len(missing) - 1} more" if len(missing) > 1 else ""))


def _in_boxes(world, t: float, p: np.ndarray) -> np.ndarray:
    """Points inside any present agent box at t (grown by BOX_MARGIN)."""
    from scipy.spatial import cKDTree

    st = world.states(t)
    out = np.zeros(len(p), bool)
    present = np.flatnonzero(st.present)
    if not present.size or not len(p):
        return out
    tree = cKDTree(p[:, :2])
    half = st.size[present] / 2 + BOX_MARGIN
    near = tree.query_ball_point(st.center[present, :2], np.hypot(half[:, 0], half[:, 1]))
    for i, h, idx in zip(present, half, near):
        if not idx:
            continue
        idx = np.asarray(idx)
        d = p[idx] - st.center[i]
        c, s = np.cos(st.yaw[i]), np.sin(st.yaw[i])
        lx, ly = c * d[:, 0] + s * d[:, 1], -s * d[:, 0] + c * d[:, 1]
        out[idx[(np.abs(lx) <= h[0]) & (np.abs(ly) <= h[1]) & (np.abs(d[:, 2]) <= h[2])]] = True
    return out


def _voxel_mean(p: np.ndarray, cols: np.ndarray, w: np.ndarray, size: float):
    """Average points (N, 3) and columns (N, C) per voxel of `size`, weighted by w (N,) -> (M, 3), (M, C), (M,)."""
    key = np.floor(p / size).astype(np.int64)
    _, inv = np.unique(key, axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    m = inv.max() + 1
    ws = np.bincount(inv, w, m)
    mp = np.stack([np.bincount(inv, w * p[:, k], m) for k in range(3)], 1) / ws[:, None]
    mc = np.stack([np.bincount(inv, w * cols[:, k], m) for k in range(cols.shape[1])], 1) / ws[:, None]
    return mp, mc, ws


def reconstruct(sc, layout, origin, *, warnings: list[str]):
    """(background not yet coloured, ground cells' times, surfels' times) of scene `sc` (importer's _Scene) for
    `layout` (the imported layout, boxes exact); anyscene.importers.nuscenes.colour colours it from the images."""
    from ...world import World

    world = World.compile(layout)
    ego = layout.ego
    length, width, height = ego.size
    ego_box = (np.array([-ego.rear_overhang - EGO_MARGIN, -width / 2 - EGO_MARGIN, -1.0]),
               np.array([length - ego.rear_overhang + EGO_MARGIN, width / 2 + EGO_MARGIN, height + EGO_MARGIN]))
    pts, cols, wts, n_sweeps, origins = [], [], [], 0, []
    ground: list[np.ndarray] = []  # per sweep (M, 6): x, y, z, intensity, t, distance from the sensor
    total = 0
    for sw in _sweeps(sc, world, origin, ego_box, warnings):
        n_sweeps += 1
        origins.append(sw.origin)
        is_g, env = _sweep_ground(sw.points, sw.origin[:2])
        above = ~is_g & (sw.points[:, 2] > env + GROUND_BAND[1]) & (sw.points[:, 2] < env + MAX_HEIGHT)
        dist = np.hypot(*(sw.points[is_g, :2] - sw.origin[:2]).T)
        ground.append(np.column_stack([sw.points[is_g], sw.intensity[is_g], np.full(dist.size, sw.t), dist]))
        if sw.keyframe:
            ground.append(_box_footprints(world, sw.t))
        pts.append(sw.points[above])
        cols.append(np.stack([sw.intensity[above], np.full(int(above.sum()), sw.t)], 1))
        wts.append(np.ones(int(above.sum())))
        total += int(above.sum())
        if total > REDUCE_AT:
            p, c, w = _voxel_mean(np.vstack(pts), np.vstack(cols), np.concatenate(wts), FINE)
            pts, cols, wts, total = [p], [c], [w], len(p)
    if n_sweeps == 0:
        raise DatasetError(f"{sc.tables.file('sample_data')}: scene '{sc.name}' has no readable LIDAR_TOP file "
                           f"under {sc.tables.dataroot}; the background needs at least one")
    p, c, w = np.vstack(pts), np.vstack(cols), np.concatenate(wts)
    gp = np.vstack(ground)
    if len(p) + len(gp) < MIN_POINTS:
        raise DatasetError(f"{sc.tables.file('sample_data')}: scene '{sc.name}' has only {len(p) + len(gp)} static "
                           f"LiDAR points in {n_sweeps} sweep(s); a reconstruction needs at least {MIN_POINTS}")
    g = _ground(gp, world)
    s = _surfels(p, c, w, g, np.array(origins))
    bg = Background(ground_origin=g.origin, ground_res=GROUND_RES, ground_z=g.z, ground_cls=g.cls,
                    ground_colour=np.full(g.z.shape + (3,), 128, np.uint8), ground_intensity=g.intensity,
                    surfel_pole=s["pole"], surfel_center=s["center"], surfel_normal=s["normal"],
                    surfel_radius=s["radius"], surfel_cls=s["cls"], surfel_colour=np.full((len(s["cls"]), 3), 128,
                                                                                          np.uint8),
                    surfel_intensity=s["intensity"])
    if bg.num_surfels:
        # A second read of the sweep files: the surfels exist only now, and keeping every sweep's beams from
        # the first pass would hold the whole recording in memory.
        transmit = _transmittance(bg, _sweeps(sc, world, origin, ego_box, [], agents=True))
        bg = dataclasses.replace(bg, surfel_transmit=transmit)
    return bg, g.time, s["time"]


def _transmittance(bg: Background, sweeps) -> np.ndarray:
    """(S,) float32: per surfel, the share of the recorded beams crossing its square that returned from beyond
    it (more than HIT_BAND behind it) rather than from it (within HIT_BAND), with one prior hit, so that a
    surfel crossed once is not taken as empty. Every return counts, agents' included: a beam that reached a car
    passed whatever stood in front of it; so does every firing that returned nothing (`Sweep.misses`): it
    passed each surfel along it within MAX_RANGE (gaps onto the sky). A firing lost on a dark surface counts
    as passing that surface too; the sensor model's per-ring dropout then loses such beams twice, so this errs
    towards porous for dark surfaces."""
    import open3d as o3d

    from ...world.background import surfel_corners, surfel_triangles

    s = bg.num_surfels
    corners = surfel_corners(bg).reshape(-1, 3).astype(np.float32)
    tris = surfel_triangles(s).astype(np.uint32)  # surfel i: triangles i and s + i
    scene = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(o3d.core.Tensor(corners), o3d.core.Tensor(tris))
    passed, hit = np.zeros(s), np.ones(s)
    for sw in sweeps:
        d = sw.points - sw.origin
        r = np.linalg.norm(d, axis=1)
        ok = r > 1.0
        d, r = d[ok] / r[ok, None], r[ok]
        rays = np.hstack([np.broadcast_to(sw.origin, d.shape), d]).astype(np.float32)
        out = scene.list_intersections(o3d.core.Tensor(rays))
        ray = np.repeat(np.arange(len(r)), np.diff(out["ray_splits"].numpy()))
        t_hit = out["t_hit"].numpy()
        surfel = out["primitive_ids"].numpy().astype(np.int64) % s
        behind = r[ray] - t_hit
        np.add.at(passed, surfel[behind > HIT_BAND], 1.0)
        np.add.at(hit, surfel[np.abs(behind) <= HIT_BAND], 1.0)
        if sw.misses is not None and len(sw.misses):
            rays = np.hstack([np.broadcast_to(sw.origin, sw.misses.shape), sw.misses]).astype(np.float32)
            out = scene.list_intersections(o3d.core.Tensor(rays))
            far = out["t_hit"].numpy() <= MAX_RANGE
            np.add.at(passed, out["primitive_ids"].numpy().astype(np.int64)[far] % s, 1.0)
    return (passed / (passed + hit)).astype(np.float32)


@dataclass(frozen=True)
class _Ground:
    origin: np.ndarray
    z: np.ndarray
    cls: np.ndarray
    intensity: np.ndarray
    time: np.ndarray  # mean observation time of each cell's ground points (s)

    def height_at(self, x, y) -> np.ndarray:
        nx, ny = self.z.shape
        i = np.clip(np.floor((x - self.origin[0]) / GROUND_RES).astype(np.int64), 0, nx - 1)
        j = np.clip(np.floor((y - self.origin[1]) / GROUND_RES).astype(np.int64), 0, ny - 1)
        out = self.z[i, j].astype(np.float64)
        return np.where(np.isfinite(out), out, np.inf)


def _box_footprints(world, t: float) -> np.ndarray:
    """Ground samples (M, 6) [x, y, z, intensity, t, distance] under every box present at keyframe t: the
    recorded box bottom on a GROUND_RES grid over its footprint, with distance -1 so that they decide their
    cells (the annotation says the object stands there; the LiDAR sees no ground under a car)."""
    st = world.states(t)
    out = []
    for i in np.flatnonzero(st.present):
        l, w, h = st.size[i]
        u, v = np.meshgrid(np.arange(-l / 2, l / 2 + 1e-9, GROUND_RES / 2), np.arange(-w / 2, w / 2 + 1e-9,
                                                                                       GROUND_RES / 2))
        c, s = np.cos(st.yaw[i]), np.sin(st.yaw[i])
        x = st.center[i, 0] + c * u.ravel() - s * v.ravel()
        y = st.center[i, 1] + s * u.ravel() + c * v.ravel()
        z = np.full(x.size, st.center[i, 2] - h / 2)
        out.append(np.column_stack([x, y, z, np.zeros(x.size), np.full(x.size, t), np.full(x.size, -1.0)]))
    return np.vstack(out) if out else np.zeros((0, 6))


def _opening(low: np.ndarray, width: float) -> np.ndarray:
    """Grey opening (erosion then dilation) of a cell grid of low heights over a square `width` m wide; empty
    cells (inf) take no part (a facade's foot seen over parked cars, with nothing seen behind it, must not
    become a plateau that survives the opening)."""
    from scipy import ndimage

    k = max(3, int(round(width / GROUND_RES)) | 1)
    eroded = ndimage.grey_erosion(low, size=(k, k))
    eroded[~np.isfinite(low)] = -np.inf
    return ndimage.grey_dilation(eroded, size=(k, k))


def _sweep_ground(p: np.ndarray, sensor_xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ground points (N,) bool of one sweep's world points (N, 3) and the lower envelope (N,) under each point:
    per cell the LOW_RANK-quantile height (stray returns below the ground do not drag it down), a grey opening
    over OPENING m, or over WIDE_OPENING m where the narrow one stands more than WIDE_TOLERANCE above it (a
    wide structure: a building, a canopy). Per sweep, because a recording's heights are only consistent
    within one sweep (nuScenes ego poses have z = 0 wherever the road is, so one place seen from far away and
    from close by gets two heights)."""
    lo = np.floor(p[:, :2].min(axis=0))
    ij = np.floor((p[:, :2] - lo) / GROUND_RES).astype(np.int64)
    nx, ny = ij.max(axis=0) + 1
    flat = ij[:, 0] * ny + ij[:, 1]
    order = np.lexsort((p[:, 2], flat))
    fs, zs = flat[order], p[order, 2]
    first = np.flatnonzero(np.r_[True, fs[1:] != fs[:-1]])
    n_in = np.diff(np.r_[first, len(fs)])
    low = np.full(nx * ny, np.inf)
    low[fs[first]] = zs[first + (LOW_RANK * n_in).astype(np.int64)]
    low = low.reshape(nx, ny)
    env, wide = (_opening(low, width).reshape(-1)[flat] for width in (OPENING, WIDE_OPENING))
    # What survives the narrow opening but stands far above the wide one is a wide structure (a building, a
    # canopy wider than OPENING), not ground: its points are measured from the wide envelope instead.
    env = np.where(env > wide + WIDE_TOLERANCE, wide, env)
    near = np.hypot(*(p[:, :2] - sensor_xy).T) <= GROUND_RANGE
    return near & (p[:, 2] >= env + GROUND_BAND[0]) & (p[:, 2] <= env + GROUND_BAND[1]), env


def _ground(gp: np.ndarray, world) -> _Ground:
    """The height field from every sweep's ground points gp (N, 6) [x, y, z, intensity, t, distance]: each
    cell's height is the median of the ground points of the sweep that saw it from closest (so it agrees with
    the recording where the ego was nearest), holes filled from the nearest cell up to FILL_REACH."""
    from scipy import ndimage

    lo = np.floor(gp[:, :2].min(axis=0)) - 1.0
    ij = np.floor((gp[:, :2] - lo) / GROUND_RES).astype(np.int64)
    nx, ny = ij.max(axis=0) + 1
    flat = ij[:, 0] * ny + ij[:, 1]
    best_d = np.full(nx * ny, np.inf)
    np.minimum.at(best_d, flat, gp[:, 5])
    best_t = np.full(nx * ny, np.nan)
    at_best = gp[:, 5] == best_d[flat]
    best_t[flat[at_best]] = gp[at_best, 4]
    keep = gp[:, 4] == best_t[flat]
    gf, gz = flat[keep], gp[keep, 2]
    gi, gtime = gp[keep, 3], gp[keep, 4]
    order = np.lexsort((gz, gf))
    gf, gz, gi, gtime = gf[order], gz[order], gi[order], gtime[order]
    starts = np.flatnonzero(np.r_[True, gf[1:] != gf[:-1]])
    counts = np.diff(np.r_[starts, len(gf)])
    med = gz[starts + counts // 2]
    z = np.full(nx * ny, np.nan)
    z[gf[starts]] = med
    resid = np.abs(gz - np.repeat(med, counts))
    spread = np.full(nx * ny, np.nan)
    spread[gf[starts]] = np.add.reduceat(resid, starts) / counts
    ws = np.bincount(gf, None, nx * ny)
    wi = np.bincount(gf, gi, nx * ny)
    wt = np.bincount(gf, gtime, nx * ny)
    z, spread = z.reshape(nx, ny), spread.reshape(nx, ny)
    known = np.isfinite(z)
    dist, idx = ndimage.distance_transform_edt(~known, return_indices=True)
    near = dist * GROUND_RES <= FILL_REACH
    z = np.where(near, z[idx[0], idx[1]], np.nan).astype(np.float32)
    src = (idx[0] * ny + idx[1]).reshape(-1)
    inten = np.where(ws > 0, wi / np.maximum(ws, 1e-9), 0.0)[src].reshape(nx, ny).astype(np.float32)
    tmean = np.where(ws > 0, wt / np.maximum(ws, 1e-9), 0.0)[src].reshape(nx, ny)
    spread = spread.reshape(-1)[src].reshape(nx, ny)
    # Classes: the map's own ground class at the cell centre; what it leaves undecided by roughness.
    cx = lo[0] + GROUND_RES * (np.arange(nx) + 0.5)
    cy = lo[1] + GROUND_RES * (np.arange(ny) + 0.5)
    X, Y = np.meshgrid(cx, cy, indexing="ij")
    cls = world.static.ground_at(X.ravel(), Y.ravel()).reshape(nx, ny).astype(np.uint8)
    undecided = (cls != OCC3D_ID["driveable_surface"]) & (cls != OCC3D_ID["sidewalk"])
    cls[undecided] = np.where(spread[undecided] > ROUGH, OCC3D_ID["terrain"], OCC3D_ID["sidewalk"])
    return _Ground(lo, z, cls, inten, tmean)


def _surfels(p, c, w, g: _Ground, origins: np.ndarray) -> dict:
    import open3d as o3d
    from scipy import ndimage
    from scipy.spatial import cKDTree

    if len(p) == 0:
        e = np.zeros((0, 3), np.float32)
        return {"center": e, "normal": e, "radius": np.zeros(0, np.float32), "cls": np.zeros(0, np.uint8),
                "pole": np.zeros(0, bool), "intensity": np.zeros(0, np.float32), "time": np.zeros(0)}
    vp, vc, _ = _voxel_mean(p, c, w, VOXEL)
    pcd = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(vp))
    pcd.estimate_normals(o3d.geometry.KDTreeSearchParamHybrid(radius=3 * VOXEL, max_nn=16))
    n = np.asarray(pcd.normals).copy()
    # Face the normals towards the nearest sensor position (the side the LiDAR saw).
    _, near = cKDTree(origins).query(vp)
    flip = np.einsum("ij,ij->i", n, origins[near] - vp) < 0
    n[flip] *= -1
    tree = cKDTree(vp)
    k = min(9, len(vp))
    dist, nb = tree.query(vp, k=k)
    d4 = dist[:, 1:min(5, k)].mean(axis=1) if k > 1 else np.full(len(vp), VOXEL)
    radius = np.clip(0.75 * d4, 0.6 * VOXEL, 2.5 * VOXEL)
    # Scatter: smallest eigenvalue share of each voxel's 9-neighbourhood covariance.
    q = vp[nb] - vp[nb].mean(axis=1, keepdims=True)
    cov = np.einsum("nki,nkj->nij", q, q) / k
    ev = np.linalg.eigvalsh(cov)
    scatter = ev[:, 0] / np.maximum(ev.sum(axis=1), 1e-12)
    cls = np.where(scatter > SCATTER, OCC3D_ID["vegetation"], OCC3D_ID["manmade"]).astype(np.uint8)
    # Poles: tall thin clusters in the 2D footprint at 0.25 m.
    res = 0.25
    lo = vp[:, :2].min(axis=0)
    ij = np.floor((vp[:, :2] - lo) / res).astype(np.int64)
    occ = np.zeros(ij.max(axis=0) + 1, bool)
    occ[ij[:, 0], ij[:, 1]] = True
    lab, nlab = ndimage.label(occ, structure=np.ones((3, 3)))
    comp = lab[ij[:, 0], ij[:, 1]]
    area = np.bincount(lab.ravel(), minlength=nlab + 1) * res * res
    above = vp[:, 2] - np.where(np.isfinite(g.height_at(vp[:, 0], vp[:, 1])), g.height_at(vp[:, 0], vp[:, 1]), 0)
    top = np.zeros(nlab + 1)
    np.maximum.at(top, comp, above)
    pole = (area[comp] < POLE_AREA) & (top[comp] > POLE_HEIGHT)
    cls[pole] = OCC3D_ID["manmade"]
    return {"center": vp.astype(np.float32), "normal": n.astype(np.float32), "radius": radius.astype(np.float32),
            "cls": cls, "pole": pole, "intensity": vc[:, 0].astype(np.float32), "time": vc[:, 1]}
