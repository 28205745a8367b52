"""Heavy vehicles: trucks (cab plus cargo box, tank or flatbed), rigid buses and coaches, articulated buses whose
joint bends on curves, trailers, construction vehicles (excavator, loader, dump truck) and ambulances. Built at
the box's own size in metres (x from the rear, z from the ground up)."""
from __future__ import annotations

import numpy as np

from .cars import build_car, wheel
from .materials import CLOTH, GLASS, LIGHT, METAL, PAINT, PLASTIC, PLATE
from .mesh import Builder


def _cab(b: Builder, x0: float, x1: float, W: float, H: float, z0: float) -> None:
    """A truck cab from x0 (back) to x1 (front) and z0 up to H, windscreen sloped, glazed upper half."""
    L = x1 - x0
    hw = W / 2 - 0.01
    b.prism([(x0, z0), (x1, z0), (x1, 0.55 * H), (x1 - 0.12 * L, H), (x0, H)], -hw, hw, PAINT,
            side_materials=[PAINT, PAINT, GLASS, PAINT, PAINT])
    for s in (-1, 1):  # side windows, flush panels
        b.box((x0 + 0.35 * L, s * hw - (0.004 if s > 0 else -0.004), 0.6 * H), (x1 - 0.2 * L, s * (W / 2), 0.9 * H),
              GLASS)
        b.box((x1 - 0.02, s * hw * 0.6, z0 + 0.15), (x1 + 0.005, s * hw * 0.92, z0 + 0.3), LIGHT)
    b.box((x1 - 0.01, -0.26, z0 + 0.05), (x1 + 0.008, 0.26, z0 + 0.16), PLATE)


def _axles(b: Builder, xs, W: float, r: float, width: float = 0.3) -> None:
    for x in xs:
        for s in (-1, 1):
            wheel(b, x, s * (W / 2 - width / 2 - 0.02), r, width)


def build_truck(variant: str, size, rng, **_) -> Builder:
    L, W, H = size
    b = Builder()
    x0 = -L / 2
    r = min(0.16 * H, 0.5)
    cab_len = min(2.3, 0.35 * L)
    z_frame = 0.9 * r
    b.box((x0 + 0.05 * L, -0.35 * W, z_frame), (x0 + L - cab_len, 0.35 * W, z_frame + 0.3), METAL)  # chassis
    _cab(b, x0 + L - cab_len, x0 + L, W, 0.95 * H if variant != "box_truck" else 0.85 * H, z_frame)
    body_x1 = x0 + L - cab_len - 0.1
    if variant == "box_truck":
        b.box((x0, -W / 2, z_frame + 0.3), (body_x1, W / 2, H), METAL)  # aluminium box body
    elif variant == "tanker":
        zc = z_frame + 0.3 + (H - z_frame - 0.3) / 2
        rr = (H - z_frame - 0.3) / 2
        b.frustum((x0, 0, zc), (body_x1, 0, zc), (rr, W / 2 - 0.02), (rr, W / 2 - 0.02), METAL, segments=16)
    else:  # flatbed with a load
        b.box((x0, -W / 2, z_frame + 0.3), (body_x1, W / 2, z_frame + 0.45), METAL)
        lx = (body_x1 - x0) * rng.uniform(0.4, 0.8)
        b.box((x0 + 0.3, -0.4 * W, z_frame + 0.45), (x0 + 0.3 + lx, 0.4 * W, z_frame + 0.45 + 0.4 * (H - z_frame)),
              PLASTIC)
    b.box((x0 - 0.005, -0.45 * W, z_frame), (x0 + 0.02, -0.3 * W, z_frame + 0.2), LIGHT)
    b.box((x0 - 0.005, 0.3 * W, z_frame), (x0 + 0.02, 0.45 * W, z_frame + 0.2), LIGHT)
    _axles(b, (x0 + L - 0.75 * cab_len, x0 + 0.22 * L, x0 + 0.22 * L + 2.2 * r), W, r)
    return b


def _bus_section(b: Builder, x0: float, x1: float, W: float, H: float, clear: float, front: bool, rear: bool,
                 coach: bool = False) -> None:
    hw = W / 2 - 0.006
    b.box((x0, -hw, clear), (x1, hw, H), PAINT)
    wl = 0.62 if coach else 0.45
    for s in (-1, 1):  # the window band, flush panels 6 mm proud
        b.box((x0 + 0.3, s * hw - (0.001 if s > 0 else -0.001), wl * H), (x1 - 0.3, s * W / 2, 0.9 * H), GLASS)
    if front:
        b.box((x1 - 0.004, -hw + 0.1, 0.35 * H), (x1 + 0.006, hw - 0.1, 0.92 * H), GLASS)
        for s in (-1, 1):
            b.box((x1 - 0.01, s * hw * 0.6, clear + 0.2), (x1 + 0.006, s * hw * 0.9, clear + 0.35), LIGHT)
        b.box((x1 - 0.01, -0.26, clear + 0.05), (x1 + 0.008, 0.26, clear + 0.16), PLATE)
    if rear:
        for s in (-1, 1):
            b.box((x0 - 0.006, s * hw * 0.6, clear + 0.4), (x0 + 0.01, s * hw * 0.9, clear + 0.7), LIGHT)


def build_bus(variant: str, size, rng, articulation: float = 0.0, **_) -> Builder:
    """Rigid buses and coaches; `articulation` (rad) bends an articulated bus's rear section at its joint."""
    L, W, H = size
    b = Builder()
    x0 = -L / 2
    r = min(0.15 * H, 0.5)
    clear = 0.7 * r
    if variant != "articulated":
        _bus_section(b, x0, x0 + L, W, H, clear, True, True, coach=variant == "coach")
        _axles(b, (x0 + 0.78 * L, x0 + 0.25 * L), W, r)
        return b
    joint = x0 + 0.42 * L
    _bus_section(b, joint + 0.5, x0 + L, W, H, clear, True, False)
    _axles(b, (x0 + 0.85 * L, joint + 1.3), W, r)
    b.frustum((joint - 0.55, 0, (clear + H) / 2), (joint + 0.55, 0, (clear + H) / 2), (W / 2 - 0.1, (H - clear) / 2 - 0.05),
              (W / 2 - 0.1, (H - clear) / 2 - 0.05), CLOTH, segments=16)  # bellows
    rear = Builder()
    _bus_section(rear, x0, joint - 0.5, W, H, clear, False, True)
    _axles(rear, (x0 + 0.18 * L,), W, r)
    if articulation:
        rear_mesh = rear.build()
        v = rear_mesh.vertices - (joint, 0.0, 0.0)
        c, s = np.cos(articulation), np.sin(articulation)
        v = np.c_[c * v[:, 0] - s * v[:, 1], s * v[:, 0] + c * v[:, 1], v[:, 2]] + (joint, 0.0, 0.0)
        for p in np.unique(rear_mesh.part):
            sel = rear_mesh.part == p
            tri = rear_mesh.triangles[sel]
            used = np.unique(tri)
            remap = np.zeros(v.shape[0], np.int64)
            remap[used] = np.arange(used.size)
            b.add(v[used], remap[tri], rear_mesh.material[sel])
    else:
        _bus_section(b, x0, joint - 0.5, W, H, clear, False, True)
        _axles(b, (x0 + 0.18 * L,), W, r)
    return b


def build_trailer(variant: str, size, rng, **_) -> Builder:
    L, W, H = size
    b = Builder()
    x0 = -L / 2
    r = min(0.14 * H, 0.5)
    deck = 2.3 * r
    b.box((x0, -0.4 * W, 1.4 * r), (x0 + L - 0.3, 0.4 * W, deck), METAL)  # frame
    if variant == "box_trailer":
        b.box((x0, -W / 2, deck), (x0 + L, W / 2, H), METAL)
    elif variant == "tank_trailer":
        rr = (H - deck) / 2
        b.frustum((x0, 0, deck + rr), (x0 + L, 0, deck + rr), (rr, W / 2 - 0.01), (rr, W / 2 - 0.01), METAL, segments=16)
    else:
        b.box((x0, -W / 2, deck), (x0 + L, W / 2, deck + 0.15), METAL)
        n = int(rng.integers(1, 4))
        for k in range(n):
            a = x0 + 0.3 + k * (L - 0.6) / n
            b.box((a, -0.42 * W, deck + 0.15), (a + 0.8 * (L - 0.6) / n, 0.42 * W, deck + 0.15 + rng.uniform(0.4, 0.9) * (H - deck - 0.15)),
                  PLASTIC)
    _axles(b, (x0 + 0.12 * L, x0 + 0.12 * L + 2.2 * r), W, r)
    for s in (-1, 1):  # landing legs near the front
        b.box((x0 + 0.78 * L, s * 0.35 * W - 0.05, 0.0), (x0 + 0.78 * L + 0.12, s * 0.35 * W + 0.05, 1.4 * r), METAL)
        b.box((x0 - 0.006, s * 0.3 * W, 1.5 * r), (x0 + 0.01, s * 0.45 * W, 1.5 * r + 0.15), LIGHT)
    return b


def build_construction(variant: str, size, rng, **_) -> Builder:
    L, W, H = size
    b = Builder()
    x0 = -L / 2
    if variant == "excavator":
        track = [(x0 + 0.1 * L, 0), (x0 + 0.6 * L, 0), (x0 + 0.65 * L, 0.1 * H), (x0 + 0.6 * L, 0.2 * H),
                 (x0 + 0.1 * L, 0.2 * H), (x0 + 0.05 * L, 0.1 * H)]
        b.prism(track, -W / 2, -0.28 * W, PLASTIC)  # tracks
        b.prism(track, 0.28 * W, W / 2, PLASTIC)
        b.box((x0, -0.45 * W, 0.22 * H), (x0 + 0.62 * L, 0.45 * W, 0.45 * H), PAINT)  # house
        b.box((x0 + 0.4 * L, 0.02 * W, 0.45 * H), (x0 + 0.6 * L, 0.42 * W, 0.9 * H), GLASS)  # cab
        b.box((x0 + 0.4 * L, 0.02 * W, 0.9 * H), (x0 + 0.6 * L, 0.42 * W, 0.93 * H), PAINT)
        b.prism([(x0 + 0.55 * L, 0.4 * H), (x0 + 0.62 * L, 0.35 * H), (x0 + 0.85 * L, H), (x0 + 0.8 * L, H)],
                -0.12 * W, -0.02 * W, PAINT)  # boom
        b.prism([(x0 + 0.8 * L, H), (x0 + 0.85 * L, H), (x0 + 0.97 * L, 0.25 * H), (x0 + 0.93 * L, 0.25 * H)],
                -0.12 * W, -0.02 * W, PAINT)  # stick
        b.prism([(x0 + 0.88 * L, 0.05 * H), (x0 + L, 0.05 * H), (x0 + L, 0.3 * H), (x0 + 0.9 * L, 0.25 * H)],
                -0.2 * W, 0.06 * W, METAL)  # bucket
        return b
    r = 0.22 * H if variant == "loader" else 0.17 * H
    if variant == "loader":
        b.box((x0 + 0.05 * L, -0.4 * W, r * 0.7), (x0 + 0.7 * L, 0.4 * W, 0.55 * H), PAINT)
        b.box((x0 + 0.35 * L, -0.35 * W, 0.55 * H), (x0 + 0.65 * L, 0.35 * W, H), GLASS)
        b.box((x0 + 0.35 * L, -0.35 * W, H - 0.05), (x0 + 0.65 * L, 0.35 * W, H), PAINT)
        b.prism([(x0 + 0.85 * L, 0.02 * H), (x0 + L, 0.02 * H), (x0 + L, 0.3 * H), (x0 + 0.88 * L, 0.35 * H)],
                -W / 2, W / 2, METAL)  # bucket
        for s in (-1, 1):
            b.box((x0 + 0.65 * L, s * 0.3 * W - 0.08, 0.25 * H), (x0 + 0.9 * L, s * 0.3 * W + 0.08, 0.45 * H), PAINT)
        _axles(b, (x0 + 0.22 * L, x0 + 0.62 * L), W, r, width=0.45)
        return b
    # dump truck: cab at the front, tipper body behind
    _cab(b, x0 + 0.72 * L, x0 + L, W, 0.85 * H, 1.2 * r)
    b.box((x0 + 0.05 * L, -0.35 * W, 0.9 * r), (x0 + 0.72 * L, 0.35 * W, 1.4 * r), METAL)
    b.prism([(x0, 1.4 * r), (x0 + 0.7 * L, 1.4 * r), (x0 + 0.7 * L, H), (x0 + 0.03 * L, H)], -W / 2, W / 2, PAINT)
    _axles(b, (x0 + 0.85 * L, x0 + 0.2 * L, x0 + 0.2 * L + 2.2 * r), W, r, width=0.4)
    return b


def build_ambulance(variant: str, size, rng, **kw) -> Builder:
    L, W, H = size
    if variant == "ambulance_van":
        b = build_car("van", (L, W, 0.94 * H), rng)
    else:
        b = Builder()
        x0 = -L / 2
        r = min(0.15 * H, 0.42)
        _cab(b, x0 + L - min(1.8, 0.3 * L), x0 + L, W, 0.75 * H, 0.9 * r)
        b.box((x0, -W / 2, 0.9 * r), (x0 + L - min(1.8, 0.3 * L) - 0.05, W / 2, 0.94 * H), PAINT)
        _axles(b, (x0 + L - 0.75 * min(1.8, 0.3 * L), x0 + 0.25 * L), W, r, width=0.25)
    b.box((-L / 2 + 0.6 * L, -0.3 * W, 0.93 * H), (-L / 2 + 0.6 * L + 0.3, 0.3 * W, H), LIGHT)
    return b
