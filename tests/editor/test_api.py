"""The editor's JSON API through the ASGI test client: edits, live validation, undo/redo, saves that keep
comments, exact agent states, text view of broken files, concurrent saves, previews and generate runs."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from editor_data import EXAMPLE, client, comment_lines, copy_examples


@pytest.fixture
def folder(tmp_path):
    return copy_examples(tmp_path / "ws")


def _agent(scene, ident):
    return next(a for a in scene["scene"]["agents"] if a["id"] == ident)


def _validate(path):
    from anyscene.cli.validate import check_file

    issues, bad = check_file(path, strict=False)
    assert not bad, [str(i) for i in issues]
    return issues


def test_scene_states_are_the_worlds(folder):
    from anyscene.layout import load_layout
    from anyscene.world import World

    c = client(folder)
    scene = c.get("/api/scene").json()
    assert scene["path"] == EXAMPLE and scene["errors"] == 0 and not scene["dirty"]
    world = World.compile(load_layout(folder / EXAMPLE)[0])
    for t in (0.0, 3.37, 17.25, 29.9):
        r = c.get("/api/state", params={"t": t})
        assert r.status_code == 200 and r.headers["server-timing"].startswith("state;dur=")
        st = r.json()
        ref = world.states(t)
        by_id = {a["id"]: a for a in st["agents"]}
        for i, tr in enumerate(world.agents):
            if tr.parked:
                continue
            a = by_id[tr.id]
            assert a["present"] == bool(ref.present[i])
            assert a["x"] == pytest.approx(ref.center[i, 0], abs=1e-3)
            assert a["y"] == pytest.approx(ref.center[i, 1], abs=1e-3)
            assert a["yaw"] == pytest.approx(ref.yaw[i], abs=1e-3)
        ego = world.ego_pose(t)
        assert st["ego"]["x"] == pytest.approx(ego.translation[0], abs=1e-3)
    m = c.get("/api/map").json()
    assert {b["id"] for b in m["buildings"]} == {"b_north_west", "b_north_east", "b_south"}
    assert m["drivable"] and m["markings"] and m["lanes"]


def test_edit_save_keeps_comments_and_untouched_lines(folder):
    original = (folder / EXAMPLE).read_text()
    c = client(folder)
    ped = _agent(c.get("/api/scene").json(), "ped_1")
    r = c.post("/api/edit", json={"ops": [{"op": "move_agent", "id": "ped_1", "dx": 0.75, "dy": -0.25}], "t": 0})
    assert r.status_code == 200, r.text
    scene = r.json()
    assert scene["dirty"] and scene["can_undo"]
    moved = _agent(scene, "ped_1")
    for a, b in zip(ped["waypoints"], moved["waypoints"]):
        assert b["xy"] == pytest.approx([a["xy"][0] + 0.75, a["xy"][1] - 0.25])
    assert c.post("/api/save", json={}).status_code == 200
    saved = (folder / EXAMPLE).read_text()
    assert comment_lines(saved) == comment_lines(original)
    changed = [(a, b) for a, b in zip(original.splitlines(), saved.splitlines()) if a != b]
    assert len(original.splitlines()) == len(saved.splitlines())
    assert len(changed) == len(ped["waypoints"])  # only the waypoint lines of ped_1
    assert all("xy:" in a and "xy:" in b for a, b in changed)
    _validate(folder / EXAMPLE)
    assert not c.get("/api/scene").json()["dirty"]
    assert not list(folder.glob(".*.tmp"))


def test_overlap_is_reported_where_and_when_then_undone(folder):
    c = client(folder)
    scene = c.get("/api/scene").json()
    st = c.get("/api/state", params={"t": 2.0}).json()
    pos = {a["id"]: a for a in st["agents"]}
    # drag the pedestrian onto the leading car at t = 2 s
    p, car = pos["ped_1"], pos["car_lead"]
    assert p["present"] and car["present"]
    r = c.post("/api/edit", json={"ops": [{"op": "move_agent", "id": "ped_1", "dx": car["x"] - p["x"],
                                           "dy": car["y"] - p["y"]}], "t": 2.0})
    assert r.status_code == 200
    moved = r.json()
    overlaps = [i for i in moved["issues"] if "overlap" in i["message"]]
    assert overlaps and overlaps[0]["severity"] == "error"
    hit = next(i for i in overlaps if set(i["ids"]) >= {"ped_1", "car_lead"})
    assert hit["t"] is not None and hit["t"] <= 2.0 + 1e-6 and hit["line"] > 0
    assert len(hit["points"]) == 2  # both bodies, where they are at the overlap's time
    undone = c.post("/api/undo", json={}).json()
    assert undone["errors"] == 0 and undone["can_redo"]
    assert _agent(undone, "ped_1")["waypoints"] == _agent(scene, "ped_1")["waypoints"]
    assert c.get("/api/text").json()["text"] == (folder / EXAMPLE).read_text()
    redone = c.post("/api/redo", json={}).json()
    assert any("overlap" in i["message"] for i in redone["issues"])


def test_add_pedestrian_then_save_validates(folder):
    c = client(folder)
    r = c.post("/api/edit", json={"ops": [{"op": "add_agent", "class": "pedestrian", "waypoints": [
        {"t": 0, "xy": [-30.0, 8.2]}, {"t": 10, "xy": [-44.0, 8.2]}]}]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["created"] == ["pedestrian_1"] and body["errors"] == 0
    assert c.post("/api/save", json={}).json()["saved"] == EXAMPLE
    from anyscene.layout import load_layout

    layout, _ = load_layout(folder / EXAMPLE)
    wps = layout.agent("pedestrian_1").trajectory.waypoints
    assert [w.xy for w in wps] == [(-30.0, 8.2), (-44.0, 8.2)]
    _validate(folder / EXAMPLE)
    # duplicate, delete and waypoint edits round-trip too
    r = c.post("/api/edit", json={"ops": [{"op": "duplicate_agent", "id": "pedestrian_1", "dx": 0, "dy": 1.5}]})
    dup = r.json()["created"][0]
    assert _agent(r.json(), dup)["waypoints"][0]["xy"] == [-30.0, 9.7]
    r = c.post("/api/edit", json={"ops": [{"op": "add_waypoint", "id": dup, "t": 5, "xy": [-37, 10.5]},
                                          {"op": "set_waypoint", "id": dup, "index": 2, "t": 12, "speed": 1.2}]})
    wps = _agent(r.json(), dup)["waypoints"]
    assert [w["t"] for w in wps] == [0, 5, 12] and wps[2]["speed"] == 1.2
    r = c.post("/api/edit", json={"ops": [{"op": "delete_waypoint", "id": dup, "index": 1}]})
    assert len(_agent(r.json(), dup)["waypoints"]) == 2
    r = c.post("/api/edit", json={"ops": [{"op": "delete_agent", "id": dup}]})
    assert dup not in [a["id"] for a in r.json()["scene"]["agents"]]


def test_lane_agent_moves_along_its_lane_and_lane_fields(folder):
    c = client(folder)
    before = _agent(c.get("/api/scene").json(), "car_lead")
    assert before["motion"] == "lane"
    st0 = {a["id"]: a for a in c.get("/api/state", params={"t": 0}).json()["agents"]}["car_lead"]
    r = c.post("/api/edit", json={"ops": [{"op": "move_agent", "id": "car_lead", "dx": -5, "dy": 3}], "t": 0})
    after = _agent(r.json(), "car_lead")
    assert after["lane"]["s"] == pytest.approx(before["lane"]["s"] - 5)  # heading +x: only dx counts
    st1 = {a["id"]: a for a in c.get("/api/state", params={"t": 0}).json()["agents"]}["car_lead"]
    assert st1["x"] == pytest.approx(st0["x"] - 5, abs=1e-3) and st1["y"] == pytest.approx(st0["y"], abs=1e-3)
    r = c.post("/api/edit", json={"ops": [{"op": "set_lane", "id": "car_lead", "lane": {
        "road": "main", "lane": 1, "s": 40, "speed": 6, "stop_s": 70}}]})
    lane = _agent(r.json(), "car_lead")["lane"]
    assert (lane["s"], lane["speed"], lane["stop_s"]) == (40, 6, 70)


def test_static_map_and_environment_edits(folder):
    c = client(folder)
    v0 = c.get("/api/scene").json()["map_version"]
    ops = [{"op": "set_prop", "id": "tree_1", "dx": 1.0, "dy": 0.5},
           {"op": "set_building", "id": "b_south", "height": 25, "dx": 0, "dy": -1},
           {"op": "add_area", "class": "vegetation", "polygon": [[60, 30], [70, 30], [70, 40]], "height": 0.5},
           {"op": "add_crosswalk", "road": "main", "s": 60, "width": 4},
           {"op": "add_prop", "class": "traffic_cone", "xy": [50, -3]},
           {"op": "set_environment", "time_of_day": 18.5, "weather": "fog"}]
    r = c.post("/api/edit", json={"ops": ops})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["map_version"] != v0 and body["scene"]["environment"] == {"time_of_day": 18.5, "weather": "fog"}
    m = c.get("/api/map").json()
    assert next(p for p in m["props"] if p["id"] == "tree_1")["xy"] == [-29, -19.5]
    assert next(b for b in m["buildings"] if b["id"] == "b_south")["height"] == 25
    assert len(m["areas"]) == 4 and any(cw["id"] == "crosswalk_1" for cw in m["crosswalks"])
    assert any(p["id"] == "traffic_cone_1" for p in m["props"])
    c.post("/api/save", json={})
    _validate(folder / EXAMPLE)
    r = c.post("/api/edit", json={"ops": [{"op": "delete_area", "index": 3}, {"op": "delete_crosswalk",
                                                                                "id": "crosswalk_1"}]})
    assert len(c.get("/api/map").json()["areas"]) == 3


def test_broken_file_opens_in_text_view(folder):
    good = (folder / EXAMPLE).read_text()
    broken = good.replace("duration: 30", "duration: [30", 1)
    (folder / "broken.yaml").write_text(broken)
    c = client(folder)
    r = c.post("/api/open", json={"path": "broken.yaml"})
    assert r.status_code == 200
    scene = r.json()
    assert scene["parse_failed"] and scene["scene"] is None and scene["text"] == broken
    assert scene["issues"][0]["line"] >= 7 and "YAML syntax error" in scene["issues"][0]["message"]
    assert c.get("/api/state", params={"t": 1}).status_code == 409  # no world, but the server answers
    assert c.post("/api/edit", json={"ops": [{"op": "move_agent", "id": "ped_1", "dx": 1}]}).status_code == 400
    typo = good.replace("duration: 30", "duraton: 30", 1)
    r = c.post("/api/text", json={"text": typo}).json()
    assert r["parse_failed"] and "did you mean 'duration'" in r["issues"][0]["message"]
    assert r["issues"][0]["line"] == good.splitlines().index("duration: 30") + 1
    r = c.post("/api/text", json={"text": good}).json()
    assert not r["parse_failed"] and r["errors"] == 0 and r["scene"]["agents"]
    assert c.post("/api/save", json={}).status_code == 200
    assert (folder / "broken.yaml").read_text() == good


def test_concurrent_saves_never_corrupt(folder):
    c = client(folder)
    texts, errors = set(), []

    def worker(k):
        try:
            for j in range(3):
                r = c.post("/api/edit", json={"ops": [{"op": "move_agent", "id": "ped_2", "dx": 0.01, "dy": 0}]})
                assert r.status_code == 200, r.text
                r = c.post("/api/save", json={"force": True})
                assert r.status_code == 200, r.text
                texts.add(c.get("/api/text").json()["text"])
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(3)]
    for th in threads:
        th.start()
    # a reader meanwhile always sees a complete layout
    from anyscene.layout import parse_layout

    deadline = time.time() + 60
    while any(th.is_alive() for th in threads) and time.time() < deadline:
        parse_layout((folder / EXAMPLE).read_text())
    for th in threads:
        th.join()
    assert not errors, errors
    final = (folder / EXAMPLE).read_text()
    assert final == c.get("/api/text").json()["text"]
    _validate(folder / EXAMPLE)
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]
    from anyscene.layout import load_layout

    x0 = load_layout(folder / EXAMPLE)[0].agent("ped_2").trajectory.waypoints[0].xy[0]
    assert x0 == pytest.approx(_original_x(folder) + 0.09, abs=1e-6)


def _original_x(folder):
    from anyscene.layout import parse_layout
    from testdata import ROOT

    layout, _ = parse_layout((ROOT / "layouts" / EXAMPLE).read_text())
    return layout.agent("ped_2").trajectory.waypoints[0].xy[0]


def test_save_refuses_a_file_changed_on_disk(folder):
    c = client(folder)
    c.post("/api/edit", json={"ops": [{"op": "move_agent", "id": "ped_1", "dx": 1, "dy": 0}]})
    (folder / EXAMPLE).write_text((folder / EXAMPLE).read_text() + "# changed elsewhere\n")
    r = c.post("/api/save", json={})
    assert r.status_code == 409 and "changed on disk" in r.json()["error"]
    assert c.post("/api/save", json={"force": True}).status_code == 200
    r = c.post("/api/save", json={"path": EXAMPLE.replace(".yaml", "_copy.yaml")})
    assert r.status_code == 200 and (folder / EXAMPLE.replace(".yaml", "_copy.yaml")).exists()
    assert EXAMPLE.replace(".yaml", "_copy.yaml") in c.get("/api/files").json()["files"]


def test_new_layout_from_a_sampler_template(folder):
    c = client(folder)
    assert "straight" in c.get("/api/session").json()["templates"]
    r = c.post("/api/new", json={"template": "straight", "seed": 3, "duration": 8})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["path"] is None and body["dirty"] and body["errors"] == 0 and body["scene"]["duration"] == 8
    assert c.post("/api/save", json={}).status_code == 403  # no file yet: save as
    r = c.post("/api/save", json={"path": "sampled.yaml"})
    assert r.status_code == 200 and r.json()["path"] == "sampled.yaml"
    _validate(folder / "sampled.yaml")
    assert (folder / "sampled.yaml").read_text().startswith("# A straight scene")
    assert c.post("/api/new", json={"template": "spaghetti"}).status_code == 400


def test_previews_and_occupancy(folder):
    c = client(folder, rig="three_cam")
    cams = c.get("/api/session").json()["cameras"]
    r = c.get("/api/preview", params={"t": 1.0, "camera": cams[0], "width": 160, "height": 90})
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    from io import BytesIO

    from PIL import Image

    img = np.asarray(Image.open(BytesIO(r.content)))
    assert img.shape == (90, 160, 3) and img.std() > 5  # a picture, not a blank
    assert c.get("/api/preview", params={"camera": "CAM_NOPE"}).status_code == 400
    occ = c.get("/api/occupancy", params={"t": 1.0}).json()
    import base64

    pic = np.asarray(Image.open(BytesIO(base64.b64decode(occ["png"]))))
    assert pic.shape == (200, 200, 4)
    assert {e["name"] for e in occ["legend"]} >= {"driveable_surface", "car"}


def test_generate_action_runs_in_the_background(folder, tmp_path):
    c = client(folder, generate_root=tmp_path / "gen")
    r = c.post("/api/generate", json={"duration": 0.5, "resolution": "160x90", "rig": "three_cam"})
    assert r.status_code == 200, r.text
    job = r.json()
    deadline = time.time() + 120
    while job["state"] == "running" and time.time() < deadline:
        time.sleep(0.3)
        job = c.get(f"/api/generate/{job['id']}").json()
    assert job["state"] == "done", job["log"]
    assert job["progress"] == 1.0 and job["has_video"]
    video = c.get(f"/api/generate/{job['id']}/video")
    assert video.status_code == 200 and video.content[4:8] == b"ftyp"
    assert not list((folder).glob("*/")), "generate writes nothing into the workspace"
    assert c.get("/api/generate/job99").status_code == 404
    assert c.post("/api/generate", json={"resolution": "huge"}).status_code == 400


def test_a_broken_agent_does_not_hide_the_scene(folder):
    c = client(folder)
    text = c.get("/api/text").json()["text"]
    broken = text.replace("{lane: {road: main, lane: 1, s: 105", "{lane: {road: mian, lane: 1, s: 105", 1)
    assert broken != text
    r = c.post("/api/text", json={"text": broken}).json()
    assert not r["parse_failed"] and r["errors"] >= 1
    assert any("mian" in i["message"] for i in r["issues"])
    ids = [a["id"] for a in r["scene"]["agents"]]
    assert "ped_1" in ids and "car_lead" not in ids  # the rest is drawn; the broken one is named
    assert c.get("/api/state", params={"t": 1}).status_code == 200


def test_large_scenes_are_validated_in_the_background(folder):
    c = client(folder, sync_validation_agents=0)  # every scene counts as large here
    st = {a["id"]: a for a in c.get("/api/state", params={"t": 2.0}).json()["agents"]}
    p, car = st["ped_1"], st["car_lead"]
    r = c.post("/api/edit", json={"ops": [{"op": "move_agent", "id": "ped_1", "dx": car["x"] - p["x"],
                                           "dy": car["y"] - p["y"]}], "t": 2.0}).json()
    assert r["scene"] is not None  # the map and the agents come back at once
    found = c.get("/api/issues", params={"version": r["version"], "wait": 30}).json()
    assert found["current"] and not found["validating"]
    assert any("overlap" in i["message"] and "ped_1" in i["ids"] for i in found["issues"])
    assert c.get("/api/scene").json()["errors"] == found["errors"] > 0
    stale = c.get("/api/issues", params={"version": r["version"] - 1, "wait": 30}).json()
    assert not stale["current"]
    # generate waits for the validation and refuses a layout with errors
    assert c.post("/api/generate", json={"duration": 0.5}).status_code == 400
