"""The agent shaders of the raster renderer: vehicles (paint, glass, wheels, lamps by the class's body plan),
people (clothing, skin, hair by height), cycles with their riders, cones and barriers, placed on each agent's
box when the agent states are known."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..classes import AGENT_CLASSES, OCC3D_ID
from .lighting import srgb_to_linear
from .noise import hash01
from .surface import ShadeContext, Surface, apply_material, column, pick_colors, wall_uv

if TYPE_CHECKING:
    from .style import Material

F = np.float32


@dataclass(frozen=True)
class BodyPlan:
    """Where a vehicle class has glass, wheels and cargo: `glass` band as fractions of the height, `cab` m of
    glazed front (None: the whole body), side window `pillar` spacing m (0: one pane), wheel centres `wheels`
    m from the front and rear ends, `cargo`: the part behind the cab keeps the material colour."""

    glass: tuple[float, float]
    cab: float | None
    pillar: float
    wheels: tuple[float, float]
    cargo: bool


BODY: dict[int, BodyPlan] = {
    OCC3D_ID["car"]: BodyPlan((0.6, 0.93), None, 0.0, (0.85, 0.9), False),
    OCC3D_ID["bus"]: BodyPlan((0.4, 0.86), None, 1.5, (2.4, 3.0), False),
    OCC3D_ID["truck"]: BodyPlan((0.5, 0.8), 2.2, 0.0, (1.1, 1.5), True),
    OCC3D_ID["construction_vehicle"]: BodyPlan((0.55, 0.88), 2.6, 0.0, (1.2, 1.4), False),
    OCC3D_ID["trailer"]: BodyPlan((0.0, 0.0), 0.0, 0.0, (-1.0, 1.6), True),
}


def _default_height(cls: int) -> float:
    for c in AGENT_CLASSES.values():
        if OCC3D_ID[c.occ3d] == cls:
            return c.size[2]
    return 1.5


@dataclass(frozen=True)
class Local:
    """Hit points in their agent's box frame (n,) each: x along the length (front +), y across, z above the
    box's bottom (m); the normal's local x and y; the box's length, width and height. Without agent states
    only z (above the ground) and the class's default height are known; the rest is None."""

    x: np.ndarray | None
    y: np.ndarray | None
    z: np.ndarray
    nx: np.ndarray | None
    ny: np.ndarray | None
    length: np.ndarray | None
    width: np.ndarray | None
    height: np.ndarray


def _local(s: Surface, ctx: ShadeContext) -> Local:
    n = s.p.shape[1]
    default = F(_default_height(s.cls))
    if ctx.agents is None or n == 0:
        return Local(None, None, s.p[2].copy(), None, None, None, None, np.full(n, default, np.float32))
    a = ctx.agents
    i = s.inst.astype(np.intp)
    i[i >= len(a.cx)] = 0
    h = a.height.take(i)
    known = h > 0  # pixels of agents the states hold; others keep z above the ground, faces unknown
    c, sn = a.cos.take(i), a.sin.take(i)
    dx, dy = s.p[0] - a.cx.take(i), s.p[1] - a.cy.take(i)
    lx, ly = (c * dx + sn * dy) * known, (c * dy - sn * dx) * known
    nx, ny = (c * s.nrm[0] + sn * s.nrm[1]) * known, (c * s.nrm[1] - sn * s.nrm[0]) * known
    z = np.where(known, s.p[2] - a.bottom.take(i), s.p[2])
    return Local(lx, ly, z, nx, ny, a.length.take(i), a.width.take(i), np.where(known, h, default))


# Vehicle parts other than paint: albedo (sRGB, None: the style's colour), specular, exponent, Fresnel f0,
# night emission (sRGB × strength).
_GLASS, _TRIM, _RIM, _HEAD, _TAIL = 1, 2, 3, 4, 5
_PARTS = {_GLASS: (None, 1.0, 800.0, 0.05, None), _TRIM: (None, 0.05, 2.0, 0.0, None),
          _RIM: ((140, 142, 146), 0.6, 60.0, 0.0, None), _HEAD: ((230, 230, 224), 1.0, 200.0, 0.0, ((255, 250, 235), 3.0)),
          _TAIL: ((150, 14, 16), 1.0, 200.0, 0.0, ((255, 30, 20), 0.6))}


BRAKE_GAIN = 4.0  # tail lamp emission when braking, relative to running


def vehicle(s: Surface, mat: "Material", ctx: ShadeContext) -> None:
    st = ctx.style
    plan = BODY.get(s.cls, BODY[OCC3D_ID["car"]])
    loc = _local(s, ctx)
    zf = loc.z / loc.height
    u, v = wall_uv(s.p, s.nrm)
    g = ctx.noise.grain.nearest(u, v, 0.02, s.foot)
    body = pick_colors(ctx.seed, s.inst, st.palettes[mat.palette], 31) if mat.palette else None
    apply_material(s, mat, g, body)
    s.f0[:] = 0.05  # clear coat
    vert = np.abs(s.nrm[2]) < 0.5
    glass = vert & (zf > plan.glass[0]) & (zf < plan.glass[1])
    part = np.zeros(len(zf), np.uint8)
    part[vert & (loc.z < 0.3)] = _TRIM
    if loc.x is not None:
        lx, ly, ln, wd = loc.x, loc.y, loc.length, loc.width
        front, back, side = vert & (loc.nx > 0.7), vert & (loc.nx < -0.7), vert & (np.abs(loc.ny) > 0.7)
        from_front = ln / 2 - lx
        if plan.cab is not None:
            behind = from_front > plan.cab
            glass &= ~behind
            if plan.cargo and body is not None:
                cargo = np.flatnonzero(behind)
                s.albedo[:, cargo] = column(mat.color) * np.clip(1.0 + mat.jitter * g.take(cargo), 0.05, 3.0)
        glass &= ~side | ((from_front > 0.9) & (lx > -ln / 2 + 0.5))  # A pillar, rear pillar
        glass &= (~front & ~back) | (np.abs(ly) < wd / 2 - 0.12)
        if plan.pillar > 0:
            glass &= ~side | (np.abs(np.modf(from_front / plan.pillar)[0] - 0.5) < 0.45)
        else:
            glass &= ~side | (np.abs(lx + 0.1 * ln) > 0.07)  # B pillar
        # Wheels on the sides (tyres, rims inside), lamps and grille on the ends.
        r = F(mat.scale)
        wx = np.where(lx > 0, ln / 2 - plan.wheels[0], -ln / 2 + plan.wheels[1])
        d = np.hypot(lx - wx, loc.z - r)
        part[side & (d < r)] = _TRIM
        part[side & (d < 0.55 * r)] = _RIM
        part[front & (zf > 0.22) & (zf < 0.42) & (np.abs(ly) < wd / 2 - 0.45)] = _TRIM
        lamp = (zf > 0.45) & (zf < 0.6) & (np.abs(ly) > wd / 2 - 0.42)
        part[front & lamp] = _HEAD
        part[back & lamp] = _TAIL
    part[glass] = _GLASS
    # Everything but paint from small per-part tables: one compaction and a gather per output.
    sel = np.flatnonzero(part)
    if sel.size == 0:
        return
    which = part.take(sel)
    colours = {_GLASS: st.vehicle_glass, _TRIM: st.tire}
    lut = np.zeros((3, 6), np.float32)
    gloss = np.zeros((4, 6), np.float32)
    glow = np.zeros((3, 6), np.float32)
    for k, (rgb, spec, shin, f0, emission) in _PARTS.items():
        lut[:, k] = srgb_to_linear(colours.get(k, rgb))
        gloss[:, k] = spec, shin, f0, 0.0
        if emission is not None:
            glow[:, k] = srgb_to_linear(emission[0]) * F(emission[1] * ctx.night)
    s.albedo[:, sel] = lut.take(which, axis=1)
    s.spec[sel], s.shin[sel], s.f0[sel] = gloss[:3].take(which, axis=1)
    if ctx.night > 0:
        s.emit[:, sel] = glow.take(which, axis=1)
        if ctx.agents is not None:  # lamps off on parked vehicles, tail lamps brighter when braking
            state = ctx.agents.lamps.take(np.minimum(s.inst.take(sel).astype(np.intp), len(ctx.agents.lamps) - 1))
            lamp = (which == _HEAD) | (which == _TAIL)
            s.emit[:, sel] *= np.where(lamp, np.minimum(state, 1.0), 1.0)
            s.emit[:, sel] *= np.where((which == _TAIL) & (state > 1.5), F(BRAKE_GAIN), F(1.0))


def person(s: Surface, mat: "Material", ctx: ShadeContext) -> None:
    st = ctx.style
    loc = _local(s, ctx)
    zf = loc.z / loc.height
    g = ctx.noise.grain.nearest(s.p[0] + s.p[1], s.p[2], mat.scale, s.foot)
    pal = st.palettes[mat.palette] if mat.palette else (mat.color,)
    shirt = pick_colors(ctx.seed, s.inst, pal, 41)
    legs = pick_colors(ctx.seed, s.inst, pal, 42) * F(0.6)
    apply_material(s, mat, g * F(0.5), np.where(zf < 0.5, legs, shirt))
    skin = pick_colors(ctx.seed, s.inst, st.palettes.get("skin", ((200, 160, 130),)), 43)
    hair = pick_colors(ctx.seed, s.inst, ((30, 24, 20), (60, 44, 30), (20, 20, 20), (120, 100, 70)), 44)
    head = zf > 0.86
    s.albedo[:, head] = skin[:, head]
    top = (zf > 0.95) | (head & (zf > 0.9) & (hash01(ctx.seed, s.inst, 45) < 0.5))
    s.albedo[:, top] = hair[:, top]
    s.albedo[:, zf < 0.05] = column((30, 28, 28))


def cycle(s: Surface, mat: "Material", ctx: ShadeContext) -> None:
    """A bicycle or motorcycle with its rider: dark frame and wheels below, clothing above, helmet on top."""
    st = ctx.style
    loc = _local(s, ctx)
    zf = loc.z / loc.height
    g = ctx.noise.grain.nearest(s.p[0] + s.p[1], s.p[2], mat.scale, s.foot)
    apply_material(s, mat, g * F(0.5))
    pal = st.palettes[mat.palette] if mat.palette else (mat.color,)
    rider = pick_colors(ctx.seed, s.inst, pal, 51)
    helmet = pick_colors(ctx.seed, s.inst, st.palettes.get("paint", (mat.color,)), 52)
    up = zf > 0.45
    s.albedo[:, up] = rider[:, up] * np.clip(1.0 + 0.2 * g[up], 0.5, 1.5)
    s.spec[up] = 0.05
    top = zf > 0.86
    s.albedo[:, top] = helmet[:, top]
    s.spec[top] = 0.5


def cone(s: Surface, mat: "Material", ctx: ShadeContext) -> None:
    loc = _local(s, ctx)
    zf = loc.z / loc.height
    apply_material(s, mat, ctx.noise.grain.nearest(s.p[0] + s.p[1], s.p[2], mat.scale, s.foot) * F(0.5))
    s.albedo[:, (zf > 0.45) & (zf < 0.65)] = column((230, 230, 226))
    s.albedo[:, zf < 0.07] = column((30, 30, 30))


def barrier(s: Surface, mat: "Material", ctx: ShadeContext) -> None:
    u, v = wall_uv(s.p, s.nrm)
    loc = _local(s, ctx)
    zf = loc.z / loc.height
    apply_material(s, mat, ctx.noise.grain.nearest(u, v, mat.scale, s.foot) * F(0.5))
    stripe = (zf > 0.55) & (zf < 0.95) & (np.floor((u + loc.z) / F(0.35)).astype(np.int32) % 2 == 0)
    s.albedo[:, stripe] = column((190, 30, 28))
