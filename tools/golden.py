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


def _canonical(value, digits: int = 10, floor: float = 0.0):
    """A pickled structure with every float rounded to `digits` significant digits, and to 0 where smaller than
    `floor` in magnitude (JSON-ready)."""
    import numpy as np

    if isinstance(value, dict):
        return {str(k): _canonical(v, digits, floor) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_canonical(v, digits, floor) for v in value]
    if isinstance(value, np.ndarray):
        values = _canonical(value.tolist(), digits, floor)
        return {"dtype": str(value.dtype), "shape": list(value.shape), "values": values}
    if isinstance(value, (float, np.floating)):
        x = float(value)
        return f"{(x if abs(x) >= floor else 0.0):.{digits}g}"
    if isinstance(value, np.generic):
        return value.item()
    return value


def _pickle_digest(path: Path, digits: int, floor: float = 0.0) -> str:
    import pickle

    with open(path, "rb") as f:
        data = pickle.load(f)  # our own output, written by this run
    return "pkl:" + hashlib.sha256(json.dumps(_canonical(data, digits, floor), sort_keys=True).encode()).hexdigest()


def digest(path: Path) -> str:
    """sha256 of a file's bytes; for the infos pickles, of their content with floats at 10 significant digits
    (their matrix inverses and products go through LAPACK/BLAS, whose last bit can differ between CPUs); for
    the preview video, its frame count and size (the MP4 bytes depend on the ffmpeg build)."""
    if path.suffix == ".pkl":
        return _pickle_digest(path, 10)
    if path.suffix == ".mp4":
        import imageio.v3 as iio

        frames = iio.imread(path)
        return f"mp4:{frames.shape[0]} frames of {frames.shape[2]}x{frames.shape[1]}"
    return hashlib.sha256(path.read_bytes()).hexdigest()


# Summaries: what a file holds, for machines other than the recording one. Float kernels (BLAS, the SIMD
# paths of numpy and Embree) round the last bit differently on different CPUs, and that moves the bytes of
# point clouds, depth maps and JPEGs without moving their content.
def _pcd_arrays(path: Path) -> dict:
    """The columns of a binary PCD file (the radar's), as float64 (N, fields)."""
    import numpy as np

    raw = path.read_bytes()
    head, _, body = raw.partition(b"DATA binary\n")
    fields = dict(line.split(" ", 1) for line in head.decode("ascii").splitlines() if not line.startswith("#"))
    names, sizes, types = fields["FIELDS"].split(), fields["SIZE"].split(), fields["TYPE"].split()
    kind = {"F": "f", "I": "i", "U": "u"}
    dtype = np.dtype([(n, f"<{kind[t]}{z}") for n, z, t in zip(names, sizes, types)])
    rec = np.frombuffer(body, dtype=dtype, count=int(fields["POINTS"]))
    return {"points": np.stack([rec[n].astype(np.float64) for n in names], axis=1)}


def _arrays(path: Path) -> dict | None:
    """The numeric content of a file whose bytes depend on float rounding, or None for the other kinds."""
    import numpy as np

    name = path.name
    if name.endswith(".pcd.bin"):
        return {"points": np.fromfile(path, dtype=np.float32).reshape(-1, 5)}
    if name.endswith(".pcd"):
        return _pcd_arrays(path)
    if name.endswith(".npz"):
        with np.load(path) as z:
            return {k: z[k] for k in sorted(z.files)}
    if name.endswith(".jpg"):
        from PIL import Image

        with Image.open(path) as im:
            return {"pixels": np.asarray(im.convert("RGB"))}
    return None


def _array_summary(a) -> dict:
    """Shape, dtype and per-channel mean and standard deviation (channels: the last axis when it is at most 8
    wide, else the whole array)."""
    import numpy as np

    v = np.asarray(a, dtype=np.float64)
    flat = v.reshape(-1, v.shape[-1]) if v.ndim >= 2 and v.shape[-1] <= 8 else v.reshape(-1, 1)
    finite = np.where(np.isfinite(flat), flat, 0.0)
    mean = finite.mean(axis=0) if flat.shape[0] else np.zeros(flat.shape[1])
    std = finite.std(axis=0) if flat.shape[0] else np.zeros(flat.shape[1])
    return {"shape": list(v.shape), "dtype": str(np.asarray(a).dtype), "mean": mean.tolist(), "std": std.tolist()}


def summary(path: Path) -> dict | None:
    """What a float-sensitive file holds (see _arrays), or, for a pickle, its content at 6 significant
    digits with magnitudes below 1e-9 as 0 (round-off of products that are zero);
    None for files whose bytes are machine-independent."""
    if path.suffix == ".pkl":
        return {"content": {"digest": _pickle_digest(path, 6, 1e-9)}}
    arrays = _arrays(path)
    return None if arrays is None else {k: _array_summary(v) for k, v in arrays.items()}


# A channel's mean may move by this much (relative to its spread, plus an absolute floor in its units):
# last-bit rounding moves means by ~1e-6 of the spread, a JPEG re-encode of images whose pixels differ by one
# level in a few places by ~1e-3; a missing object or a shifted scan moves them by far more.
TOLERANCE = 0.005


def summaries_match(expected: dict, actual: dict) -> bool:
    """Whether two summaries agree: equal shapes, dtypes and digests, means and spreads within TOLERANCE."""
    if expected.keys() != actual.keys():
        return False
    for key, e in expected.items():
        a = actual[key]
        if "digest" in e or e["shape"] != a["shape"] or e["dtype"] != a["dtype"]:
            if e != a:
                return False
            continue
        for name in ("mean", "std"):
            for x, y, s in zip(e[name], a[name], e["std"]):
                if abs(x - y) > TOLERANCE * (s + 1e-3) + 1e-6:
                    return False
    return True


def platform_key() -> str:
    """What decides the exact bytes of the golden run: the CPU's architecture and vector extensions, and the
    versions of the libraries whose float kernels write them."""
    import platform
    from importlib.metadata import version

    flags = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        words = set(cpuinfo.read_text(errors="replace").split())
        flags = ",".join(f for f in ("avx2", "avx512f", "avx512_bf16", "amx_tile") if f in words)
    libs = ",".join(f"{p}={version(p)}" for p in ("numpy", "open3d", "pillow", "scipy"))
    return f"{platform.machine()}[{flags}] {libs}"


def golden_run(out_dir: Path) -> dict:
    """Generate the golden run into `out_dir` (which must not exist) and return its manifest: the platform key,
    and per file its digest and, for float-sensitive files, its summary."""
    config = load_config(None, OPTIONS, OVERRIDES)
    generate_dataset([LAYOUT], out_dir, config)
    files = {}
    for p in sorted(out_dir.rglob("*")):
        if p.is_file():
            entry = {"digest": digest(p)}
            s = summary(p)
            if s is not None:
                entry["summary"] = s
            files[p.relative_to(out_dir).as_posix()] = entry
    return {"platform": platform_key(), "files": files}


def differences(expected: dict, actual: dict) -> list[str]:
    """One line per file that is missing, extra or changed. On the platform the manifest was recorded on
    every digest must match; elsewhere a file with a summary must match its summary instead."""
    same_platform = expected["platform"] == actual["platform"]
    exp, act = expected["files"], actual["files"]
    out = [f"missing: {k}" for k in sorted(exp.keys() - act.keys())]
    out += [f"extra: {k}" for k in sorted(act.keys() - exp.keys())]
    for k in sorted(exp.keys() & act.keys()):
        e, a = exp[k], act[k]
        if e["digest"] == a["digest"]:
            continue
        if not same_platform and "summary" in e and "summary" in a and summaries_match(e["summary"], a["summary"]):
            continue
        out.append(f"changed: {k}")
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
        print(f"wrote {MANIFEST.relative_to(ROOT)}: {len(actual['files'])} files on {actual['platform']}")
        return 0
    diff = differences(json.loads(MANIFEST.read_text(encoding="utf-8")), actual)
    print("\n".join(diff) if diff else f"golden run matches: {len(actual['files'])} files")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
