"""A spinning LiDAR (HDL-32E pattern by default) cast against the scene, as the real sensor scans.

Spin and firing order (Velodyne HDL-32E user's manual, "laser firing sequence" and packet timing): the head turns
clockwise seen from above at 20 Hz; every 46.08 µs one firing cycle fires the 32 lasers one after another,
1.152 µs apart, in laser-id order, which interleaves the lower and upper block (laser 0 at -30.67°, laser 1 at
-9.33°, laser 2 at -29.33°, ...). 46.08 µs × 1085 cycles ≈ 50 ms: the rig's 1085 azimuth steps are firing
cycles. Each point is cast at its own firing time: the sensor's origin and direction from the ego pose at that
time, every agent posed at that time (rays are moved into each agent's own frame at their firing time and cast
against that agent's cached mesh: exact per point and cheaper than rebuilding agent geometry per time slice).

The sweep starts facing backwards (ego -x) at its timestamp t and ends one revolution later (the cameras'
trigger offsets follow from this, sensors.timing). Points are ego-motion compensated to the sweep timestamp,
as nuScenes does: they are expressed in the LiDAR frame of the ego pose at t, so static geometry is undistorted
while moving agents keep the smear of their own motion. Output order: firing cycle by cycle, rings ascending
within a cycle (as the real .pcd.bin files).

Realism (LidarRealism): range noise, dropout by range / incidence / material, and an intensity from the
material's reflectivity, the incidence and the range (on a reconstructed background: the mean intensity it was
recorded with, map.background); coefficients and their sources in docs/shapes.md. Where
the LiDAR model carries them (the nuScenes rig does, measured on scene-0916 by tools/lidar_beams.py), the ego
body's self-occlusion mask removes the beams the car's own body blocks, and the per-ring dropout table sets the
rate at which beams that reach a surface return nothing (in place of `base_dropout`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..classes import OCC3D_ID
from ..shapes.materials import MATERIAL_ID
from .types import LidarModel, LidarSweep

# Diffuse reflectivity at 905 nm (0..1) of each Occ3D class where a hit carries no material of its own
# (static structure, ground). Sources: docs/shapes.md.
REFLECTIVITY: dict[str, float] = {
    "others": 0.3, "barrier": 0.35, "bicycle": 0.25, "bus": 0.3, "car": 0.1, "construction_vehicle": 0.35,
    "motorcycle": 0.25, "pedestrian": 0.5, "traffic_cone": 0.4, "trailer": 0.4, "truck": 0.4,
    "driveable_surface": 0.14, "other_flat": 0.18, "sidewalk": 0.3, "terrain": 0.3, "manmade": 0.45,
    "vegetation": 0.5,
}
# Per material: diffuse reflectivity at 905 nm; materials in RETRO are retro-reflective (Velodyne reports
# retro-reflectors above 100).
MATERIAL_REFLECTIVITY: dict[str, float] = {
    "paint": 0.1, "glass": 0.02, "tyre": 0.03, "light": 0.5, "metal": 0.4, "skin": 0.5, "cloth": 0.5,
    "hivis": 0.9, "plastic": 0.3, "reflector": 0.9, "bark": 0.3, "foliage": 0.5, "fur": 0.4, "hair": 0.1,
    "concrete": 0.35, "plate": 0.9,
}
RETRO = ("reflector", "plate", "hivis", "light")
# Probability that a return is lost for reasons other than its power (glass mostly passes or mirrors the beam).
MATERIAL_DROPOUT: dict[str, float] = {"glass": 0.6, "tyre": 0.05, "hair": 0.1}

_REFL = np.zeros(256, np.float32)
for _name, _value in REFLECTIVITY.items():
    _REFL[OCC3D_ID[_name]] = _value
_MAT_REFL = np.zeros(256, np.float32)
_MAT_RETRO = np.zeros(256, bool)
_MAT_DROP = np.zeros(256, np.float32)
for _name, _value in MATERIAL_REFLECTIVITY.items():
    _MAT_REFL[MATERIAL_ID[_name]] = _value
for _name in RETRO:
    _MAT_RETRO[MATERIAL_ID[_name]] = True
for _name, _value in MATERIAL_DROPOUT.items():
    _MAT_DROP[MATERIAL_ID[_name]] = _value

AZIMUTH_START = -np.pi / 2  # rad in the LiDAR frame (x right, y forward): facing backwards
FIRING_SLOT = 1.152e-6  # s between two lasers of one firing cycle (HDL-32E)
HDL32E_RINGS = 32


@dataclass(frozen=True)
class LidarRealism:
    """How the LiDAR departs from an ideal instantaneous scanner.

    motion: cast every point at its firing time (ego and agents move during the revolution); range_noise_m:
    standard deviation of the range noise (Gaussian, truncated at range_noise_clip_m); dropout: lose returns
    by received power (reflectivity × incidence / range²), grazing incidence and material; intensity_noise:
    relative (log-normal) spread of the intensity; porous: let the share of beams a porous recorded surface
    transmits through it (StaticGeometry.lidar_layer); seed: the random stream (with the sweep time).
    """

    motion: bool = True
    range_noise_m: float = 0.01  # HDL-32E: ±2 cm typical accuracy
    range_noise_clip_m: float = 0.02
    dropout: bool = True
    max_range_ref_m: float = 100.0  # HDL-32E rated range (m) ...
    ref_reflectivity: float = 0.1  # ... for a target of this reflectivity at normal incidence
    base_dropout: float = 0.01  # returns lost at random (where the LiDAR model has no ring_dropout table)
    grazing_cos: float = 0.03  # below this |cos(incidence)| nothing returns
    intensity_noise: float = 0.35
    instance_spread: float = 0.7  # log-normal spread of each agent's reflectivity (paint colours, clothes)
    self_occlusion: bool = True
    porous: bool = True
    seed: int = 0


REALISTIC = LidarRealism()
EXACT = LidarRealism(motion=False, range_noise_m=0.0, dropout=False, intensity_noise=0.0, instance_spread=0.0,
                     self_occlusion=False, porous=False)


@dataclass(frozen=True)
class LidarScan(LidarSweep):
    """A LidarSweep that also carries the `lidar` model (and so its extrinsics) it was cast with, each point's
    firing `time` (N,) float32 s after the sweep timestamp and its surface `material` (N,) uint8."""

    lidar: LidarModel
    time: np.ndarray | None = None
    material: np.ndarray | None = None


def laser_of_ring(rings: int) -> np.ndarray:
    """(R,) laser id (firing slot within a cycle) of each ring (ascending elevation). The HDL-32E interleaves its
    blocks: the lower 16 rings are lasers 0, 2, 4, ..., the upper 16 lasers 1, 3, 5, ...; other patterns fire in
    ring order."""
    r = np.arange(rings)
    if rings != HDL32E_RINGS:
        return r
    half = rings // 2
    return np.where(r < half, 2 * r, 2 * (r - half) + 1)


def firing_azimuths(lidar: LidarModel) -> np.ndarray:
    """(A,) azimuth of each firing step in the LiDAR frame, rad, in time order (clockwise from behind)."""
    return AZIMUTH_START - 2 * np.pi * np.arange(lidar.azimuth_steps) / lidar.azimuth_steps


def firing_times(lidar: LidarModel) -> np.ndarray:
    """(A·R,) float64 firing time of every ray after the sweep's start, s, in the rays' order (step-major, rings
    ascending): step k at k / (A·rate), ring r FIRING_SLOT × laser id later."""
    step = np.arange(lidar.azimuth_steps)[:, None] / (lidar.azimuth_steps * lidar.rate)
    slot = FIRING_SLOT * (HDL32E_RINGS / len(lidar.elevations))
    return (step + slot * laser_of_ring(len(lidar.elevations))[None, :]).reshape(-1)


_DIRECTIONS: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}


def lidar_directions(lidar: LidarModel, spin: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Unit ray directions (A·R, 3) float32 in the LiDAR frame, firing order, and the ring (A·R,) int of each.
    With `spin`, each laser's azimuth is turned on by the head's rotation between the cycle's start and its
    firing slot. Computed once per pattern (read-only arrays)."""
    key = (lidar.azimuth_steps, tuple(np.asarray(lidar.elevations, dtype=np.float64).tolist()), spin, lidar.rate)
    if key not in _DIRECTIONS:
        el = np.asarray(lidar.elevations, dtype=np.float64)[None, :]
        az = firing_azimuths(lidar)[:, None]
        if spin:
            az = AZIMUTH_START - 2 * np.pi * lidar.rate * firing_times(lidar).reshape(-1, el.size)
        d = np.stack(np.broadcast_arrays(np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)), -1)
        ring = np.broadcast_to(np.arange(el.size), (az.shape[0], el.size))
        d, ring = d.reshape(-1, 3).astype(np.float32), ring.reshape(-1).copy()
        d.flags.writeable = ring.flags.writeable = False
        _DIRECTIONS[key] = (d, ring)
    return _DIRECTIONS[key]


_BLOCKED: dict[tuple, np.ndarray] = {}


def blocked_rays(lidar: LidarModel, d_lidar: np.ndarray, ring: np.ndarray) -> np.ndarray | None:
    """(N,) bool: the rays of LiDAR-frame directions `d_lidar` (rings `ring`) that the ego body blocks
    (lidar.self_occlusion), None where the model has no mask. Cached per pattern."""
    mask = lidar.self_occlusion
    if mask is None:
        return None
    key = (id(d_lidar), mask.shape, mask.tobytes())
    if key not in _BLOCKED:
        bins = mask.shape[1]
        az = np.degrees(np.arctan2(d_lidar[:, 1].astype(np.float64), d_lidar[:, 0].astype(np.float64)))
        b = np.clip(np.floor((az + 180.0) * bins / 360.0).astype(np.int64), 0, bins - 1)
        _BLOCKED[key] = mask[ring, b]
    return _BLOCKED[key]


def lidar_rays(lidar: LidarModel, ego) -> np.ndarray:
    """World-frame rays (A·R, 6) float32 [origin, unit direction] of every firing, all from the ego pose `ego`
    (an instantaneous revolution: occupancy masks use it)."""
    l2e = lidar.lidar2ego
    d_lidar, _ = lidar_directions(lidar)
    rot = (ego.rotation @ l2e[:3, :3]).astype(np.float32)
    rays = np.empty((d_lidar.shape[0], 6), np.float32)
    rays[:, :3] = ego.to_world(l2e[:3, 3][None])[0]
    rays[:, 3:] = d_lidar @ rot.T
    return rays


def ego_box_contains(ego_spec, points_ego: np.ndarray) -> np.ndarray:
    """Whether ego-frame points (N, 3) lie inside the ego car's box (size l/w/h, rear axle at the origin)."""
    length, width, height = ego_spec.size
    x0 = -ego_spec.rear_overhang
    p = points_ego
    return ((p[:, 0] >= x0) & (p[:, 0] <= x0 + length) & (np.abs(p[:, 1]) <= width / 2)
            & (p[:, 2] >= 0) & (p[:, 2] <= height))


def sweep_lidar(scene, lidar: LidarModel, world, t: float, *, ego=None,
                realism: LidarRealism | None = None) -> LidarScan:
    """One revolution of `lidar` starting at time t (s). Returns the returns within [min_range, max_range] that
    do not lie inside the ego car's box, in the LiDAR frame of the ego pose at t (`world.ego_pose(t)`, or `ego`
    where given, e.g. for a VoxelScene with `world=None`: the sensor then stands still), with intensity, ring,
    lidarseg index, Occ3D id, instance, firing time and material. `realism` defaults to REALISTIC (EXACT: every
    ray at t, exact ranges, no dropout)."""
    from ..world.world import DEFAULT_EGO
    from .lidar_motion import cast_moving

    realism = REALISTIC if realism is None else realism
    if ego is None:
        ego = world.ego_pose(t)
    ego_spec = world.ego_spec if world is not None else DEFAULT_EGO
    l2e = lidar.lidar2ego
    moving = realism.motion and world is not None and hasattr(scene, "static")
    d_lidar, ring = lidar_directions(lidar, spin=moving)
    times = firing_times(lidar) if moving else np.zeros(d_lidar.shape[0])
    static = None
    if realism.porous and hasattr(scene, "static"):
        static = scene.static.lidar_layer(int(round(t * lidar.rate)), realism.seed)
    if moving:
        rays, hits = cast_moving(scene, lidar, world, t, d_lidar, times, static)
    else:
        rays = lidar_rays(lidar, ego)
        hits = scene.snapshot(t, static).cast(rays) if static is not None else scene.snapshot(t).cast(rays)
    r = hits.distance
    ok = np.isfinite(r) & (r >= lidar.min_range) & (r <= lidar.max_range)
    blocked = blocked_rays(lidar, d_lidar, ring) if realism.self_occlusion else None
    if blocked is not None:
        ok &= ~blocked
    idx = np.flatnonzero(ok)
    rng = np.random.default_rng([realism.seed & 0xFFFFFFFF, int(round(t * 1e6)) & 0xFFFFFFFFFFFF])
    material = hits.material if hits.material is not None else np.zeros(r.size, np.uint8)
    cos_inc = np.abs(np.einsum("ij,ij->i", hits.normal[idx], rays[idx, 3:]))
    mat, occ = material[idx], hits.occ3d[idx]
    refl = np.where(mat > 0, _MAT_REFL[mat], _REFL[occ])
    if realism.instance_spread > 0:
        refl = refl * instance_tint(hits.instance[idx], realism.instance_spread, realism.seed)
    rr = r[idx]
    if realism.dropout:
        ok = _returns(rng, rr, cos_inc, refl, mat, realism, _beam_dropout(lidar, ring[idx], rr, realism))
        idx, cos_inc, refl, rr = idx[ok], cos_inc[ok], refl[ok], rr[ok]
    if realism.range_noise_m > 0:
        c = realism.range_noise_clip_m
        rr = rr + np.clip(np.float32(realism.range_noise_m) * rng.standard_normal(idx.size, dtype=np.float32), -c, c)
    # World points, then into the LiDAR frame of the pose at t (ego-motion compensation). Offsets from the
    # sensor's position at t stay small (metres), so float32 keeps them to a micrometre.
    l2w_rot = (ego.rotation @ l2e[:3, :3]).astype(np.float32)
    l2w_t = ego.to_world(l2e[:3, 3][None])[0]
    rel = rays[idx, 3:] * rr.astype(np.float32)[:, None]
    rel += (rays[idx, :3].astype(np.float64) - l2w_t).astype(np.float32)
    pts = rel @ l2w_rot
    inside = ego_box_contains(ego_spec, pts @ l2e[:3, :3].T.astype(np.float32) + l2e[:3, 3].astype(np.float32))
    if inside.any():
        out = ~inside
        idx, pts, rr, cos_inc, refl = idx[out], pts[out], rr[out], cos_inc[out], refl[out]
    occ3d, instance, mat = hits.occ3d[idx], hits.instance[idx], material[idx]
    recorded = hits.recorded[idx] if hits.recorded is not None else None
    intensity = _intensity(rng, rr, cos_inc, refl, mat, realism, recorded)
    points = np.empty((idx.size, 5), np.float32)
    points[:, :3] = pts
    points[:, 3] = intensity
    points[:, 4] = ring[idx]
    return LidarScan(t=float(t), ego=ego, points=points, lidarseg=scene.lidarseg(occ3d, instance).astype(np.uint8),
                     occ3d=occ3d, instance=instance, lidar=lidar, time=times[idx].astype(np.float32), material=mat)


_TINTS: dict[tuple, float] = {}


def instance_tint(instance: np.ndarray, spread: float, seed: int = 0) -> np.ndarray:
    """(N,) float32 reflectivity factor of each hit's object: 1 for stuff (instance 0); for agents a fixed
    log-normal draw per instance (car colours from black to white, clothes), clipped to [0.2, 4]."""
    top = int(instance.max()) if instance.size else 0
    table = np.ones(top + 1, np.float32)
    for i in range(1, top + 1):
        key = (seed, spread, i)
        if key not in _TINTS:
            z = np.random.default_rng([seed & 0xFFFFFFFF, i, 905]).normal()
            _TINTS[key] = float(np.clip(np.exp(spread * z), 0.2, 4.0))
        table[i] = _TINTS[key]
    return table[instance]


def _beam_dropout(lidar: LidarModel, ring: np.ndarray, r: np.ndarray, realism: LidarRealism):
    """Probability that each beam (rings `ring`, ranges `r` m) is lost at random: the LiDAR model's measured
    per-ring, per-range table where it has one, else `realism.base_dropout`."""
    if lidar.ring_dropout is None:
        return np.float32(realism.base_dropout)
    b = np.searchsorted(lidar.dropout_ranges, r)
    return lidar.ring_dropout.astype(np.float32)[ring, b]


def _returns(rng, r, cos_inc, refl, material, realism: LidarRealism, lost=None) -> np.ndarray:
    """Which hits return: the received power ρ·√cos(θ)/r² (rough surfaces scatter back more than Lambert's law at
    grazing incidence) must reach that of a ρ = ref_reflectivity target at normal incidence at max_range_ref_m
    (times a uniform factor in [0.6, 1.4]: the threshold is soft), not grazing, and not lost at random (`lost`:
    the per-beam rate, default the base rate, plus the material's)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        power = refl * np.sqrt(np.maximum(cos_inc, 1e-6)) / (
            realism.ref_reflectivity * np.square(r / realism.max_range_ref_m))
    u = rng.random((2, r.size), dtype=np.float32)
    ok = power >= np.float32(0.6) + np.float32(0.8) * u[0]
    ok &= cos_inc >= realism.grazing_cos
    ok &= u[1] >= (realism.base_dropout if lost is None else lost) + _MAT_DROP[material]
    return ok


def _intensity(rng, r, cos_inc, refl, material, realism: LidarRealism, recorded=None) -> np.ndarray:
    """Intensity 0..255 (integers): diffuse targets 0..100 from reflectivity × a Lambertian-with-floor incidence
    factor × a mild range falloff (the HDL-32E's intensity is only partly range-calibrated); retro-reflectors
    101..255 with a wide spread, as Velodyne's calibrated reflectivity scale. Hits on a reconstructed background
    (`recorded` finite) take the mean intensity their element was recorded with instead; the sensor's relative
    spread applies to every hit."""
    inc = 0.5 + 0.5 * cos_inc
    falloff = np.clip((np.maximum(r, 1.0) / 10.0) ** -0.2, 0.4, 1.6)
    value = 100.0 * refl * inc * falloff
    retro = _MAT_RETRO[material] & (cos_inc > 0.3)
    value = np.where(retro, 100.0 + 155.0 * cos_inc * np.clip(falloff, 0.5, 1.0), value)
    if recorded is not None:
        value = np.where(np.isfinite(recorded), recorded, value)
    if realism.intensity_noise > 0:
        value = value * np.exp(np.float32(realism.intensity_noise) * rng.standard_normal(value.size, dtype=np.float32))
    return np.clip(np.round(value), 0, 255)


def sweep_to_world(sweep: LidarSweep, lidar: LidarModel | None = None) -> np.ndarray:
    """World-frame xyz (N, 3) float64 of a sweep's points (lidar: the sweep's own model when it carries one)."""
    lidar = lidar if lidar is not None else sweep.lidar
    l2e = lidar.lidar2ego
    p = sweep.points[:, :3].astype(np.float64) @ l2e[:3, :3].T + l2e[:3, 3]
    return sweep.ego.to_world(p)
