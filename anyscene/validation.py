"""Validating a layout: the layout-side checks (`anyscene.layout.validate`) and the scene checks that need
compiled geometry (`anyscene.world.checks`), run as one.

`validate_layout` checks a parsed layout; `validate_world` checks the layout of an already compiled World
(reusing its road geometry and agent tracks, so a generation compiles each layout once); `compile_valid`
does both steps for a generation: check, compile once, check the rest. Issues come in file order.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from .errors import Issue, LayoutError
from .layout.schema import Layout
from .layout.validate import check_layout_language, failed, raise_if_failed
from .layout.yamlio import SourceMap, load_layout

__all__ = ["validate_layout", "validate_world", "compile_valid", "check_layout", "check_layout_file",
           "load_valid", "load_valid_layout", "ValidLayout", "failed"]


def validate_layout(layout: Layout, source: SourceMap, file: str) -> list[Issue]:
    """Every issue of a parsed layout (errors and warnings), located with `source`, in file order."""
    return _checked(layout, source, file)[0]


def validate_world(world, source: SourceMap, file: str) -> list[Issue]:
    """Every issue of the layout of a compiled `World`, reusing its roads and agent tracks."""
    from .world.checks import check_scene

    lc = check_layout_language(world.layout, source, file, roads=world.roads)
    check_scene(world.layout, lc, world.agents)
    return lc.findings.sorted()


def compile_valid(layout: Layout, source: SourceMap, file: str, strict: bool = False):
    """(World, issues) of a layout that passes (LayoutError when it fails), compiled once: the layout-side
    checks run first, then the roads and agent tracks the checks compiled become the World (its static
    rasters are built only after the map's size has passed)."""
    from .world import World
    from .world.agents import compile_agents
    from .world.checks import check_scene

    lc = check_layout_language(layout, source, file)
    if not lc.complete:  # some part cannot be compiled: report everything found on the sound parts
        check_scene(layout, lc)
        raise LayoutError(lc.findings.sorted())
    tracks = compile_agents(layout, lc.roads)
    check_scene(layout, lc, tracks)
    issues = lc.findings.sorted()
    raise_if_failed(issues, strict)
    return World.compile(layout, roads=lc.roads, agents=tracks), issues


def check_layout(layout: Layout, strict: bool = False, file: str = "<layout>") -> Layout:
    """Validate an in-memory layout (no source file: messages name field paths); raise LayoutError on errors,
    or on warnings too when `strict`. Returns the layout."""
    raise_if_failed(validate_layout(layout, {}, file), strict)
    return layout


def check_layout_file(path: str | Path, strict: bool = False) -> Layout:
    """Load and validate a layout file; raise LayoutError (FILE:LINE:COL messages) if it fails."""
    layout, source = load_layout(path)
    raise_if_failed(validate_layout(layout, source, str(path)), strict)
    return layout


@dataclasses.dataclass(frozen=True)
class ValidLayout:
    """A layout that passed, its warnings, and what its checks compiled: the road geometry and the agent
    tracks, from which `compile()` builds the World without compiling them again."""

    layout: Layout
    issues: list[Issue]
    roads: Any
    agents: list

    def compile(self):
        from .world import World

        return World.compile(self.layout, roads=self.roads, agents=self.agents)


def _checked(layout: Layout, source: SourceMap, file: str) -> tuple[list[Issue], Any, list | None]:
    """(issues, road geometry, agent tracks or None) of a layout: every check, compiling each part once."""
    from .world.agents import compile_agents
    from .world.checks import check_scene

    lc = check_layout_language(layout, source, file)
    tracks = compile_agents(layout, lc.roads) if lc.complete else None
    if tracks is None:
        check_scene(layout, lc)
    else:
        check_scene(layout, lc, tracks)
    return lc.findings.sorted(), lc.roads, tracks


def load_valid(path: str | Path, changes: dict[str, Any] | None = None, strict: bool = False) -> ValidLayout:
    """Read a layout file, apply `changes` (e.g. a `duration` or `seed` given on the command line) and validate
    the result, so a longer duration is checked like one written in the file (issues located at the file's
    lines). Returns the ValidLayout; LayoutError when it fails."""
    layout, source = load_layout(path)
    given = {k: v for k, v in (changes or {}).items() if getattr(layout, k) != v}
    written: list[Issue] = []
    cut = "duration" in given and given["duration"] < layout.duration
    if given:  # the layout as written first, so that only what the changes break is said to come from them
        written = validate_layout(layout, source, str(path))
        raise_if_failed(written, strict)
        layout = dataclasses.replace(layout, **given)
    issues, roads, tracks = _checked(layout, source, str(path))
    if cut:  # a shorter run cuts the motion after its end on purpose: only the file's own such findings stay
        issues = ([i for i in issues if not _after_the_end(i)]
                  + [i for i in written if _after_the_end(i)])
    if given and failed(issues, strict):
        note = ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in given.items())
        issues = [Issue(i.location, f"{i.message} (with {note} given on the command line)", i.severity)
                  for i in issues]
    raise_if_failed(issues, strict)
    return ValidLayout(layout, issues, roads, tracks)


def _after_the_end(issue: Issue) -> bool:
    """A warning about times after the scene's end (waypoints, appear, timeline)."""
    return issue.severity == "warning" and "after the scene's end" in issue.message


def load_valid_layout(path: str | Path, changes: dict[str, Any] | None = None, strict: bool = False
                      ) -> tuple[Layout, list[Issue]]:
    """`load_valid` without the compiled parts: (layout, warnings)."""
    v = load_valid(path, changes, strict)
    return v.layout, v.issues
