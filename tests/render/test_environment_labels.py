"""Labels don't move with the environment: a tiny dataset generated at noon in clear air and at night under
cloud is identical in every file but the camera JPEGs and the preview video; in fog, where the LiDAR sees less,
the camera condition maps, the occupancy labels and the boxes are still identical."""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "export"))
from export_scenes import TINY, write  # noqa: E402

IMAGES = (".jpg", ".mp4")


def _generate(layout: Path, out: Path, time_of_day: float, weather: str) -> Path:
    from anyscene.export.config import load_config
    from anyscene.export.dataset import generate_dataset

    cfg = load_config(overrides=["resolution=160x90", "camera_rate=4", "lidar_rate=4", "progress=false",
                                 f"environment.time_of_day={time_of_day}", f"environment.weather={weather}"])
    return generate_dataset([layout], out, cfg)


def _digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def datasets(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("env")
    layout = write(tmp / "tiny.yaml", TINY)
    return {name: (_generate(layout, tmp / name, hour, weather), _digests(tmp / name))
            for name, hour, weather in (("noon", 12.0, "clear"), ("night", 21.5, "overcast"), ("fog", 9.0, "fog"))}


def test_night_changes_only_the_images(datasets):
    (_, noon), (_, night) = datasets["noon"], datasets["night"]
    assert noon.keys() == night.keys()
    differ = sorted(k for k in noon if noon[k] != night[k])
    assert differ and all(k.endswith(IMAGES) for k in differ), [k for k in differ if not k.endswith(IMAGES)]
    jpgs = [k for k in noon if k.endswith(".jpg")]
    assert all(noon[k] != night[k] for k in jpgs)  # every image changed


def _boxes(root: Path) -> list:
    recs = json.loads((root / "v1.0-anyscene" / "sample_annotation.json").read_text())
    return sorted((r["token"], r["translation"], r["size"], r["rotation"], r["instance_token"]) for r in recs)


def test_fog_keeps_conditions_occupancy_and_boxes(datasets):
    (noon_root, noon), (fog_root, fog) = datasets["noon"], datasets["fog"]
    for k in noon:
        if k.startswith(("conditions/", "gts/", "maps/")) or k.endswith(("ego_pose.json", "calibrated_sensor.json")):
            assert noon[k] == fog[k], k
    assert _boxes(noon_root) and _boxes(noon_root) == _boxes(fog_root)
    pcds = [k for k in noon if k.endswith(".pcd.bin")]
    assert pcds and all(noon[k] != fog[k] for k in pcds)  # the LiDAR does see the fog
