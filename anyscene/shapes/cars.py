"""Passenger cars (sedan, hatchback, SUV, van, pickup) and police cars: a lower body, a glazed cabin, wheels in
their arches, lights, plates and mirrors. Built at the box's own size in metres (z from the ground up)."""
from __future__ import annotations

import numpy as np

from .materials import GLASS, LIGHT, METAL, PAINT, PLASTIC, PLATE, TYRE
from .mesh import Builder

# Per variant: belt line and clearance (fractions of the height), cabin x range and roof x range (fractions of
# the length from the rear), hood drop at the nose (fraction of height).
_CAR = {
    "sedan": dict(belt=0.52, clear=0.11, cabin=(0.24, 0.70), roof=(0.34, 0.60), nose=0.16, tail=0.10),
    "hatchback": dict(belt=0.52, clear=0.11, cabin=(0.05, 0.70), roof=(0.10, 0.58), nose=0.16, tail=0.04),
    "suv": dict(belt=0.55, clear=0.16, cabin=(0.03, 0.74), roof=(0.05, 0.64), nose=0.10, tail=0.02),
    "van": dict(belt=0.45, clear=0.12, cabin=(0.01, 0.86), roof=(0.02, 0.74), nose=0.12, tail=0.01),
    "pickup": dict(belt=0.55, clear=0.16, cabin=(0.40, 0.74), roof=(0.45, 0.64), nose=0.10, tail=0.02),
}


def wheel(b: Builder, x: float, y: float, r: float, width: float, rim: bool = True) -> None:
    """A tyre (12-sided drum along y) centred at (x, y, r), with a metal hub cap flush on its outer side."""
    b.frustum((x, y - width / 2, r), (x, y + width / 2, r), r, r, TYRE, segments=14)
    if rim:
        out = np.sign(y) if y else 1.0
        b.frustum((x, y + out * (width / 2 - 0.01), r), (x, y + out * width / 2, r), 0.55 * r, 0.55 * r, METAL,
                  segments=10)


def car_body(b: Builder, L: float, W: float, H: float, p: dict, rng, x0: float = 0.0) -> dict:
    """Lower body, cabin, wheels, lights, plates and mirrors of a car whose rear is at x = x0; returns the
    key heights (belt, wheel radius) for add-ons."""
    j = lambda s: 1.0 + rng.uniform(-s, s)  # noqa: E731 (instance variation)
    r = min(0.21 * H * j(0.05), 0.18 * L)
    clear = p["clear"] * H
    belt = p["belt"] * H * j(0.03)
    bw = 0.92 * W / 2  # body half width (mirrors reach the box)
    nose, tail = p["nose"] * H, p["tail"] * H
    prof = [(x0, clear + 0.06 * H), (x0 + 0.03 * L, clear), (x0 + 0.97 * L, clear), (x0 + L, clear + 0.10 * H),
            (x0 + L, belt - nose), (x0 + 0.93 * L, belt), (x0 + 0.04 * L, belt), (x0, belt - tail)]
    b.prism(prof, -bw, bw, PAINT)
    c0, c1 = (x0 + f * L for f in p["cabin"])
    r0, r1 = (x0 + f * L for f in p["roof"])
    cw = 0.86 * bw
    cab = [(c0, belt), (c1, belt), (r1, H), (r0, H)]
    # Edges: bottom (hidden), windscreen, roof, rear window; the side caps are the side windows.
    b.prism(cab, -cw, cw, PAINT, side_materials=[PAINT, GLASS, PAINT, GLASS], cap_material=GLASS)
    b.box((r0 + 0.02 * L, -cw * 0.97, H - 0.03 * H), (r1 - 0.02 * L, cw * 0.97, H), PAINT)  # roof panel
    wx = (x0 + 0.16 * L * j(0.05), x0 + 0.83 * L * j(0.02))
    ww = 0.13 * W
    for x in wx:
        for s in (-1, 1):
            wheel(b, x, s * (bw - ww / 2 + 0.01), r, ww)
    # Lights and plates stand 5 mm proud of the body.
    lz = belt - nose - 0.02 * H
    for s in (-1, 1):
        b.box((x0 + L - 0.03, s * bw * 0.62, lz - 0.07 * H), (x0 + L + 0.005, s * bw * 0.95, lz), LIGHT)
        b.box((x0 - 0.005, s * bw * 0.65, belt - tail - 0.12 * H), (x0 + 0.03, s * bw * 0.95, belt - tail - 0.02 * H),
              LIGHT)
        # mirrors at the front of the cabin
        b.box((c1 - 0.12, s * bw, belt + 0.02 * H), (c1 - 0.02, s * W / 2, belt + 0.10 * H), PLASTIC)
    pz = clear + 0.12 * H
    b.box((x0 + L - 0.01, -0.26, pz), (x0 + L + 0.008, 0.26, pz + 0.11), PLATE)
    b.box((x0 - 0.008, -0.26, pz + 0.05), (x0 + 0.01, 0.26, pz + 0.16), PLATE)
    return {"belt": belt, "r": r, "clear": clear, "bw": bw, "roof": (r0, r1)}


def build_car(variant: str, size, rng, **_) -> Builder:
    L, W, H = size
    b = Builder()
    police = variant.startswith("police_")
    base = variant.removeprefix("police_")
    top = H * (0.93 if police else 1.0)
    k = car_body(b, L, W, top, _CAR[base], rng, x0=-L / 2)
    if base == "pickup":  # open bed behind the cabin: floor, two sides and a tailgate
        x0, x1 = -L / 2 + 0.02 * L, -L / 2 + 0.39 * L
        zb, zt, bw = k["belt"] - 0.12 * H, k["belt"] + 0.02 * H, k["bw"]
        b.box((x0, -bw, zb - 0.05), (x1, bw, zb), PAINT)
        for s in (-1, 1):
            b.box((x0, s * bw - (0.05 if s > 0 else -0.05), zb), (x1, s * bw, zt), PAINT)
        b.box((x0 - 0.02, -bw, zb), (x0 + 0.03, bw, zt), PAINT)
    if police:
        r0, r1 = k["roof"]
        mid = (r0 + r1) / 2
        b.box((mid - 0.15, -0.55 * W / 2, top - 0.01), (mid + 0.15, 0.55 * W / 2, H), LIGHT)
    return b
