"""The typed configuration of the procedural scene sampler (`anyscene sample`).

Defaults live in the dataclasses below and, documented field by field, in `configs/sampler/default.yaml`.
A config file is merged into the typed defaults; unknown keys, wrong types and out-of-range values are
`ConfigError`s naming the file and the key.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Sequence

from ..classes import AGENT_CLASSES
from ..config import Provenance, YamlDoc, load_structured
from ..errors import ConfigError
from ..resources import config_dir, resolve
from ..world.static import STATIC_PROPS

CONFIG_DIR = config_dir("sampler")
MAX_SIZE_SPREAD = 0.3  # largest relative std of box sizes (size_spread)
DEFAULT_CONFIG = CONFIG_DIR / "default.yaml"

TEMPLATES = ("junction3", "junction4", "junction5", "straight", "curved", "roundabout", "t_junction",
             "urban_parking", "car_park")
WEATHER = ("clear", "overcast", "fog", "rain")
# Local solar hours of each time-of-day tag: the sampled `environment.time_of_day` lies in the window.
TIME_OF_DAY_HOURS: dict[str, tuple[float, float]] = {
    "dawn": (5.5, 7.0), "day": (8.0, 16.5), "dusk": (17.5, 19.0), "night": (20.5, 23.5),
}


@dataclass
class RoadConfig:
    lanes: list[int] = field(default_factory=lambda: [1, 2])  # lanes per direction on main roads [min, max]
    side_lanes: list[int] = field(default_factory=lambda: [1, 1])  # lanes per direction on side roads [min, max]
    lane_width: list[float] = field(default_factory=lambda: [3.3, 3.7])  # m [min, max]
    sidewalk: list[float] = field(default_factory=lambda: [2.5, 4.0])  # m sidewalk width [min, max]
    speed_limit: list[float] = field(default_factory=lambda: [11.1, 13.9])  # m/s [min, max]
    crosswalk_share: float = 0.7  # probability that a road arm gets a zebra crossing
    building_share: float = 0.7  # probability that a stretch of roadside gets buildings
    curve_radius: list[float] = field(default_factory=lambda: [70.0, 160.0])  # m, curved roads [min, max]
    roundabout_radius: list[float] = field(default_factory=lambda: [16.0, 24.0])  # m, ring centreline [min, max]


@dataclass
class DensityConfig:
    vehicles: float = 1.2  # moving vehicles per 100 m of lane (arrivals keep the flow through the scene)
    pedestrians: float = 4.0  # pedestrians per 100 m of sidewalk
    cyclists: float = 0.25  # cyclists per 100 m of outer lane
    parked_cars: float = 10.0  # parked vehicles per 100 m of parking strip
    props: float = 3.0  # static props per 100 m of sidewalk


@dataclass
class SpeedConfig:
    vehicle: list[float] = field(default_factory=lambda: [7.0, 13.9])  # m/s desired speed, capped by the road's limit
    cyclist: list[float] = field(default_factory=lambda: [3.5, 6.0])  # m/s
    pedestrian: list[float] = field(default_factory=lambda: [1.0, 1.6])  # m/s walking speed
    ego: list[float] = field(default_factory=lambda: [6.0, 11.0])  # m/s, capped by the road's limit


@dataclass
class BehaviourConfig:
    time_gap: list[float] = field(default_factory=lambda: [2.2, 4.5])  # s between vehicles on a lane [min, max]
    crossing_share: float = 0.3  # share of pedestrians who use a crosswalk (the rest walk along sidewalks)
    jaywalker_share: float = 0.1  # share of pedestrians who cross a road away from crosswalks, in a gap
    cut_in_share: float = 0.15  # share of vehicles on multi-lane roads that change lanes into a gap
    ego_turn_share: float = 0.3  # probability that the ego turns at a junction instead of going straight


@dataclass
class EnvironmentConfig:
    weather: dict[str, float] = field(default_factory=lambda: {
        "clear": 0.6, "overcast": 0.2, "rain": 0.15, "fog": 0.05})  # weights of clear, overcast, fog, rain
    time_of_day: dict[str, float] = field(default_factory=lambda: {
        "dawn": 0.05, "day": 0.7, "dusk": 0.15, "night": 0.1})  # weights of dawn, day, dusk, night


@dataclass
class SamplerConfig:
    """Every setting of `anyscene sample`; see configs/sampler/default.yaml for the one-line documentation."""

    name_prefix: str = "scene"  # scene and file names: <prefix>_<index:05d>
    seed: int = 0  # base seed; scene i draws from SeedSequence([seed, i]), independent of how many are sampled
    duration: float = 20.0  # s, scene length
    max_retries: int = 8  # resamples (with derived seeds) of a scene that fails strict validation
    templates: dict[str, float] = field(default_factory=lambda: {
        "junction3": 1.0, "junction4": 1.0, "junction5": 0.5, "straight": 1.0, "curved": 1.0,
        "roundabout": 1.0, "t_junction": 1.0, "urban_parking": 1.0})  # relative weights of road templates
    roads: RoadConfig = field(default_factory=RoadConfig)
    density: DensityConfig = field(default_factory=DensityConfig)
    vehicle_classes: dict[str, float] = field(default_factory=lambda: {
        "car": 0.82, "truck": 0.06, "bus": 0.04, "motorcycle": 0.05, "construction_vehicle": 0.01,
        "emergency_vehicle": 0.02})  # relative weights of moving vehicle classes
    pedestrian_classes: dict[str, float] = field(default_factory=lambda: {
        "pedestrian": 0.86, "child": 0.06, "stroller": 0.03, "wheelchair": 0.02,
        "construction_worker": 0.02, "police_officer": 0.01})  # relative weights of pedestrian classes
    cyclist_classes: dict[str, float] = field(default_factory=lambda: {"bicycle": 1.0})  # cyclist classes
    parked_classes: dict[str, float] = field(default_factory=lambda: {
        "car": 0.85, "truck": 0.05, "emergency_vehicle": 0.02, "construction_vehicle": 0.03, "bus": 0.05})
    prop_classes: dict[str, float] = field(default_factory=lambda: {
        "tree": 0.3, "pole": 0.2, "sign": 0.1, "bench": 0.1, "hydrant": 0.05, "traffic_cone": 0.15,
        "barrier": 0.1})  # relative weights of static props along sidewalks
    size_spread: dict[str, float] = field(default_factory=dict)  # per class: relative std of box sizes (none: class default)
    speeds: SpeedConfig = field(default_factory=SpeedConfig)
    behaviour: BehaviourConfig = field(default_factory=BehaviourConfig)
    environment: EnvironmentConfig = field(default_factory=EnvironmentConfig)


def load_sampler_config(path: str | Path | None = None, overrides: Sequence[str] = (),
                        options: dict[str, Any] | None = None) -> SamplerConfig:
    """The sampler config: `path` (default configs/sampler/default.yaml) merged into the typed defaults, then
    `options` (dotted keys, None values skipped), then `key=value` overrides; validated."""
    src = resolve("sampler", path) if path else DEFAULT_CONFIG
    obj, provenance = load_structured(src, SamplerConfig, what="sampler config",
                                      reference="configs/sampler/default.yaml", overrides=overrides,
                                      options=options, example="density.vehicles=2")
    validate_sampler_config(obj, str(src), provenance)
    return obj


def sampler_config_from_dict(data: dict, where: str = "sampler config") -> SamplerConfig:
    """A SamplerConfig from plain nested data (e.g. an inline section of a batch config); validated."""
    obj, _ = load_structured(YamlDoc(where, data), SamplerConfig, reference="configs/sampler/default.yaml")
    validate_sampler_config(obj, where)
    return obj


def validate_sampler_config(c: SamplerConfig, where: str = "sampler config",
                            provenance: Provenance | None = None) -> None:
    """Range and consistency checks the types alone do not express; ConfigError names the key and, where
    `provenance` knows it, the line (or option, or override) that set it."""
    def need(cond: bool, key: str, msg: str) -> None:
        if not cond:
            place = provenance.where(key) if provenance is not None else ""
            raise ConfigError(f"{place or where}: {key}: {msg}")

    need(bool(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,47}", c.name_prefix)), "name_prefix",
         "use 1 to 48 letters, digits, _ and -, starting with a letter or digit")
    need(0 <= c.seed <= 2 ** 31 - 1, "seed", "must be within 0..2147483647")
    need(1.0 <= c.duration <= 600.0, "duration", "must be within 1..600 s")
    need(0 <= c.max_retries <= 100, "max_retries", "must be within 0..100")
    _weights(c.templates, TEMPLATES, "templates", need)
    _weights(c.vehicle_classes, [k for k, v in AGENT_CLASSES.items() if v.kind in ("vehicle", "cycle")],
             "vehicle_classes", need)
    _weights(c.pedestrian_classes, [k for k, v in AGENT_CLASSES.items() if v.kind == "pedestrian"],
             "pedestrian_classes", need, allow_zero=True)
    _weights(c.cyclist_classes, [k for k, v in AGENT_CLASSES.items() if v.kind == "cycle"], "cyclist_classes",
             need, allow_zero=True)
    _weights(c.parked_classes, [k for k, v in AGENT_CLASSES.items() if v.kind == "vehicle"], "parked_classes",
             need, allow_zero=True)
    _weights(c.prop_classes, [*STATIC_PROPS, "traffic_cone", "barrier", "bicycle_rack", "pushable_pullable",
                              "debris", "bicycle", "motorcycle"], "prop_classes", need, allow_zero=True)
    for name, value in c.size_spread.items():
        need(name in AGENT_CLASSES, f"size_spread.{name}", f"unknown class; choose from {', '.join(AGENT_CLASSES)}")
        need(0.0 <= value <= MAX_SIZE_SPREAD, f"size_spread.{name}", f"must be within 0..{MAX_SIZE_SPREAD:g}")
    _weights(c.environment.weather, WEATHER, "environment.weather", need)
    _weights(c.environment.time_of_day, tuple(TIME_OF_DAY_HOURS), "environment.time_of_day", need)
    r = c.roads
    _range(r.lanes, "roads.lanes", 1, 4, need, integer=True)
    _range(r.side_lanes, "roads.side_lanes", 1, 3, need, integer=True)
    _range(r.lane_width, "roads.lane_width", 3.0, 5.0, need)
    _range(r.sidewalk, "roads.sidewalk", 1.5, 10.0, need)
    _range(r.speed_limit, "roads.speed_limit", 3.0, 40.0, need)
    _range(r.curve_radius, "roads.curve_radius", 40.0, 1000.0, need)
    _range(r.roundabout_radius, "roads.roundabout_radius", 12.0, 40.0, need)
    for key in ("crosswalk_share", "building_share"):
        need(0.0 <= getattr(r, key) <= 1.0, f"roads.{key}", "must be within 0..1")
    for f in fields(c.density):
        need(0.0 <= getattr(c.density, f.name) <= 50.0, f"density.{f.name}", "must be within 0..50 per 100 m")
    _range(c.speeds.vehicle, "speeds.vehicle", 1.0, 30.0, need)
    _range(c.speeds.cyclist, "speeds.cyclist", 1.0, 10.0, need)
    _range(c.speeds.pedestrian, "speeds.pedestrian", 0.3, 2.5, need)
    _range(c.speeds.ego, "speeds.ego", 1.0, 30.0, need)
    b = c.behaviour
    _range(b.time_gap, "behaviour.time_gap", 1.5, 30.0, need)
    for key in ("crossing_share", "jaywalker_share", "cut_in_share", "ego_turn_share"):
        need(0.0 <= getattr(b, key) <= 1.0, f"behaviour.{key}", "must be within 0..1")
    need(b.crossing_share + b.jaywalker_share <= 1.0, "behaviour",
         "crossing_share + jaywalker_share must not exceed 1")


def _weights(w: dict, known, key: str, need, allow_zero: bool = False) -> None:
    for name, value in w.items():
        need(name in known, f"{key}.{name}", f"unknown name; choose from {', '.join(known)}")
        need(value >= 0, f"{key}.{name}", "weights must be >= 0")
    need(allow_zero or sum(w.values()) > 0, key, "at least one weight must be > 0")


def _range(v: list, key: str, lo: float, hi: float, need, integer: bool = False) -> None:
    need(len(v) == 2, key, f"expected [min, max], got {list(v)}")
    need(lo <= v[0] <= v[1] <= hi, key, f"expected {lo:g} <= min <= max <= {hi:g}, got {list(v)}")
    if integer:
        need(all(float(x).is_integer() for x in v), key, "expected whole numbers")


def config_dict(c) -> dict:
    """A config dataclass as plain nested data (for manifests and reproducibility records)."""
    if is_dataclass(c):
        return {f.name: config_dict(getattr(c, f.name)) for f in fields(c)}
    if isinstance(c, dict):
        return {k: config_dict(v) for k, v in c.items()}
    if isinstance(c, (list, tuple)):
        return [config_dict(v) for v in c]
    return c
