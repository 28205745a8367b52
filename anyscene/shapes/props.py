"""Static props: poles (street lights, plain poles), signs (rectangular, round), traffic lights, trees (round
crown, conifer), bushes, benches, hydrants and bollards. Built at the box's own size in metres (z from the
ground).

Crowns and bushes are clouds of small leaf clusters (closed convex blobs) with gaps between them, placed by the
shape's seed: a LiDAR beam or camera ray passes through a crown where it meets no cluster, so a crown returns
part of the beams that cross it, not a solid blob.
"""
from __future__ import annotations

import numpy as np

from .materials import BARK, FOLIAGE, LIGHT, METAL, PAINT, PLASTIC, REFLECTOR
from .mesh import Builder

CROWN_FILL = 0.2  # fraction of a crown's volume inside leaf clusters: about a third of the beams cross a 2 m crown
CLUSTER_RADIUS = 0.3  # m, mean leaf-cluster radius at the default tree size


def build_pole(variant: str, size, rng, **_) -> Builder:
    L, W, H = size
    b = Builder()
    r = 0.5 * min(L, W)
    if variant == "plain":
        b.frustum((0, 0, 0), (0, 0, H), r, 0.8 * r, METAL, segments=10)
        return b
    b.frustum((0, 0, 0), (0, 0, 0.92 * H), r, 0.6 * r, METAL, segments=10)
    b.box((-r, -r, 0.9 * H), (r, r, H), LIGHT)  # lamp head
    return b


def build_sign(variant: str, size, rng, **_) -> Builder:
    L, W, H = size
    b = Builder()
    post = 0.5 * min(L, 0.08)
    b.frustum((0, 0, 0), (0, 0, 0.7 * H), post, post, METAL, segments=8)
    if variant == "round":
        r = min(W / 2, 0.3 * H)
        b.frustum((-L / 2, 0, H - r), (L / 2, 0, H - r), r, r, REFLECTOR, segments=16, cap_material=REFLECTOR)
    else:
        b.box((-L / 2, -W / 2, 0.68 * H), (L / 2, W / 2, H), REFLECTOR)
    return b


def leaf_clusters(b: Builder, center, radii, rng, fill: float = CROWN_FILL, radius: float = CLUSTER_RADIUS,
                  taper: float = 0.0) -> None:
    """Add leaf clusters filling about `fill` of the ellipsoid at `center` with semi-axes `radii` (m): small
    ellipsoids of mean radius `radius` at points drawn uniformly inside it (`taper` > 0 narrows it towards the
    top: a cone-like conifer tier)."""
    radii = np.asarray(radii, dtype=np.float64)
    vol = 4.0 / 3.0 * np.pi * float(np.prod(radii)) * (1.0 - 0.5 * taper)
    n = int(np.clip(round(fill * vol / (4.0 / 3.0 * np.pi * radius ** 3)), 6, 400))
    placed = 0
    while placed < n:
        p = rng.uniform(-1.0, 1.0, 3)
        if p @ p > 1.0 or np.hypot(p[0], p[1]) > 1.0 - taper * (p[2] + 1.0) / 2.0:
            continue
        r = radius * rng.uniform(0.6, 1.4) * np.array([1.0, rng.uniform(0.7, 1.3), rng.uniform(0.6, 1.0)])
        b.ellipsoid(np.asarray(center) + p * np.maximum(radii - r, 0.0), tuple(r), FOLIAGE, lat=3, lon=5)
        placed += 1


def build_tree(variant: str, size, rng, **_) -> Builder:
    L, W, H = size
    b = Builder()
    trunk = 0.08 * min(L, W) * rng.uniform(0.8, 1.2)
    scale = (min(L, W) / 2.5) ** 0.5  # clusters grow slowly with the tree, so big crowns get more of them
    if variant == "conifer":
        b.frustum((0, 0, 0), (0, 0, 0.45 * H), trunk, 0.8 * trunk, BARK, segments=8)
        for z0, z1, f in ((0.2, 0.6, 1.0), (0.45, 0.8, 0.75), (0.65, 1.0, 0.5)):
            leaf_clusters(b, (0, 0, (z0 + z1) / 2 * H), (f * L / 2, f * W / 2, (z1 - z0) / 2 * H), rng,
                          radius=CLUSTER_RADIUS * scale, taper=0.7)
        return b
    b.frustum((0, 0, 0), (0, 0, 0.6 * H), trunk, 0.7 * trunk, BARK, segments=8)
    for k in range(3):  # boughs from the trunk into the crown
        a = 2 * np.pi * (k / 3 + rng.uniform(-0.1, 0.1))
        tip = (0.3 * L * np.cos(a), 0.3 * W * np.sin(a), 0.78 * H)
        b.limb((0, 0, 0.5 * H), tip, 0.5 * trunk, 0.3 * trunk, BARK, segments=6)
    leaf_clusters(b, (0, 0, 0.7 * H), (0.5 * L, 0.5 * W, 0.3 * H), rng, radius=CLUSTER_RADIUS * scale)
    return b


def build_bush(variant: str, size, rng, **_) -> Builder:
    L, W, H = size
    b = Builder()
    # denser than a crown: a bush returns most beams, through a few gaps
    leaf_clusters(b, (0, 0, 0.5 * H), (L / 2, W / 2, H / 2), rng, fill=0.55, radius=0.16)
    return b


def build_traffic_light(variant: str, size, rng, **_) -> Builder:
    L, W, H = size
    b = Builder()
    r = 0.18 * min(L, W)
    b.frustum((0, 0, 0), (0, 0, 0.72 * H), r, 0.8 * r, METAL, segments=10)
    hl, hw = 0.45 * L, 0.45 * W
    b.box((-hl, -hw, 0.72 * H), (hl, hw, H), PAINT)  # the signal head
    for k in range(3):  # red, amber, green lamps on the front face, 5 mm proud
        z = (0.78 + 0.08 * k) * H
        b.box((hl, -0.6 * hw, z), (hl + 0.005, 0.6 * hw, z + 0.05 * H), LIGHT)
    return b


def build_bollard(variant: str, size, rng, **_) -> Builder:
    L, W, H = size
    b = Builder()
    r = 0.5 * min(L, W)
    b.frustum((0, 0, 0), (0, 0, 0.8 * H), r, r, METAL, segments=10)
    b.frustum((0, 0, 0.8 * H), (0, 0, 0.9 * H), r, r, REFLECTOR, segments=10)
    b.ellipsoid((0, 0, 0.9 * H), (r, r, 0.1 * H), PLASTIC, lat=3, lon=10)
    return b


def build_bench(variant: str, size, rng, **_) -> Builder:
    L, W, H = size
    b = Builder()
    b.box((-L / 2, -W / 2, 0.45 * H), (L / 2, W / 2 - 0.1 * W, 0.5 * H), PAINT)  # seat
    b.box((-L / 2, W / 2 - 0.1 * W, 0.5 * H), (L / 2, W / 2, H), PAINT)  # back
    for x in (-0.45 * L, 0.45 * L):
        b.box((x - 0.03, -W / 2 + 0.05, 0), (x + 0.03, W / 2, 0.45 * H), METAL)
    return b


def build_hydrant(variant: str, size, rng, **_) -> Builder:
    L, W, H = size
    b = Builder()
    r = 0.35 * min(L, W)
    b.frustum((0, 0, 0), (0, 0, 0.08 * H), 0.5 * min(L, W), 0.5 * min(L, W), PAINT, segments=10)
    b.frustum((0, 0, 0.08 * H), (0, 0, 0.85 * H), r, r, PAINT, segments=10)
    b.ellipsoid((0, 0, 0.85 * H), (r, r, 0.15 * H), PAINT, lat=4, lon=10)
    b.frustum((-L / 2, 0, 0.6 * H), (L / 2, 0, 0.6 * H), 0.25 * r, 0.25 * r, METAL, segments=8)
    b.frustum((0, -W / 2, 0.6 * H), (0, W / 2, 0.6 * H), 0.2 * r, 0.2 * r, METAL, segments=8)
    return b
