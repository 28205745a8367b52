"""Edits reach the YAML text through the round-trip tree, and every line the edit did not touch keeps its
bytes (also lines ruamel would re-wrap), for every example layout."""
from __future__ import annotations

import difflib

import pytest

from anyscene.editor.document import Document, merge_text
from anyscene.editor.ops import EditContext, apply_ops
from anyscene.layout import parse_layout
from testdata import ROOT

EXAMPLES = sorted((ROOT / "layouts").glob("*.yaml"))


def _changed_lines(a: str, b: str) -> list[str]:
    return [line for line in difflib.ndiff(a.splitlines(), b.splitlines()) if line[:1] in "+-"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_only_edited_lines_change(path):
    text = path.read_text()
    layout, _ = parse_layout(text)
    doc = Document(text, path.name)
    waypoint_agent = next((a for a in layout.agents if a.trajectory.waypoints), None)
    ops = [{"op": "set_environment", "weather": "rain"}]
    if waypoint_agent is not None:
        ops.append({"op": "set_waypoint", "id": waypoint_agent.id, "index": 0, "xy": [1.25, -2.5]})
    new = doc.edited_text(lambda tree: apply_ops(tree, ops, EditContext()))
    edited, _ = parse_layout(new)
    assert edited.environment.weather == "rain"
    if waypoint_agent is not None:
        assert edited.agent(waypoint_agent.id).trajectory.waypoints[0].xy == (1.25, -2.5)
    # everything else is the same layout, and the same text apart from a few lines
    assert edited.map == layout.map and len(edited.agents) == len(layout.agents)
    changed = _changed_lines(text, new)
    assert len(changed) <= 6, "\n".join(changed)
    comments = [line for line in text.splitlines() if "#" in line]
    assert all(c in new.splitlines() for c in comments if "weather" not in c and "environment" not in c)


def test_merge_keeps_reformatted_neighbours():
    original = ("a: 1  # one\nroads:\n  - {id: r, points: [[0, 0], [1, 1]],\n     width: 3}  # wrapped by hand\n"
                "b: 2\n")
    before = "a: 1  # one\nroads:\n  - {id: r, points: [[0, 0], [1, 1]], width: 3}  # wrapped by hand\nb: 2\n"
    after = "a: 1  # one\nroads:\n  - {id: r, points: [[0, 0], [1, 1]], width: 3}  # wrapped by hand\nb: 5\n"
    merged = merge_text(original, before, after)
    assert merged == original.replace("b: 2", "b: 5")
    after2 = before.replace("width: 3", "width: 4")
    assert merge_text(original, before, after2) == after2  # the edited unit takes the new form


def test_new_agents_are_written_in_the_file_style():
    text = (ROOT / "layouts" / "t_junction_left_turn.yaml").read_text()
    doc = Document(text, "t.yaml")
    new = doc.edited_text(lambda tree: apply_ops(tree, [{"op": "add_agent", "class": "pedestrian", "waypoints": [
        {"t": 0, "xy": [1, 2]}, {"t": 4.5, "xy": [3.25, 2]}]}], EditContext()))
    assert new.startswith(text.rstrip("\n"))  # appended at the end, nothing else touched
    tail = new[len(text.rstrip("\n")):]
    assert "  - id: pedestrian_1\n    class: pedestrian\n" in tail
    assert "- {t: 0, xy: [1, 2]}" in tail and "- {t: 4.5, xy: [3.25, 2]}" in tail


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_reading_the_edited_tree_equals_parsing_the_text(path):
    """The quick re-read after an edit gives the Layout and every source location parse_layout gives."""
    from anyscene.editor.document import read_edited

    text = path.read_text()
    layout, _ = parse_layout(text)
    doc = Document(text, path.name)
    agent = next((a for a in layout.agents if a.trajectory.waypoints), layout.agents[0])
    ops = [{"op": "move_agent", "id": agent.id, "dx": 0.5, "dy": 0.25},
           {"op": "add_agent", "class": "pedestrian", "waypoints": [{"t": 0, "xy": [1, 2]}, {"t": 3, "xy": [4, 2]}]}]
    new = doc.edited_text(lambda tree: apply_ops(tree, ops, EditContext(headings={agent.id: 0.0})))
    quick = read_edited(doc.successor[0], new, "f.yaml")
    assert quick is not None
    slow = parse_layout(new, "f.yaml")
    assert quick[0] == slow[0]
    assert quick[1] == slow[1]
