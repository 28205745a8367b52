"""The operations behind the editor's handles, through the API: turning a trajectory (`rotate_agent`), and
the polygon and size edits the corner and resize handles send; each is one undoable edit that keeps comments."""
from __future__ import annotations

import math

import pytest

from editor_data import EXAMPLE, client, comment_lines, copy_examples


def _agent(scene, ident):
    return next(a for a in scene["scene"]["agents"] if a["id"] == ident)


def test_rotate_agent_turns_positions_velocities_and_yaw_about_a_point(tmp_path):
    folder = copy_examples(tmp_path / "ws")
    original = (folder / EXAMPLE).read_text()
    c = client(folder)
    before = _agent(c.get("/api/scene").json(), "cyclist")["waypoints"]
    px, py = before[0]["xy"]
    r = c.post("/api/edit", json={"ops": [{"op": "rotate_agent", "id": "cyclist", "angle": math.pi / 2,
                                           "about": [px, py]}], "t": 0})
    assert r.status_code == 200, r.text
    after = _agent(r.json(), "cyclist")["waypoints"]
    for a, b in zip(before, after):
        dx, dy = a["xy"][0] - px, a["xy"][1] - py
        assert b["xy"] == pytest.approx([px - dy, py + dx], abs=1e-3)  # +90°: (dx, dy) -> (-dy, dx)
        assert b["velocity"] == pytest.approx([-a["velocity"][1], a["velocity"][0]], abs=1e-3)
        assert b["t"] == a["t"]
    # the heading at t = 0 turned by the same angle
    st = c.get("/api/state", params={"t": 0}).json()
    yaw = next(a for a in st["agents"] if a["id"] == "cyclist")["yaw"]
    assert math.isclose(math.remainder(yaw - (-math.pi / 2 + math.pi / 2), 2 * math.pi), 0, abs_tol=1e-3)
    assert c.post("/api/save", json={}).status_code == 200
    assert comment_lines((folder / EXAMPLE).read_text()) == comment_lines(original)
    r = c.post("/api/undo", json={})
    assert _agent(r.json(), "cyclist")["waypoints"] == before


def test_rotate_agent_refuses_lane_agents_and_bad_values(tmp_path):
    c = client(copy_examples(tmp_path / "ws"))
    r = c.post("/api/edit", json={"ops": [{"op": "rotate_agent", "id": "car_lead", "angle": 1, "about": [0, 0]}]})
    assert r.status_code == 400 and "follows a lane" in r.json()["error"]
    for angle, about in (('"x"', "[0, 0]"), ("NaN", "[0, 0]"), ("1", "[0]"), ("9", "[0, 0]"), ("1", "null")):
        body = '{"ops": [{"op": "rotate_agent", "id": "cyclist", "angle": %s, "about": %s}]}' % (angle, about)
        r = c.post("/api/edit", content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 400 and "error" in r.json(), (angle, about, r.text)
    assert not c.get("/api/scene").json()["can_undo"]


def test_crosswalk_polygons_are_sent_as_authored(tmp_path):
    folder = copy_examples(tmp_path / "ws")
    c = client(folder)
    ring = [[20, -4], [24, -4], [24.5, 4], [20, 4]]
    r = c.post("/api/edit", json={"ops": [{"op": "add_crosswalk", "polygon": ring}]})
    assert r.status_code == 200, r.text
    cws = {cw["id"]: cw for cw in c.get("/api/map").json()["crosswalks"]}
    assert cws[r.json()["created"][0]]["polygon"] == ring
    assert cws["cw_side"]["polygon"] is None
