"""Measure the LiDAR's per-beam constants from a real scene: the ego body's self-occlusion mask and the per-ring
dropout by range, as they go into the rig file (configs/rigs/nuscenes.yaml, `lidar.self_occlusion`,
`lidar.ring_dropout`, `lidar.dropout_ranges_m`).

    .venv/bin/python tools/lidar_beams.py --out beams.json [--real ../shared/nuscenes-real]

A real nuScenes LIDAR_TOP keyframe file stores every firing (32 rings × about 1,080 firings, in firing order)
and a firing that returned nothing as a point within 1 m of the sensor; the ego's own body returns within
BODY_RANGE_M.
- Self-occlusion: per ring and 1° azimuth bin (LiDAR frame, atan2(y, x)), the bins where no sweep of the
  scene has a return beyond BODY_RANGE_M: the car's body blocks them in every sweep.
- Dropout: a firing whose two neighbours in the same ring (the firings just before and after) both return
  beyond BODY_RANGE_M at ranges within NEIGHBOUR_SPREAD of each other has a target there; the fraction of such
  firings that return nothing, per ring and range bin (of the neighbours' mean range), outside the mask. The
  incidence angle is folded into it through the ring and range (most low-ring targets are the ground), on top
  of the simulated power and grazing-incidence model (anyscene.sensors.lidar).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_REAL = ROOT / ".." / "shared" / "nuscenes-real"
BODY_RANGE_M = 3.0  # m: returns nearer than this may be the ego's own body
NO_RETURN_M = 1.0  # m: real files store a firing without a return within this of the sensor
NEIGHBOUR_SPREAD = 0.15  # relative difference of the two neighbours' ranges for them to be one surface
RANGE_EDGES_M = (10.0, 20.0, 40.0)  # m: edges of the dropout range bins
BINS = 360  # 1° azimuth bins of the mask
MIN_FIRINGS = 300  # firings a (ring, range bin) rate is measured on; bins with fewer take the nearest such bin


def real_sweeps(dataroot: Path) -> list[np.ndarray]:
    """The LIDAR_TOP keyframe files of the real scene, each (N, 5) float32, in time order."""
    files = sorted((Path(dataroot) / "samples" / "LIDAR_TOP").glob("*.pcd.bin"))
    return [np.fromfile(f, np.float32).reshape(-1, 5) for f in files]


def azimuth_bin(x: np.ndarray, y: np.ndarray, bins: int = BINS) -> np.ndarray:
    """1°-wide (for 360 bins) LiDAR-frame azimuth bin of directions (x, y): bin 0 starts at -180°."""
    az = np.degrees(np.arctan2(y, x))
    return np.clip(np.floor((az + 180.0) * bins / 360.0).astype(np.int64), 0, bins - 1)


def self_occlusion(sweeps: list[np.ndarray], rings: int = 32) -> np.ndarray:
    """(rings, BINS) bool: the bins with no return beyond BODY_RANGE_M in any sweep."""
    seen = np.zeros((rings, BINS), bool)
    for p in sweeps:
        far = np.linalg.norm(p[:, :3], axis=1) > BODY_RANGE_M
        seen[p[far, 4].astype(np.int64), azimuth_bin(p[far, 0], p[far, 1])] = True
    return ~seen


def ring_dropout(sweeps: list[np.ndarray], mask: np.ndarray, edges=RANGE_EDGES_M) -> tuple[np.ndarray, np.ndarray]:
    """Per ring and range bin: the dropout rate (rings, len(edges) + 1) and the number of firings it is measured
    on (same shape); bins measured on fewer than MIN_FIRINGS take the rate of the ring's nearest bin that is
    not."""
    rings = mask.shape[0]
    lost = np.zeros((rings, len(edges) + 1), np.int64)
    total = np.zeros_like(lost)
    for p in sweeps:
        n = p.shape[0] // rings * rings
        r = np.linalg.norm(p[:n, :3], axis=1).reshape(-1, rings)  # (cycles, rings), firing order
        ring = p[:n, 4].astype(np.int64).reshape(-1, rings)
        if not np.array_equal(ring, np.broadcast_to(np.arange(rings), ring.shape)):
            raise ValueError("a real sweep is not stored firing by firing, rings ascending")
        # Direction of each firing: from the neighbours that returned (a non-return has no direction of its own).
        xy = p[:n, :2].reshape(-1, rings, 2)
        before, after = r[:-2], r[2:]
        mid = r[1:-1]
        both = (before > BODY_RANGE_M) & (after > BODY_RANGE_M)
        mean = 0.5 * (before + after)
        close = np.abs(before - after) <= NEIGHBOUR_SPREAD * mean
        dx, dy = xy[:-2, :, 0] + xy[2:, :, 0], xy[:-2, :, 1] + xy[2:, :, 1]
        blocked = mask[np.arange(rings)[None, :], azimuth_bin(dx, dy)]
        target = both & close & ~blocked & ((mid > BODY_RANGE_M) | (mid < NO_RETURN_M))
        b = np.searchsorted(np.asarray(edges), mean)
        rr = np.broadcast_to(np.arange(rings), mid.shape)
        np.add.at(total, (rr[target], b[target]), 1)
        np.add.at(lost, (rr[target], b[target]), (mid[target] < NO_RETURN_M).astype(np.int64))
    rate = lost / np.maximum(total, 1)
    for ring in range(rings):  # thinly measured bins take the rate of the nearest well-measured one
        good = np.flatnonzero(total[ring] >= MIN_FIRINGS)
        for b in np.flatnonzero(total[ring] < MIN_FIRINGS):
            rate[ring, b] = rate[ring, good[np.argmin(np.abs(good - b))]] if good.size else 0.0
    return rate, total


def mask_intervals(mask: np.ndarray) -> list[str]:
    """The mask as rig-file lines "RING: FROM..TO, ..." (whole degrees, half-open [FROM, TO)); rings without
    blocked bins are left out."""
    lines = []
    for ring, row in enumerate(mask):
        if not row.any():
            continue
        edges = np.flatnonzero(np.diff(np.r_[0, row.astype(np.int8), 0]))
        spans = [f"{int(a) * 360 // BINS - 180}..{int(b) * 360 // BINS - 180}"
                 for a, b in zip(edges[0::2], edges[1::2])]
        lines.append(f"{ring}: " + ", ".join(spans))
    return lines


def measure(dataroot: Path) -> dict:
    sweeps = real_sweeps(dataroot)
    if not sweeps:
        raise SystemExit(f"no LIDAR_TOP files under {dataroot}/samples/LIDAR_TOP")
    mask = self_occlusion(sweeps)
    rate, total = ring_dropout(sweeps, mask)
    return {"sweeps": len(sweeps), "body_range_m": BODY_RANGE_M, "blocked_bins_per_ring": mask.sum(1).tolist(),
            "self_occlusion": mask_intervals(mask), "dropout_ranges_m": list(RANGE_EDGES_M),
            "ring_dropout": np.round(rate, 3).tolist(), "firings_measured": total.tolist()}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True, help="JSON file to write")
    p.add_argument("--real", default=str(DEFAULT_REAL), help="the real nuScenes scene (nuscenes-real)")
    args = p.parse_args(argv)
    result = measure(Path(args.real))
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "firings_measured"}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
