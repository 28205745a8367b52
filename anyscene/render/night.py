"""Artificial lights of the raster renderer: vehicle headlights, tail and brake lights, and street lamps along the
roads. They light surfaces (spot lights with an inverse-square fall-off, culled by reach on a ground grid) and
glow in the image where they are in view (anyscene.render.camera_fx). They are light only: no geometry, so
no label changes with the time of day.

Intensities are linear radiance units of the raster renderer (the style's sun gives ~3 on a surface facing it):
a light of intensity I lights a surface at distance d facing it with I / d².
"""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

from ..classes import OCC3D_ID
from ..layout.geometry import offset_polyline, polyline_arclength, road_centerline
from .lighting import srgb_to_linear

F = np.float32
# Classes with headlights and tail lights, and their lamps' spacing across the front (0: one central lamp).
LIT_VEHICLES = {OCC3D_ID["car"]: 0.3, OCC3D_ID["bus"]: 0.35, OCC3D_ID["truck"]: 0.35,
                OCC3D_ID["construction_vehicle"]: 0.4, OCC3D_ID["motorcycle"]: 0.0}
HEADLIGHT = (255, 246, 225)  # sRGB colour of halogen/LED low beams
TAIL = (255, 24, 16)
LAMP = (255, 200, 130)  # sodium/warm-white street lamps
HEAD_INTENSITY = 60.0  # low beam on the road 10 m ahead: 60/100 = 0.6, about overcast-day light
TAIL_INTENSITY = 0.4
BRAKE_INTENSITY = 2.0
LAMP_INTENSITY = 12.0  # a lamp 7 m up lights the road under it with ~0.25
LAMP_HEIGHT = 7.0  # m
LAMP_SPACING = 32.0  # m between lamps along a road side
BRAKE_DECEL = 0.8  # m/s² of deceleration above which brake lights are on
CELL = 8.0  # m, the ground grid lights are culled on


@dataclass(frozen=True)
class LightSet:
    """L lights, world frame: `position` (L, 3) m; `direction` (L, 3) unit spot axis; `color` (L, 3) linear RGB
    intensity (irradiance at 1 m on the axis); `cos_outer`, `cos_inner` (L,) the spot cone (-1: everywhere);
    `reach` (L,) m beyond which a light is ignored; `glow` (L,) bool lights whose lamp is drawn when in view;
    `size` (L,) m, the lamp's radius for that glow."""

    position: np.ndarray
    direction: np.ndarray
    color: np.ndarray
    cos_outer: np.ndarray
    cos_inner: np.ndarray
    reach: np.ndarray
    glow: np.ndarray
    size: np.ndarray

    def __len__(self) -> int:
        return int(self.position.shape[0])

    @staticmethod
    def empty() -> "LightSet":
        z3, z = np.zeros((0, 3), F), np.zeros(0, F)
        return LightSet(z3, z3, z3, z, z, z, np.zeros(0, bool), z)

    def scaled(self, factor: float) -> "LightSet":
        """The same lights with intensity × factor."""
        return LightSet(self.position, self.direction, (self.color * F(factor)).astype(F), self.cos_outer,
                        self.cos_inner, self.reach, self.glow, self.size)


def concat_lights(sets: list[LightSet]) -> LightSet:
    sets = [s for s in sets if len(s)]
    if not sets:
        return LightSet.empty()
    return LightSet(*[np.concatenate([getattr(s, f) for s in sets]) for f in
                      ("position", "direction", "color", "cos_outer", "cos_inner", "reach", "glow", "size")])


def _lin(rgb) -> np.ndarray:
    return srgb_to_linear(rgb)


def braking(states, earlier, dt: float) -> np.ndarray:
    """(N,) bool: agents decelerating by more than BRAKE_DECEL between `earlier` (the states dt s before) and
    `states`, from the speeds along each heading (a finite difference of the exact trajectories)."""
    def speed(st):
        return st.velocity[:, 0] * np.cos(st.yaw) + st.velocity[:, 1] * np.sin(st.yaw)

    acc = (speed(states) - speed(earlier)) / max(float(dt), 1e-6)
    return (acc < -BRAKE_DECEL) & (np.abs(speed(states)) > 0.0)


def vehicle_lights(states, brake: np.ndarray | None = None, lit: np.ndarray | None = None) -> LightSet:
    """Headlights (two spots at the front corners, tilted 4° down, or one for motorcycles) and tail lights
    (red, brighter when `brake`) of every present vehicle of `states` (AgentStates) with `lit` (N,) bool True
    (default: all)."""
    n = len(states.instance)
    lit = np.ones(n, bool) if lit is None else np.asarray(lit, bool)
    brake = np.zeros(n, bool) if brake is None else np.asarray(brake, bool)
    spacing = np.array([LIT_VEHICLES.get(int(c), -1.0) for c in states.occ3d])
    idx = np.flatnonzero(states.present & lit & (spacing >= 0))
    if idx.size == 0:
        return LightSet.empty()
    pos, dirs, col, co, ci, reach, size = [], [], [], [], [], [], []
    head, tail = _lin(HEADLIGHT), _lin(TAIL)
    tilt = np.radians(4.0)
    for i in idx:
        length, width, height = states.size[i]
        c, s = np.cos(states.yaw[i]), np.sin(states.yaw[i])
        fwd, left = np.array([c, s]), np.array([-s, c])
        ctr = states.center[i, :2]
        z = states.center[i, 2] - height / 2 + 0.52 * min(height, 2.0)
        sides = (0.0,) if spacing[i] == 0 else (-1.0, 1.0)
        for side in sides:
            off = side * max(width / 2 - spacing[i], 0.1)
            for front in (True, False):
                xy = ctr + fwd * (length / 2 + 0.02) * (1 if front else -1) + left * off
                pos.append((xy[0], xy[1], z))
                d = fwd * (1 if front else -1)
                if front:
                    dirs.append((d[0] * np.cos(tilt), d[1] * np.cos(tilt), -np.sin(tilt)))
                    col.append(head * HEAD_INTENSITY)
                    co.append(np.cos(np.radians(32.0)))
                    ci.append(np.cos(np.radians(12.0)))
                    reach.append(60.0)
                    size.append(0.12)
                else:
                    dirs.append((d[0], d[1], 0.0))
                    col.append(tail * (BRAKE_INTENSITY if brake[i] else TAIL_INTENSITY))
                    co.append(np.cos(np.radians(80.0)))
                    ci.append(np.cos(np.radians(40.0)))
                    reach.append(8.0)
                    size.append(0.08 if brake[i] else 0.05)
    m = len(pos)
    return LightSet(np.asarray(pos, F), np.asarray(dirs, F), np.asarray(col, F), np.asarray(co, F),
                    np.asarray(ci, F), np.asarray(reach, F), np.ones(m, bool), np.asarray(size, F))


def street_lamps(layout, spacing: float = LAMP_SPACING) -> LightSet:
    """Lamps LAMP_HEIGHT m up at the road edges (outside the outermost lane, above the kerb), every `spacing`
    m along each road, staggered between the two sides; wide downward cones."""
    pos = []
    for road in layout.map.roads:
        center = road_centerline(road)
        for k, (lanes, sign) in enumerate(((road.lanes.forward, -1.0), (road.lanes.backward, 1.0))):
            off = sign * (max(lanes, 1) * road.lane_width + 0.6)
            line = offset_polyline(center, off)
            s = polyline_arclength(line)
            if s[-1] < 1.0:
                continue
            at = np.arange(spacing * (0.25 + 0.5 * k), s[-1], spacing)
            pos += [(x, y, LAMP_HEIGHT) for x, y in zip(np.interp(at, s, line[:, 0]), np.interp(at, s, line[:, 1]))]
    m = len(pos)
    if m == 0:
        return LightSet.empty()
    down = np.tile(np.array([0.0, 0.0, -1.0], F), (m, 1))
    return LightSet(np.asarray(pos, F), down, np.tile(_lin(LAMP) * F(LAMP_INTENSITY), (m, 1)).astype(F),
                    np.full(m, np.cos(np.radians(62.0)), F), np.full(m, np.cos(np.radians(35.0)), F),
                    np.full(m, 24.0, F), np.ones(m, bool), np.full(m, 0.25, F))


def scene_lights(world, t: float, lamps: LightSet | None, night: float, on: bool = True, dt: float = 0.25):
    """(lights, lamp states, AgentStates) of `world` at time t (s): every artificial light at strength `night`
    (None by day or when not `on`): the vehicles' (parked ones dark; brake lights from the deceleration over the
    last `dt` s), the recording car's, and the street `lamps` (street_lamps(layout)); lamp states (N,) per agent
    (0 off, 1 on, 2 braking) for the lamp surfaces the materials draw."""
    states = world.states(t)
    parked = np.array([world.track_by_instance[int(i)].parked for i in states.instance], bool)
    step = min(dt, t)
    brake = braking(states, world.states(t - step), step) if step > 0 else np.zeros(len(parked), bool)
    state = np.where(parked, 0.0, np.where(brake, 2.0, 1.0)).astype(np.float32)
    if not on or night <= 0:
        return None, state, states
    own = ego_lights(world.ego_pose(t), world.ego_spec)
    cars = vehicle_lights(states, brake, ~parked)
    return concat_lights([cars, own, lamps if lamps is not None else LightSet.empty()]).scaled(night), state, states


def illuminate(p: np.ndarray, nrm: np.ndarray, lights: LightSet) -> np.ndarray:
    """Irradiance (3, n) float32 the `lights` give surfaces at world points p (3, n) with unit normals nrm
    (3, n): Lambert, the spot cone (smooth between cos_outer and cos_inner), 1/d², fading to 0 at `reach`."""
    n = p.shape[1]
    out = np.zeros((3, n), F)
    if n == 0 or len(lights) == 0:
        return out
    for li, idx in _near(p, lights):
        lp = lights.position[li]
        dx = lp[0] - p[0].take(idx)
        dy = lp[1] - p[1].take(idx)
        dz = lp[2] - p[2].take(idx)
        d2 = dx * dx + dy * dy + dz * dz + F(0.05)
        inv = F(1.0) / np.sqrt(d2)
        dx *= inv
        dy *= inv
        dz *= inv
        ndl = nrm[0].take(idx) * dx + nrm[1].take(idx) * dy + nrm[2].take(idx) * dz
        np.maximum(ndl, 0.0, out=ndl)
        ax = lights.direction[li]
        cone = -(dx * ax[0] + dy * ax[1] + dz * ax[2])
        lo, hi = float(lights.cos_outer[li]), float(lights.cos_inner[li])
        cone = np.clip((cone - F(lo)) * F(1.0 / max(hi - lo, 1e-3)), 0.0, 1.0)
        cone *= cone
        r = float(lights.reach[li])
        fade = np.clip(F(1.0) - d2 * F(1.0 / (r * r)), 0.0, 1.0)
        w = ndl * cone * fade / d2
        for k in range(3):
            out[k, idx] += w * lights.color[li, k]
    return out


def _near(p: np.ndarray, lights: LightSet):
    """(light index, pixel indices) pairs: the pixels of points p (3, n) within each light's reach, found on a
    CELL m ground grid (pixels sorted by cell once, then one range per grid row a light's disc covers)."""
    fx = np.floor(p[0] * F(1.0 / CELL))
    fy = np.floor(p[1] * F(1.0 / CELL))
    ok = np.isfinite(fx) & np.isfinite(fy)
    ix = np.where(ok, fx, 0).astype(np.int64)
    iy = np.where(ok, fy, 0).astype(np.int64)
    x0, y0 = int(ix.min()) - 1, int(iy.min()) - 1
    ny = int(iy.max()) - y0 + 2
    key = (ix - x0) * ny + (iy - y0)
    key[~ok] = -1
    order = np.argsort(key, kind="stable")
    skey = key.take(order)
    nx = int(ix.max()) - x0 + 2
    for li in range(len(lights)):
        lx, ly = float(lights.position[li, 0]), float(lights.position[li, 1])
        r = float(lights.reach[li])
        a0 = max(int(np.floor((lx - r) / CELL)) - x0, 0)
        a1 = min(int(np.floor((lx + r) / CELL)) - x0, nx - 1)
        b0 = max(int(np.floor((ly - r) / CELL)) - y0, 0)
        b1 = min(int(np.floor((ly + r) / CELL)) - y0, ny - 1)
        if a0 > a1 or b0 > b1:
            continue
        rows = np.arange(a0, a1 + 1) * ny
        lo = np.searchsorted(skey, rows + b0, "left")
        hi = np.searchsorted(skey, rows + b1, "right")
        parts = [order[s:e] for s, e in zip(lo, hi) if e > s]
        if parts:
            yield li, np.concatenate(parts) if len(parts) > 1 else parts[0]


def highlights(p: np.ndarray, nrm: np.ndarray, lights: LightSet, eye: np.ndarray, shin: np.ndarray,
               spec: np.ndarray, f0: np.ndarray) -> np.ndarray:
    """Radiance (3, n) float32 of the lights' mirror-like highlights on glossy pixels (Blinn-Phong exponent
    `shin` > 8 or Fresnel `f0` > 0: paint, glass, wet road), strength `spec` + 4·f0: the long reflections of
    headlights and lamps on a wet street."""
    n = p.shape[1]
    out = np.zeros((3, n), F)
    gl = np.flatnonzero((shin > 8.0) | (f0 > 0.0))
    if gl.size == 0 or len(lights) == 0:
        return out
    sub_p = p[:, gl]
    sub_n = nrm[:, gl]
    e = np.maximum(shin.take(gl), F(8.0))
    k_s = spec.take(gl) + F(4.0) * f0.take(gl)
    v = eye[:, None].astype(F) - sub_p
    v /= np.sqrt((v * v).sum(axis=0)) + F(1e-6)
    acc = np.zeros((3, gl.size), F)
    for li, idx in _near(sub_p, lights):
        lp = lights.position[li]
        l_ = lp[:, None] - sub_p[:, idx]
        d2 = (l_ * l_).sum(axis=0) + F(0.05)
        l_ /= np.sqrt(d2)
        hv = l_ + v[:, idx]
        hv /= np.sqrt((hv * hv).sum(axis=0)) + F(1e-6)
        ndh = np.clip((sub_n[:, idx] * hv).sum(axis=0), 1e-4, 1.0)
        ndl = np.clip((sub_n[:, idx] * l_).sum(axis=0), 0.0, 1.0)
        ax = lights.direction[li]
        cone = -(l_[0] * ax[0] + l_[1] * ax[1] + l_[2] * ax[2])
        lo, hi = float(lights.cos_outer[li]), float(lights.cos_inner[li])
        cone = np.clip((cone - F(lo)) * F(1.0 / max(hi - lo, 1e-3)), 0.0, 1.0)
        ei = e.take(idx)
        w = np.exp(ei * np.log(ndh)) * (ei + F(8.0)) * F(1.0 / (8.0 * np.pi)) * ndl * cone / d2 * k_s.take(idx)
        for k in range(3):
            acc[k, idx] += w * lights.color[li, k]
    out[:, gl] = acc
    return out


def ego_lights(pose, ego) -> LightSet:
    """The recording car's own headlights and tail lights at ego pose `pose` (EgoPose), from its layout spec
    `ego` (size, rear overhang): they light the road ahead of the front cameras."""
    length, width, height = (float(v) for v in ego.size)
    center = pose.to_world(np.array([[length / 2 - ego.rear_overhang, 0.0, height / 2]]))[0]
    one = SimpleNamespace(instance=np.array([0]), occ3d=np.array([OCC3D_ID["car"]], np.uint8),
                          center=center[None], size=np.array([[length, width, height]]), yaw=np.array([pose.yaw]),
                          velocity=np.asarray(pose.velocity, float)[None, :2], present=np.array([True]))
    return vehicle_lights(one)
