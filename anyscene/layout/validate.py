"""Layout-side checks of a parsed layout: everything the YAML reader cannot see field by field and that needs
no compiled scene.

`check_layout_language` runs the motion-free checks of `checks.py` (ids, classes, references, polygons,
trajectory forms, names and sizes within the documented limits), builds the road geometry of the sound roads
and checks lane extents. What needs the compiled scene (motion sampled over time, surfaces, overlaps) lives
in `anyscene.world.checks`; `anyscene.validation.validate` runs both. Errors make a layout unusable;
warnings only fail under `strict`.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..errors import Issue, LayoutError
from .checks import Findings, Usable, check_lane_extents, check_structure
from .geometry import RoadGeometry, boxes_overlap, build_road_geometry  # noqa: F401 (boxes_overlap re-exported)
from .schema import Layout
from .yamlio import SourceMap


@dataclass
class LayoutChecks:
    """The layout-side findings, what of the layout is sound enough to compile (`use`), and the road geometry
    of the sound roads and crosswalks."""

    findings: Findings
    use: Usable
    roads: RoadGeometry
    complete: bool  # every part of the layout is sound: a World of the whole layout is what the checks need


def check_layout_language(layout: Layout, source: SourceMap, file: str,
                          roads: RoadGeometry | None = None) -> LayoutChecks:
    """Layout-side checks. `roads`: the road geometry of the whole map when already built (a compiled World's),
    used when every road and crosswalk is sound."""
    f = Findings(source, file, recorded=layout.source is not None)
    use = check_structure(layout, f)
    m = layout.map
    all_roads = len(use.roads) == len(m.roads) and len(use.crosswalks) == len(m.crosswalks)
    if roads is None or not all_roads:
        roads = build_road_geometry(dataclasses.replace(
            m, roads=tuple(m.roads[i] for i in sorted(use.roads)),
            crosswalks=tuple(m.crosswalks[i] for i in sorted(use.crosswalks))))
    check_lane_extents(layout, roads, use, f)
    return LayoutChecks(f, use, roads, use.covers(layout))


def failed(issues: list[Issue], strict: bool) -> bool:
    """Whether these issues make a layout fail: any error, or any warning when strict."""
    return any(i.severity == "error" or strict for i in issues)


def raise_if_failed(issues: list[Issue], strict: bool) -> None:
    """LayoutError carrying `issues` when they make the layout fail."""
    if failed(issues, strict):
        raise LayoutError(issues)
