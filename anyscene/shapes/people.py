"""People as articulated bodies (adult, child, construction worker in hi-vis, police officer), walking with a
gait phase that follows the distance walked or standing still, seated riders for cycles and wheelchairs, and
strollers, wheelchairs and kick scooters. Built at the box's own size in metres (feet on z = 0, facing +x)."""
from __future__ import annotations

import numpy as np

from .materials import CLOTH, HAIR, HIVIS, METAL, PLASTIC, SKIN, TYRE
from .mesh import Builder

STRIDE = 1.4  # m walked per gait cycle (two steps) by an adult of 1.75 m; scales with height
THIGH_SWING = 0.42  # rad peak thigh angle from vertical while walking
ARM_SWING = 0.3  # rad peak arm angle


def gait_phase(distance: float, height: float) -> float:
    """Gait phase (rad, in [0, 2π)) after walking `distance` m for a person `height` m tall."""
    stride = STRIDE * height / 1.75
    return float((2 * np.pi * distance / stride) % (2 * np.pi))


def _bend(a, c, out, frac: float = 0.12):
    """A joint between a and c (3,), pushed sideways by `frac` of their distance along `out` (3,)."""
    a, c = np.asarray(a, float), np.asarray(c, float)
    d = np.linalg.norm(c - a)
    o = np.asarray(out, float)
    return (a + c) / 2 + frac * d * o / np.linalg.norm(o)


def body(b: Builder, H: float, *, phase: float | None = None, seated: dict | None = None, torso=CLOTH,
         legs=CLOTH, head_top=HAIR, child: bool = False, x: float = 0.0, z: float = 0.0) -> None:
    """A person `H` m tall standing at (x, 0, z) facing +x: walking at gait `phase` (rad), standing (None), or
    seated with `seated` = {"hip": (3,), "hands": (3,), "feet": (3,)} joint targets (absolute coordinates)."""
    o = np.array([x, 0.0, z])
    head_r = (0.075 if child else 0.062) * H
    hip_z, sh_z = 0.52 * H, 0.81 * H
    if child:
        hip_z, sh_z = 0.47 * H, 0.77 * H
    hw, sw = 0.085 * H, 0.125 * H  # hip and shoulder half widths
    limb_r = 0.035 * H
    if seated is None:
        a = 0.0 if phase is None else THIGH_SWING * np.sin(phase)
        for side, sgn in ((1, 1.0), (-1, -1.0)):
            th = sgn * a
            hip = o + (0, side * hw * 0.6, hip_z)
            # The knee bends while the leg swings forward (second half of the step).
            flex = 0.0 if phase is None else 0.55 * max(0.0, np.sin(sgn * phase + 0.6))
            lt, ls = 0.25 * H, 0.24 * H
            knee = hip + lt * np.array([np.sin(th), 0, -np.cos(th)])
            ankle = knee + ls * np.array([np.sin(th - flex), 0, -np.cos(th - flex)])
            b.limb(hip, knee, 1.25 * limb_r, limb_r, legs)
            b.limb(knee, ankle, limb_r, 0.75 * limb_r, legs)
            b.box(ankle + (-0.03 * H, -0.03 * H, -0.035 * H), ankle + (0.09 * H, 0.03 * H, 0.01 * H), PLASTIC)
            arm = -sgn * (0.0 if phase is None else ARM_SWING * np.sin(phase))
            sh = o + (0, side * sw, sh_z)
            elbow = sh + 0.17 * H * np.array([np.sin(arm), 0.08 * side, -np.cos(arm)])
            wrist = elbow + 0.16 * H * np.array([np.sin(arm + 0.25 * abs(arm) + 0.1), 0.0, -np.cos(arm + 0.1)])
            b.limb(sh, elbow, 0.8 * limb_r, 0.7 * limb_r, torso)
            b.limb(elbow, wrist, 0.7 * limb_r, 0.55 * limb_r, SKIN)
        pelvis = o + (0, 0, hip_z)
    else:
        pelvis = np.asarray(seated["hip"], float)
        hands, feet = np.asarray(seated["hands"], float), np.asarray(seated["feet"], float)
        sh_z = pelvis[2] + (sh_z - hip_z)
        o = np.array([pelvis[0], 0.0, pelvis[2] - hip_z])
        for side in (1, -1):
            hip = pelvis + (0, side * hw * 0.6, 0)
            foot = feet * (1, 0, 1) + (0, side * max(hw, abs(feet[1])), 0)
            knee = _bend(hip, foot, (1, 0, 0.6), 0.35)
            b.limb(hip, knee, 1.25 * limb_r, limb_r, legs)
            b.limb(knee, foot, limb_r, 0.75 * limb_r, legs)
            sh = o + (pelvis[0] - o[0] + 0.05 * H, side * sw, sh_z)
            hand = hands * (1, 0, 1) + (0, side * max(sw, abs(hands[1])), 0)
            elbow = _bend(sh, hand, (0, 0, -1), 0.2)
            b.limb(sh, elbow, 0.8 * limb_r, 0.7 * limb_r, torso)
            b.limb(elbow, hand, 0.7 * limb_r, 0.55 * limb_r, SKIN)
    lean = (0.05 * H, 0, 0) if seated is not None else (0, 0, 0)
    top = o + (0, 0, sh_z + 0.02 * H) + lean
    b.frustum(pelvis - (0, 0, 0.02 * H), top, (0.075 * H, 0.1 * H), (0.065 * H, 0.135 * H), torso, segments=10)
    neck = top + (0, 0, 0.045 * H)
    b.limb(top - (0, 0, 0.01 * H), neck, 0.03 * H, 0.028 * H, SKIN)
    head = neck + (0, 0, head_r * 1.05)
    b.ellipsoid(head, (head_r * 0.95, head_r * 0.85, head_r * 1.1), SKIN)
    b.ellipsoid(head + (-0.01 * H, 0, 0.35 * head_r), (head_r * 0.95, head_r * 0.88, head_r * 0.8), head_top)


def _person_materials(cls: str, variant: str) -> dict:
    if cls == "construction_worker":
        return dict(torso=HIVIS, head_top=HIVIS)
    if cls == "police_officer":
        return dict(torso=CLOTH, legs=CLOTH, head_top=CLOTH)
    return {}


def build_person(variant: str, size, rng, cls: str = "pedestrian", phase: float | None = None, **_) -> Builder:
    L, W, H = size
    b = Builder()
    mats = _person_materials(cls, variant)
    body(b, H, phase=phase, child=cls == "child", **mats)
    if variant == "backpack":
        b.box((-0.2 * H, -0.09 * H, 0.58 * H), (-0.085 * H, 0.09 * H, 0.8 * H), CLOTH)
    elif variant == "coat":
        b.frustum((0, 0, 0.4 * H), (0, 0, 0.62 * H), (0.09 * H, 0.115 * H), (0.08 * H, 0.11 * H), CLOTH, segments=10)
    return b


def _wheel_ring(b: Builder, x: float, y: float, r: float, width: float, material=TYRE, segments: int = 14) -> None:
    """A spoked wheel seen by a LiDAR: a rim of `segments` short blocks (open in the middle) and a hub."""
    ang = 2 * np.pi * np.arange(segments) / segments
    t = 0.08 * r + 0.012
    for a0 in ang:
        a1 = a0 + 2 * np.pi / segments
        p0 = np.array([x + r * np.cos(a0), y, r + r * np.sin(a0)])
        p1 = np.array([x + r * np.cos(a1), y, r + r * np.sin(a1)])
        mid = (p0 + p1) / 2
        d = (p1 - p0) / 2 * 1.08
        b.frustum(mid - d, mid + d, (t, width / 2), (t, width / 2), material, segments=4)
    b.frustum((x, y - width / 2, r), (x, y + width / 2, r), 0.12 * r, 0.12 * r, METAL, segments=8)


def build_stroller(variant: str, size, rng, **_) -> Builder:
    L, W, H = size
    b = Builder()
    r = 0.1 * H
    for xw in (-0.35 * L, 0.3 * L):
        for s in (-1, 1):
            b.frustum((xw, s * 0.4 * W - 0.02, r), (xw, s * 0.4 * W + 0.02, r), r, r, TYRE, segments=10)
    b.box((-0.3 * L, -0.38 * W, 0.35 * H), (0.25 * L, 0.38 * W, 0.7 * H), CLOTH)  # basket
    b.prism([(-0.3 * L, 0.65 * H), (0.0, 0.7 * H), (-0.1 * L, 0.95 * H), (-0.3 * L, 0.95 * H)],
            -0.4 * W, 0.4 * W, CLOTH)  # hood
    for s in (-1, 1):
        b.limb((-0.35 * L, s * 0.4 * W, r), (-0.45 * L, s * 0.35 * W, H - 0.03), 0.015, 0.015, METAL, segments=6)
        b.limb((0.3 * L, s * 0.4 * W, r), (-0.1 * L, s * 0.38 * W, 0.4 * H), 0.015, 0.015, METAL, segments=6)
    b.limb((-0.46 * L, -0.4 * W, H - 0.02), (-0.46 * L, 0.4 * W, H - 0.02), 0.02, 0.02, PLASTIC, segments=6)
    return b


def build_wheelchair(variant: str, size, rng, phase=None, **_) -> Builder:
    L, W, H = size
    b = Builder()
    R = 0.25 * H
    for s in (-1, 1):
        _wheel_ring(b, -0.15 * L, s * (W / 2 - 0.03), R, 0.035)
        b.frustum((0.35 * L, s * 0.35 * W - 0.02, 0.06), (0.35 * L, s * 0.35 * W + 0.02, 0.06), 0.06, 0.06, TYRE,
                  segments=8)
    b.box((-0.25 * L, -0.35 * W, 0.38 * H), (0.2 * L, 0.35 * W, 0.42 * H), CLOTH)  # seat
    b.box((-0.3 * L, -0.35 * W, 0.4 * H), (-0.25 * L, 0.35 * W, 0.75 * H), CLOTH)  # back
    for s in (-1, 1):
        b.limb((-0.15 * L, s * 0.35 * W, R), (0.35 * L, s * 0.35 * W, 0.06), 0.015, 0.015, METAL, segments=6)
    body(b, 0.58 * H / 0.5, seated={"hip": (-0.15 * L, 0, 0.42 * H), "hands": (0.0, 0.3 * W, 0.4 * H),
                              "feet": (0.38 * L, 0.12 * W, 0.1 * H)})
    return b


def build_scooter(variant: str, size, rng, phase=None, **_) -> Builder:
    L, W, H = size
    b = Builder()
    r = 0.07 * H
    for xw in (-0.4 * L, 0.4 * L):
        b.frustum((xw, -0.02, r), (xw, 0.02, r), r, r, TYRE, segments=10)
    b.box((-0.38 * L, -0.07, r), (0.3 * L, 0.07, r + 0.04), PLASTIC)  # deck
    b.limb((0.4 * L, 0, r), (0.35 * L, 0, 0.62 * H), 0.02, 0.02, METAL, segments=6)
    b.limb((0.35 * L, -0.25 * W, 0.62 * H), (0.35 * L, 0.25 * W, 0.62 * H), 0.015, 0.015, PLASTIC, segments=6)
    body(b, 0.98 * H - r, z=r + 0.04)
    return b
