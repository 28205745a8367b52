"""Static props: poles (street lights, plain poles), signs (rectangular, round), trees (round crown, conifer),
benches and hydrants. Built at the box's own size in metres (z from the ground)."""
from __future__ import annotations

from .materials import BARK, FOLIAGE, LIGHT, METAL, PAINT, REFLECTOR
from .mesh import Builder


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


def build_tree(variant: str, size, rng, **_) -> Builder:
    L, W, H = size
    b = Builder()
    trunk = 0.08 * min(L, W) * rng.uniform(0.8, 1.2)
    if variant == "conifer":
        b.frustum((0, 0, 0), (0, 0, 0.35 * H), trunk, 0.8 * trunk, BARK, segments=8)
        for k, (z0, z1, f) in enumerate(((0.2, 0.6, 1.0), (0.45, 0.8, 0.75), (0.65, 1.0, 0.5))):
            b.frustum((0, 0, z0 * H), (0, 0, z1 * H), (f * L / 2, f * W / 2), (0.05 * L, 0.05 * W), FOLIAGE,
                      segments=10)
        return b
    b.frustum((0, 0, 0), (0, 0, 0.55 * H), trunk, 0.7 * trunk, BARK, segments=8)
    b.ellipsoid((0, 0, 0.68 * H), (0.5 * L, 0.5 * W, 0.32 * H), FOLIAGE, lat=6, lon=10)
    for _ in range(2):  # lumps on the crown
        c = rng.uniform(-0.15, 0.15, 3) * (L, W, H) + (0, 0, 0.7 * H)
        b.ellipsoid(c, (0.3 * L, 0.3 * W, 0.25 * H), FOLIAGE, lat=5, lon=8)
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
