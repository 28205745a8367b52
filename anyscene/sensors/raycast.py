"""Ray casting against what the sensors see, on open3d's RaycastingScene (Embree BVH, multi-threaded).

A *scene* is anything with `snapshot(t) -> SceneSnapshot`: `WorldScene` (a compiled layout world: the static
mesh built once, the agents posed at t) or `VoxelScene` (the exposed faces of a plain occupancy grid, e.g.
Occ3D labels). The camera and LiDAR functions take either.

The static mesh's BVH is built once per world; the agents (a few thousand triangles at most) are meshed anew
per timestamp. A cast then either uses two BVHs, static and agents-only, keeping each ray's nearer hit, or one
BVH of both rebuilt for that timestamp, whichever is cheaper for the number of rays (SceneSnapshot; the costs
are measured by tools/bench_sensors.py). Either way the hits are the same.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..classes import AGENT_CLASSES, FREE, LIDARSEG_INDEX, OCC3D_NAMES, occ3d_to_lidarseg_static
from .meshes import (GROUND_LOOKUP, TriangleMesh, concat_meshes, ground_mesh, posed_shapes, structure_mesh,
                     voxel_mesh)

SMALL_CAST = 4096  # rays below which a cast runs on one thread
GROUND_MARGIN = 1000.0  # m the ground plane reaches beyond the static raster, so views end at the horizon


def num_threads() -> int:
    """Threads for ray casting: the CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class RayHits:
    """First hits of N rays. `distance` (N,) float32 along the ray in units of its direction's length (inf where
    nothing is hit); `occ3d` (N,) uint8 Occ3D ids (FREE where nothing is hit); `instance` (N,) uint16 world
    instance ids (0 for stuff); `normal` (N, 3) float32 world-frame unit surface normals (0 where no hit);
    `points` (N, 3) float32 world-frame hit points (nan where no hit); `material` (N,) uint8 surface material
    ids (anyscene.shapes.materials; 0 "default" for static structure and misses); `recorded` (N,) float32 the
    recorded LiDAR intensity of a hit on a reconstructed background (nan elsewhere), or None when the scene
    holds no recorded surface."""

    distance: np.ndarray
    occ3d: np.ndarray
    instance: np.ndarray
    normal: np.ndarray
    points: np.ndarray
    material: np.ndarray | None = None
    recorded: np.ndarray | None = None

    @property
    def hit(self) -> np.ndarray:
        return np.isfinite(self.distance)


class _Layer:
    """One open3d BVH over one labelled mesh; casts return the hit distance, the triangle (T for a miss)
    and, for smooth meshes, the hit's barycentric coordinates."""

    def __init__(self, mesh: TriangleMesh):
        import open3d as o3d

        self.mesh = mesh
        n = mesh.num_triangles
        # Label tables with one extra row for "no hit".
        self.occ3d = np.append(mesh.occ3d, np.uint8(FREE))
        self.instance = np.append(mesh.instance, np.uint16(0))
        self.normal = np.vstack([mesh.normal, np.zeros((1, 3), np.float32)])
        self.material = np.append(mesh.material if mesh.material is not None else np.zeros(n, np.uint8), np.uint8(0))
        self.recorded = (np.append(mesh.intensity, np.float32(np.nan)).astype(np.float32)
                         if mesh.intensity is not None else None)
        self.smooth = mesh.vertex_normal is not None
        # Triangles whose corner normals differ (curved surfaces): only their hits need interpolation.
        self.curved = np.zeros(n + 1, dtype=bool)
        if self.smooth:
            self.curved[:n] = np.any(np.abs(mesh.vertex_normal - mesh.normal[:, None, :]) > 1e-6, axis=(1, 2))
        self.scene = o3d.t.geometry.RaycastingScene(nthreads=num_threads())
        if n:
            self.scene.add_triangles(o3d.core.Tensor(np.ascontiguousarray(mesh.vertices)),
                                     o3d.core.Tensor(np.ascontiguousarray(mesh.triangles)))
        self.empty = n == 0

    def cast(self, rays: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        import open3d as o3d

        if self.empty:
            n = rays.shape[0]
            return np.full(n, np.inf, np.float32), np.zeros(n, np.uint32), None
        # Small casts run on one thread: spreading a few thousand rays costs more than it saves.
        threads = 1 if rays.shape[0] < SMALL_CAST else num_threads()
        out = self.scene.cast_rays(o3d.core.Tensor.from_numpy(rays), nthreads=threads)
        # Misses carry INVALID_ID (2^32 - 1): clamping maps them onto the extra "no hit" row.
        tri = np.minimum(out["primitive_ids"].numpy(), np.uint32(self.mesh.num_triangles))
        uv = out["primitive_uvs"].numpy() if self.smooth else None
        return out["t_hit"].numpy(), tri, uv

    def smooth_normals(self, tri: np.ndarray, uv: np.ndarray) -> np.ndarray:
        """Normals interpolated from the triangle corners at barycentrics `uv` (M, 2) of triangles `tri`."""
        u, v = uv[:, 0:1], uv[:, 1:2]
        n = np.einsum("mkj,mk->mj", self.mesh.vertex_normal[tri], np.concatenate([1 - u - v, u, v], axis=1))
        n *= (1.0 / np.sqrt(np.einsum("ij,ij->i", n, n)))[:, None]
        return n


class SceneSnapshot:
    """Everything a sensor can hit at one instant, world frame: the `static` layer (shared between snapshots)
    and the `dynamic` mesh of the agents at that instant.

    A cast of N rays either casts the static BVH and a small agents-only BVH and keeps the nearer hit (cost
    ~ N), or builds one BVH of both (cost ~ static triangles, once per snapshot) and casts it once; it picks
    the cheaper from the measured cost ratio (tools/bench_sensors.py), unless `mode` fixes it.
    """

    # BVH build cost per triangle over the cost of casting one ray into a small extra BVH and merging its hits
    # (bench_engine measures the first part at ~7 on 2 cores).
    BUILD_PER_RAY = 8.0

    def __init__(self, static: _Layer, dynamic: TriangleMesh | None, ground, mode: str = "auto"):
        self.static, self.ground, self.mode = static, ground, mode
        self.dynamic = dynamic if dynamic is not None and dynamic.num_triangles else None
        self._agents: _Layer | None = None
        self._merged: _Layer | None = None

    def _layers(self, n_rays: int) -> list[_Layer]:
        if self.dynamic is None:
            return [self.static]
        merge = self.mode == "merged" or (
            self.mode == "auto" and self.static.mesh.num_triangles * self.BUILD_PER_RAY < n_rays)
        if merge or self._merged is not None and self.mode != "split":
            if self._merged is None:
                self._merged = _Layer(concat_meshes([self.static.mesh, self.dynamic]))
            return [self._merged]
        if self._agents is None:
            self._agents = _Layer(self.dynamic)
        return [self.static, self._agents]

    def cast(self, rays: np.ndarray) -> RayHits:
        """First hits of rays (N, 6) float32 [origin xyz, direction xyz], world frame."""
        rays = np.ascontiguousarray(rays, dtype=np.float32)
        first, *rest = self._layers(rays.shape[0])
        t, tri, uv = first.cast(rays)
        occ3d = first.occ3d[tri]
        instance = first.instance[tri]
        material = first.material[tri]
        recorded = first.recorded[tri] if first.recorded is not None else None
        normal = np.take(first.normal, tri, axis=0)
        if first.smooth:
            self._smooth(first, tri, uv, normal)
        for layer in rest:
            ta, tria, uva = layer.cast(rays)
            a = np.flatnonzero(ta < t)
            if a.size:
                ai = tria[a]
                t[a] = ta[a]
                occ3d[a] = layer.occ3d[ai]
                instance[a] = layer.instance[ai]
                material[a] = layer.material[ai]
                if recorded is not None:
                    recorded[a] = layer.recorded[ai] if layer.recorded is not None else np.nan
                normal[a] = layer.normal[ai]
                if layer.smooth:
                    sub = normal[a]
                    self._smooth(layer, ai, uva[a], sub)
                    normal[a] = sub
        points = np.empty((rays.shape[0], 3), np.float32)
        t_nan = np.where(np.isinf(t), np.float32(np.nan), t)  # misses' points come out nan
        for k in range(3):
            np.multiply(rays[:, 3 + k], t_nan, out=points[:, k])
            np.add(points[:, k], rays[:, k], out=points[:, k])
        if self.ground is not None:
            g = np.flatnonzero(occ3d == GROUND_LOOKUP)
            if g.size:
                occ3d[g] = ground_class(self.ground, points[g, 0], points[g, 1])
        return RayHits(t, occ3d, instance, normal, points, material, recorded)

    @staticmethod
    def _smooth(layer: _Layer, tri: np.ndarray, uv: np.ndarray, normal: np.ndarray) -> None:
        """Replace, in place, the normals of hits on curved triangles by the interpolated corner normals."""
        curved = np.flatnonzero(layer.curved[tri])
        if curved.size:
            normal[curved] = layer.smooth_normals(tri[curved], uv[curved])


def ground_class(static_map, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """`static_map.ground_at(x, y)` (the cell containing each point, clamped into the raster) in fewer passes."""
    nx, ny = static_map.ground.shape
    fi = (x - np.float32(static_map.x0)) * np.float32(1.0 / static_map.res)
    fj = (y - np.float32(static_map.y0)) * np.float32(1.0 / static_map.res)
    # Clamping before truncation equals flooring then clamping (as StaticMap.cell_of does).
    i = np.clip(fi, 0, nx - 1, out=fi).astype(np.int32)
    j = np.clip(fj, 0, ny - 1, out=fj).astype(np.int32)
    return static_map.ground[i, j]


@lru_cache(maxsize=1)
def _default_lidarseg() -> np.ndarray:
    """(256,) uint8 lidarseg index of each Occ3D id when nothing more is known about the object: static classes
    by their category, agent classes by the agent class of the same name (car -> vehicle.car)."""
    table = np.zeros(256, np.uint8)
    for occ, idx in occ3d_to_lidarseg_static().items():
        table[occ] = idx
    for i, name in enumerate(OCC3D_NAMES):
        if name in AGENT_CLASSES and i not in occ3d_to_lidarseg_static():
            table[i] = LIDARSEG_INDEX[AGENT_CLASSES[name].category]
    return table


def identity_pose(t: float = 0.0):
    """An EgoPose at the world origin facing +x: the ego frame equals the world frame."""
    from ..world import EgoPose

    return EgoPose(float(t), np.zeros(3), 0.0, np.zeros(2))


def world_agent_mesh(world, states, select: np.ndarray | None = None) -> TriangleMesh:
    """Mesh of the present agents of `states` (= world.states(t)), or of the agent indices `select`: each
    agent's shape from the shape library (anyscene.world.agents.shape_at), posed in its box."""
    from ..world.agents import shape_at

    idx = np.flatnonzero(states.present) if select is None else np.asarray(select, dtype=np.int64)
    shapes = [shape_at(world.track_by_instance[int(states.instance[i])], states, int(i)) for i in idx]
    return posed_shapes(shapes, states.center[idx], states.yaw[idx], states.occ3d[idx], states.instance[idx])


def prop_mesh(props) -> TriangleMesh:
    """World-frame mesh of the static props (anyscene.world.static.StaticProp), each triangle with its prop's
    Occ3D class and material (instance 0: props are stuff)."""
    if not props:
        return TriangleMesh.empty()
    return posed_shapes([p.mesh for p in props], np.stack([p.center for p in props]),
                        np.array([p.yaw for p in props]), np.array([p.occ3d for p in props], np.uint8),
                        np.zeros(len(props), np.uint16))


class StaticGeometry:
    """The static world of a World as one labelled mesh and its BVH, built once: the ground plane (class from
    the ground raster at the hit), the exposed faces of the raised raster columns (buildings, raised areas),
    exactly the columns the occupancy fills, and the static props' shapes (`prop_mesh`). Cameras (ray cast
    and GL), LiDAR and radar all see this one mesh."""

    # Porous surfaces (TriangleMesh.transmit) reach the LiDAR through this many fixed thinnings of the mesh, one
    # per sweep in turn: each keeps a triangle with probability 1 - transmit.
    LIDAR_VARIANTS = 4

    def __init__(self, static_map, mesh: TriangleMesh):
        self.static_map = static_map
        self.mesh = mesh
        self.layer = _Layer(mesh)
        self._lidar_layers: dict[tuple[int, int], _Layer] = {}

    @property
    def porous(self) -> bool:
        """Whether some triangle lets LiDAR beams through."""
        return self.mesh.transmit is not None and bool(np.any(self.mesh.transmit > 0))

    def lidar_layer(self, sweep: int, seed: int = 0) -> _Layer:
        """The static layer LiDAR sweep number `sweep` sees: the whole mesh, or on a porous mesh one of
        LIDAR_VARIANTS thinnings (a triangle kept with probability 1 - transmit, drawn from `seed`), built once."""
        if not self.porous:
            return self.layer
        key = (sweep % self.LIDAR_VARIANTS, seed)
        if key not in self._lidar_layers:
            from .meshes import select_triangles

            u = np.random.default_rng([seed & 0xFFFFFFFF, key[0], 7717]).random(self.mesh.num_triangles)
            self._lidar_layers[key] = _Layer(select_triangles(self.mesh, u >= self.mesh.transmit))
        return self._lidar_layers[key]

    @classmethod
    def build(cls, world, ground_margin: float = GROUND_MARGIN) -> "StaticGeometry":
        """A world with a reconstructed background (`map.background`) gets its ground and surfels instead of
        the flat ground plane."""
        st = world.static
        props = prop_mesh(world.props)
        if world.background is not None:
            from .background_mesh import background_triangles

            mesh = concat_meshes([background_triangles(world.background), structure_mesh(st), props])
        else:
            mesh = concat_meshes([ground_mesh(st.extent, ground_margin), structure_mesh(st), props])
        return cls(st, mesh)


class WorldScene:
    """A compiled World as a ray-castable scene: its static geometry and its agents posed at any time. The ego is
    not part of the scene. `mode` picks how agents and static geometry are cast (see SceneSnapshot): "auto",
    "split" (two BVHs) or "merged" (one BVH rebuilt per timestamp)."""

    def __init__(self, world, static: StaticGeometry | None = None, mode: str = "auto"):
        if mode not in ("auto", "split", "merged"):
            raise ValueError(f"unknown cast mode {mode!r}")
        self.world = world
        self.static = static if static is not None else StaticGeometry.build(world)
        self.mode = mode
        n = max([tr.instance for tr in world.agents], default=0) + 1
        self._lidarseg_of_instance = np.zeros(n, np.uint8)
        for tr in world.agents:
            self._lidarseg_of_instance[tr.instance] = LIDARSEG_INDEX[tr.klass.category]
        self._last: tuple[float, SceneSnapshot] | None = None  # cameras sharing a timestamp share a snapshot

    def snapshot(self, t: float, static: "_Layer | None" = None) -> SceneSnapshot:
        """The scene at time t (s): static geometry (`static`, default the whole static layer; a LiDAR passes
        its own, StaticGeometry.lidar_layer) plus every present agent posed at t."""
        if static is not None and static is not self.static.layer:
            return SceneSnapshot(static, world_agent_mesh(self.world, self.world.states(t)), self.static.static_map,
                                 self.mode)
        if self._last is not None and self._last[0] == t:
            return self._last[1]
        mesh = world_agent_mesh(self.world, self.world.states(t))
        snap = SceneSnapshot(self.static.layer, mesh, self.static.static_map, self.mode)
        self._last = (t, snap)
        return snap

    def lidarseg(self, occ3d: np.ndarray, instance: np.ndarray) -> np.ndarray:
        """nuScenes lidarseg general index (uint8) of hits: agents by their category, stuff by its class."""
        out = _default_lidarseg()[occ3d]
        a = instance > 0
        out[a] = self._lidarseg_of_instance[instance[a]]
        return out


class VoxelScene:
    """A plain occupancy grid (Occ3D labels, or any OccupancyFrame) as a ray-castable scene: the exposed faces
    of its occupied voxels, class and instance per face. `ego` places the grid's (ego) frame in the world frame
    rays are cast in; render cameras with `ego=scene.ego`."""

    def __init__(self, mesh: TriangleMesh, ego):
        self.mesh = mesh
        self.ego = ego
        self._snapshot = SceneSnapshot(_Layer(mesh), None, None)

    @classmethod
    def from_grid(cls, semantics: np.ndarray, grid, instances: np.ndarray | None = None,
                  ego=None) -> "VoxelScene":
        """`semantics` (nx, ny, nz) uint8 Occ3D ids on `grid` (a GridSpec), optional `instances` (same shape,
        uint16); `ego` an EgoPose placing the grid in the world (default: the identity, grid frame = world)."""
        semantics = np.asarray(semantics)
        if semantics.shape != grid.shape:
            raise ValueError(f"semantics shape {semantics.shape} does not match the grid {grid.shape}")
        if ego is None:
            ego = identity_pose()
        mesh = voxel_mesh(semantics, grid, instances)
        r = ego.rotation.astype(np.float32)
        verts = (mesh.vertices.astype(np.float64) @ ego.rotation.T + ego.translation).astype(np.float32)
        mesh = TriangleMesh(verts, mesh.triangles, mesh.occ3d, mesh.instance, mesh.normal @ r.T, None)
        return cls(mesh, ego)

    def snapshot(self, t: float) -> SceneSnapshot:
        """The grid does not move: the same snapshot at every time."""
        return self._snapshot

    def lidarseg(self, occ3d: np.ndarray, instance: np.ndarray) -> np.ndarray:
        return _default_lidarseg()[occ3d]
