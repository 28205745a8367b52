"""Sun-shadow rays of a world, cast on the calling thread only (open3d with one thread): the raster renderer's
threads cast them beside the sensors' multi-threaded camera and LiDAR casts without sharing their BVH or their
thread pool (sharing both oversubscribes a small machine badly). Any TriangleMesh the sensors see works."""
from __future__ import annotations

import threading
from types import SimpleNamespace

import numpy as np

from ..sensors.raycast import world_agent_mesh


def _bvh(mesh):
    import open3d as o3d

    scene = o3d.t.geometry.RaycastingScene(nthreads=1)
    if mesh is not None and mesh.num_triangles:
        scene.add_triangles(o3d.core.Tensor(np.ascontiguousarray(mesh.vertices)),
                            o3d.core.Tensor(np.ascontiguousarray(mesh.triangles)))
        return scene
    return None


class ShadowScene:
    """`snapshot(t).cast(rays (N, 6) float32)` -> hits with `.distance` (N,) (inf: the sun is visible), over
    the static mesh and the agents of `world` at t, like the sensors' WorldScene. `static_mesh` is the
    WorldScene's static mesh (anyscene.sensors.raycast.StaticGeometry.mesh)."""

    def __init__(self, world, static_mesh):
        self.world = world
        self.static = _bvh(static_mesh)
        self._local = threading.local()  # each thread keeps the agents' BVH of its last time

    def snapshot(self, t: float) -> "ShadowScene":
        last = getattr(self._local, "last", None)
        if last is None or last[0] != t:
            self._local.last = (t, _bvh(world_agent_mesh(self.world, self.world.states(t))))
        return self

    def cast(self, rays: np.ndarray):
        import open3d as o3d

        rays = o3d.core.Tensor.from_numpy(np.ascontiguousarray(rays, dtype=np.float32))
        dist = np.full(rays.shape[0], np.inf, np.float32)
        for bvh in (self.static, self._local.last[1]):
            if bvh is not None:
                np.minimum(dist, bvh.cast_rays(rays, nthreads=1)["t_hit"].numpy(), out=dist)
        return SimpleNamespace(distance=dist)
