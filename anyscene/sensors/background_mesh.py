"""A reconstructed background (anyscene.world.background) as static triangles of the sensors' mesh."""
from __future__ import annotations

import numpy as np

from ..world.background import Background, background_mesh
from .meshes import TriangleMesh


def background_triangles(bg: Background) -> TriangleMesh:
    """The background's ground quads and surfels, each triangle with its own Occ3D class (instance 0)."""
    m = background_mesh(bg)
    return TriangleMesh(m.vertices, m.triangles, m.occ3d, np.zeros(m.triangles.shape[0], np.uint16), m.normal)
