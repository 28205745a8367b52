"""The golden run: a 1 s, 160x90 generation of layouts/urban_street.yaml writes exactly the bytes recorded in
tests/golden/urban_street.json (sha256 of every file) on the platform it was recorded on; on another CPU or
library build, whose float kernels round the last bit differently, every file with a summary (point clouds,
maps, images, infos) must match its recorded content summary instead. A change of output that is intended
regenerates the manifest with `python tools/golden.py --update`; any other change is a regression."""
from __future__ import annotations

import json
import sys

import numpy as np
from testdata import ROOT

sys.path.insert(0, str(ROOT / "tools"))

import golden  # noqa: E402


def test_golden_run_writes_the_recorded_bytes(tmp_path):
    expected = json.loads(golden.MANIFEST.read_text(encoding="utf-8"))
    actual = golden.golden_run(tmp_path / "run")
    assert {"v1.0-anyscene/sample.json", "v1.0-anyscene/lidarseg.json"} <= actual["files"].keys()
    assert golden.differences(expected, actual) == []


def _manifest(platform, **files):
    return {"platform": platform, "files": files}


def test_the_comparison_names_every_kind_of_difference():
    expected = _manifest("p", a={"digest": "1"}, b={"digest": "2"}, c={"digest": "3"})
    actual = _manifest("p", a={"digest": "1"}, b={"digest": "9"}, d={"digest": "4"})
    assert golden.differences(expected, actual) == ["missing: c", "extra: d", "changed: b"]


def test_summaries_stand_in_for_bytes_only_on_another_platform():
    rng = np.random.default_rng(0)
    pts = rng.normal(0.0, 10.0, (1000, 5))
    rounded = pts * (1.0 + 1e-7)  # last-bit-like noise
    shifted = pts.copy()
    shifted[:100, 0] += 2.0  # a tenth of the scan moved by 2 m
    e = {"digest": "x", "summary": {"points": golden._array_summary(pts)}}
    near = {"digest": "y", "summary": {"points": golden._array_summary(rounded)}}
    far = {"digest": "z", "summary": {"points": golden._array_summary(shifted)}}
    assert golden.differences(_manifest("p", f=e), _manifest("q", f=near)) == []
    assert golden.differences(_manifest("p", f=e), _manifest("p", f=near)) == ["changed: f"]
    assert golden.differences(_manifest("p", f=e), _manifest("q", f=far)) == ["changed: f"]
    # a file without a summary (tables, lidarseg) must keep its bytes on every platform
    assert golden.differences(_manifest("p", t={"digest": "1"}), _manifest("q", t={"digest": "2"})) == ["changed: t"]


def test_a_radar_pcd_is_read_back_column_by_column(tmp_path):
    header = ("# .PCD v0.7\nVERSION 0.7\nFIELDS x id\nSIZE 4 2\nTYPE F I\nCOUNT 1 1\nWIDTH 2\nHEIGHT 1\n"
              "VIEWPOINT 0 0 0 1 0 0 0\nPOINTS 2\nDATA binary\n")
    rec = np.array([(1.5, 7), (-2.0, -3)], dtype=[("x", "<f4"), ("id", "<i2")])
    path = tmp_path / "r.pcd"
    path.write_bytes(header.encode() + rec.tobytes())
    np.testing.assert_array_equal(golden._pcd_arrays(path)["points"], [[1.5, 7.0], [-2.0, -3.0]])
