"""Five Continental ARS408-21 radars at the nuScenes rig's poses: sparse detections with RCS, raw and
ego-motion-compensated radial velocity, as the radar `.pcd` files of nuScenes hold them.

The radars scan at about 13 Hz (RADAR_RATE). Each scan casts a fan of rays in the sensor's horizontal plane
(near range ±45° to 70 m, far range ±9° to 250 m, as the ARS408 datasheet gives), keeps a few detections per hit
object (more for larger ones) and a sparse sample of static clutter, and reports for each the position in the
sensor frame (z = 0: the ARS408 measures in 2-D), an RCS in dBsm by class, the radial velocity of the target
relative to the moving sensor (`vx`, `vy`: its vector along the ray) and the ego-motion-compensated one
(`vx_comp`, `vy_comp`: the target's own world velocity projected onto the ray), in the field order of the
devkit's RadarPointCloud.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..classes import OCC3D_ID
from ..classes import OCC3D_NAMES as _OCC3D_NAME
from .geometry import quat_to_matrix

RADAR_RATE = 13.0  # Hz (ARS408 cycle ≈ 77 ms; the real scene's RADAR_FRONT chain: 265 records in 20 s)
FIELDS = ("x", "y", "z", "dyn_prop", "id", "rcs", "vx", "vy", "vx_comp", "vy_comp", "is_quality_valid",
          "ambig_state", "x_rms", "y_rms", "invalid_state", "pdh0", "vx_rms", "vy_rms")


@dataclass(frozen=True)
class RadarModel:
    """One radar: pose in the ego frame (`translation` (3,) m, `rotation` [w, x, y, z]; x forward along the
    boresight, y left, z up), near/far range (m) and half fields of view (rad)."""

    channel: str
    translation: np.ndarray
    rotation: np.ndarray
    near_range: float = 70.0
    near_half_fov: float = np.radians(45.0)
    far_range: float = 250.0
    far_half_fov: float = np.radians(9.0)
    azimuth_step: float = np.radians(0.5)

    @property
    def radar2ego(self) -> np.ndarray:
        m = np.eye(4)
        m[:3, :3], m[:3, 3] = quat_to_matrix(self.rotation), self.translation
        return m


# The rig's radar poses from the real calibrated_sensor table (scene-0916, log n015-2018-10-08-15-36-50+0800).
NUSCENES_RADARS: tuple[RadarModel, ...] = (
    RadarModel("RADAR_FRONT", np.array([3.412, 0.0, 0.5]), np.array([0.9999984769132877, 0.0, 0.0, 0.0017453283658983088])),
    RadarModel("RADAR_FRONT_LEFT", np.array([2.422, 0.8, 0.78]), np.array([0.7171539204983457, 0.0, 0.0, 0.6969148113750004])),
    RadarModel("RADAR_FRONT_RIGHT", np.array([2.422, -0.8, 0.77]), np.array([0.7010337393110511, 0.0, 0.0, -0.7131281065471795])),
    RadarModel("RADAR_BACK_LEFT", np.array([-0.562, 0.628, 0.53]), np.array([0.04876260733128922, 0.0, 0.0, 0.9988103964848657])),
    RadarModel("RADAR_BACK_RIGHT", np.array([-0.562, -0.618, 0.53]), np.array([0.0339401344459428, 0.0, 0.0, -0.9994238676726663])),
)

# Radar cross-section (dBsm) by Occ3D class: typical values for 77 GHz automotive radar (cars ~10 dBsm,
# pedestrians ~-8 dBsm, trucks and buses ~20 dBsm; Kamann et al. 2018, Schipper et al. 2015).
RCS_DBSM: dict[str, float] = {
    "car": 10.0, "truck": 20.0, "bus": 20.0, "trailer": 18.0, "construction_vehicle": 18.0, "motorcycle": 3.0,
    "bicycle": -2.0, "pedestrian": -8.0, "traffic_cone": -10.0, "barrier": 5.0, "others": 0.0, "manmade": 15.0,
    "vegetation": -5.0,
}
DETECTIONS_PER_M = 0.6  # detections per metre of an object's box length (at least one)
CLUTTER_RATE = 0.03  # fraction of static hits kept as clutter detections
VELOCITY_NOISE = 0.03  # m/s standard deviation (truncated at ±0.08 m/s)
POSITION_NOISE = 0.1  # m standard deviation along and across the ray


@dataclass(frozen=True)
class RadarScan:
    """One scan of one radar at time t (s): `points` (N, 18) float32 in FIELDS order, in the radar's frame;
    `instance` (N,) uint16 world instance of each detection's target (0 for clutter); `ego` the ego pose at t."""

    channel: str
    t: float
    ego: object
    points: np.ndarray
    instance: np.ndarray
    radar: RadarModel


def radar_rays(radar: RadarModel, ego) -> tuple[np.ndarray, np.ndarray]:
    """World rays (M, 6) float32 of a scan's fan and the maximum range (M,) of each (near or far beam)."""
    near = np.arange(-radar.near_half_fov, radar.near_half_fov + 1e-9, radar.azimuth_step)
    far = np.arange(-radar.far_half_fov, radar.far_half_fov + 1e-9, radar.azimuth_step / 2)
    az = np.concatenate([near, far])
    rng_max = np.concatenate([np.full(near.size, radar.near_range), np.full(far.size, radar.far_range)])
    d = np.stack([np.cos(az), np.sin(az), np.zeros_like(az)], axis=1)
    r2e = radar.radar2ego
    rot = ego.rotation @ r2e[:3, :3]
    rays = np.empty((az.size, 6), np.float32)
    rays[:, :3] = ego.to_world(r2e[:3, 3][None])[0]
    rays[:, 3:] = d @ rot.T
    return rays, rng_max


def scan_radar(scene, radar: RadarModel, world, t: float, seed: int = 0) -> RadarScan:
    """The detections of `radar` at time t against `scene` (agents posed at t)."""
    ego = world.ego_pose(t)
    rays, rmax = radar_rays(radar, ego)
    hits = scene.snapshot(t).cast(rays)
    ok = np.isfinite(hits.distance) & (hits.distance <= rmax) & (hits.distance > 0.2)
    rng = np.random.default_rng([seed & 0xFFFFFFFF, int(round(t * 1e6)) & 0xFFFFFFFFFFFF,
                                 sum(map(ord, radar.channel))])
    states = world.states(t)
    index = {int(i): k for k, i in enumerate(states.instance)}
    picked = []
    for inst in np.unique(hits.instance[ok]):
        rows = np.flatnonzero(ok & (hits.instance == inst))
        if inst == 0:
            static = rows[np.isin(hits.occ3d[rows], [OCC3D_ID["manmade"], OCC3D_ID["vegetation"],
                                                   OCC3D_ID["others"]])]
            keep = static[rng.random(static.size) < CLUTTER_RATE]
        else:
            n = max(1, int(round(DETECTIONS_PER_M * states.size[index[int(inst)], 0])))
            keep = rng.choice(rows, size=min(n, rows.size), replace=False)
        picked.append(np.sort(keep))
    sel = np.concatenate(picked) if picked else np.zeros(0, np.int64)
    pts = hits.points[sel].astype(np.float64)
    inst = hits.instance[sel]
    u = rays[sel, 3:].astype(np.float64)
    u[:, 2] = 0.0
    u /= np.maximum(np.linalg.norm(u, axis=1, keepdims=True), 1e-12)
    # Target velocity (world, planar) and the sensor's own velocity (ego translation + yaw rate × lever arm).
    v_target = np.zeros((sel.size, 3))
    for k, i in enumerate(inst):
        if i:
            v_target[k, :2] = states.velocity[index[int(i)]]
    dt = 1e-3
    e0, e1 = world.ego_pose(t - dt), world.ego_pose(t + dt)
    r2e = radar.radar2ego
    s0, s1 = e0.to_world(r2e[:3, 3][None])[0], e1.to_world(r2e[:3, 3][None])[0]
    v_sensor = (s1 - s0) / (2 * dt)
    noise = lambda n: np.clip(rng.normal(0.0, VELOCITY_NOISE, n), -0.08, 0.08)  # noqa: E731
    v_comp = np.einsum("ij,ij->i", v_target, u) + noise(sel.size)
    v_raw = np.einsum("ij,ij->i", v_target - v_sensor, u) + noise(sel.size)
    # Into the radar frame.
    rot = ego.rotation @ r2e[:3, :3]
    origin = ego.to_world(r2e[:3, 3][None])[0]
    p_r = (pts - origin) @ rot
    p_r[:, :2] += rng.normal(0.0, POSITION_NOISE, (sel.size, 2))
    u_r = u @ rot
    out = np.zeros((sel.size, len(FIELDS)), np.float32)
    out[:, 0], out[:, 1], out[:, 2] = p_r[:, 0], p_r[:, 1], 0.0
    out[:, 3] = np.where(np.abs(v_comp) > 0.5, 0, 1)  # dyn_prop: 0 moving, 1 stationary
    out[:, 4] = np.arange(sel.size)
    cls_rcs = np.array([RCS_DBSM.get(_OCC3D_NAME[c], 0.0) for c in hits.occ3d[sel]])
    out[:, 5] = np.round((cls_rcs + rng.normal(0.0, 3.0, sel.size)) * 2) / 2  # 0.5 dBsm steps
    out[:, 6], out[:, 7] = v_raw * u_r[:, 0], v_raw * u_r[:, 1]
    out[:, 8], out[:, 9] = v_comp * u_r[:, 0], v_comp * u_r[:, 1]
    out[:, 10] = 1  # is_quality_valid
    out[:, 11] = 3  # ambig_state: unambiguous
    out[:, 12], out[:, 13] = 19, 19  # x_rms, y_rms codes (about 0.1-0.2 m)
    out[:, 14] = 0  # invalid_state: valid
    out[:, 15] = 1  # pdh0: false-alarm probability < 25 %
    out[:, 16], out[:, 17] = 17, 3  # vx_rms, vy_rms codes
    return RadarScan(radar.channel, float(t), ego, out, inst.astype(np.uint16), radar)


def radar_to_world(scan: RadarScan) -> np.ndarray:
    """World xyz (N, 3) float64 of a scan's detections (at the radar's mounting height)."""
    r2e = scan.radar.radar2ego
    p = scan.points[:, :3].astype(np.float64) @ r2e[:3, :3].T + r2e[:3, 3]
    return scan.ego.to_world(p)

