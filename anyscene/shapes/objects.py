"""Movable objects and animals: traffic cones, barriers (jersey, fence), debris, pushable/pullable objects
(wheelie bins, carts), bicycle racks, dogs and cats. Built at the box's own size in metres (z from the ground)."""
from __future__ import annotations

import numpy as np

from .materials import CONCRETE, FUR, METAL, PLASTIC, REFLECTOR, TYRE
from .mesh import Builder


def build_cone(variant: str, size, rng, **_) -> Builder:
    L, W, H = size
    b = Builder()
    b.box((-L / 2, -W / 2, 0), (L / 2, W / 2, 0.06 * H), PLASTIC)  # square foot
    r0 = 0.36 * min(L, W)
    b.frustum((0, 0, 0.05 * H), (0, 0, H), (r0, r0 * W / L), (0.08 * r0, 0.08 * r0), PLASTIC, segments=12)
    # the retro-reflective collar, 3 mm proud of the cone
    for f0, f1 in ((0.45, 0.6), (0.68, 0.78)):
        ra = r0 * (1 - 0.92 * f0) + 0.003
        rb = r0 * (1 - 0.92 * f1) + 0.003
        b.frustum((0, 0, f0 * H), (0, 0, f1 * H), (ra, ra * W / L), (rb, rb * W / L), REFLECTOR, segments=12)
    return b


def build_barrier(variant: str, size, rng, **_) -> Builder:
    L, W, H = size
    b = Builder()
    if variant == "jersey":  # the profile across the width, extruded along the length
        base = [(-W / 2, 0), (W / 2, 0), (W / 2, 0.08 * H), (0.15 * W, 0.3 * H), (-0.15 * W, 0.3 * H),
                (-W / 2, 0.08 * H)]
        wall = [(-0.15 * W, 0.3 * H), (0.15 * W, 0.3 * H), (0.125 * W, H), (-0.125 * W, H)]
        m = Builder()
        m.prism(base, -L / 2, L / 2, CONCRETE)
        m.prism(wall, -L / 2, L / 2, CONCRETE)
        mesh = m.build()
        v = mesh.vertices[:, [1, 0, 2]]  # profile x -> y, extrusion y -> x
        for p in (0, 1):
            sel = mesh.part == p
            tri = mesh.triangles[sel]
            b.add(v[tri.min():tri.max() + 1], tri - tri.min(), mesh.material[sel])
        b.box((-0.4 * L, -0.3 * W / 2 - 0.004, 0.55 * H), (-0.3 * L, -0.28 * W / 2, 0.7 * H), REFLECTOR)
        return b
    for x in (-0.45 * L, 0.45 * L):  # fence: feet, posts, a mesh panel
        b.box((x - 0.05 * L, -W / 2, 0), (x + 0.05 * L, W / 2, 0.12 * H), CONCRETE)
        b.box((x - 0.02, -0.02, 0.12 * H), (x + 0.02, 0.02, H), METAL)
    b.box((-0.45 * L, -0.01, 0.15 * H), (0.45 * L, 0.01, 0.97 * H), METAL)
    b.box((-0.45 * L, -0.012, 0.75 * H), (0.45 * L, 0.012, 0.9 * H), REFLECTOR)
    return b


def build_debris(variant: str, size, rng, **_) -> Builder:
    L, W, H = size
    b = Builder()
    if variant == "crate":
        b.box((-L / 2, -W / 2, 0), (L / 2, W / 2, H), PLASTIC, yaw=float(rng.uniform(-0.2, 0.2)))
        return b
    n = int(rng.integers(3, 6))
    for _ in range(n):
        r = rng.uniform(0.25, 0.45, 3) * (L / 2, W / 2, H)
        c = (rng.uniform(-L / 2 + r[0], L / 2 - r[0]), rng.uniform(-W / 2 + r[1], W / 2 - r[1]), r[2])
        b.ellipsoid(c, r, CONCRETE, lat=4, lon=6)
    return b


def build_pushable(variant: str, size, rng, **_) -> Builder:
    L, W, H = size
    b = Builder()
    if variant == "wheelie_bin":
        b.prism([(-0.4 * L, 0.06 * H), (0.45 * L, 0.06 * H), (L / 2, 0.9 * H), (-0.45 * L, 0.9 * H)], -W / 2,
                W / 2, PLASTIC)
        b.box((-L / 2, -W / 2, 0.9 * H), (L / 2, W / 2, H), PLASTIC)  # lid
        for s in (-1, 1):
            b.frustum((-0.35 * L, s * 0.4 * W - 0.03, 0.06 * H), (-0.35 * L, s * 0.4 * W + 0.03, 0.06 * H),
                      0.06 * H, 0.06 * H, TYRE, segments=8)
        return b
    b.box((-0.35 * L, -W / 2, 0.3 * H), (L / 2, W / 2, 0.8 * H), METAL)  # cart basket
    for x in (-0.3 * L, 0.4 * L):
        for s in (-1, 1):
            b.frustum((x, s * 0.4 * W - 0.02, 0.05 * H), (x, s * 0.4 * W + 0.02, 0.05 * H), 0.05 * H, 0.05 * H,
                      TYRE, segments=8)
            b.limb((x, s * 0.4 * W, 0.05 * H), (x, s * 0.4 * W, 0.3 * H), 0.015, 0.015, METAL, segments=6)
    b.limb((-0.35 * L, -0.4 * W, 0.8 * H), (-L / 2 + 0.02, -0.4 * W, H - 0.02), 0.015, 0.015, METAL, segments=6)
    b.limb((-0.35 * L, 0.4 * W, 0.8 * H), (-L / 2 + 0.02, 0.4 * W, H - 0.02), 0.015, 0.015, METAL, segments=6)
    b.limb((-L / 2 + 0.02, -0.4 * W, H - 0.02), (-L / 2 + 0.02, 0.4 * W, H - 0.02), 0.02, 0.02, PLASTIC, segments=6)
    return b


def build_rack(variant: str, size, rng, **_) -> Builder:
    L, W, H = size
    b = Builder()
    b.box((-L / 2, -0.04, 0), (L / 2, 0.04, 0.05), METAL)  # base rail
    n = max(2, int(round(L / 0.8)))
    t = 0.025
    for k in range(n):
        x = -L / 2 + 0.15 + k * (L - 0.3) / max(n - 1, 1)
        b.limb((x, -W / 2 + t, 0.0), (x, -W / 2 + t, H - 0.1), t, t, METAL, segments=6)
        b.limb((x, W / 2 - t, 0.0), (x, W / 2 - t, H - 0.1), t, t, METAL, segments=6)
        b.limb((x, -W / 2 + t, H - t), (x, W / 2 - t, H - t), t, t, METAL, segments=6)
    return b


def build_animal(variant: str, size, rng, phase: float | None = None, **_) -> Builder:
    L, W, H = size
    b = Builder()
    body_z = 0.62 * H
    b.ellipsoid((0, 0, body_z), (0.33 * L, 0.42 * W, 0.2 * H), FUR)
    b.ellipsoid((0.36 * L, 0, 0.85 * H), (0.13 * L, 0.3 * W, 0.15 * H), FUR)  # head
    b.limb((0.28 * L, 0, 0.75 * H), (0.34 * L, 0, 0.85 * H), 0.07 * H, 0.06 * H, FUR, segments=6)  # neck
    b.limb((-0.3 * L, 0, 0.7 * H), (-0.48 * L, 0, 0.8 * H if variant == "dog" else 0.95 * H), 0.03 * H, 0.015 * H,
           FUR, segments=6)  # tail
    swing = 0.0 if phase is None else 0.35 * np.sin(phase)
    for i, x in enumerate((0.22 * L, -0.22 * L)):
        for s in (-1, 1):
            a = swing * (1 if (i == 0) == (s > 0) else -1)
            top = np.array([x, s * 0.25 * W, body_z])
            foot = top + 0.6 * H * np.array([np.sin(a), 0, -np.cos(a)])
            b.limb(top, foot, 0.06 * H, 0.04 * H, FUR, segments=6)
    return b
