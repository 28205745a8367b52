"""The worked example of docs/import.md runs as written (on the real sample scene, shorter and smaller)."""
from __future__ import annotations

import re

from testdata import ROOT


def test_worked_example_runs(real_root, tmp_path):
    from nuscenes import NuScenes

    from anyscene.layout import load_layout

    text = (ROOT / "docs" / "import.md").read_text()
    code = re.search(r"<!-- worked-example begin -->\n```python\n(.*?)```\n<!-- worked-example end -->", text,
                     re.S).group(1)
    for old, new in (('Path("/data/nuscenes"), Path("out")', f'Path({str(real_root)!r}), Path({str(tmp_path)!r})'),
                     ('"v1.0-mini"', '"v1.0-real"'), ('"duration": 12.0', '"duration": 1.1'),
                     ('"320x180"', '"160x90"')):
        assert old in code
        code = code.replace(old, new)
    namespace = {"__name__": "worked_example"}
    exec(compile(code, "docs/import.md", "exec"), namespace)
    imported_cars = sum(a.cls == "car" for a in namespace["scene"].layout.agents)
    layout, _ = load_layout(tmp_path / "scene-0916-night.yaml")
    assert layout.environment.time_of_day == 22.0 and layout.agent("jaywalker").cls == "pedestrian"
    assert sum(a.cls == "car" for a in layout.agents) == imported_cars - 1  # one imported car agent removed
    nusc = NuScenes("v1.0-anyscene", str(tmp_path / "night"), verbose=False)
    assert len(nusc.sample) == 3
