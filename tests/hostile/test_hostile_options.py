"""Hostile command-line options and key=value overrides: refused with exit 2 naming the option or override and
what is allowed, before anything is written; a few cases in a fresh interpreter, as a user runs them."""
from __future__ import annotations

import pytest

from hostile import BASE, FAST, Work, expect_refused, in_process, in_subprocess

# (case id, argv after the verb's layout: LAYOUT and OUT are filled in, expected message)
GENERATE = [
    ("override-python-tag", ["seed=!!python/object/apply:os.system [id]"],
     r"error: override 'seed=!!python/object/apply:os.system \[id\]': the YAML tag "
     r"!!python/object/apply:os.system is not allowed"),
    ("override-hex-for-string", ["resolution=0x0"],
     r"error: override 'resolution=0x0': resolution: expected a string, got the number 0"),
    ("override-interpolation", ["weights=${oc.env:HOME}"],
     r"error: override 'weights=\$\{oc.env:HOME\}': weights: interpolations \$\{...\} are not supported"),
    ("override-nan", ["annotation.max_distance=.nan"],
     r"error: override 'annotation.max_distance=.nan': annotation.max_distance: must be a finite number"),
    ("override-string-for-number", ["jpeg_quality=high"],
     r"error: override 'jpeg_quality=high': jpeg_quality: expected an integer, got the string 'high'"),
    ("override-unknown-key", ["annotation.max_distanse=40"],
     r"error: override 'annotation.max_distanse=40': unknown key 'annotation.max_distanse'"),
    ("override-bad-key", ["a..b=1"], r"error: a..b=1: layouts must come before|error: override 'a..b=1': the key"),
    ("override-undefined-alias", ["formats=[nuscenes, *x]"],
     r"error: override 'formats=\[nuscenes, \*x\]': YAML syntax error"),
    ("override-version-escapes", ["version=../../escape"],
     r"error: override 'version=../../escape': version: '../../escape' is not a usable file name"),
    ("override-range", ["preview.fps=1e9"], r"error: override 'preview.fps=1e9': preview.fps must be in \(0, 100\]"),
    ("resolution-200000px", ["--resolution", "200000x200000"],
     r"error: option resolution='200000x200000': resolution '200000x200000': width and height must be 16..8192"),
    ("resolution-too-many-pixels", ["--resolution", "8000x8000"],
     r"error: option resolution='8000x8000': resolution '8000x8000': 64,000,000 pixels; at most 8,294,400"),
    ("camera-rate-1e9", ["--camera-rate", "1e9"], r"error: option camera_rate=1000000000.0: camera_rate 1000000000.0: must be in \(0, 100\] Hz"),
    ("lidar-rate-inf", ["--lidar-rate", "inf"], r"error: option lidar_rate=inf: lidar_rate: must be a finite number"),
    ("duration-nan", ["--duration", "nan"], r"error: option duration=nan: duration: must be a finite number"),
    ("duration-1e308", ["--duration", "1e308"], r"error: option duration=1e\+308: duration 1e\+308: must be 0.5..600 s"),
    ("version-escapes", ["--version", "../../escape"],
     r"error: option version='../../escape': version: '../../escape' is not a usable file name"),
    ("seed-huge", ["--seed", "99999999999999"], r"error: option seed=99999999999999: seed 99999999999999: must be 0..2147483647"),
    ("workers-huge", ["--workers", "100000"], r"error: option workers=100000: workers 100000: must be 1..64"),
]


def _generate_argv(work: Work, extra: list[str]) -> list[str]:
    layout = work.layout(BASE)
    fast = [a for a in FAST]
    for flag in ("--resolution", "--duration", "--camera-rate", "--lidar-rate"):
        if flag in extra and flag in fast:  # the case's own value, not the fast default
            i = fast.index(flag)
            del fast[i:i + 2]
    return ["generate", str(layout), "--out", str(work.out), *fast, *extra]


@pytest.mark.parametrize("extra, message", [c[1:] for c in GENERATE], ids=[c[0] for c in GENERATE])
def test_generate_option_refused(tmp_path, capsys, extra, message):
    work = Work(tmp_path)
    expect_refused(work, in_process(capsys, _generate_argv(work, extra)), message)


# verb, arguments after LAYOUT (OUT filled in), expected message
VIEWS = [
    ("occupancy-rate-1e9", "occupancy", ["--out", "OUT", "--rate", "1e9"],
     r"error: --rate 1e\+09: must be in \(0, 20\] frames per second"),
    ("occupancy-rate-nan", "occupancy", ["--out", "OUT", "--rate", "nan"], r"error: --rate nan: must be in \(0, 20\]"),
    ("occupancy-tens-of-gb", "occupancy", ["--out", "OUT", "--rate", "20", "--grid", "GRID"],
     r"error: --rate 20: 401 frames of 16,000,000 voxels is more than the 4e\+09 voxel-frames"),
    ("occupancy-duration-nan", "occupancy", ["--out", "OUT", "--duration", "nan"],
     r"error: --duration nan: must be between 0 and the scene's duration 4 s"),
    ("preview-gif-rate-1e6", "preview", ["--out", "OUT.gif", "--rate", "1e6"],
     r"error: --rate 1e\+06: must be in \(0, 50\] frames per second"),
    ("preview-mp4-rate-1e6", "preview", ["--out", "OUT.mp4", "--rate", "1e6"],
     r"error: --rate 1e\+06: must be in \(0, 60\] frames per second"),
    ("preview-size-100000", "preview", ["--out", "OUT.png", "--size", "100000"],
     r"error: --size 100000: must be between 64 and 4096 pixels"),
    ("preview-t-nan", "preview", ["--out", "OUT.png", "--t", "nan"],
     r"error: --t nan: must be between 0 and the scene's duration"),
]


@pytest.mark.parametrize("verb, extra, message", [c[1:] for c in VIEWS], ids=[c[0] for c in VIEWS])
def test_view_option_refused(tmp_path, capsys, verb, extra, message):
    work = Work(tmp_path)
    layout = work.layout(BASE.replace("duration: 4", "duration: 20").replace("speed: 5", "speed: 2")
                         if "GRID" in extra else BASE)
    grid = work.write("grid.yaml", "nx: 4000\nny: 4000\nnz: 1\nvoxel: 0.1\n")
    argv = [verb, str(layout)] + [str(work.out) + a[3:] if a.startswith("OUT") else str(grid) if a == "GRID" else a
                                  for a in extra]
    expect_refused(work, in_process(capsys, argv), message)


@pytest.mark.parametrize("argv, message", [
    (["sample", "CONFIG", "--n", "10000000000", "--out", "OUT"], r"error: --n 10000000000: give 1..1,000,000"),
    (["sample", "CONFIG", "--n", "1", "--out", "OUT", "seed=!!python/object:os.system x"],
     r"error: override 'seed=!!python/object:os.system x': the YAML tag"),
    (["sample", "CONFIG", "--n", "1", "--out", "OUT", "duration=abc"],
     r"error: override 'duration=abc': duration: expected a number, got the string 'abc'"),
    (["batch", "BATCH", "--out", "OUT", "generate.resolution=0x0"],
     r"error: override 'generate.resolution=0x0': resolution: expected a string, got the number 0"),
    (["batch", "BATCH", "--out", "OUT", "workers=${oc.env:HOME}"],
     r"error: override 'workers=\$\{oc.env:HOME\}': workers: expected an integer"),
    (["batch", "BATCH", "--out", "OUT", "--workers", "-1"], r"error: --workers -1: must be >= 0"),
], ids=["sample-n-huge", "sample-override-tag", "sample-override-string", "batch-override-hex",
        "batch-override-interpolation", "batch-workers-negative"])
def test_sample_and_batch_options_refused(tmp_path, capsys, argv, message):
    from testdata import ROOT

    work = Work(tmp_path)
    (work.inputs / "layouts").mkdir()
    (work.inputs / "layouts" / "one.yaml").write_text(BASE)
    batch = work.write("batch.yaml", f"source: {{layouts: {work.inputs / 'layouts'}}}\n")
    sampler = ROOT / "configs" / "sampler" / "default.yaml"
    argv = [str(sampler) if a == "CONFIG" else str(batch) if a == "BATCH" else str(work.out) if a == "OUT" else a
            for a in argv]
    expect_refused(work, in_process(capsys, argv), message)


SUBPROCESS = [
    ("layout-from-dev-zero", lambda w: ["validate", "/dev/zero"], r"/dev/zero: error: not a regular file"),
    ("nul-byte-layout", lambda w: ["generate", w.layout(BASE.replace("ped_1", "ped\x001")), "--out", w.out, *FAST],
     r"FILE:9:12: error: control character U\+0000 is not allowed"),
    ("override-python-tag", lambda w: ["generate", w.layout(), "--out", w.out, *FAST,
                                       "seed=!!python/object/apply:os.system [touch pwned]"],
     r"error: override 'seed=!!python/object/apply:os.system \[touch pwned\]': the YAML tag"),
    ("rig-channel-escapes", lambda w: ["generate", w.layout(), "--out", w.out, *FAST, "--rig", w.write(
        "rig.yaml", "cameras:\n  - {channel: ../../../escape, width: 320, height: 180, fov_deg: 70, translation: "
        "[1.5, 0, 1.5], yaw_deg: 0}\nlidar: {translation: [0.9, 0, 1.8], rotation: [1, 0, 0, 0]}\n")],
     r"FILE:2:6: error: cameras\[0\].channel: '../../../escape' is not a usable file name"),
]


@pytest.mark.parametrize("make, message", [c[1:] for c in SUBPROCESS], ids=[c[0] for c in SUBPROCESS])
def test_refused_in_a_fresh_interpreter(tmp_path, make, message):
    work = Work(tmp_path)
    argv = make(work)
    expect_refused(work, in_subprocess(argv), message)
    assert not (tmp_path / "pwned").exists()
