"""Bicycles and motorcycles, with or without a seated rider. Built at the box's own size in metres (wheels on
z = 0, facing +x)."""
from __future__ import annotations

from .materials import CLOTH, LIGHT, METAL, PAINT, PLASTIC, PLATE, TYRE
from .mesh import Builder
from .people import _wheel_ring, body


def build_bicycle(variant: str, size, rng, **_) -> Builder:
    L, W, H = size
    b = Builder()
    rider = variant == "with_rider"
    frame_h = 0.55 * H if rider else 0.9 * H
    r = min(0.19 * L, 0.4 * frame_h)
    xr, xf = -L / 2 + r, L / 2 - r
    _wheel_ring(b, xr, 0, r, 0.035)
    _wheel_ring(b, xf, 0, r, 0.035)
    bb = (xr + 0.42 * (xf - xr), 0.0, 0.85 * r)  # bottom bracket
    seat = (xr + 0.3 * (xf - xr), 0.0, 0.95 * frame_h)
    head = (xf - 0.18 * (xf - xr), 0.0, 0.92 * frame_h)
    tube = 0.018
    for p, q in ((bb, seat), (bb, head), (seat, head), ((xr, 0, r), bb), ((xr, 0, r), seat), ((xf, 0, r), head)):
        b.limb(p, q, tube, tube, PAINT, segments=6)
    b.box((seat[0] - 0.12, -0.06, seat[2]), (seat[0] + 0.1, 0.06, seat[2] + 0.05), PLASTIC)  # saddle
    bar = (head[0] - 0.05, 0.0, head[2] + 0.08 * frame_h)
    b.limb(head, bar, tube, tube, METAL, segments=6)
    b.limb((bar[0], -W / 2 + 0.03, bar[2]), (bar[0], W / 2 - 0.03, bar[2]), 0.015, 0.015, METAL, segments=6)
    b.box((bar[0] - 0.03, -0.04, bar[2] - 0.09), (bar[0] + 0.01, 0.04, bar[2] - 0.04), LIGHT)
    if rider:
        body(b, (H - seat[2] - 0.06) / 0.5, seated={"hip": (seat[0], 0, seat[2] + 0.06), "hands": (bar[0], W / 2 - 0.06, bar[2]),
                     "feet": (bb[0] + 0.05, 0.1, 0.35 * r)})
    return b


def build_motorcycle(variant: str, size, rng, **_) -> Builder:
    L, W, H = size
    b = Builder()
    rider = variant == "with_rider"
    top = 0.62 * H if rider else H
    r = min(0.15 * L, 0.3 * top)
    xr, xf = -L / 2 + r, L / 2 - r
    for x in (xr, xf):
        b.frustum((x, -0.07, r), (x, 0.07, r), r, r, TYRE, segments=14)
        b.frustum((x, -0.075, r), (x, 0.075, r), 0.45 * r, 0.45 * r, METAL, segments=10)
    b.box((xr + 0.6 * r, -0.16, 0.7 * r), (xf - 0.7 * r, 0.16, 1.5 * r), METAL)  # engine
    b.prism([(xr + 0.2 * r, 1.5 * r), (xf - 0.9 * r, 1.5 * r), (xf - 1.1 * r, 0.8 * top), (xr, 0.72 * top)],
            -0.14, 0.14, PAINT)  # tank and seat
    b.box((xr - 0.2 * r, -0.12, 0.68 * top), (xr + 1.8 * r, 0.12, 0.75 * top), CLOTH)  # seat
    b.limb((xf, 0, r), (xf - 0.4 * r, 0, 0.9 * top), 0.035, 0.035, METAL, segments=6)  # fork
    b.limb((xf - 0.45 * r, -W / 2 + 0.04, 0.93 * top), (xf - 0.45 * r, W / 2 - 0.04, 0.93 * top), 0.02, 0.02,
           METAL, segments=6)
    b.box((xf - 0.35 * r, -0.1, 0.72 * top), (xf - 0.15 * r, 0.1, 0.86 * top), LIGHT)
    b.box((xr - 0.15 * r, -0.08, 1.5 * r), (xr - 0.05 * r, 0.08, 1.5 * r + 0.12), PLATE)
    b.limb((xr + 0.3 * r, 0.18, 0.6 * r), (xr - 0.3 * r, 0.18, 0.9 * r), 0.045, 0.05, METAL, segments=6)  # exhaust
    if rider:
        body(b, (H - 0.75 * top - 0.04) / 0.5, seated={"hip": (xr + 1.2 * r, 0, 0.75 * top + 0.04), "hands": (xf - 0.5 * r, W / 2 - 0.08, 0.93 * top),
                           "feet": (xr + 2.2 * r, 0.18, 0.9 * r)})
    return b
