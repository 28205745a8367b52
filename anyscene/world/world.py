"""The 4D occupancy world: static rasters compiled once, agents evaluated exactly at any time, and ego-frame
occupancy frames sampled from both."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Iterator

import numpy as np

from ..classes import FREE, OCC3D_ID
from ..layout.geometry import RoadGeometry, build_road_geometry
from ..layout.motion import build_motion
from ..layout.schema import Ego, Layout, Trajectory, Waypoint
from .agents import AgentStates, AgentTrack, HeightTrack, compile_agents, shape_at, states_at
from .grid import GridSpec
from .static import StaticMap, StaticProp, compile_props, compile_static, prop_samples
from .voxelize import SHAPES, fill_agent_shapes

MAP_MARGIN = 80.0  # m around all geometry and trajectories, so ego-centred crops stay on the map
FLAT = np.array([OCC3D_ID[c] for c in ("driveable_surface", "other_flat", "sidewalk", "terrain")])
DEFAULT_EGO = Ego(trajectory=Trajectory(waypoints=(Waypoint(t=0.0, xy=(0.0, 0.0), yaw=0.0),)))


@dataclass(frozen=True)
class EgoPose:
    """The ego's pose at time t (s): its origin (rear-axle centre on the ground) `translation` (3,) m, heading
    `yaw` rad, world-frame `velocity` (2,) m/s, and its attitude `pitch` (about the ego's y axis, positive nose
    down) and `roll` (about its x axis) rad, as nuScenes ego poses: R = Rz(yaw) · Ry(pitch) · Rx(roll). The ego
    frame is x forward, y left, z up."""

    t: float
    translation: np.ndarray
    yaw: float
    velocity: np.ndarray
    pitch: float = 0.0
    roll: float = 0.0

    @property
    def rotation(self) -> np.ndarray:
        """3×3 ego→world rotation."""
        c, s = np.cos(self.yaw), np.sin(self.yaw)
        rz = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
        if self.pitch == 0.0 and self.roll == 0.0:
            return rz
        return rz @ attitude_matrix(self.pitch, self.roll)

    @property
    def quaternion(self) -> np.ndarray:
        """Ego→world rotation as [w, x, y, z]."""
        hy, hp, hr = self.yaw / 2, self.pitch / 2, self.roll / 2
        cy, sy, cp, sp, cr, sr = np.cos(hy), np.sin(hy), np.cos(hp), np.sin(hp), np.cos(hr), np.sin(hr)
        return np.array([cy * cp * cr + sy * sp * sr, cy * cp * sr - sy * sp * cr, cy * sp * cr + sy * cp * sr,
                         sy * cp * cr - cy * sp * sr])

    @property
    def matrix(self) -> np.ndarray:
        """4×4 ego→world transform."""
        m = np.eye(4)
        m[:3, :3], m[:3, 3] = self.rotation, self.translation
        return m

    def to_ego(self, points: np.ndarray) -> np.ndarray:
        """World points (N, 3) into the ego frame."""
        return (np.asarray(points) - self.translation) @ self.rotation

    def to_world(self, points: np.ndarray) -> np.ndarray:
        """Ego points (N, 3) into the world frame."""
        return np.asarray(points) @ self.rotation.T + self.translation

    def vector_to_ego(self, v: np.ndarray) -> np.ndarray:
        """World-frame planar vectors (N, 2) into the ego frame (rotation only)."""
        c, s = np.cos(self.yaw), np.sin(self.yaw)
        v = np.asarray(v)
        return np.stack([c * v[..., 0] + s * v[..., 1], -s * v[..., 0] + c * v[..., 1]], axis=-1)


@dataclass(frozen=True)
class OccupancyFrame:
    """The ego-frame occupancy at time t on `grid`, axis order (x, y, z).

    semantics (nx, ny, nz) uint8 Occ3D ids (17 = free); instances (nx, ny, nz) uint16 agent instance ids (0 for
    stuff and free); flow (nx, ny, nz, 2) float32 ego-frame x/y velocity in m/s of what occupies the voxel
    (world velocity rotated into the ego frame; 0 for static and free voxels).
    """

    t: float
    ego: EgoPose
    grid: GridSpec
    semantics: np.ndarray
    instances: np.ndarray
    flow: np.ndarray


class World:
    """A compiled scene. Build it with `World.compile(layout)`; it holds no per-frame state, so frames can be
    produced in any order and two worlds can live in one process."""

    def __init__(self, layout: Layout, roads: RoadGeometry, static: StaticMap, agents: list[AgentTrack],
                 extent: tuple[float, float, float, float] | None = None,
                 props: tuple[StaticProp, ...] | None = None, background=None):
        self.layout = layout
        self.background = background  # anyscene.world.background.Background of `map.background`, or None
        self.roads = roads
        self.static = static
        # the extent the static rasters were compiled over (their own extent rounds it out to whole cells)
        self.extent = tuple(extent) if extent is not None else static.extent
        self.agents = agents
        # The map's static props as shapes (compiled from the layout when not given).
        self.props = props if props is not None else compile_props(layout.map, layout.seed)
        ego = layout.ego or DEFAULT_EGO
        self.ego_spec = ego
        self._ego_motion = build_motion(ego.trajectory, roads)
        self._ego_attitude = HeightTrack.of(ego.trajectory)
        self._columns: dict[GridSpec, tuple[np.ndarray, np.ndarray]] = {}
        self._shape_codes = np.array([SHAPES.index(a.klass.shape) for a in agents], dtype=np.int64)

    @classmethod
    def compile(cls, layout: Layout, roads: RoadGeometry | None = None, agents: list[AgentTrack] | None = None,
                previous: "World | None" = None) -> "World":
        """Compile a validated layout: road geometry, static rasters and agent tracks.

        `roads` and `agents`, when already built from this layout, are used as they are. `previous` is a world
        compiled before (an editor's last version of the scene): when its map equals this layout's, its road
        geometry, its props and its background are reused (the background file is not read again), and its
        static rasters too when the map's extent is also the same."""
        reuse = previous if previous is not None and previous.layout.map == layout.map else None
        if roads is None:
            roads = reuse.roads if reuse is not None else build_road_geometry(layout.map)
        agents = agents if agents is not None else compile_agents(layout, roads)
        extent = layout.map.extent or default_extent(layout, roads, agents)
        if reuse is not None and reuse.roads is roads and reuse.extent == tuple(extent):
            static = reuse.static
        else:
            static = compile_static(layout.map, roads, extent)
        props, background = None, None  # compiled from the layout by the constructor / read below
        if reuse is not None:  # the same map: its props (when seeded alike) and its background as they are
            props = reuse.props if reuse.layout.seed == layout.seed else None
            background = reuse.background
        elif layout.map.background:
            from .background import load_background

            background = load_background(layout.map.background)
        return cls(layout, roads, static, agents, extent, props=props, background=background)

    @property
    def duration(self) -> float:
        return self.layout.duration

    def ego_pose(self, t: float) -> EgoPose:
        """The ego at time t (s). Before its trajectory starts it drives on at its first velocity (the images of
        a recorded timeline can fire a few milliseconds before t = 0, the first keyframe)."""
        m = self._ego_motion
        t0 = float(getattr(m, "t_start", 0.0))
        s = m.evaluate(np.array([max(float(t), t0)]))
        xy = s.xy[0] + s.velocity[0] * min(float(t) - t0, 0.0)
        z, pitch, roll = self._ego_attitude.at(float(t))
        return EgoPose(float(t), np.array([xy[0], xy[1], z]), float(s.yaw[0]), s.velocity[0].copy(), pitch, roll)

    def states(self, t: float) -> AgentStates:
        """Exact state of every agent at time t."""
        return states_at(self.agents, t)

    @cached_property
    def track_by_instance(self) -> dict[int, AgentTrack]:
        return {a.instance: a for a in self.agents}

    @cached_property
    def prop_samples(self) -> tuple[np.ndarray, np.ndarray]:
        """World-frame volume samples (N, 3) of the static props and their Occ3D ids (N,) (static.prop_samples)."""
        return prop_samples(self.props)

    def _grid_columns(self, grid: GridSpec) -> tuple[np.ndarray, np.ndarray]:
        if grid not in self._columns:
            gx, gy = np.meshgrid(grid.centers(0), grid.centers(1), indexing="ij")
            self._columns[grid] = (gx.ravel(), gy.ravel())
        return self._columns[grid]

    def static_frame(self, ego: EgoPose, grid: GridSpec) -> np.ndarray:
        """Static semantics (nx, ny, nz) uint8 of the ego-frame grid: each voxel centre is transformed into the
        world and takes the class of the static map there."""
        ex, ey = self._grid_columns(grid)
        c, s = np.cos(ego.yaw), np.sin(ego.yaw)
        wx = c * ex - s * ey + ego.translation[0]
        wy = s * ex + c * ey + ego.translation[1]
        i, j, _ = self.static.cell_of(wx, wy)
        ground = self.static.ground[i, j]
        scls = self.static.struct_cls[i, j]
        top = self.static.struct_top[i, j]
        zc = grid.centers(2) + ego.translation[2]
        kg = grid.ground_layer
        sem = np.full((ex.size, grid.nz), FREE, dtype=np.uint8)
        if grid.z_min <= 0.0 < grid.upper[2]:
            sem[:, kg] = ground
        raised = np.flatnonzero(scls != FREE)
        if raised.size:
            cond = (zc[None, :] >= 0.0) & (zc[None, :] <= top[raised, None])
            if grid.z_min <= 0.0 < grid.upper[2]:
                cond[:, kg] = True
            sub = sem[raised]
            sem[raised] = np.where(cond, scls[raised, None], sub)
        if self.background is not None:
            self._write_ground(ego, grid, sem, ex, ey)
        sem = sem.reshape(grid.shape)
        if self.background is not None:
            self._write_samples(ego, grid, sem, *self.structure_samples)
        self._write_props(ego, grid, sem)
        return sem

    @cached_property
    def structure_samples(self) -> tuple[np.ndarray, np.ndarray]:
        """World-frame occupancy samples (N, 3) of the background's structures and their Occ3D ids (N,)
        (background.structure_samples)."""
        from .background import structure_samples

        return structure_samples(self.background)

    def _write_ground(self, ego: EgoPose, grid: GridSpec, sem: np.ndarray, ex: np.ndarray, ey: np.ndarray) -> None:
        """The recorded ground replaces the map's flat ground layer wherever the background has a height: in
        each grid column (N, nz) (ego-frame centres ex, ey) the voxel that holds the recorded ground point under
        it, in the full ego frame (with the ego's pitch and roll), takes the ground cell's class."""
        from .background import ground_cells

        world = ego.to_world(np.stack([ex, ey, np.zeros_like(ex)], axis=1))
        gz, gcls = ground_cells(self.background, world[:, 0], world[:, 1])
        col = np.flatnonzero(np.isfinite(gz))
        if grid.z_min <= 0.0 < grid.upper[2]:
            kg = grid.ground_layer
            sem[col[np.isin(sem[col, kg], FLAT)], kg] = FREE
        world[:, 2] = gz
        k = grid.index_of(ego.to_ego(world[col]))[:, 2]
        ok = (k >= 0) & (k < grid.nz)
        sem[col[ok], k[ok]] = gcls[col[ok]]

    def _write_props(self, ego: EgoPose, grid: GridSpec, sem: np.ndarray) -> None:
        """Write the static props into an ego-frame grid in place: every voxel holding a volume sample of a prop
        takes its class (props stand on the ground and in front of the rasters)."""
        self._write_samples(ego, grid, sem, *self.prop_samples)

    @staticmethod
    def _write_samples(ego: EgoPose, grid: GridSpec, sem: np.ndarray, pts: np.ndarray, cls: np.ndarray) -> None:
        """Every voxel of the ego-frame grid `sem` that holds one of the world points `pts` (N, 3) takes its
        class `cls` (N,) (later points win)."""
        if pts.shape[0] == 0:
            return
        local = ego.to_ego(pts)
        lo = np.array([grid.x_min, grid.y_min, grid.z_min])
        idx = np.floor((local - lo) / grid.voxel).astype(np.int64)
        ok = np.flatnonzero(np.all((idx >= 0) & (idx < np.array(grid.shape)), axis=1))
        if ok.size:
            sem[idx[ok, 0], idx[ok, 1], idx[ok, 2]] = cls[ok]

    def frame(self, t: float, grid: GridSpec = GridSpec(), with_flow: bool = True) -> OccupancyFrame:
        """The occupancy frame at time t on `grid`."""
        ego = self.ego_pose(t)
        sem = self.static_frame(ego, grid)
        inst = np.zeros(grid.shape, dtype=np.uint16)
        flow = np.zeros(grid.shape + (2,), dtype=np.float32) if with_flow else None
        st = self.states(t)
        idx = np.flatnonzero(st.present)
        if idx.size:
            centers = ego.to_ego(st.center[idx])
            yaws = st.yaw[idx] - ego.yaw
            vels = ego.vector_to_ego(st.velocity[idx])
            reach = np.hypot(st.size[idx, 0], st.size[idx, 1]) / 2
            lo, hi = np.array([grid.x_min, grid.y_min]), np.array(grid.upper[:2])
            near = np.all((centers[:, :2] + reach[:, None] >= lo) & (centers[:, :2] - reach[:, None] <= hi), axis=1)
            sel = np.flatnonzero(near)
            a = idx[sel]
            meshes = [shape_at(self.track_by_instance[int(st.instance[i])], st, int(i)) for i in a]
            fill_agent_shapes(grid, sem, inst, flow, centers[sel], yaws[sel], st.size[a], meshes,
                              st.occ3d[a], st.instance[a].astype(np.uint16), vels[sel])
        if flow is None:
            flow = np.zeros((0,), dtype=np.float32)
        return OccupancyFrame(float(t), ego, grid, sem, inst, flow)

    def frames(self, times, grid: GridSpec = GridSpec(), with_flow: bool = True) -> Iterator[OccupancyFrame]:
        """Frames at the given times, one at a time (memory does not grow with their number)."""
        for t in times:
            yield self.frame(float(t), grid, with_flow)


def attitude_matrix(pitch: float, roll: float) -> np.ndarray:
    """3×3 Ry(pitch) · Rx(roll): the ego's attitude relative to its heading."""
    cp, sp, cr, sr = np.cos(pitch), np.sin(pitch), np.cos(roll), np.sin(roll)
    return np.array([[cp, sp * sr, sp * cr], [0.0, cr, -sr], [-sp, cp * sr, cp * cr]])


def frame_times(duration: float, rate: float, start: float = 0.0) -> np.ndarray:
    """Timestamps start, start + 1/rate, ... ≤ duration (s), computed without accumulating rounding."""
    n = int(np.floor((duration - start) * rate + 1e-9)) + 1
    return start + np.arange(n) / rate


def default_extent(layout: Layout, roads: RoadGeometry, agents: list[AgentTrack]) -> tuple[float, ...]:
    """The map extent (xmin, ymin, xmax, ymax) m of a layout whose map gives none: every road, building, area
    and trajectory (agents' and the ego's, sampled at 4 Hz) with MAP_MARGIN around, rounded out to whole
    metres."""
    pts = [np.asarray(c) for c in roads.centerlines.values()]
    pts += [np.asarray(b.footprint) for b in layout.map.buildings]
    pts += [np.asarray(a.polygon) for a in layout.map.areas]
    ts = np.linspace(0.0, layout.duration, max(2, int(layout.duration * 4) + 1))
    for tr in agents:
        pts.append(tr.motion.evaluate(ts).xy)
    ego = layout.ego or DEFAULT_EGO
    pts.append(build_motion(ego.trajectory, roads).evaluate(ts).xy)
    allp = np.vstack(pts)
    lo, hi = allp.min(axis=0) - MAP_MARGIN, allp.max(axis=0) + MAP_MARGIN
    return (float(np.floor(lo[0])), float(np.floor(lo[1])), float(np.ceil(hi[0])), float(np.ceil(hi[1])))
