"""Hostile config files (generate, grid, rig, raster style, sampler, batch, training): each refused with exit 2
and FILE:LINE:COL naming the key, without a traceback, before anything is written or simulated."""
from __future__ import annotations

import pytest

from hostile import BASE, FAST, RIG, Work, expect_refused, in_process

GEN = ["generate", "LAYOUT", "--out", "OUT", *FAST]
GEN_OWN_RESOLUTION = ["generate", "LAYOUT", "--out", "OUT", "--duration", "1", "--no-progress"]


def _argv(work: Work, template: list[str], config_flag: str | None, config) -> list[str]:
    layout = work.layout(BASE)
    argv = [str(layout) if a == "LAYOUT" else str(work.out) if a == "OUT" else a for a in template]
    if config_flag:
        argv += [config_flag, str(config)]
    return argv


RIG_BAD = RIG.replace("channel: CAM_FRONT", "channel: ../../../escape")

# (case id, verb template, flag taking the config (None: the config is the verb's first argument), file body,
#  expected message; FILE stands for the config file)
CONFIGS = [
    # generate config (--config)
    ("generate-syntax-error", GEN, "--config", "camera_rate: [12\n", r"FILE:2:1: error: YAML syntax error"),
    ("generate-unknown-nested-key", GEN, "--config", "annotation:\n  max_distnce: 40\n",
     r"FILE:2:3: error: annotation.max_distnce: unknown key 'max_distnce'; did you mean 'max_distance'\?"),
    ("generate-string-for-number", GEN, "--config", "camera_rate: '12'\n",
     r"FILE:1:1: error: camera_rate: expected a number, got the string '12'"),
    ("generate-hex-for-string", GEN, "--config", "resolution: 0x0\n",
     r"FILE:1:1: error: resolution: expected a string, got the number 0; write it in quotes"),
    ("generate-version-escapes", GEN, "--config", "version: ../../../escape\n",
     r"FILE:1:1: error: version: '../../../escape' is not a usable file name"),
    ("generate-python-tag", GEN, "--config", "seed: !!python/object/apply:os.system [id]\n",
     r"FILE:1:7: error: the YAML tag !!python/object/apply:os.system is not allowed"),
    ("generate-interpolation", GEN, "--config", "weights: ${oc.env:HOME}\n",
     r"FILE:1:1: error: weights: interpolations \$\{...\} are not supported"),
    ("generate-preview-fps-1000", GEN, "--config", "preview: {fps: 1000}\n",
     r"FILE:1:11: error: preview.fps must be in \(0, 100\]"),
    ("generate-nan-rate", GEN, "--config", "lidar_rate: .nan\n",
     r"FILE:1:1: error: lidar_rate: must be a finite number, got nan"),
    ("generate-resolution-200000px", GEN_OWN_RESOLUTION, "--config", "resolution: 200000x200000\n",
     r"FILE:1:1: error: resolution '200000x200000': width and height must be 16..8192 pixels"),
    ("generate-not-a-mapping", GEN, "--config", "- camera_rate\n",
     r"FILE:1:1: error: a generate config must be a mapping"),
    # occupancy grid (--grid FILE)
    ("grid-nan-voxel", ["occupancy", "LAYOUT", "--out", "OUT"], "--grid", "voxel: .nan\n",
     r"FILE:1:1: error: voxel: must be a finite number, got nan"),
    ("grid-huge-voxel", ["occupancy", "LAYOUT", "--out", "OUT"], "--grid", "voxel: 1e300\n",
     r"FILE:1:1: error: voxel: 1e\+300 m is outside the allowed 0.01..10 m"),
    ("grid-100000-cells", ["occupancy", "LAYOUT", "--out", "OUT"], "--grid", "nx: 100000\nny: 100000\n",
     r"FILE:1:1: error: nx: 100000 voxels; allowed: 1..4000"),
    ("grid-tens-of-gb", ["occupancy", "LAYOUT", "--out", "OUT"], "--grid", "nx: 4000\nny: 4000\nnz: 64\n",
     r"FILE:1:1: error: nx: the grid has 1,024,000,000 voxels .*; at most 16,000,000"),
    ("grid-syntax-error", ["preview", "LAYOUT", "--out", "OUT.png"], "--grid", "voxel: {0.4\n",
     r"FILE:2:1: error: YAML syntax error"),
    ("grid-unknown-key", ["occupancy", "LAYOUT", "--out", "OUT"], "--grid", "voxels: 0.4\n",
     r"FILE:1:1: error: voxels: unknown key 'voxels'; did you mean 'voxel'\?"),
    ("grid-string-size", ["occupancy", "LAYOUT", "--out", "OUT"], "--grid", "nx: '200'\n",
     r"FILE:1:1: error: nx: expected an integer, got the string '200'"),
    # rigs (--rig FILE)
    ("rig-channel-escapes", GEN, "--rig", RIG_BAD,
     r"FILE:2:6: error: cameras\[0\].channel: '../../../escape' is not a usable file name"),
    ("rig-200000-px", GEN, "--rig", RIG.replace("width: 320", "width: 200000"),
     r"FILE:2:\d+: error: cameras\[0\].width: 200000 px; allowed: 16..8192"),
    ("rig-too-many-pixels", GEN, "--rig", RIG.replace("width: 320, height: 180", "width: 8192, height: 8192"),
     r"FILE:2:\d+: error: cameras\[0\].width: 8192x8192 is 67,108,864 pixels; at most 8,294,400"),
    ("rig-lidar-rays", GEN, "--rig", RIG.replace("azimuth_steps: 360", "azimuth_steps: 1000000000"),
     r"FILE:3:\d+: error: lidar.azimuth_steps: 1000000000; allowed: 1..20000"),
    ("rig-lidar-channel", GEN, "--rig", RIG.replace("rings: 8", "rings: 8, channel: 'a/b'"),
     r"FILE:3:\d+: error: lidar.channel: 'a/b' is not a usable file name"),
    ("rig-syntax-error", GEN, "--rig", "cameras: [\n", r"FILE:2:1: error: YAML syntax error"),
    ("rig-unknown-key", GEN, "--rig", RIG.replace("yaw_deg: 0}", "yaw_deg: 0, zoom: 2}"),
     r"FILE:2:\d+: error: cameras\[0\].zoom: unknown key 'zoom'"),
    ("rig-nan-translation", GEN, "--rig", RIG.replace("translation: [1.5, 0, 1.5]", "translation: [.nan, 0, 1]"),
     r"FILE:2:\d+: error: cameras\[0\].translation\[0\]: must be a finite number, got nan"),
    ("rig-string-width", GEN, "--rig", RIG.replace("width: 320", "width: '320'"),
     r"FILE:2:\d+: error: cameras\[0\].width: expected an integer, got the string '320'"),
    # sampler configs (anyscene sample CONFIG)
    ("sampler-syntax-error", ["sample", "CONFIG", "--n", "1", "--out", "OUT"], None, "density: {vehicles: 2\n",
     r"FILE:2:1: error: YAML syntax error"),
    ("sampler-unknown-key", ["sample", "CONFIG", "--n", "1", "--out", "OUT"], None, "densty: {vehicles: 2}\n",
     r"FILE:1:1: error: densty: unknown key 'densty'; did you mean 'density'\?"),
    ("sampler-string-for-number", ["sample", "CONFIG", "--n", "1", "--out", "OUT"], None,
     "density:\n  vehicles: '2'\n", r"FILE:2:3: error: density.vehicles: expected a number, got the string '2'"),
    ("sampler-range-error", ["sample", "CONFIG", "--n", "1", "--out", "OUT"], None, "duration: 1e9\n",
     r"FILE:1:1: error: duration: must be within 1..600 s"),
    ("sampler-tag", ["sample", "CONFIG", "--n", "1", "--out", "OUT"], None, "seed: !!binary aGk=\n",
     r"FILE:1:7: error: the YAML tag !!binary is not allowed"),
    # batch configs (anyscene batch CONFIG)
    ("batch-hex-resolution", ["batch", "CONFIG", "--out", "OUT"], None,
     "source: {layouts: LAYOUTS}\ngenerate:\n  resolution: 0x0\n",
     r"FILE:3:3: error: generate.resolution: expected a string, got the number 0"),
    ("batch-syntax-error", ["batch", "CONFIG", "--out", "OUT"], None, "source: {layouts: LAYOUTS\n",
     r"FILE:2:1: error: YAML syntax error"),
    ("batch-unknown-key", ["batch", "CONFIG", "--out", "OUT"], None, "source: {layouts: LAYOUTS}\nworker: 2\n",
     r"FILE:2:1: error: worker: unknown key 'worker'; did you mean 'workers'\?"),
    ("batch-string-workers", ["batch", "CONFIG", "--out", "OUT"], None, "source: {layouts: LAYOUTS}\nworkers: '2'\n",
     r"FILE:2:1: error: workers: expected an integer, got the string '2'"),
    ("batch-unknown-generate-key", ["batch", "CONFIG", "--out", "OUT"], None,
     "source: {layouts: LAYOUTS}\ngenerate: {camera_rat: 4}\n",
     r"FILE:2:\d+: error: generate.camera_rat: unknown generation setting 'camera_rat'"),
    ("batch-range-error", ["batch", "CONFIG", "--out", "OUT"], None, "source: {layouts: LAYOUTS}\nworkers: -3\n",
     r"FILE:2:1: error: workers: must be within 0..1024"),
    ("batch-generate-range", ["batch", "CONFIG", "--out", "OUT"], None,
     "source: {layouts: LAYOUTS}\ngenerate:\n  camera_rate: 1000\n",
     r"FILE:3:3: error: camera_rate 1000.0: must be in \(0, 100\] Hz"),
    ("batch-version-escapes", ["batch", "CONFIG", "--out", "OUT"], None, "source: {layouts: LAYOUTS}\nversion: ../x\n",
     r"FILE:2:1: error: version: '../x' is not a usable file name"),
    # training configs (anyscene train-renderer CONFIG)
    ("train-string-for-number", ["train-renderer", "CONFIG"], None, "train: {max_steps: '10'}\n",
     r"FILE:1:9: error: train.max_steps: expected an integer, got the string '10'"),
    ("train-syntax-error", ["train-renderer", "CONFIG"], None, "train: {max_steps: 10\n",
     r"FILE:2:1: error: YAML syntax error"),
]


@pytest.mark.parametrize("template, flag, body, message", [c[1:] for c in CONFIGS], ids=[c[0] for c in CONFIGS])
def test_config_file_refused(tmp_path, capsys, template, flag, body, message):
    work = Work(tmp_path)
    body = body.replace("LAYOUTS", str(work.inputs / "layouts"))
    (work.inputs / "layouts").mkdir()
    (work.inputs / "layouts" / "one.yaml").write_text(BASE)
    config = work.write("config.yaml", body)
    argv = [str(config) if a == "CONFIG" else a for a in template]
    argv = _argv(work, argv, flag, config)
    argv = [str(work.out) + ".png" if a == "OUT.png" else a for a in argv]
    expect_refused(work, in_process(capsys, argv), message)


def test_batch_folder_with_a_latin_1_layout(tmp_path, capsys):
    """A layout that is not UTF-8 in a batch's folder stops the batch before it starts, at its line."""
    work = Work(tmp_path)
    folder = work.inputs / "layouts"
    folder.mkdir()
    (folder / "good.yaml").write_text(BASE)
    (folder / "bad.yaml").write_bytes(BASE.replace("ped_1", "ped_\xe9").encode("latin-1"))
    config = work.write("batch.yaml", f"source: {{layouts: {folder}}}\n")
    expect_refused(work, in_process(capsys, ["batch", config, "--out", work.out, "--no-progress"]),
                   r"FILE:9:13: error: not UTF-8 text \(byte 0xe9\)")


def test_config_file_bigger_than_the_bound(tmp_path, capsys):
    work = Work(tmp_path)
    config = work.write("generate.yaml", "camera_rate: 12\n" + "#" * (2 << 20) + "\n")
    argv = _argv(work, GEN, "--config", config)
    expect_refused(work, in_process(capsys, argv), r"FILE: error: the generate config is larger than the limit "
                                                   r"of 1 MiB", located=False)


@pytest.mark.parametrize("text, message", [
    ("exposure: [\n", r"bad.yaml:2:1: YAML syntax error"),
    ("haze_density: .nan\n", r"bad.yaml:1:1: haze_density = nan is outside"),
    ("sun_color: !!python/name:os.system\n", r"bad.yaml:1:12: the YAML tag !!python/name:os.system is not allowed"),
    ("materials:\n  car: {jitter: '0.5'}\n", r"bad.yaml:2:9: materials.car.jitter must be a number"),
])
def test_raster_style_file_refused(tmp_path, text, message):
    """Raster styles are chosen in the library (`load_style`): the same rules, the same located messages."""
    import re

    from anyscene.errors import ConfigError
    from anyscene.render.style import load_style

    p = tmp_path / "bad.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_style(p)
    assert re.search(message, str(e.value)), str(e.value)


def test_raster_style_override_with_a_tag_is_refused():
    from anyscene.errors import ConfigError
    from anyscene.render.style import load_style

    with pytest.raises(ConfigError, match=r"override 'exposure=!!python/object:os.system x': the YAML tag"):
        load_style(overrides=["exposure=!!python/object:os.system x"])
