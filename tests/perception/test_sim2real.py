"""sim2real end to end in --quick mode on the real scene (split in time) with a given synthetic dataset."""
from __future__ import annotations

import json

import pytest

from anyscene.cli.main import main
from conftest import VERSION, need_real


@pytest.mark.slow  # replays 4 s of the real scene and trains 4 tiny arms: a few minutes on two cores
def test_quick_sim2real_writes_table_json_and_chart(tiny_root, tmp_path):
    real = need_real()
    out = tmp_path / "s2r"
    assert main(["sim2real", "--train", f"{real}:v1.0-real:scene-0916@0-4", "--test",
                 f"{real}:v1.0-real:scene-0916@5-7", "--out", str(out), "--quick", "--steps", "5",
                 "--synthetic", f"{tiny_root}:{VERSION}", "--no-progress"]) == 0
    report = json.loads((out / "results.json").read_text())
    assert set(report["arms"]) == {"real-only", "synthetic-only", "synthetic -> real", "mixed"}
    assert all(report["training"][a]["steps"] == 5 for a in report["arms"])
    assert report["arms"]["real-only"]["keyframes"] == 3 and report["arms"]["real-only"]["gt_boxes"]["car"] > 0
    assert report["replay_test"] and "scene-0916@5-7" in report["replay_test"][0]
    for arm in report["arms"]:
        stem = arm.replace(" -> ", "_to_").replace("-", "_")
        assert (out / "evals" / stem / "metrics_summary.json").is_file()
    table = (out / "table.md").read_text()
    assert "| real-only |" in table and "Paired realism check" in table
    assert (out / "chart.png").stat().st_size > 1000


def test_sim2real_bad_scene_fails_before_any_work(tmp_path, capsys):
    real = need_real()
    out = tmp_path / "s2r"
    assert main(["sim2real", "--train", f"{real}:v1.0-real:scene-0916@0-24", "--test",
                 f"{real}:v1.0-real:scene-0916@25-99", "--out", str(out), "--quick"]) == 2
    assert "out of range" in capsys.readouterr().err and not out.exists()
