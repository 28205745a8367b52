"""Editor benchmark: server-side times of `anyscene edit` after edits of a layout, as JSON medians.

For each of `--edits` edits of the layout (default layouts/crowded_crossing.yaml, 49 agents) through the
editor's API (ASGI test client, the same app `anyscene edit` serves): the whole edit request (apply, merge,
re-read, recompile, and validate for scenes of up to 120 agents), the time until the edit's issues are there
(larger scenes are validated in the background), the validation alone (`anyscene.validation.validate`), the BEV state for a new
t (the Server-Timing of GET /api/state, and its wall time), and one 400x225 camera preview (GET /api/preview).
`--scale N` repeats it on the same scene grown to N agents (copies of its pedestrians, shifted), for the
"hundreds of agents" case. Goals: state < 50 ms, validation < 300 ms, preview < 1 s (medians).
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
GOALS_MS = {"state_server_ms": 50.0, "validate_ms": 300.0, "preview_ms": 1000.0}


def grown_layout(text: str, n_agents: int) -> str:
    """The layout text with its pedestrians copied (shifted 0.9 m north per copy) up to n_agents agents."""
    from anyscene.editor.document import dump, load_tree
    from anyscene.editor.ops import EditContext, op_duplicate_agent

    tree = load_tree(text, "grown.yaml")
    agents = tree["agents"]
    peds = [str(a["id"]) for a in agents if a["class"] in ("pedestrian", "child")]
    k = 0
    while len(agents) < n_agents:
        ident = peds[k % len(peds)]
        op_duplicate_agent(tree, {"id": ident, "dx": 0.0, "dy": 0.9 * (1 + k // len(peds))}, EditContext())
        k += 1
    return dump(tree, text)


def measure(layout_path: Path, edits: int, states_per_edit: int) -> dict:
    from fastapi.testclient import TestClient

    from anyscene.editor.server import create_app
    from anyscene.validation import validate

    tok = "bench"
    app = create_app(layout_path, token=tok)
    c = TestClient(app, headers={"X-AnyScene-Token": tok})
    scene = c.get("/api/scene").json()
    movable = [a["id"] for a in scene["scene"]["agents"] if a["motion"] == "waypoints"]
    session = app.session
    c.get("/api/preview", params={"t": 0.0})  # builds the map's ray-casting and marking caches once
    times = {"edit_ms": [], "edit_to_issues_ms": [], "validate_ms": [], "state_server_ms": [], "state_wall_ms": [], "preview_ms": [],
             "preview_server_ms": []}
    duration = scene["scene"]["duration"]
    for k in range(edits):
        ident = movable[k % len(movable)]
        t0 = time.perf_counter()
        r = c.post("/api/edit", json={"ops": [{"op": "move_agent", "id": ident, "dx": 0.05 * (-1) ** k, "dy": 0.0}]})
        times["edit_ms"].append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, r.text
        c.get("/api/issues", params={"version": r.json()["version"], "wait": 120})  # large scenes: background
        times["edit_to_issues_ms"].append((time.perf_counter() - t0) * 1000)
        cur = session.current
        t0 = time.perf_counter()
        validate(cur.layout, cur.source, "bench.yaml")
        times["validate_ms"].append((time.perf_counter() - t0) * 1000)
        for j in range(states_per_edit):
            t = round((k * states_per_edit + j) * 0.37 % duration, 3)
            t0 = time.perf_counter()
            r = c.get("/api/state", params={"t": t})
            times["state_wall_ms"].append((time.perf_counter() - t0) * 1000)
            times["state_server_ms"].append(float(re.search(r"dur=([\d.]+)", r.headers["server-timing"]).group(1)))
        t = round((k + 0.5) * 1.3 % duration, 3)
        t0 = time.perf_counter()
        r = c.get("/api/preview", params={"t": t, "camera": "CAM_FRONT", "width": 400, "height": 225})
        times["preview_ms"].append((time.perf_counter() - t0) * 1000)
        times["preview_server_ms"].append(float(re.search(r"dur=([\d.]+)", r.headers["server-timing"]).group(1)))
        assert r.status_code == 200
    out = {"agents": len(scene["scene"]["agents"]), "edits": edits}
    for key, values in times.items():
        out[key] = round(statistics.median(values), 2)
    out["goals_met"] = {k: out[k] < v for k, v in GOALS_MS.items()}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--layout", type=Path, default=ROOT / "layouts" / "crowded_crossing.yaml")
    ap.add_argument("--edits", type=int, default=7)
    ap.add_argument("--states", type=int, default=5, help="new times asked per edit")
    ap.add_argument("--scale", type=int, default=300, help="also measure the scene grown to this many agents "
                                                           "(0: skip)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    result = {"layout": args.layout.name}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / args.layout.name
        shutil.copy(args.layout, path)
        result["base"] = measure(path, args.edits, args.states)
        if args.scale:
            grown = Path(tmp) / f"grown_{args.scale}.yaml"
            grown.write_text(grown_layout(args.layout.read_text(), args.scale))
            result["scaled"] = measure(grown, max(3, args.edits // 2), args.states)
    text = json.dumps(result, indent=2)
    if args.out:
        args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
