"""Validation benchmark: seconds to validate a 30 s scene with 40 agents (goal: well under 2 s), for a sparse
scene (platoons on a long road) and a dense one (a crowd on a plaza, where every pair stays close).

Same entry point as the tools/ benchmarks: `python bench_validate.py --out FILE` writes JSON.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = next(p for p in HERE.parents if (p / "pyproject.toml").exists())
sys.path.insert(0, str(ROOT / "tests" / "layout"))


def crowd_layout(duration: float = 30.0, n_agents: int = 40):
    """Pedestrians on a 40 m plaza, in rows 2.5 m apart, all walking east at 1.2 m/s (never touching)."""
    from anyscene.layout import edit
    from anyscene.layout.schema import Agent, Layout, Map

    layout = Layout(name="crowd", duration=duration, map=Map(ground="other_flat"))
    for k in range(n_agents):
        x, y = -20.0 + 5.0 * (k % 8), 10.0 + 2.5 * (k // 8)
        layout = edit.add_agent(layout, Agent(id=f"ped_{k}", cls="pedestrian", trajectory=edit.waypoints(
            [(0.0, (x, y)), (duration, (x + 1.2 * duration, y))])))
    return layout


def bench_validate(repeats: int = 5) -> dict:
    from anyscene.validation import validate
    from layout_scenes import busy_layout

    out = {}
    for name, layout in (("sparse_road", busy_layout()), ("dense_crowd", crowd_layout())):
        issues = validate(layout, {}, name)  # warm-up, and the scene must be valid
        assert not issues, [str(i) for i in issues]
        runs = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            validate(layout, {}, name)
            runs.append(time.perf_counter() - t0)
        out[name] = {"agents": len(layout.agents), "duration_s": layout.duration,
                     "seconds_median": statistics.median(runs), "seconds_runs": runs, "goal_seconds": 2.0}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    text = json.dumps({"validate": bench_validate()}, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
