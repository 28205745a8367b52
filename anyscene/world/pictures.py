"""Pictures of a scene for authoring and review, drawn with Pillow.

Two views, both `draw(t) -> (H, W, 3) uint8` pictures with a side panel (scene, time, legend):
- `BevView`: the ego-frame occupancy seen from above, each column coloured by its highest non-free class
  (x forward points up, y left points left), with agent ids, velocity arrows, the ego box and the grid's
  outline.
- `WorldView`: the whole static map (downsampled), every agent at t with its trajectory over the scene, the
  ego and the rectangle its occupancy grid covers (x east right, y north up).

`write_preview` streams pictures into a PNG (one time), a GIF or an MP4: each picture is drawn and appended
before the next is made, so memory does not grow with the number of frames.
"""
from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Callable, Iterable, Protocol

import imageio.v2 as imageio
import numpy as np
from PIL import GifImagePlugin, Image, ImageDraw, ImageFont

from ..atomic import atomic_file
from ..classes import FREE, OCC3D_NAMES
from ..errors import ConfigError
from ..resources import asset
from .grid import GridSpec
from .world import World

# Occ3D class colours (RGB) of the widely used Occ3D-nuScenes visualisation, indexed by class id; the last
# row (17, free) is the background.


def _load_palette() -> tuple[np.ndarray, tuple[int, int, int], tuple[int, int, int]]:
    """Class colours from assets/palette.json: (18, 3) uint8 by Occ3D id, the ego's and its route's colours."""
    data = json.loads(asset("palette.json").read_text(encoding="utf-8"))
    table = np.array([data["occ3d"][name] for name in OCC3D_NAMES], dtype=np.uint8)
    return table, tuple(data["ego"]), tuple(data["ego_path"])


OCC3D_PALETTE, EGO_COLOR, EGO_PATH_COLOR = _load_palette()  # the route is drawn darker than the ego itself
TEXT_COLOR, OUTLINE_COLOR, PANEL_COLOR = (255, 255, 255), (0, 0, 0), (20, 20, 24)
ARROW_SECONDS = 1.0  # a velocity arrow is as long as the distance covered in this time
MIN_ARROW_SPEED = 0.2  # m/s: slower agents get no arrow
TRAJECTORY_RATE = 4.0  # Hz: sampling of the trajectories drawn in the world view
SUFFIXES = (".png", ".gif", ".mp4")
PANEL_LINES = 6  # text lines under the panel's title


def column_classes(semantics: np.ndarray) -> np.ndarray:
    """The highest non-free class of each column: (nx, ny, nz) uint8 -> (nx, ny) uint8 (FREE where empty)."""
    occupied = semantics != FREE
    top = semantics.shape[2] - 1 - np.argmax(occupied[:, :, ::-1], axis=2)
    out = np.take_along_axis(semantics, top[:, :, None], axis=2)[:, :, 0]
    out[~occupied.any(axis=2)] = FREE
    return out


class Affine:
    """Planar metres -> picture pixels (column, row): pixel = m @ point + b."""

    def __init__(self, m: np.ndarray, b: np.ndarray):
        self.m, self.b = np.asarray(m, dtype=np.float64), np.asarray(b, dtype=np.float64)

    def __call__(self, pts) -> np.ndarray:
        return np.asarray(pts, dtype=np.float64) @ self.m.T + self.b

    @property
    def scale(self) -> float:
        """Pixels per metre."""
        return float(np.sqrt(abs(np.linalg.det(self.m))))


def bev_transform(grid: GridSpec, size: int) -> Affine:
    """Ego frame -> BEV pixels: +x (forward) up, +y (left) left; the grid's larger side spans `size` pixels."""
    x1, y1, _ = grid.upper
    ppm = size / max(x1 - grid.x_min, y1 - grid.y_min)
    return Affine([[0.0, -ppm], [-ppm, 0.0]], [y1 * ppm, x1 * ppm])


def _font(px: int):
    return ImageFont.load_default(size=px)


def _box_corners(center: np.ndarray, yaw: float, length: float, width: float) -> np.ndarray:
    """Corners (4, 2) of an oriented rectangle, counter-clockwise from front-left."""
    c, s = np.cos(yaw), np.sin(yaw)
    local = np.array([(length / 2, width / 2), (-length / 2, width / 2), (-length / 2, -width / 2),
                      (length / 2, -width / 2)])
    return center[:2] + local @ np.array([[c, s], [-s, c]])


class _Canvas:
    """A picture: a map area of (map_w, map_h) pixels at the left and a panel at the right, padded to
    multiples of 16 pixels (video encoders want that)."""

    def __init__(self, map_w: int, map_h: int):
        self.map_w, self.map_h = map_w, map_h
        self.font_px = max(11, min(map_w, map_h) // 50)
        panel = max(170, 13 * self.font_px)
        fp = self.font_px
        legend_h = 10 + (fp + 8) + PANEL_LINES * (fp + 2) + 8 + (len(OCC3D_NAMES) + 1) * (fp + 6) + 10
        w, h = -(-(map_w + panel) // 16) * 16, -(-max(map_h, legend_h) // 16) * 16
        self.image = Image.new("RGB", (w, h), PANEL_COLOR)
        self.draw = ImageDraw.Draw(self.image)
        self.font = _font(self.font_px)
        self.small = _font(max(9, self.font_px - 3))
        self.labels: list[tuple[float, float, float, float]] = []  # pixel boxes of the labels written so far

    def paste_map(self, rgb: np.ndarray) -> None:
        self.image.paste(Image.fromarray(rgb), (0, 0))

    def label(self, corners_px: np.ndarray, text: str) -> None:
        """Write `text` above and to the right of an object's pixel outline (4, 2), so it covers none of it."""
        right, top = float(corners_px[:, 0].max()), float(corners_px[:, 1].min())
        kw = dict(font=self.small, anchor="ld", stroke_width=2)
        box = self.draw.textbbox((right + 3, top - 1), text, **kw)
        if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in self.labels):
            return  # a crowd: keep the labels already written legible rather than overprint them
        self.labels.append(box)
        self.draw.text((right + 3, top - 1), text, fill=TEXT_COLOR, stroke_fill=OUTLINE_COLOR, **kw)

    def arrow(self, start, end, color=TEXT_COLOR) -> None:
        start, end = np.asarray(start, dtype=float), np.asarray(end, dtype=float)
        d = end - start
        n = float(np.hypot(*d))
        if n < 2.0:
            return
        u, v = d / n, np.array([-d[1], d[0]]) / n
        head = min(8.0, 0.4 * n)
        self.draw.line([tuple(start), tuple(end)], fill=color, width=2)
        self.draw.polygon([tuple(end), tuple(end - u * head + v * head / 2), tuple(end - u * head - v * head / 2)],
                          fill=color)

    def panel(self, title: str, lines: list[str]) -> None:
        x, y = self.map_w + 12, 10
        self.draw.text((x, y), title, fill=TEXT_COLOR, font=self.font)
        y += self.font_px + 8
        for line in lines:
            self.draw.text((x, y), line, fill=TEXT_COLOR, font=self.small)
            y += self.font_px + 2
        y += 8
        swatch = self.font_px
        entries = [(OCC3D_NAMES[i], tuple(int(c) for c in OCC3D_PALETTE[i])) for i in range(len(OCC3D_NAMES))]
        entries.append(("ego", EGO_COLOR))
        for name, color in entries:
            self.draw.rectangle([x, y, x + swatch, y + swatch], fill=color, outline=(90, 90, 90))
            self.draw.text((x + swatch + 6, y + swatch / 2), name, fill=TEXT_COLOR, font=self.small, anchor="lm")
            y += swatch + 6

    def array(self) -> np.ndarray:
        return np.asarray(self.image, dtype=np.uint8).copy()


class PictureView(Protocol):
    def draw(self, t: float) -> np.ndarray:
        """The picture at time t (s): (H, W, 3) uint8 RGB."""


class BevView:
    """The ego-frame occupancy from above, `size` pixels across the grid's larger side."""

    def __init__(self, world: World, grid: GridSpec = GridSpec(), size: int = 800):
        self.world, self.grid = world, grid
        self.to_px = bev_transform(grid, size)
        x1, y1, _ = grid.upper
        self.map_w = int(round((y1 - grid.y_min) * self.to_px.scale))
        self.map_h = int(round((x1 - grid.x_min) * self.to_px.scale))

    def draw(self, t: float) -> np.ndarray:
        frame = self.world.frame(t, self.grid, with_flow=False)
        cols = column_classes(frame.semantics)
        # (x, y) index order -> rows = x descending (forward up), columns = y descending (left on the left).
        rgb = OCC3D_PALETTE[cols[::-1, ::-1]]
        canvas = _Canvas(self.map_w, self.map_h)
        canvas.paste_map(np.asarray(Image.fromarray(rgb).resize((self.map_w, self.map_h), Image.NEAREST)))
        canvas.draw.rectangle([0, 0, self.map_w - 1, self.map_h - 1], outline=TEXT_COLOR, width=1)
        self._draw_ego(canvas)
        self._draw_agents(canvas, frame.ego, t)
        g = self.grid
        x1, y1, z1 = g.upper
        canvas.panel(self.world.layout.name, [
            f"t = {t:6.2f} s", "ego-frame occupancy, top view",
            f"x {g.x_min:g}..{x1:g} m (up), y {g.y_min:g}..{y1:g} m", f"z {g.z_min:g}..{z1:g} m, voxel {g.voxel:g} m",
            f"arrows: {ARROW_SECONDS:g} s of motion"])
        return canvas.array()

    def _draw_ego(self, canvas: _Canvas) -> None:
        length, width, _ = self.world.ego_spec.size
        rear = self.world.ego_spec.rear_overhang
        corners = _box_corners(np.array([length / 2 - rear, 0.0]), 0.0, length, width)
        canvas.draw.polygon([tuple(p) for p in self.to_px(corners)], fill=EGO_COLOR, outline=TEXT_COLOR)
        nose = self.to_px(np.array([[length - rear, 0.0], [length / 2 - rear, width / 2],
                                    [length / 2 - rear, -width / 2]]))
        canvas.draw.polygon([tuple(p) for p in nose], outline=OUTLINE_COLOR)

    def _draw_agents(self, canvas: _Canvas, ego, t: float) -> None:
        st = self.world.states(t)
        idx = np.flatnonzero(st.present)
        if not idx.size:
            return
        centers = ego.to_ego(st.center[idx])[:, :2]
        vels = ego.vector_to_ego(st.velocity[idx])
        x1, y1, _ = self.grid.upper
        inside = ((centers[:, 0] >= self.grid.x_min) & (centers[:, 0] < x1) & (centers[:, 1] >= self.grid.y_min)
                  & (centers[:, 1] < y1))
        yaws = st.yaw[idx] - ego.yaw
        for n in np.flatnonzero(inside):
            p = self.to_px(centers[n])
            if np.hypot(*vels[n]) >= MIN_ARROW_SPEED:
                canvas.arrow(p, self.to_px(centers[n] + vels[n] * ARROW_SECONDS))
            track = self.world.agents[idx[n]]
            if not track.parked:  # props of agent classes are part of the scenery
                corners = _box_corners(centers[n], yaws[n], track.size[0], track.size[1])
                canvas.label(self.to_px(corners), track.id)


class WorldView:
    """The whole map from above (x east right, y north up), `size` pixels across its larger side."""

    def __init__(self, world: World, grid: GridSpec = GridSpec(), size: int = 800):
        self.world, self.grid = world, grid
        x0, y0, x1, y1 = world.static.extent
        ppm = size / max(x1 - x0, y1 - y0)
        self.to_px = Affine([[ppm, 0.0], [0.0, -ppm]], [-x0 * ppm, y1 * ppm])
        self.map_w, self.map_h = int(round((x1 - x0) * ppm)), int(round((y1 - y0) * ppm))
        st = world.static
        step = max(1, int(np.floor(1.0 / (ppm * st.res))))  # keep about one raster cell per pixel
        cls = np.where(st.struct_cls[::step, ::step] != FREE, st.struct_cls[::step, ::step], st.ground[::step, ::step])
        rgb = OCC3D_PALETTE[cls.T[::-1]]  # (x, y) -> rows = y descending, columns = x ascending
        base = Image.fromarray(rgb).resize((self.map_w, self.map_h), Image.NEAREST)
        draw = ImageDraw.Draw(base)
        for tr in world.agents:
            if tr.parked:
                continue
            t0, t1 = max(tr.appear, 0.0), min(tr.disappear, world.duration)
            if t1 > t0:
                ts = np.linspace(t0, t1, max(2, int(np.ceil((t1 - t0) * TRAJECTORY_RATE)) + 1))
                pts = self.to_px(tr.motion.evaluate(ts).xy)
                draw.line([tuple(p) for p in pts], fill=tuple(int(c) for c in OCC3D_PALETTE[tr.occ3d]), width=1)
        ts = np.linspace(0.0, world.duration, max(2, int(np.ceil(world.duration * TRAJECTORY_RATE)) + 1))
        ego_path = np.array([world.ego_pose(t).translation[:2] for t in ts])
        draw.line([tuple(p) for p in self.to_px(ego_path)], fill=EGO_PATH_COLOR, width=2)
        self.base = np.asarray(base, dtype=np.uint8).copy()

    def draw(self, t: float) -> np.ndarray:
        canvas = _Canvas(self.map_w, self.map_h)
        canvas.paste_map(self.base)
        ego = self.world.ego_pose(t)
        g = self.grid
        x1, y1, _ = g.upper
        rng = ego.to_world(np.array([[g.x_min, g.y_min, 0], [x1, g.y_min, 0], [x1, y1, 0], [g.x_min, y1, 0]]))
        canvas.draw.polygon([tuple(p) for p in self.to_px(rng[:, :2])], outline=TEXT_COLOR, width=2)
        length, width, _ = self.world.ego_spec.size
        rear = self.world.ego_spec.rear_overhang
        center = ego.to_world(np.array([[length / 2 - rear, 0.0, 0.0]]))[0]
        corners = self.to_px(_box_corners(center, ego.yaw, length, width))
        canvas.draw.polygon([tuple(p) for p in corners], fill=EGO_COLOR, outline=OUTLINE_COLOR)
        canvas.label(corners, "ego")
        st = self.world.states(t)
        ppm = self.to_px.scale
        for n in np.flatnonzero(st.present):
            corners = self.to_px(_box_corners(st.center[n], st.yaw[n], st.size[n, 0], st.size[n, 1]))
            color = tuple(int(c) for c in OCC3D_PALETTE[st.occ3d[n]])
            if np.ptp(corners, axis=0).max() < 3.0:  # smaller than a few pixels: a dot that stays visible
                c = self.to_px(st.center[n, :2])
                canvas.draw.ellipse([c[0] - 2, c[1] - 2, c[0] + 2, c[1] + 2], fill=color, outline=OUTLINE_COLOR)
            else:
                canvas.draw.polygon([tuple(p) for p in corners], fill=color, outline=OUTLINE_COLOR)
            if np.hypot(*st.velocity[n]) >= MIN_ARROW_SPEED:
                canvas.arrow(self.to_px(st.center[n, :2]),
                             self.to_px(st.center[n, :2] + st.velocity[n] * ARROW_SECONDS))
            if not self.world.agents[n].parked:
                canvas.label(corners, self.world.agents[n].id)
        x0, y0, xe, ye = self.world.static.extent
        canvas.panel(self.world.layout.name, [
            f"t = {t:6.2f} s", "world view (x east, y north)", f"map {xe - x0:g} m x {ye - y0:g} m",
            f"{ppm:.2f} px/m", "white frame: ego grid range", f"arrows: {ARROW_SECONDS:g} s of motion"])
        return canvas.array()


def make_view(world: World, view: str, grid: GridSpec = GridSpec(), size: int = 800) -> PictureView:
    """The view named `view` ('bev' or 'world')."""
    views = {"bev": BevView, "world": WorldView}
    if view not in views:
        raise ConfigError(f"unknown view {view!r}; expected one of: {', '.join(views)}")
    return views[view](world, grid, size)


class GifStream:
    """An animated GIF written frame by frame (nothing is kept in memory between frames).

    Every frame is mapped onto one fixed 256-colour palette that contains the class colours exactly, so
    class colours survive the GIF's palette limit unchanged. Frame delays are whole centiseconds.
    """

    def __init__(self, path: str | Path, rate: float):
        self.file = open(path, "wb")
        self.delay_ms = 1000.0 / rate
        self.size: tuple[int, int] | None = None

    @staticmethod
    def palette() -> bytes:
        """768 bytes: the class and drawing colours, greys, then a 6×6×6 colour cube."""
        colors = [tuple(int(c) for c in row) for row in OCC3D_PALETTE] + [EGO_COLOR, EGO_PATH_COLOR, TEXT_COLOR,
                                                                          PANEL_COLOR]
        colors += [(g, g, g) for g in range(0, 256, 17)]
        colors += [(r, g, b) for r in range(0, 256, 51) for g in range(0, 256, 51) for b in range(0, 256, 51)]
        unique = list(dict.fromkeys(colors))[:256]
        unique += [(0, 0, 0)] * (256 - len(unique))
        return bytes(c for rgb in unique for c in rgb)

    def append(self, rgb: np.ndarray) -> None:
        pal = Image.new("P", (1, 1))
        pal.putpalette(self.palette())
        im = Image.fromarray(rgb).quantize(palette=pal, dither=Image.Dither.NONE)
        if self.size is None:
            self.size = im.size
            self.file.write(b"GIF89a" + struct.pack("<HHBBB", im.size[0], im.size[1], 0xF7, 0, 0) + self.palette())
            self.file.write(b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00")  # loop forever
        elif im.size != self.size:
            raise ValueError(f"frame size {im.size} differs from the first frame's {self.size}")
        for chunk in GifImagePlugin.getdata(im, duration=self.delay_ms):
            self.file.write(chunk)

    def close(self) -> None:
        self.file.write(b";")
        self.file.close()


# ffmpeg flags that leave out the encoder's version and any metadata: same frames, same bytes (with one build)
BITEXACT = ["-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1"]


class Mp4Stream:
    """An H.264 MP4 (yuv420p) written frame by frame through ffmpeg (imageio-ffmpeg) at `rate` frames per
    second and imageio `quality` 0..10, with bit-exact encoder flags. Frame sides are padded to multiples of 16."""

    def __init__(self, path: str | Path, rate: float, quality: int = 8):
        self.writer = imageio.get_writer(str(path), format="FFMPEG", mode="I", fps=rate, codec="libx264",
                                         pixelformat="yuv420p", quality=quality, macro_block_size=16,
                                         ffmpeg_log_level="error", output_params=BITEXACT)

    def append(self, rgb: np.ndarray) -> None:
        self.writer.append_data(rgb)

    def close(self) -> None:
        self.writer.close()


def write_preview(view: PictureView, path: str | Path, times: Iterable[float], rate: float,
                  on_frame: Callable[[int], None] | None = None) -> Path:
    """Draw `view` at `times` (s) into `path`: .png (exactly one time), .gif or .mp4 at `rate` Hz.

    The file is written under a temporary name beside `path` and renamed into place when complete.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ConfigError(f"{path}: unknown picture type; use one of {', '.join(SUFFIXES)}")
    times = list(times)
    if suffix == ".png" and len(times) != 1:
        raise ConfigError(f"{path}: a PNG holds one picture, got {len(times)} times")
    with atomic_file(path) as partial:
        if suffix == ".png":
            Image.fromarray(view.draw(times[0])).save(partial, format="PNG")
            if on_frame is not None:
                on_frame(0)
        else:
            stream = GifStream(partial, rate) if suffix == ".gif" else Mp4Stream(partial, rate)
            try:
                for n, t in enumerate(times):
                    stream.append(view.draw(float(t)))
                    if on_frame is not None:
                        on_frame(n)
            finally:
                stream.close()
    return path
