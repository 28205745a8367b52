"""The typed configuration of a generation run: defaults in `configs/generate.yaml`, command-line options and
`key=value` overrides on top. Unknown keys, wrong types and out-of-range values are `ConfigError`s."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

from .. import yamlfile
from ..config_io import Provenance, apply_overrides, omegaconf_message
from ..errors import ConfigError
from ..names import name_problem
from ..pipeline.timeline import CAMERA_TIMINGS
from ..render.diffusion_stream import DiffusionRenderConfig
from ..render.raster_renderer import RasterConfig
from ..resources import config_dir, resolve

DEFAULT_CONFIG = config_dir("generate") / "generate.yaml"
FORMATS = ("nuscenes", "lidarseg", "occ3d", "conditions", "infos", "previews")
# Formats that describe files of the nuScenes tables and cannot be written without them.
NEEDS_NUSCENES = ("lidarseg", "infos")
CAMERA_BACKENDS = ("raycast", "gl")  # how camera maps are made: ray casting (Embree) or GL rasterisation
# Split names the devkit reserves for the real nuScenes scenes; a custom split must not use them.
DEVKIT_SPLITS = ("train", "val", "test", "mini_train", "mini_val", "train_detect", "train_track")
MIN_SIDE, MAX_SIDE = 16, 8192  # px: image width and height
MAX_PIXELS = 3840 * 2160  # px: one camera image
MAX_SEED = 2 ** 31 - 1


@dataclass
class AnnotationConfig:
    max_distance: float = 50.0  # m, annotate agents whose centre is within this planar distance of the ego
    require_observation: bool = True  # annotate only agents hit by >= 1 LiDAR point or seen by >= 1 pixel
    stopped_speed: float = 0.2  # m/s, below this a vehicle is "stopped" and a pedestrian "standing"


@dataclass
class SplitConfig:
    val_fraction: float = 0.2  # share of scenes in the validation split (at least one scene)
    prefix: str = "anyscene"  # split names are PREFIX_train, PREFIX_val, PREFIX_all


@dataclass
class InfoConfig:
    max_sweeps: int = 10  # previous LiDAR sweeps listed per keyframe in the info pkl


@dataclass
class PreviewConfig:
    tile_width: int = 320  # px, width of one camera tile in the preview video
    bev_range: float = 50.0  # m, half extent of the bird's-eye-view panel
    fps: Optional[float] = None  # frames per second of the preview; None = the camera rate
    quality: int = 6  # ffmpeg quality 0..10 (imageio scale)


@dataclass
class EnvironmentOverride:
    time_of_day: Optional[float] = None  # h, local solar time for every layout; None = each layout's own
    weather: Optional[str] = None  # clear, overcast, fog or rain for every layout; None = each layout's own


@dataclass
class GenerateConfig:
    """Every setting of `anyscene generate`; see configs/generate.yaml for the one-line documentation."""

    version: str = "v1.0-anyscene"
    renderer: str = "gl"
    weights: Optional[str] = None
    rig: str = "nuscenes"
    resolution: Optional[str] = None
    duration: Optional[float] = None
    seed: Optional[int] = None
    camera_rate: float = 12.0
    lidar_rate: float = 20.0
    keyframe_rate: float = 2.0
    camera_timing: str = "synchronous"
    formats: list[str] = field(default_factory=lambda: list(FORMATS))
    jpeg_quality: int = 90
    grid: str = "occ3d"
    global_offset: str = "auto"
    overwrite: bool = False
    progress: bool = True
    workers: int = 2
    camera_backend: str = "gl"
    annotation: AnnotationConfig = field(default_factory=AnnotationConfig)
    splits: SplitConfig = field(default_factory=SplitConfig)
    infos: InfoConfig = field(default_factory=InfoConfig)
    preview: PreviewConfig = field(default_factory=PreviewConfig)
    diffusion: DiffusionRenderConfig = field(default_factory=DiffusionRenderConfig)
    raster: RasterConfig = field(default_factory=RasterConfig)
    environment: EnvironmentOverride = field(default_factory=EnvironmentOverride)

    @property
    def size(self) -> tuple[int, int] | None:
        """(width, height) in pixels from `resolution`, or None for the rig's native resolution."""
        return parse_resolution(self.resolution) if self.resolution else None

    def wants(self, fmt: str) -> bool:
        return fmt in self.formats

    def stream_config(self):
        """The scene stream's settings for this run (anyscene.pipeline.config.StreamConfig)."""
        from ..pipeline.config import StreamConfig

        return StreamConfig(camera_rate=self.camera_rate, lidar_rate=self.lidar_rate,
                            keyframe_rate=self.keyframe_rate, camera_timing=self.camera_timing,
                            max_distance=self.annotation.max_distance, stopped_speed=self.annotation.stopped_speed,
                            grid=self.grid, occupancy=self.wants("occ3d"),
                            images=self.wants("nuscenes") or self.wants("previews"), renderer=self.renderer,
                            renderer_config=self.renderer_config(), camera_backend=self.camera_backend,
                            workers=self.workers)

    def check_sensors(self):
        """The run's SensorRig, after checking the rig, resolution, grid and renderer. Where the GL path is
        asked for and no EGL context can be made, switches this config to the raster path (one line on
        stderr, anyscene.pipeline.sensors.camera_path)."""
        from ..pipeline.sensors import camera_path, check_sensors

        self.renderer, self.camera_backend = camera_path(self.renderer, self.camera_backend)
        return check_sensors(self.rig, self.size, self.grid, self.renderer, self.renderer_config())

    def renderer_config(self):
        """The typed config of the chosen renderer: its section of this config (the registry entry's
        `section`, anyscene.render.base.RENDERERS)."""
        from ..render.base import renderer_entry

        return getattr(self, renderer_entry(self.renderer).section)


def apply_environment(layout, config: GenerateConfig):
    """The layout with the run's `environment.*` overrides applied (the layout itself when there are none)."""
    import dataclasses

    env = config.environment
    changes = {k: v for k, v in (("time_of_day", env.time_of_day), ("weather", env.weather)) if v is not None}
    if not changes:
        return layout
    return dataclasses.replace(layout, environment=dataclasses.replace(layout.environment, **changes))


def parse_resolution(text: str) -> tuple[int, int]:
    """'WxH' -> (W, H); each 16..8192 pixels, at most MAX_PIXELS in all."""
    m = re.fullmatch(r"\s*(\d{1,6})\s*[xX×]\s*(\d{1,6})\s*", str(text))
    if not m:
        raise ConfigError(f"resolution {text!r}: expected WIDTHxHEIGHT, e.g. 800x450")
    w, h = int(m.group(1)), int(m.group(2))
    if not (MIN_SIDE <= w <= MAX_SIDE and MIN_SIDE <= h <= MAX_SIDE):
        raise ConfigError(f"resolution {text!r}: width and height must be {MIN_SIDE}..{MAX_SIDE} pixels")
    if w * h > MAX_PIXELS:
        raise ConfigError(f"resolution {text!r}: {w * h:,} pixels; at most {MAX_PIXELS:,} (3840x2160) per image")
    return w, h


def load_config(path: str | Path | None = None, options: dict[str, Any] | None = None,
                overrides: Sequence[str] = ()) -> GenerateConfig:
    """The run's config: `path` (default configs/generate.yaml) merged into the typed defaults, then
    `options` (dotted keys, None values skipped), then `key=value` `overrides`; validated."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    src = resolve("generate", path) if path else DEFAULT_CONFIG
    cfg = OmegaConf.structured(GenerateConfig)
    provenance = Provenance()
    if src.exists():
        doc = yamlfile.load_config(src, "generate config")
        cfg = yamlfile.to_structured(doc, GenerateConfig, "configs/generate.yaml")
        provenance = Provenance(doc)
    cfg = apply_overrides(cfg, overrides, options, example="annotation.max_distance=40",
                          reference="configs/generate.yaml", schema=GenerateConfig, provenance=provenance)
    try:
        obj: GenerateConfig = OmegaConf.to_object(cfg)
    except OmegaConfBaseException as e:
        raise ConfigError(f"{src}: {omegaconf_message(e, 'configs/generate.yaml')}") from None
    validate_config(obj, provenance)
    return obj


def validate_config(c: GenerateConfig, provenance: Provenance | None = None) -> None:
    """Range and consistency checks that the types alone do not express; each message starts with the key
    and, where `provenance` knows it, the place that set the value (FILE:LINE:COL, the option or override)."""
    provenance = provenance or Provenance()

    def need(cond: bool, msg: str) -> None:
        if not cond:
            raise provenance.error(re.match(r"[A-Za-z_.]*", msg).group().rstrip("."), msg)

    problem = name_problem(c.version)
    need(problem is None, f"version: {problem}")
    from ..render.base import RENDERERS

    need(c.renderer in RENDERERS, f"renderer {c.renderer!r}: choose one of {', '.join(RENDERERS)}")
    if c.weights:  # --weights DIR is the diffusion section's weights
        c.diffusion.weights = c.weights
    need(c.renderer != "diffusion" or bool(c.diffusion.weights), "renderer diffusion needs --weights DIR")
    if c.resolution:
        try:
            parse_resolution(c.resolution)
        except ConfigError as e:
            need(False, str(e))
    need(c.duration is None or 0.5 <= c.duration <= 600, f"duration {c.duration}: must be 0.5..600 s")
    need(c.seed is None or 0 <= c.seed <= MAX_SEED, f"seed {c.seed}: must be 0..{MAX_SEED}")
    for name in ("camera_rate", "lidar_rate", "keyframe_rate"):
        need(0 < getattr(c, name) <= 100, f"{name} {getattr(c, name)}: must be in (0, 100] Hz")
    for name in ("camera_rate", "lidar_rate"):
        ratio = getattr(c, name) / c.keyframe_rate
        need(abs(ratio - round(ratio)) < 1e-9 and round(ratio) >= 1,
             f"{name} {getattr(c, name)} must be a whole multiple of keyframe_rate {c.keyframe_rate}")
    unknown = [f for f in c.formats if f not in FORMATS]
    need(not unknown, f"formats: unknown {unknown}; choose from {', '.join(FORMATS)}")
    need(len(c.formats) > 0, "formats: choose at least one of " + ", ".join(FORMATS))
    for f in NEEDS_NUSCENES:
        need(f not in c.formats or "nuscenes" in c.formats, f"format {f} needs format nuscenes")
    need(1 <= c.jpeg_quality <= 100, f"jpeg_quality {c.jpeg_quality}: must be 1..100")
    need(c.global_offset in ("auto", "none"), f"global_offset {c.global_offset!r}: choose auto or none")
    need(c.camera_timing in CAMERA_TIMINGS,
         f"camera_timing {c.camera_timing!r}: choose one of {', '.join(CAMERA_TIMINGS)}")
    need(1 <= c.workers <= 64, f"workers {c.workers}: must be 1..64")
    need(c.camera_backend in CAMERA_BACKENDS, f"camera_backend {c.camera_backend!r}: choose raycast or gl")
    a = c.annotation
    need(0 < a.max_distance <= 1000, "annotation.max_distance must be in (0, 1000] m")
    need(0 <= a.stopped_speed <= 100, "annotation.stopped_speed must be in [0, 100] m/s")
    need(0.0 <= c.splits.val_fraction <= 1.0, "splits.val_fraction must be in [0, 1]")
    need(bool(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", c.splits.prefix)),
         "splits.prefix: use 1 to 64 letters, digits, _ -, starting with a letter or digit")
    need(0 <= c.infos.max_sweeps <= 100, "infos.max_sweeps must be 0..100")
    p = c.preview
    need(32 <= p.tile_width <= 1600 and p.tile_width % 2 == 0, "preview.tile_width must be even, 32..1600")
    need(0 < p.bev_range <= 1000, "preview.bev_range must be in (0, 1000] m")
    need(p.fps is None or 0 < p.fps <= 100, "preview.fps must be in (0, 100]")
    need(0 <= p.quality <= 10, "preview.quality must be 0..10")
    d = c.diffusion
    need(1 <= d.steps <= 1000, "diffusion.steps must be 1..1000")
    need(d.sampler in (None, "euler", "dpmsolver", "ddim"), "diffusion.sampler: choose euler, dpmsolver or ddim")
    need(1 <= d.chunk_size <= 64, "diffusion.chunk_size must be 1..64")
    need(0 <= d.overlap < d.chunk_size, "diffusion: need 0 <= overlap < chunk_size")
    e = c.environment
    need(e.time_of_day is None or 0.0 <= e.time_of_day <= 24.0,
         f"environment.time_of_day {e.time_of_day}: must be 0..24 h")
    need(e.weather in (None, "clear", "overcast", "fog", "rain"),
         f"environment.weather {e.weather!r}: choose clear, overcast, fog or rain")
    from ..render.raster_renderer import check_raster_config

    check_raster_config(c.raster)
