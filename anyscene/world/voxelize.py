"""Filling agents into an ego-frame grid: the class fills the agent's shape inside its box."""
from __future__ import annotations

import numpy as np

from .grid import GridSpec


def _inside(shape: str, lx: np.ndarray, ly: np.ndarray, lz: np.ndarray, size) -> np.ndarray:
    """Shape membership of box-local coordinates (x along the length, origin at the box centre); the three
    arrays broadcast against each other.

    box: the whole box. cylinder: the upright elliptic cylinder inscribed in it. cone: an elliptic cone
    inscribed in it, full footprint at the bottom, a quarter of it at the top.
    """
    hl, hw, hh = size[0] / 2, size[1] / 2, size[2] / 2
    inz = np.abs(lz) <= hh
    if shape == "box":
        return ((np.abs(lx) <= hl) & (np.abs(ly) <= hw)) & inz
    r2 = (lx / hl) ** 2 + (ly / hw) ** 2
    if shape == "cylinder":
        return (r2 <= 1.0) & inz
    if shape == "cone":
        frac = 1.0 - 0.75 * np.clip((lz + hh) / (2 * hh), 0.0, 1.0)
        return (r2 <= frac * frac) & inz
    raise ValueError(f"unknown shape {shape!r}")


def shape_contains(shape: str, local: np.ndarray, size) -> np.ndarray:
    """Whether box-local points (N, 3) lie inside the agent's shape (see `_inside`)."""
    return _inside(shape, local[:, 0], local[:, 1], local[:, 2], size)


SHAPES = ("box", "cylinder", "cone")  # shape codes used by `fill_agents`


def _candidates(grid: GridSpec, centers: np.ndarray, yaws: np.ndarray, sizes: np.ndarray):
    """The voxels of the grid within each agent's axis-aligned bounding box, all agents at once: (agent (N,)
    int index, idx (N, 3) voxel indices, local (N, 3) voxel centres in the agent's box frame (m), counts (M,)
    candidates per agent, in agent order)."""
    lo = np.array([grid.x_min, grid.y_min, grid.z_min])
    c, s = np.cos(yaws), np.sin(yaws)
    ext = np.stack([np.abs(c) * sizes[:, 0] / 2 + np.abs(s) * sizes[:, 1] / 2,
                    np.abs(s) * sizes[:, 0] / 2 + np.abs(c) * sizes[:, 1] / 2, sizes[:, 2] / 2], axis=1)
    i0 = np.maximum(np.floor((centers - ext - lo) / grid.voxel).astype(np.int64), 0)
    i1 = np.minimum(np.floor((centers + ext - lo) / grid.voxel).astype(np.int64) + 1, np.array(grid.shape))
    dims = np.maximum(i1 - i0, 0)
    counts = dims.prod(axis=1)
    total = int(counts.sum())
    agent = np.repeat(np.arange(len(centers)), counts)
    k = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    dy, dz = dims[agent, 1], dims[agent, 2]
    idx = np.stack([k // (dy * dz), (k // dz) % dy, k % dz], axis=1) + i0[agent]
    rel = lo + grid.voxel * (idx + 0.5) - centers[agent]
    ca, sa = c[agent], s[agent]
    local = np.stack([ca * rel[:, 0] + sa * rel[:, 1], -sa * rel[:, 0] + ca * rel[:, 1], rel[:, 2]], axis=1)
    return agent, idx, local, counts


def _write(grid: GridSpec, semantics: np.ndarray, instances: np.ndarray, flow: np.ndarray | None,
           centers: np.ndarray, agent: np.ndarray, idx: np.ndarray, classes: np.ndarray, instance_ids: np.ndarray,
           velocities: np.ndarray) -> None:
    """Write the voxels `idx` (N, 3) of agents `agent` (N,), plus each agent's centre voxel, in agent order
    (later agents overwrite earlier ones, as one by one would)."""
    lo = np.array([grid.x_min, grid.y_min, grid.z_min])
    own = np.floor((centers - lo) / grid.voxel).astype(np.int64)
    ok = np.all((own >= 0) & (own < np.array(grid.shape)), axis=1)
    agent = np.concatenate([agent, np.flatnonzero(ok)])
    idx = np.concatenate([idx, own[ok]])
    order = np.argsort(agent, kind="stable")
    agent, idx = agent[order], idx[order]
    key = (idx[:, 0], idx[:, 1], idx[:, 2])
    semantics[key] = classes[agent]
    instances[key] = instance_ids[agent]
    if flow is not None:
        flow[key] = velocities[agent]


def fill_agents(grid: GridSpec, semantics: np.ndarray, instances: np.ndarray, flow: np.ndarray | None,
                centers: np.ndarray, yaws: np.ndarray, sizes: np.ndarray, shapes: np.ndarray, classes: np.ndarray,
                instance_ids: np.ndarray, velocities: np.ndarray) -> None:
    """Write M agents into the grid arrays in place, all at once. Inputs are in the ego frame: centers (M, 3)
    m, yaws (M,) rad, sizes (M, 3) (length, width, height) m, shapes (M,) indices into SHAPES, classes (M,)
    Occ3D ids, instance_ids (M,), velocities (M, 2) m/s (written into `flow`).

    An agent occupies every voxel whose centre lies inside its shape (`_inside`), and always the voxel that
    contains its centre, so that thin agents never vanish. Agents are written in order (later ones win where
    shapes touch the same voxel).
    """
    if len(centers) == 0:
        return
    agent, idx, local, counts = _candidates(grid, centers, yaws, sizes)
    total = int(counts.sum())
    if total:
        size = sizes[agent]
        inside = np.zeros(total, dtype=bool)
        for code, name in enumerate(SHAPES):
            sel = np.flatnonzero(shapes[agent] == code)
            if sel.size:
                inside[sel] = _inside(name, local[sel, 0], local[sel, 1], local[sel, 2], size[sel].T)
        agent, idx = agent[inside], idx[inside]
    else:
        agent, idx = np.zeros(0, np.int64), np.zeros((0, 3), np.int64)
    _write(grid, semantics, instances, flow, centers, agent, idx, classes, instance_ids, velocities)


def fill_agent_shapes(grid: GridSpec, semantics: np.ndarray, instances: np.ndarray, flow: np.ndarray | None,
                      centers: np.ndarray, yaws: np.ndarray, sizes: np.ndarray, meshes, classes: np.ndarray,
                      instance_ids: np.ndarray, velocities: np.ndarray) -> None:
    """Write M agents with library shapes into the grid arrays in place (inputs as `fill_agents`, ego frame;
    `meshes` M box-local ShapeMeshes).

    The rule: a voxel is an agent's when its centre lies inside the agent's box and inside the agent's mesh
    (inside one of its closed convex parts), as static structure fills the voxels whose centres it contains;
    and always the voxel that contains the box centre, so that no agent vanishes. Parts thinner than a voxel
    (bicycle tubes, rack hoops) occupy a voxel only where they contain its centre. Agents are written in order
    (later ones win).
    """
    if len(centers) == 0:
        return
    # Candidate voxels of all agents at once (as fill_agents), then each agent's mesh tests its own.
    agent, idx, local, counts = _candidates(grid, centers, yaws, sizes)
    total = int(counts.sum())
    if total:
        keep = np.all(np.abs(local) <= sizes[agent] / 2, axis=1)
        bounds = np.r_[0, np.cumsum(counts)]
        for m in np.flatnonzero(counts):
            a, b = bounds[m], bounds[m + 1]
            sub = np.flatnonzero(keep[a:b]) + a
            if sub.size:
                keep[sub[~meshes[m].contains(local[sub])]] = False
        agent, idx = agent[keep], idx[keep]
    _write(grid, semantics, instances, flow, centers, agent, idx, classes, instance_ids, velocities)
