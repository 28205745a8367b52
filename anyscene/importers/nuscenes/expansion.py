"""The nuScenes map expansion (`maps/expansion/<location>.json`, read with the devkit's `NuScenesMap`) around the
ego's path: lanes and lane connectors become centreline polylines (`map.lanes`, from the arcline paths),
pedestrian crossings crosswalk polygons, walkways sidewalk areas, car parks parking areas, stop lines
`map.stop_lines`. Polygons keep their outer outline (holes are dropped)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import DatasetError
from ...layout.schema import Area, Crosswalk, LanePath, StopLine

LANE_RESOLUTION = 1.0  # m between centreline points
LAYERS = ("lane", "lane_connector", "ped_crossing", "walkway", "carpark_area", "stop_line")


@dataclass(frozen=True)
class ExpansionMap:
    """What the expansion adds to an imported layout's map (world frame)."""

    lanes: tuple[LanePath, ...]
    crosswalks: tuple[Crosswalk, ...]
    areas: tuple[Area, ...]
    stop_lines: tuple[StopLine, ...]


def expansion_file(dataroot: Path, location: str) -> Path:
    return dataroot / "maps" / "expansion" / f"{location}.json"


def read_expansion(dataroot: Path, location: str, window: tuple[float, float, float, float],
                   origin: tuple[float, float]) -> ExpansionMap:
    """The expansion layers of `location` intersecting global `window` (xmin, ymin, xmax, ymax) m, shifted into
    the world frame (global = world + origin). DatasetError when the file cannot be read."""
    from nuscenes.map_expansion.map_api import NuScenesMap

    path = expansion_file(dataroot, location)
    try:
        nmap = NuScenesMap(dataroot=str(dataroot), map_name=location)
        found = nmap.get_records_in_patch(window, list(LAYERS), mode="intersect")
    except Exception as e:  # the devkit asserts, raises KeyError on dangling tokens, bare Exception on old maps
        raise DatasetError(f"{path}: cannot read the nuScenes map expansion: {type(e).__name__}: {e}") from None
    ox, oy = origin

    def outline(layer: str, token: str) -> tuple | None:
        poly = nmap.extract_polygon(nmap.get(layer, token)["polygon_token"])
        ring = np.asarray(poly.exterior.coords)[:-1]
        pts = tuple((round(float(x) - ox, 3), round(float(y) - oy, 3)) for x, y in ring)
        from shapely.geometry import Polygon

        return pts if len(set(pts)) >= 3 and Polygon(pts).is_valid and Polygon(pts).area > 0 else None

    lane_tokens = list(found["lane"]) + list(found["lane_connector"])
    poses = nmap.discretize_lanes(lane_tokens, LANE_RESOLUTION) if lane_tokens else {}
    lanes = []
    for tok in lane_tokens:
        pts = tuple((round(float(p[0]) - ox, 3), round(float(p[1]) - oy, 3)) for p in poses.get(tok, []))
        pts = tuple(p for k, p in enumerate(pts) if k == 0 or p != pts[k - 1])
        if len(set(pts)) >= 2:
            kind = "lane" if tok in found["lane"] else "lane_connector"
            lanes.append(LanePath(id=f"{kind}_{tok[:8]}", kind=kind, centerline=pts))
    crosswalks = tuple(Crosswalk(id=f"ped_crossing_{t[:8]}", polygon=p) for t in found["ped_crossing"]
                       if (p := outline("ped_crossing", t)) is not None)
    areas = tuple(Area(cls=cls, polygon=p) for layer, cls in (("walkway", "sidewalk"), ("carpark_area", "parking"))
                  for t in found[layer] if (p := outline(layer, t)) is not None)
    stops = tuple(StopLine(id=f"stop_line_{t[:8]}", polygon=p) for t in found["stop_line"]
                  if (p := outline("stop_line", t)) is not None)
    return ExpansionMap(tuple(lanes), crosswalks, areas, stops)
