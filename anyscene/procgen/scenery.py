"""The static dressing of a procedural scene: buildings along the roadsides, street furniture and trees,
and parked vehicles on parking strips. Everything is placed clear of roads, sidewalk walking space and
crossings, and reserved so moving agents keep away from it."""
from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import Polygon
from shapely.ops import unary_union

from ..classes import AGENT_CLASSES
from ..layout.schema import Building, Prop
from ..world.static import STATIC_PROPS, prop_footprint
from .config import SamplerConfig
from .network import Network
from .paths import Path
from .planner import Planner
from .vehicles import pick
TREE_SIZE = (1.4, 1.4)  # m: footprint of a procedural tree (trunk and the lower crown)


def _road_frame(net: Network, rid: str) -> Path:
    return Path.of(net.roads.centerlines[rid])


def place_buildings(net: Network, cfg: SamplerConfig, rng: np.random.Generator) -> list[Building]:
    """Rows of buildings set back from the sidewalks, where they overlap nothing else."""
    keep_clear = unary_union([net.roads.drivable, net.roads.sidewalks, net.junction_area,
                              *[a for a in _area_polys(net)]]).buffer(1.0)
    urban = net.blueprint.urban
    out: list[Building] = []
    placed = []
    for r in net.map.roads:
        if r.sidewalk <= 0 or r.id == net.blueprint.ring:
            continue
        frame = _road_frame(net, r.id)
        right, left = -r.lanes.forward * r.lane_width - r.sidewalk, r.lanes.backward * r.lane_width + r.sidewalk
        for edge, sgn in ((right, -1.0), (left, 1.0)):
            if rng.random() >= (max(cfg.roads.building_share, 0.9) if urban else cfg.roads.building_share):
                continue
            s = float(rng.uniform(2.0, 15.0))
            while s < frame.length - 10.0:
                front = float(rng.uniform(12.0, 35.0))
                depth = float(rng.uniform(10.0, 22.0))
                setback = float(rng.uniform(1.2, 2.0) if urban else rng.uniform(3.0, 9.0))
                height = float(rng.uniform(10.0, 32.0) if urban else rng.uniform(5.0, 22.0))
                s1 = min(s + front, frame.length - 2.0)
                (p0, p1), (t0, t1) = frame.at([s, s1])
                n0, n1 = np.array([-t0[1], t0[0]]), np.array([-t1[1], t1[0]])
                d0, d1 = edge + sgn * setback, edge + sgn * (setback + depth)
                quad = np.array([p0 + n0 * d0, p1 + n1 * d0, p1 + n1 * d1, p0 + n0 * d1])
                poly = Polygon(quad)
                if not poly.is_valid or poly.area < 50.0:
                    s = s1 + 3.0
                    continue
                if sgn > 0:
                    quad = quad[::-1]
                if not poly.intersects(keep_clear) and not any(poly.buffer(1.0).intersects(q) for q in placed):
                    placed.append(poly)
                    out.append(Building(id=f"building_{len(out) + 1}",
                                        footprint=tuple((round(float(x), 2), round(float(y), 2)) for x, y in quad),
                                        height=round(height, 1)))
                s = s1 + float(rng.uniform(0.5, 3.0) if urban else rng.uniform(3.0, 12.0))
    return out


def _area_polys(net: Network) -> list:
    return [Polygon(a.polygon) for a in net.map.areas]


def place_parked(planner: Planner, net: Network, cfg: SamplerConfig, rng: np.random.Generator) -> int:
    """Parked vehicles along the parking strips, head to tail with gaps, clear of crosswalks."""
    if cfg.density.parked_cars <= 0 or not any(v > 0 for v in cfg.parked_classes.values()):
        return 0
    cw = unary_union(list(net.roads.crosswalks.values())).buffer(2.5) if net.roads.crosswalks else None
    mean = 100.0 / cfg.density.parked_cars
    placed = 0
    for key in sorted(net.blueprint.parking):
        lane = net.lanes[key]
        s = float(rng.uniform(2.0, 8.0))
        while True:
            cls = pick(rng, cfg.parked_classes)
            length, width, _ = AGENT_CLASSES[cls].size
            s += length / 2
            if s + length / 2 > lane.length - 2.0:
                break
            (p,), (t,) = lane.at([s])
            yaw = float(np.arctan2(t[1], t[0]))
            n = np.array([-t[1], t[0]])
            xy = p + n * float(rng.uniform(-0.15, 0.15))
            box = prop_footprint(xy, yaw, length, width)
            if (cw is None or not box.intersects(cw)) and planner.accept_static(xy, yaw, length, width):
                planner.props.append(Prop(id=planner.new_id(f"parked_{cls}"), cls=cls,
                                          xy=(round(float(xy[0]), 3), round(float(xy[1]), 3)), yaw=round(yaw, 4)))
                placed += 1
            gap = float(rng.uniform(0.8, 2.0)) + (float(rng.exponential(max(mean - length - 1.4, 0.1)))
                                                  if mean > length + 1.4 else 0.0)
            s += length / 2 + gap
    return placed


def place_props(planner: Planner, net: Network, cfg: SamplerConfig, rng: np.random.Generator, n: int,
                buildings: list[Building]) -> int:
    """`n` street props: poles, signs, hydrants, cones and barriers at the kerb edge of sidewalks, benches at
    their back edge, trees behind the sidewalks (or at the back of wide ones); clear of crossings."""
    if n <= 0 or not any(v > 0 for v in cfg.prop_classes.values()):
        return 0
    roads = [r for r in net.map.roads if r.sidewalk > 0 and r.id != net.blueprint.ring]
    if not roads:
        return 0
    crossings = [c for c in net.crossings]
    avoid = [shapely.geometry.Point(*c.p).buffer(c.half + (c.right * -1 if c.right < 0 else 0) + c.sidewalk + 3.0)
             for c in crossings]
    avoid = unary_union(avoid) if avoid else Polygon()
    side_walk = net.roads.sidewalks
    inner_walk = side_walk.buffer(-0.05)
    shapely.prepare(inner_walk)
    clear = unary_union([net.roads.drivable, net.junction_area.buffer(2.0), *[Polygon(b.footprint) for b in buildings],
                         *_area_polys(net)])
    placed = 0
    for _ in range(n * 3):
        if placed >= n:
            break
        cls = pick(rng, cfg.prop_classes)
        r = roads[int(rng.integers(len(roads)))]
        frame = _road_frame(net, r.id)
        s = float(rng.uniform(3.0, frame.length - 3.0))
        (p,), (t,) = frame.at([s])
        nrm = np.array([-t[1], t[0]])
        sgn = -1.0 if rng.random() < 0.5 else 1.0
        edge = -r.lanes.forward * r.lane_width if sgn < 0 else r.lanes.backward * r.lane_width
        if cls in STATIC_PROPS:
            length, width, _h = STATIC_PROPS[cls][1]
        else:
            length, width, _h = AGENT_CLASSES[cls].size
        if cls == "tree":
            length, width = TREE_SIZE
            behind = r.sidewalk < 3.5 or rng.random() < 0.5
            off = r.sidewalk + (float(rng.uniform(1.5, 3.0)) if behind else -0.5 - width / 2)
            region_ok = "outside" if behind else "sidewalk"
        elif cls == "bench":
            off, region_ok = r.sidewalk - 0.35 - width / 2, "sidewalk"
        else:
            off, region_ok = 0.35 + width / 2, "sidewalk"
        yaw = float(np.arctan2(t[1], t[0]))
        xy = p + nrm * (edge + sgn * off)
        box = prop_footprint(xy, yaw, length, width)
        if box.intersects(avoid):
            continue
        if region_ok == "sidewalk" and not inner_walk.contains(box):
            continue
        if region_ok == "outside" and (box.buffer(0.5).intersects(clear) or box.intersects(side_walk)):
            continue
        if not planner.accept_static(xy, yaw, length, width):
            continue
        size = (length, width, round(float(rng.uniform(4.0, 8.0)), 1)) if cls == "tree" else None
        planner.props.append(Prop(id=planner.new_id(cls), cls=cls, xy=(round(float(xy[0]), 3), round(float(xy[1]), 3)),
                                  yaw=round(yaw, 4), size=size))
        placed += 1
    return placed
