"""The golden run: a 1 s, 160x90 generation of layouts/urban_street.yaml writes exactly the bytes recorded in
tests/golden/urban_street.json (sha256 of every file). A change of output that is intended regenerates the
manifest with `python tools/golden.py --update`; any other change of bytes is a regression."""
from __future__ import annotations

import json
import sys

from testdata import ROOT

sys.path.insert(0, str(ROOT / "tools"))

import golden  # noqa: E402


def test_golden_run_writes_the_recorded_bytes(tmp_path):
    expected = json.loads(golden.MANIFEST.read_text(encoding="utf-8"))
    actual = golden.golden_run(tmp_path / "run")
    assert {"v1.0-anyscene/sample.json", "v1.0-anyscene/lidarseg.json"} <= actual.keys()
    assert golden.differences(expected, actual) == []


def test_the_comparison_names_every_kind_of_difference():
    expected = {"a": "1", "b": "2", "c": "3"}
    assert golden.differences(expected, {"a": "1", "b": "9", "d": "4"}) == ["missing: c", "extra: d", "changed: b"]
