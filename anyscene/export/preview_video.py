"""Per-scene preview videos: the six cameras tiled 2×3 beside a bird's-eye-view panel with the agents' boxes.

One video frame per camera instant, composed on a background thread and streamed to ffmpeg (imageio-ffmpeg) in
order, with bit-exact encoder flags so that a re-run gives the same bytes where the ffmpeg build is the same.
"""
from __future__ import annotations

from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from ..classes import FREE
from ..world.pictures import EGO_COLOR, OCC3D_PALETTE, Mp4Stream

# Tile order: front row left to right, back row mirrored, as the nuScenes devkit shows them.
TILE_ORDER: tuple[str, ...] = ("CAM_FRONT_LEFT", "CAM_FRONT", "CAM_FRONT_RIGHT",
                               "CAM_BACK_LEFT", "CAM_BACK", "CAM_BACK_RIGHT")


def _even16(n: int) -> int:
    return -(-n // 16) * 16


class PreviewVideo:
    """Streams preview frames of one scene into an MP4.

    `channels` are the rig's cameras and `camera_size` (W, H) their image size. Tiles are `tile_width` pixels
    wide, three per row (the nuScenes six in the devkit's arrangement, other rigs in rig order); the BEV panel
    is a square as high as the tiles, covering ±`bev_range` metres around the ego (x forward up, y left left).
    """

    def __init__(self, path: Path, world, channels: list[str], camera_size: tuple[int, int], tile_width: int,
                 bev_range: float, fps: float, quality: int):
        self.world = world
        self.order = list(TILE_ORDER) if set(TILE_ORDER) == set(channels) else list(channels)
        rows = -(-len(self.order) // 3)
        w, h = camera_size
        self.tile_w = tile_width
        self.tile_h = max(2, int(round(tile_width * h / w / 2)) * 2)
        self.bev = rows * self.tile_h
        self.bev_range = bev_range
        self.size = (_even16(3 * self.tile_w + self.bev), _even16(rows * self.tile_h))
        self.video = Mp4Stream(path, fps, quality)
        # Ego-frame coordinates of the BEV pixel centres: rows forward→back, columns left→right.
        ppm = self.bev / (2 * bev_range)
        centers = (np.arange(self.bev) + 0.5) / ppm - bev_range
        self._ex = -centers[:, None] + np.zeros((1, self.bev))
        self._ey = -centers[None, :] + np.zeros((self.bev, 1))
        self._ppm = ppm
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="anyscene-preview")
        self._pending: deque = deque()

    def add(self, t: float, images: dict[str, np.ndarray]) -> None:
        """Append the frame at time t (s) from the camera images {channel: (H, W, 3) uint8}. Frames are composed
        and encoded in order on a background thread; at most two wait."""
        while len(self._pending) >= 2:
            self._pending.popleft().result()
        self._pending.append(self._thread.submit(self._append, t, images))

    def _append(self, t: float, images: dict[str, np.ndarray]) -> None:
        canvas = Image.new("RGB", self.size, (0, 0, 0))
        for n, channel in enumerate(self.order):
            if channel not in images:
                continue
            canvas.paste(self._tile(images[channel]), ((n % 3) * self.tile_w, (n // 3) * self.tile_h))
        canvas.paste(Image.fromarray(self._bev(t)), (3 * self.tile_w, 0))
        self.video.append(np.asarray(canvas))

    def _tile(self, rgb: np.ndarray):
        """The image shrunk to a tile: box-filtered by a whole factor first (fast), then resampled."""
        im = Image.fromarray(rgb)
        k = max(1, min(im.width // self.tile_w, im.height // self.tile_h))
        if k > 1:
            im = im.reduce(k)
        return im.resize((self.tile_w, self.tile_h), Image.BILINEAR) if im.size != (self.tile_w, self.tile_h) else im

    def _bev(self, t: float) -> np.ndarray:
        ego = self.world.ego_pose(t)
        c, s = np.cos(ego.yaw), np.sin(ego.yaw)
        wx = ego.translation[0] + c * self._ex - s * self._ey
        wy = ego.translation[1] + s * self._ex + c * self._ey
        static = self.world.static
        i, j, inside = static.cell_of(wx.ravel(), wy.ravel())
        cls = np.where(static.struct_cls[i, j] != FREE, static.struct_cls[i, j], static.ground[i, j])
        cls = np.where(inside, cls, FREE).reshape(self._ex.shape)
        rgb = (OCC3D_PALETTE[cls].astype(np.float32) * 0.55).astype(np.uint8)
        img = Image.fromarray(rgb)
        draw = ImageDraw.Draw(img)
        st = self.world.states(t)
        for n in np.flatnonzero(st.present):
            local = ego.to_ego(st.center[n][None])[0]
            if np.abs(local[:2]).max() > self.bev_range + 10:
                continue
            poly = self._rect(local[:2], st.yaw[n] - ego.yaw, st.size[n, 0], st.size[n, 1])
            color = tuple(int(v) for v in OCC3D_PALETTE[int(st.occ3d[n])])
            draw.polygon(poly, outline=color, width=2)
            draw.line([poly[0], poly[3]], fill=(255, 255, 255), width=2)  # front edge
        length, width, _ = self.world.ego_spec.size
        rear = self.world.ego_spec.rear_overhang
        draw.polygon(self._rect(np.array([length / 2 - rear, 0.0]), 0.0, length, width), fill=EGO_COLOR)
        return np.asarray(img)

    def _rect(self, center: np.ndarray, yaw: float, length: float, width: float) -> list[tuple[float, float]]:
        """Pixel corners (front-left, rear-left, rear-right, front-right) of an ego-frame rectangle."""
        c, s = np.cos(yaw), np.sin(yaw)
        out = []
        for u, v in ((length / 2, width / 2), (-length / 2, width / 2), (-length / 2, -width / 2),
                     (length / 2, -width / 2)):
            x, y = center[0] + c * u - s * v, center[1] + s * u + c * v
            out.append(((self.bev_range - y) * self._ppm, (self.bev_range - x) * self._ppm))
        return out

    def close(self) -> None:
        """Finish the pending frames and the file (re-raises a failure of the background thread)."""
        try:
            while self._pending:
                self._pending.popleft().result()
        finally:
            self._thread.shutdown(wait=True, cancel_futures=True)
            self.video.close()
