"""The one front door of checking a layout: the layout-side checks (`anyscene.layout.validate`) and the scene
checks that need compiled geometry (`anyscene.world.checks`), run as one, each part compiled once.

- `validate(layout, source, file)`: every issue (errors and warnings) of a parsed layout, in file order.
- `check(layout, source, file, strict=...)`: the same, raising LayoutError when the layout fails, else a
  `ValidLayout` whose `compile()` builds the World from the road geometry and agent tracks the checks compiled.
- `load_valid(path, changes, strict=...)`: `check` of a layout file, with command-line changes (a duration, a
  seed) checked as if written in the file.

The editor (`anyscene.editor.checks`), `anyscene validate`, `generate`, `occupancy`, `import` and the sampler
all check through these.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from .errors import Issue
from .layout.geometry import RoadGeometry
from .layout.schema import Layout
from .layout.validate import check_layout_language, failed, raise_if_failed
from .layout.yamlio import SourceMap, load_layout
from .world import World
from .world.agents import AgentTrack, compile_agents
from .world.checks import check_scene

__all__ = ["validate", "check", "load_valid", "ValidLayout"]


@dataclasses.dataclass(frozen=True)
class ValidLayout:
    """A layout that passed, its warnings, and what its checks compiled: the road geometry and the agent
    tracks, from which `compile()` builds the World without compiling them again."""

    layout: Layout
    issues: list[Issue]
    roads: RoadGeometry
    agents: list[AgentTrack]

    def compile(self) -> World:
        return World.compile(self.layout, roads=self.roads, agents=self.agents)


def validate(layout: Layout, source: SourceMap | None = None, file: str = "<layout>") -> list[Issue]:
    """Every issue of a parsed layout (errors and warnings), located with `source` (without one, messages name
    field paths), in file order."""
    return _checked(layout, source or {}, file)[0]


def check(layout: Layout, source: SourceMap | None = None, file: str = "<layout>", *,
          strict: bool = False) -> ValidLayout:
    """The ValidLayout of a layout that passes; LayoutError carrying every issue when it has errors, or
    warnings too when `strict`. The World's static rasters are built only by `compile()`, after the map's size
    has passed."""
    issues, roads, tracks = _checked(layout, source or {}, file)
    raise_if_failed(issues, strict)
    return ValidLayout(layout, issues, roads, tracks)


def load_valid(path: str | Path, changes: dict[str, Any] | None = None, strict: bool = False) -> ValidLayout:
    """Read a layout file, apply `changes` (e.g. a `duration` or `seed` given on the command line) and validate
    the result, so a longer duration is checked like one written in the file (issues located at the file's
    lines). Returns the ValidLayout; LayoutError (FILE:LINE:COL messages) when it fails."""
    layout, source = load_layout(path)
    given = {k: v for k, v in (changes or {}).items() if getattr(layout, k) != v}
    if given:  # the layout as written first, so that only what the changes break is said to come from them
        raise_if_failed(validate(layout, source, str(path)), strict)
        layout = dataclasses.replace(layout, **given)
    issues, roads, tracks = _checked(layout, source, str(path))
    if given and failed(issues, strict):
        note = ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in given.items())
        issues = [Issue(i.location, f"{i.message} (with {note} given on the command line)", i.severity)
                  for i in issues]
    raise_if_failed(issues, strict)
    return ValidLayout(layout, issues, roads, tracks)


def _checked(layout: Layout, source: SourceMap, file: str) -> tuple[list[Issue], RoadGeometry, list | None]:
    """(issues, road geometry, agent tracks or None) of a layout: every check, compiling each part once."""
    lc = check_layout_language(layout, source, file)
    tracks = compile_agents(layout, lc.roads) if lc.complete else None
    if tracks is None:
        check_scene(layout, lc)
    else:
        check_scene(layout, lc, tracks)
    return lc.findings.sorted(), lc.roads, tracks
