"""Casting a LiDAR revolution with every ray at its own firing time.

The ego pose and every agent's pose are evaluated at the start and the end of the revolution and interpolated
linearly per ray (the error of a 3 m/s² acceleration over 50 ms is a·T²/8 ≈ 1 mm). Static
geometry is cast once with each ray's own origin and direction. Agents are not re-meshed per time: the rays that
can reach an agent (its azimuth sector and elevation band over the revolution) are moved into the agent's own
box frame at their firing times and cast against the agent's box-local mesh, whose BVH is built once per shape
and cached; the nearest hit over static and agents wins.
"""
from __future__ import annotations

import weakref
from collections import OrderedDict

import numpy as np

from .raycast import RayHits, SceneSnapshot, _Layer
from .meshes import TriangleMesh

KNOTS = 2  # poses per revolution (start, end), interpolated linearly in between
SECTOR_MARGIN = np.radians(1.6)  # rad around an agent's azimuth sector and elevation band (mount tilt, spin)
GROW = 0.05  # m added around an agent's box when choosing its rays
_LAYER_CACHE_SIZE = 256  # box-local BVHs kept (each holds an Embree device: keep their number bounded)
_LAYERS: "OrderedDict[int, tuple[object, _Layer]]" = OrderedDict()  # id(ShapeMesh) -> (shape, its BVH)


def _local_layer(shape) -> _Layer:
    """The BVH of a box-local ShapeMesh (labels are the caller's: one agent per cast), least recently used
    evicted beyond _LAYER_CACHE_SIZE."""
    key = id(shape)
    hit = _LAYERS.get(key)
    if hit is not None and hit[0] is shape:
        _LAYERS.move_to_end(key)
        return hit[1]
    while len(_LAYERS) >= _LAYER_CACHE_SIZE:
        _LAYERS.popitem(last=False)
    t = shape.num_triangles
    mesh = TriangleMesh(shape.vertices.astype(np.float32), shape.triangles.astype(np.uint32),
                        np.zeros(t, np.uint8), np.zeros(t, np.uint16),
                        shape.normals.astype(np.float32), None, np.asarray(shape.material, np.uint8))
    layer = _Layer(mesh)
    _LAYERS[key] = (shape, layer)
    return layer


# Per world: the shapes of agents whose mesh never changes (neither walking nor articulated), by instance.
_FIXED_SHAPES: "weakref.WeakKeyDictionary[object, dict[int, object]]" = weakref.WeakKeyDictionary()


def _shape_of(world, track, states, i: int):
    """`shape_at(track, states, i)`, looked up once per world for agents whose mesh is constant in time."""
    from ..shapes import articulates, walks
    from ..world.agents import shape_at

    cls = track.klass.name
    if walks(cls) or articulates(cls):
        return shape_at(track, states, i)
    fixed = _FIXED_SHAPES.setdefault(world, {})
    shape = fixed.get(track.instance)
    if shape is None:
        shape = fixed[track.instance] = shape_at(track, states, i)
    return shape


def _posed_shapes(world, track, st0, st1, i: int, frac: np.ndarray):
    """[(ShapeMesh, rows)]: the shape of agent i at each of its pairs' firing times (fractions `frac` (n,) of the
    revolution from st0 to st1), with the rows (into `frac`) it holds for. Walkers take their gait phase at
    each firing time (the phase quantised as anyscene.shapes does); every other agent one shape."""
    from ..shapes import PHASE_STEPS, shape_mesh, walks
    from ..shapes.people import STRIDE
    from ..world.agents import STAND_SPEED

    cls = track.klass.name
    rows = np.arange(frac.size)
    if not walks(cls) or st0.distance is None or float(np.hypot(*st0.velocity[i])) <= STAND_SPEED:
        return [(_shape_of(world, track, st0, i), rows)]
    d0, d1 = float(st0.distance[i]), float(st1.distance[i])
    stride = STRIDE * track.size[2] / 1.75
    phase = (2 * np.pi * (d0 + frac.astype(np.float64) * (d1 - d0)) / stride) % (2 * np.pi)
    step = np.floor(phase / (2 * np.pi) * PHASE_STEPS + 0.5).astype(np.int64) % PHASE_STEPS
    out = []
    for k in np.unique(step):
        shape = shape_mesh(cls, track.size, track.shape, track.instance, phase=2 * np.pi * int(k) / PHASE_STEPS)
        out.append((shape, rows[step == k]))
    return out


_EGO_DIRS: dict[tuple, np.ndarray] = {}


def _ego_directions(d_lidar: np.ndarray, l2e: np.ndarray) -> np.ndarray:
    """Ego-frame ray directions (N, 3) float64 of a LiDAR pattern (cached per pattern and mounting)."""
    key = (id(d_lidar), l2e.tobytes())
    if key not in _EGO_DIRS:
        _EGO_DIRS[key] = d_lidar.astype(np.float64) @ l2e[:3, :3].T
    return _EGO_DIRS[key]


def _wrap(a):
    return (a + np.pi) % (2 * np.pi) - np.pi


def cast_moving(scene, lidar, world, t: float, d_lidar: np.ndarray, times: np.ndarray,
                static=None) -> tuple[np.ndarray, RayHits]:
    """World rays (N, 6) float32 of the revolution starting at t (each from the ego pose at t + times[i]) and
    their first hits on `scene` (a WorldScene) with agents posed at each ray's firing time; `static`: the static
    layer to cast (default the scene's whole one)."""
    period = 1.0 / lidar.rate
    knots = t + period * np.linspace(0.0, 1.0, KNOTS)
    egos = [world.ego_pose(float(knots[0])), world.ego_pose(float(knots[-1]))]
    l2e = lidar.lidar2ego
    ft = t + times
    # Ego pose per ray, linear between the start and the end of the revolution.
    f64 = (ft - knots[0]) / (knots[-1] - knots[0])
    e0, e1 = egos[0], egos[-1]
    ego_yaw = e0.yaw + f64 * _wrap(e1.yaw - e0.yaw)
    d_ego = _ego_directions(d_lidar, l2e)
    o = l2e[:3, 3]
    if e0.pitch or e0.roll or e1.pitch or e1.roll:
        # A recorded ego's pitch and roll (mean over the 50 ms revolution), applied before the heading.
        from ..world.world import attitude_matrix

        att = attitude_matrix(0.5 * (e0.pitch + e1.pitch), 0.5 * (e0.roll + e1.roll)).astype(np.float32)
        d_ego, o = d_ego @ att.T, att.astype(np.float64) @ o
    c, s = np.cos(ego_yaw), np.sin(ego_yaw)
    dt = e1.translation - e0.translation
    rays = np.empty((d_lidar.shape[0], 6), np.float32)
    rays[:, 0] = e0.translation[0] + f64 * dt[0] + c * o[0] - s * o[1]
    rays[:, 1] = e0.translation[1] + f64 * dt[1] + s * o[0] + c * o[1]
    rays[:, 2] = e0.translation[2] + f64 * dt[2] + o[2]
    rays[:, 3] = c * d_ego[:, 0] - s * d_ego[:, 1]
    rays[:, 4] = s * d_ego[:, 0] + c * d_ego[:, 1]
    rays[:, 5] = d_ego[:, 2]
    static = static if static is not None else scene.static.layer
    hits = SceneSnapshot(static, None, scene.static.static_map).cast(rays)
    dist, occ3d, instance = hits.distance, hits.occ3d, hits.instance
    normal, points, material = hits.normal, hits.points, hits.material

    st0, st1 = world.states(float(knots[0])), world.states(float(knots[-1]))
    present = np.flatnonzero(st0.present)
    if present.size == 0:
        return rays, hits
    n_rings = len(lidar.elevations)
    mid_ring = int(np.argmin(np.abs(np.asarray(lidar.elevations))))
    step_rays = rays[mid_ring::n_rings]
    step_az = np.arctan2(step_rays[:, 4], step_rays[:, 3]).astype(np.float64)
    ring_el = np.asarray(lidar.elevations, dtype=np.float64)
    sensors = rays[[0, -1], :3].astype(np.float64)  # (2, 3) the sensor at the revolution's start and end
    # Every present agent's box corners at the start and end of the revolution, grown by GROW.
    c0, c1 = st0.center[present], st1.center[present]
    y0 = st0.yaw[present]
    y1 = y0 + _wrap(st1.yaw[present] - y0)
    half = st0.size[present] / 2 + GROW  # (M, 3)
    unit = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], dtype=np.float64)
    loc = unit[None] * half[:, None, :]  # (M, 8, 3)
    corners = []
    for c, y in ((c0, y0), (c1, y1)):
        ca, sa = np.cos(y)[:, None], np.sin(y)[:, None]
        corners.append(np.stack([ca * loc[..., 0] - sa * loc[..., 1], sa * loc[..., 0] + ca * loc[..., 1],
                                 loc[..., 2]], -1) + c[:, None, :])
    corners = np.concatenate(corners, axis=1)  # (M, 16, 3)
    rel = corners[:, None, :, :] - sensors[None, :, None, :]  # (M, 2, 16, 3)
    horiz = np.hypot(rel[..., 0], rel[..., 1])
    el = np.arctan2(rel[..., 2], np.maximum(horiz, 1e-6)).reshape(len(present), -1)
    el_lo, el_hi = el.min(axis=1) - SECTOR_MARGIN, el.max(axis=1) + SECTOR_MARGIN
    ang = np.arctan2(rel[..., 1], rel[..., 0]).reshape(len(present), -1)
    mid = np.arctan2(np.sin(ang).mean(axis=1), np.cos(ang).mean(axis=1))
    d = _wrap(ang - mid[:, None])
    az_lo, az_hi = d.min(axis=1) - SECTOR_MARGIN, d.max(axis=1) + SECTOR_MARGIN
    reach = np.hypot(half[:, 0], half[:, 1])
    ctr_dist = np.min(np.hypot(*(np.stack([c0, c1])[:, :, None, :2] - sensors[None, None, :, :2]).transpose(3, 0, 1, 2)),
                      axis=(0, 2))
    near = ctr_dist <= reach + 0.3
    far = ctr_dist - reach > lidar.max_range
    frac = ((ft - knots[0]) / (knots[-1] - knots[0])).astype(np.float32)
    ring_ok = (ring_el[None, :] >= el_lo[:, None]) & (ring_el[None, :] <= el_hi[:, None])  # (M, R)
    rd = _wrap(step_az[None, :] - mid[:, None])
    step_ok = (rd >= az_lo[:, None]) & (rd <= az_hi[:, None])  # (M, A)
    ring_ok[near] = True
    step_ok[near] = True
    alive = np.flatnonzero(~far & ring_ok.any(axis=1) & step_ok.any(axis=1))
    if alive.size == 0:
        return rays, hits
    # Every (ray, agent) pair to cast, agent by agent, then all pairs moved into their agent's box frame at
    # once (vectorised over pairs: the per-agent loop only casts).
    sels = []
    for m in alive:
        rings, steps = np.flatnonzero(ring_ok[m]), np.flatnonzero(step_ok[m])
        sels.append((steps[:, None] * n_rings + rings[None, :]).reshape(-1))
    counts = np.array([x.size for x in sels])
    sel = np.concatenate(sels)
    am = np.repeat(alive, counts)  # index into `present` of each pair's agent
    # A ray whose static hit is nearer than the agent's box can get cannot hit the agent (occluded, or the
    # ground in front of it): those pairs are not cast.
    # (Bounded below by the endpoint distance less both displacements over the revolution.)
    slack = np.linalg.norm(c1 - c0, axis=1) + np.linalg.norm(sensors[1] - sensors[0])
    reachable = dist[sel] > np.maximum(ctr_dist[am] - reach[am] - slack[am], 0.0)
    if not reachable.all():
        sel, am = sel[reachable], am[reachable]
        alive = np.unique(am)
        counts = np.bincount(am, minlength=len(present))[alive]
        if alive.size == 0:
            return rays, hits
    r = rays[sel]
    f = frac[sel]
    ty = (y0[am] + f * (y1[am] - y0[am])).astype(np.float32)
    cy, sy = np.cos(ty), np.sin(ty)
    c0f, dcf = c0.astype(np.float32), (c1 - c0).astype(np.float32)
    dx = r[:, 0] - c0f[am, 0] - f * dcf[am, 0]
    dy = r[:, 1] - c0f[am, 1] - f * dcf[am, 1]
    local = np.empty((sel.size, 6), np.float32)
    local[:, 0] = cy * dx + sy * dy
    local[:, 1] = cy * dy - sy * dx
    local[:, 2] = r[:, 2] - c0f[am, 2] - f * dcf[am, 2]
    local[:, 3] = cy * r[:, 3] + sy * r[:, 4]
    local[:, 4] = cy * r[:, 4] - sy * r[:, 3]
    local[:, 5] = r[:, 5]
    th = np.empty(sel.size, np.float32)
    mat = np.empty(sel.size, np.uint8)
    ln = np.empty((sel.size, 3), np.float32)
    ends = np.cumsum(counts)
    # Agents sharing a shape (same class, size, variant and gait phase) share one cast of all their pairs. A
    # walker's pairs take the shape of its gait phase at their own firing times (its distance walked is linear
    # over the revolution), so a walker whose phase steps on during the spin is cast in two or more shapes.
    groups: dict[int, tuple[object, list]] = {}
    for m, a, b in zip(alive, ends - counts, ends):
        i = present[m]
        track = world.track_by_instance[int(st0.instance[i])]
        for shape, rows in _posed_shapes(world, track, st0, st1, int(i), f[a:b]):
            groups.setdefault(id(shape), (shape, []))[1].append(rows + a)
    for shape, segs in groups.values():
        layer = _local_layer(shape)
        rows = segs[0] if len(segs) == 1 else np.concatenate(segs)
        t_hit, tri, _ = layer.cast(local[rows])
        th[rows] = t_hit
        mat[rows] = layer.material[tri]
        ln[rows] = layer.normal[tri]
    better = np.flatnonzero(th < dist[sel])
    if better.size == 0:
        return rays, hits
    # Where a ray meets several agents, the nearest wins: sort by (ray, distance), keep each ray's first.
    order = better[np.lexsort((th[better], sel[better]))]
    first = np.r_[True, sel[order][1:] != sel[order][:-1]]
    w = order[first]
    b = sel[w]
    dist[b] = th[w]
    occ3d[b] = st0.occ3d[present[am[w]]]
    instance[b] = st0.instance[present[am[w]]]
    material[b] = mat[w]
    if hits.recorded is not None:
        hits.recorded[b] = np.nan  # an agent in front of the recorded background
    cb, sb = cy[w], sy[w]
    normal[b, 0] = cb * ln[w, 0] - sb * ln[w, 1]
    normal[b, 1] = sb * ln[w, 0] + cb * ln[w, 1]
    normal[b, 2] = ln[w, 2]
    points[b] = r[w, :3] + r[w, 3:] * th[w, None]
    return rays, RayHits(dist, occ3d, instance, normal, points, material, hits.recorded)
