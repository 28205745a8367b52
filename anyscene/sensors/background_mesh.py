"""A reconstructed background (anyscene.world.background) as static triangles of the sensors' mesh."""
from __future__ import annotations

import numpy as np

from ..world.background import Background, background_mesh
from .meshes import TriangleMesh


def background_triangles(bg: Background) -> TriangleMesh:
    """The background's ground quads and surfels, each triangle with its own Occ3D class (instance 0), its
    recorded corner colours (alpha 255 where a recorded image coloured every corner), its recorded LiDAR intensity
    and the share of LiDAR beams it lets through."""
    m = background_mesh(bg)
    t = m.triangles.shape[0]
    colour = np.zeros((t, 3, 4), np.uint8)
    colour[:, :, :3] = m.vertex_colour[m.triangles]
    colour[m.coloured, :, 3] = 255
    transmit = m.transmit if np.any(m.transmit > 0) else None
    return TriangleMesh(m.vertices, m.triangles, m.occ3d, np.zeros(t, np.uint16), m.normal,
                        colour=colour, intensity=m.intensity.astype(np.float32), transmit=transmit)
