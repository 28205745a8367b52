"""The validator's issues as the editor shows them (the issues themselves come from `anyscene.validation`,
the same `anyscene validate` prints): `locate` turns an issue into what the browser needs to show it on the
canvas, the agents involved and the time it happens; `issue_json` is the issue as the API sends it.
"""
from __future__ import annotations

import re

from ..errors import Issue

_TIME = re.compile(r"\bt=(-?\d+(?:\.\d+)?)\s*s")
_QUOTED = re.compile(r"'([^']+)'")
_INDEX = re.compile(r"^(agents|map\.props)\[(\d+)\]")


def locate(issue: Issue, layout) -> dict:
    """The ids (agents, props, "ego") an issue names and the time it happens (s, None when it names none)."""
    ids: list[str] = []
    known = {a.id for a in layout.agents} | {p.id for p in layout.map.props} if layout is not None else set()
    m = _INDEX.match(issue.location.field or "")
    if m and layout is not None:
        i = int(m.group(2))
        seq = layout.agents if m.group(1) == "agents" else layout.map.props
        if i < len(seq):
            ids.append(seq[i].id)
    elif (issue.location.field or "").startswith("ego"):
        ids.append("ego")
    for name in _QUOTED.findall(issue.message):
        if name in known and name not in ids:
            ids.append(name)
    if "the ego" in issue.message and "ego" not in ids:
        ids.append("ego")
    t = _TIME.search(issue.message)
    return {"ids": ids, "t": float(t.group(1)) if t else None}


def issue_json(issue: Issue, layout) -> dict:
    loc = issue.location
    return {"severity": issue.severity, "message": issue.message, "line": loc.line, "col": loc.col,
            "field": loc.field, "text": str(issue), **locate(issue, layout)}
