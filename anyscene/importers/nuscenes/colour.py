"""Colour a reconstructed background from the recorded camera images.

Each element (ground cell, surfel) takes the mean colour of the pixels it covers (read from an image pyramid at
the level of its projected size) in the image of the keyframe nearest in time to
its own mean observation time, among the keyframes whose cameras have a clear view of it: in front of the camera,
inside the image, and no more than CLEAR_DEPTH behind the nearest LiDAR return of that keyframe in its BLOCK×BLOCK
image block (so a car or a wall in front hides it). `colour_keyframes="even"` uses keyframes 0, 2, 4, ... only, so
the odd ones stay held out for comparisons. Elements no keyframe sees clearly keep a neutral grey and are marked
uncoloured (`ground_coloured`, `surfel_coloured`), so renderers draw them in their own material instead.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from .background import BLOCK, CLEAR_DEPTH, _quat_matrix, read_points

MAX_DEPTH = 60.0  # m: farther elements are not coloured from an image (too few pixels)
DECODE = 2  # images are decoded at 1/DECODE of their size (JPEG draft mode: 4x faster, colour is averaged)


def _keyframes(sc, which: str) -> list[dict]:
    return [s for k, s in enumerate(sc.samples) if which == "all" or (which == "even" and k % 2 == 0)]


def colour_background(sc, bg, origin, ground_time: np.ndarray, surfel_time: np.ndarray, which: str,
                      warnings: list[str]):
    """`bg` with ground_colour and surfel_colour from the images of the chosen keyframes ("all" or "even")."""
    from PIL import Image

    from .tables import LIDAR

    tables = sc.tables
    nx, ny = bg.ground_z.shape
    gx = bg.ground_origin[0] + bg.ground_res * (np.arange(nx) + 0.5)
    gy = bg.ground_origin[1] + bg.ground_res * (np.arange(ny) + 0.5)
    X, Y = np.meshgrid(gx, gy, indexing="ij")
    gsel = np.flatnonzero(np.isfinite(bg.ground_z.ravel()))
    pts = np.vstack([np.stack([X.ravel()[gsel], Y.ravel()[gsel], bg.ground_z.ravel()[gsel]], 1),
                     bg.surfel_center.astype(np.float64)])
    times = np.concatenate([ground_time.ravel()[gsel], surfel_time])
    size = np.concatenate([np.full(len(gsel), bg.ground_res), 2.0 * bg.surfel_radius.astype(np.float64)])
    glob = pts + np.array([origin[0], origin[1], 0.0])
    colour = np.full((len(pts), 3), 128, np.uint8)
    best = np.full(len(pts), np.inf)
    by_token = {sd["token"]: sd for sds in sc.channels.values() for sd in sds}
    for sample in _keyframes(sc, which):
        t_kf = sc.t(sample["timestamp"])
        data = sample.get("data") or {}
        lidar_sd = by_token.get(data.get(LIDAR, "")) or next(
            (sd for sd in sc.channels[LIDAR] if sd.get("sample_token") == sample["token"] and sd.get("is_key_frame")),
            None)
        lidar_world = _lidar_world(tables, lidar_sd, warnings) if lidar_sd else None
        ego_sd = by_token.get(lidar_sd["token"]) if lidar_sd else None
        closer = np.abs(times - t_kf) < best
        if ego_sd is not None:  # only elements within reach of this keyframe's ego
            ep = tables.get("ego_pose", ego_sd["ego_pose_token"], f"sample_data '{ego_sd['token']}'")
            closer &= np.hypot(*(glob[:, :2] - np.asarray(ep["translation"][:2])).T) < MAX_DEPTH + 3.0
        if not closer.any():
            continue
        cand = np.flatnonzero(closer)
        for ch in sorted(c for c in sc.channels if sc.is_camera(c)):
            sd = next((d for d in sc.channels[ch] if d.get("sample_token") == sample["token"]
                       and d.get("is_key_frame")), None)
            if sd is None:
                continue
            path = tables.dataroot / str(sd.get("filename", ""))
            if not path.is_file():
                continue
            try:
                with Image.open(path) as im:
                    full = im.size
                    im.draft("RGB", (full[0] // DECODE, full[1] // DECODE))
                    img = np.asarray(im.convert("RGB"))
            except OSError as e:
                warnings.append(f"{path}: image of sample_data '{sd['token']}' unreadable ({e}); not used for colour")
                continue
            cs = tables.get("calibrated_sensor", sd["calibrated_sensor_token"], f"sample_data '{sd['token']}'")
            pose = tables.get("ego_pose", sd["ego_pose_token"], f"sample_data '{sd['token']}'")
            K = np.asarray(cs.get("camera_intrinsic") or [], np.float64)
            if K.shape != (3, 3):
                continue
            sub = cand[closer[cand]]
            if not sub.size:
                continue
            scale = img.shape[1] / full[0]
            K = K.copy()
            K[:2] *= scale
            u, v, z = _project(glob[sub], pose, cs, K)
            h, w = img.shape[:2]
            ok = (z > 0.5) & (z < MAX_DEPTH) & (u >= 0) & (u < w - 1) & (v >= 0) & (v < h - 1)
            if lidar_world is not None and ok.any():
                lu, lv, lz = _project(lidar_world, pose, cs, K)
                lok = (lz > 0.5) & (lu >= 0) & (lu < w) & (lv >= 0) & (lv < h)
                b = max(1, int(BLOCK * scale))
                bw, bh = w // b + 1, h // b + 1
                zbuf = np.full(bw * bh, np.inf)
                key = (lu[lok] // b).astype(np.int64) * bh + (lv[lok] // b).astype(np.int64)
                order = np.lexsort((lz[lok], key))
                key, first = key[order], np.r_[True, key[order][1:] != key[order][:-1]]
                zbuf[key[first]] = lz[lok][order][first]
                idx = np.flatnonzero(ok)
                blk = (u[idx] // b).astype(np.int64) * bh + (v[idx] // b).astype(np.int64)
                ok[idx[z[idx] > zbuf[blk] + CLEAR_DEPTH]] = False
            idx = np.flatnonzero(ok)
            if not idx.size:
                continue
            colour[sub[idx]] = _sample(_pyramid(img), u[idx], v[idx], size[sub[idx]] * K[0, 0] / z[idx])
            best[sub[idx]] = np.abs(times[sub[idx]] - t_kf)
            closer[sub[idx]] = False
    gcol = np.full((nx * ny, 3), 128, np.uint8)
    gcol[gsel] = colour[:len(gsel)]
    seen = np.isfinite(best)
    gseen = np.zeros(nx * ny, bool)
    gseen[gsel] = seen[:len(gsel)]
    return dataclasses.replace(bg, ground_colour=gcol.reshape(nx, ny, 3), surfel_colour=colour[len(gsel):],
                               ground_coloured=gseen.reshape(nx, ny), surfel_coloured=seen[len(gsel):])


LEVELS = 6  # image pyramid levels: an element up to 2^5 pixels across takes its mean colour


def _pyramid(img: np.ndarray) -> list[np.ndarray]:
    """`img` (H, W, 3) uint8 and its 2x2 box-filtered halvings (float32), LEVELS in all."""
    levels = [img.astype(np.float32)]
    for _ in range(LEVELS - 1):
        a = levels[-1]
        h, w = a.shape[0] // 2 * 2, a.shape[1] // 2 * 2
        if h < 2 or w < 2:
            break
        a = a[:h, :w]
        levels.append(0.25 * (a[0::2, 0::2] + a[1::2, 0::2] + a[0::2, 1::2] + a[1::2, 1::2]))
    return levels


def _sample(levels: list[np.ndarray], u: np.ndarray, v: np.ndarray, foot: np.ndarray) -> np.ndarray:
    """(N, 3) uint8 mean colour around pixels (u, v) over about `foot` pixels: the pyramid level whose texel is
    the element's projected size (so a ground cell takes the mean of the pixels it covers, not one of them)."""
    lev = np.clip(np.floor(np.log2(np.maximum(foot, 1.0))).astype(np.int64), 0, len(levels) - 1)
    out = np.empty((u.size, 3), np.float32)
    for k in np.unique(lev):
        m = np.flatnonzero(lev == k)
        a = levels[k]
        i = np.clip((v[m] / 2 ** k).astype(np.int64), 0, a.shape[0] - 1)
        j = np.clip((u[m] / 2 ** k).astype(np.int64), 0, a.shape[1] - 1)
        out[m] = a[i, j]
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def _project(glob: np.ndarray, pose: dict, cs: dict, K: np.ndarray):
    r_e, t_e = _quat_matrix(pose["rotation"]), np.asarray(pose["translation"], np.float64)
    r_c, t_c = _quat_matrix(cs["rotation"]), np.asarray(cs["translation"], np.float64)
    cam = ((glob - t_e) @ r_e - t_c) @ r_c
    z = cam[:, 2]
    zz = np.where(z > 1e-6, z, 1e-6)
    u = K[0, 0] * cam[:, 0] / zz + K[0, 2]
    v = K[1, 1] * cam[:, 1] / zz + K[1, 2]
    return u, v, z


def _lidar_world(tables, sd: dict, warnings: list[str]) -> np.ndarray | None:
    """Global-frame points of a LiDAR keyframe (agents included: they hide what is behind them)."""
    pts = read_points(tables.dataroot / str(sd.get("filename", "")), f"sample_data '{sd['token']}'", [])
    if pts is None:
        return None
    cs = tables.get("calibrated_sensor", sd["calibrated_sensor_token"], f"sample_data '{sd['token']}'")
    pose = tables.get("ego_pose", sd["ego_pose_token"], f"sample_data '{sd['token']}'")
    p = pts[:, :3].astype(np.float64) @ _quat_matrix(cs["rotation"]).T + np.asarray(cs["translation"])
    return p @ _quat_matrix(pose["rotation"]).T + np.asarray(pose["translation"])
