"""The golden run: one short, small generation of an example layout, and the sha256 of every file it writes.

`python tools/golden.py` generates the run into a temporary folder and compares it with the stored manifest
(tests/golden/urban_street.json); `--update` rewrites the manifest. tests/test_golden.py runs the comparison, so
any change to the bytes of an output shows up; regenerate the manifest when a change of output is intended.
Every setting that moves the output is named explicitly here, so a change of a default does not move the run.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from anyscene.export import generate_dataset, load_config  # noqa: E402

LAYOUT = ROOT / "layouts" / "urban_street.yaml"
MANIFEST = ROOT / "tests" / "golden" / "urban_street.json"
# Explicit options: the raster renderer, ray-cast camera maps, 1 s at 160x90, one writer thread.
OPTIONS = {"renderer": "raster", "rig": "nuscenes", "resolution": "160x90", "duration": 1.0, "seed": 7,
           "camera_rate": 12.0, "lidar_rate": 20.0, "keyframe_rate": 2.0, "grid": "occ3d", "workers": 1,
           "progress": False}
OVERRIDES = ["camera_backend=raycast", "camera_timing=synchronous", "raster.style=raster"]


def _canonical(value):
    """A pickled structure with every float rounded to 10 significant digits (JSON-ready)."""
    import numpy as np

    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, np.ndarray):
        return {"dtype": str(value.dtype), "shape": list(value.shape), "values": _canonical(value.tolist())}
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.10g}"
    if isinstance(value, np.generic):
        return value.item()
    return value


def digest(path: Path) -> str:
    """sha256 of a file's bytes; for the infos pickles, of their content with floats at 10 significant digits
    (their matrix inverses and products go through LAPACK/BLAS, whose last bit can differ between CPUs); for
    the preview video, its frame count and size (the MP4 bytes depend on the ffmpeg build)."""
    if path.suffix == ".pkl":
        import pickle

        with open(path, "rb") as f:
            data = pickle.load(f)  # our own output, written by this run
        text = json.dumps(_canonical(data), sort_keys=True)
        return "pkl:" + hashlib.sha256(text.encode()).hexdigest()
    if path.suffix == ".mp4":
        import imageio.v3 as iio

        frames = iio.imread(path)
        return f"mp4:{frames.shape[0]} frames of {frames.shape[2]}x{frames.shape[1]}"
    return hashlib.sha256(path.read_bytes()).hexdigest()


def digests(folder: Path) -> dict[str, str]:
    """The digest of every file under `folder` (see `digest`), keyed by its POSIX path relative to it."""
    return {p.relative_to(folder).as_posix(): digest(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def golden_run(out_dir: Path) -> dict[str, str]:
    """Generate the golden run into `out_dir` (which must not exist) and return its file digests."""
    config = load_config(None, OPTIONS, OVERRIDES)
    generate_dataset([LAYOUT], out_dir, config)
    return digests(out_dir)


def differences(expected: dict[str, str], actual: dict[str, str]) -> list[str]:
    """One line per file that is missing, extra or has other bytes."""
    out = [f"missing: {k}" for k in sorted(expected.keys() - actual.keys())]
    out += [f"extra: {k}" for k in sorted(actual.keys() - expected.keys())]
    out += [f"changed: {k}" for k in sorted(expected.keys() & actual.keys()) if expected[k] != actual[k]]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--update", action="store_true", help="rewrite the stored manifest from this run")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        actual = golden_run(Path(tmp) / "run")
    if args.update:
        MANIFEST.parent.mkdir(parents=True, exist_ok=True)
        MANIFEST.write_text(json.dumps(actual, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {MANIFEST.relative_to(ROOT)}: {len(actual)} files")
        return 0
    diff = differences(json.loads(MANIFEST.read_text(encoding="utf-8")), actual)
    print("\n".join(diff) if diff else f"golden run matches: {len(actual)} files")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
