"""The nuScenes map expansion: lanes, lane connectors, crossings, walkways, car parks and stop lines around the
ego path, from a tiny expansion JSON built here and read through the devkit's NuScenesMap."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from conftest import SCENE, VERSION


class _Builder:
    """Records of a minimal map expansion file (version 1.3) in the devkit's layout."""

    def __init__(self):
        self.js = {"version": "1.3", "canvas_edge": [3000.0, 3000.0], "node": [], "line": [], "polygon": []}
        for layer in ("drivable_area", "road_segment", "road_block", "lane", "ped_crossing", "walkway",
                      "stop_line", "carpark_area", "road_divider", "lane_divider", "traffic_light",
                      "lane_connector"):
            self.js[layer] = []
        self.js["arcline_path_3"], self.js["connectivity"] = {}, {}
        self.n = 0

    def token(self, kind: str) -> str:
        self.n += 1
        return f"{kind}{self.n:04d}".ljust(32, "0")

    def polygon(self, pts) -> str:
        nodes = []
        for x, y in pts:
            t = self.token("node")
            self.js["node"].append({"token": t, "x": x, "y": y})
            nodes.append(t)
        t = self.token("poly")
        self.js["polygon"].append({"token": t, "exterior_node_tokens": nodes, "holes": []})
        return t

    def add(self, layer: str, pts, **extra) -> str:
        t = self.token(layer[:4])
        self.js[layer].append({"token": t, "polygon_token": self.polygon(pts), **extra})
        return t

    def straight_lane(self, layer: str, x0, y0, x1, y1) -> str:
        yaw = math.atan2(y1 - y0, x1 - x0)
        n = np.array([-math.sin(yaw), math.cos(yaw)]) * 1.75
        p0, p1 = np.array([x0, y0]), np.array([x1, y1])
        outline = [tuple(p0 - n), tuple(p1 - n), tuple(p1 + n), tuple(p0 + n)]
        extra = {"lane_type": "CAR", "from_edge_line_token": None, "to_edge_line_token": None,
                 "left_lane_divider_segments": [], "right_lane_divider_segments": []} if layer == "lane" else {}
        t = self.add(layer, [tuple(map(float, p)) for p in outline], **extra)
        length = float(np.hypot(x1 - x0, y1 - y0))
        self.js["arcline_path_3"][t] = [{"start_pose": [x0, y0, yaw], "end_pose": [x1, y1, yaw], "shape": "LSR",
                                         "radius": 999.0, "segment_length": [0.0, length, 0.0]}]
        return t


@pytest.fixture
def expansion_root(tables_copy, real_root):
    log = json.loads((real_root / VERSION / "log.json").read_text())[0]
    ego = json.loads((real_root / VERSION / "ego_pose.json").read_text())
    x, y = ego[0]["translation"][:2]
    b = _Builder()
    b.straight_lane("lane", x - 30, y, x + 30, y)
    b.straight_lane("lane_connector", x + 30, y, x + 40, y + 10)
    crossing = b.add("ped_crossing", [(x + 5, y - 4), (x + 9, y - 4), (x + 9, y + 4), (x + 5, y + 4)],
                     road_segment_token=None)
    b.add("walkway", [(x - 30, y + 4), (x + 30, y + 4), (x + 30, y + 7), (x - 30, y + 7)])
    b.add("carpark_area", [(x - 20, y - 30), (x, y - 30), (x, y - 10), (x - 20, y - 10)], orientation=0.0,
          road_block_token=None)
    b.add("stop_line", [(x + 3, y - 2), (x + 4, y - 2), (x + 4, y + 2), (x + 3, y + 2)],
          stop_line_type="PED_CROSSING", ped_crossing_tokens=[crossing], traffic_light_tokens=[],
          road_block_token=None)
    b.add("walkway", [(x + 5000, y), (x + 5010, y), (x + 5010, y + 5)])  # far away: not imported
    folder = tables_copy / "maps" / "expansion"
    folder.mkdir(parents=True)
    (folder / f"{log['location']}.json").write_text(json.dumps(b.js))
    return tables_copy, (float(x), float(y))


def test_expansion_layers_become_lanes_crossings_areas_and_stop_lines(expansion_root):
    from anyscene.importers.nuscenes import import_nuscenes
    from anyscene.layout import load_layout, save_layout
    from anyscene.validation import validate

    root, (x, y) = expansion_root
    scene = import_nuscenes(root, VERSION, SCENE)
    m = scene.layout.map
    ox, oy = scene.layout.source.origin
    assert [ln.kind for ln in m.lanes] == ["lane", "lane_connector"]
    lane = np.array(m.lanes[0].centerline)
    assert len(lane) >= 60 and np.allclose(lane[0], (x - 30 - ox, y - oy), atol=1e-3)
    assert np.allclose(lane[-1], (x + 30 - ox, y - oy), atol=1e-3)
    assert np.allclose(lane[:, 1], y - oy, atol=1e-3)
    conn = np.array(m.lanes[1].centerline)
    assert np.allclose(conn[-1], (x + 40 - ox, y + 10 - oy), atol=1e-3)
    assert len(m.crosswalks) == 1 and len(m.crosswalks[0].polygon) == 4
    assert sorted(a.cls for a in m.areas) == ["parking", "sidewalk"]  # the tables-only copy has no map mask
    assert len(m.stop_lines) == 1
    issues = validate(scene.layout, {}, "x")
    assert not [i for i in issues if i.severity == "error"]
    path = root / "scene.yaml"
    save_layout(scene.layout, path)
    assert load_layout(path)[0] == scene.layout


def test_broken_expansion_file_names_it(expansion_root):
    from anyscene.errors import DatasetError
    from anyscene.importers.nuscenes import import_nuscenes

    root, _ = expansion_root
    path = next((root / "maps" / "expansion").glob("*.json"))
    js = json.loads(path.read_text())
    js["version"] = "1.0"
    path.write_text(json.dumps(js))
    with pytest.raises(DatasetError, match=str(path).replace("+", r"\+") + ": cannot read the nuScenes map"):
        import_nuscenes(root, VERSION, SCENE)


def test_lane_paths_are_validated():
    from anyscene.layout import parse_layout
    from anyscene.validation import validate

    text = ("name: lanes\nmap:\n  lanes:\n    - {id: a, centerline: [[0, 0], [10, 0]]}\n"
            "    - {id: a, kind: lane_connector, centerline: [[1, 1], [1, 1]]}\n"
            "  stop_lines:\n    - {id: s, polygon: [[0, 0], [1, 0], [2, 0]]}\n")
    layout, source = parse_layout(text, "lanes.yaml")
    msgs = [str(i) for i in validate(layout, source, "lanes.yaml")]
    assert any("lanes.yaml:5:" in m and "duplicate lane id 'a'" in m for m in msgs)
    assert any("at least 2 distinct centreline points" in m for m in msgs)
    assert any("map.stop_lines[0].polygon" in m and "zero area" in m for m in msgs)
