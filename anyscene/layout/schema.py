"""The layout language: one dataclass per YAML mapping, field metadata is the reference documentation.

A `Layout` describes one scene in the world frame (x east, y north, z up, metres, seconds, radians).
Box sizes are (length, width, height): length along the heading, width across it.
`docs/layout.md` documents every field declared here; a test keeps the two in sync.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

Vec2 = tuple[float, float]
Size3 = tuple[float, float, float]
Polyline = tuple[Vec2, ...]

SCHEMA_VERSION = 1

# Limits that keep every number finite and every scene bounded in memory and time (docs/layout.md, "Limits").
COORD = 1e6  # m: every coordinate lies in [-COORD, COORD]
MAX_TIME = 3600.0  # s: times (waypoints, presence, lane start)
MAX_SPEED = 100.0  # m/s: any speed or velocity component
MAX_SIZE = 100.0  # m: box lengths, widths and heights
MAX_SEED = 2 ** 31 - 1
MAX_POINTS = 5000  # points of one polyline or polygon
MAX_AGENTS = 1000  # agents of one scene
MAX_PROPS = 2000  # props of one scene


def spec(doc: str, *, unit: str = "", default=None, factory=None, lo: float | None = None,
         hi: float | None = None, example: str = "", required: bool = False, choices: tuple = (),
         max_items: int | None = None):
    """A documented field. `lo`/`hi` bound numbers (inclusive; for lists of numbers and points, every number);
    `choices` bounds strings; `max_items` bounds the length of a list."""
    meta = {"doc": doc, "unit": unit, "lo": lo, "hi": hi, "example": example, "required": required,
            "choices": choices, "max_items": max_items}
    if required:
        return field(metadata=meta)
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True, kw_only=True)
class LaneCounts:
    """Number of lanes in each direction of a road's centreline."""

    forward: int = spec("lanes driving along the centreline's direction (right of it)", default=1, lo=0, hi=8,
                        example="2")
    backward: int = spec("lanes driving against it (left of it)", default=1, lo=0, hi=8, example="1")


@dataclass(frozen=True, kw_only=True)
class Road:
    """A road: a centreline with lanes on both sides, sidewalks outside them."""

    id: str = spec("unique road name, referenced by lanes and crosswalks", required=True, example="main")
    centerline: Polyline = spec("centreline points in the world frame; at least 2", unit="m", required=True,
                                lo=-COORD, hi=COORD, max_items=MAX_POINTS, example="[[-80, 0], [80, 0]]")
    smooth: bool = spec("interpolate the points with a Catmull-Rom spline (curved roads)", default=False,
                        example="true")
    lanes: LaneCounts = spec("lane counts per direction", factory=LaneCounts, example="{forward: 2, backward: 2}")
    lane_width: float = spec("width of every lane", unit="m", default=3.5, lo=2.0, hi=6.0, example="3.25")
    sidewalk: float = spec("sidewalk width on each side; 0 for none", unit="m", default=3.0, lo=0.0, hi=15.0,
                           example="4.0")
    speed_limit: float = spec("legal speed; lane-following agents above it get a warning", unit="m/s",
                              default=13.9, lo=1.0, hi=60.0, example="27.8")


@dataclass(frozen=True, kw_only=True)
class Crosswalk:
    """A zebra crossing: either across a road at an arc length, or an explicit polygon."""

    id: str = spec("unique crosswalk name", required=True, example="cw_north")
    road: Optional[str] = spec("road it crosses (with `s`)", example="main")
    s: Optional[float] = spec("arc length along the road's centreline of the crossing's middle", unit="m",
                              lo=0.0, hi=2 * COORD, example="25.0")
    width: float = spec("extent along the road", unit="m", default=4.0, lo=1.0, hi=20.0, example="5.0")
    polygon: Optional[Polyline] = spec("explicit outline instead of road/s; stripes run along its first edge",
                                       unit="m", lo=-COORD, hi=COORD, max_items=MAX_POINTS,
                                       example="[[0,0],[4,0],[4,10],[0,10]]")


@dataclass(frozen=True, kw_only=True)
class Area:
    """A static region of one class, flat or raised (hedges, low walls)."""

    cls: str = spec("class: terrain, vegetation, other_flat, parking, sidewalk, driveable_surface, manmade",
                    required=True, example="vegetation",
                    choices=("terrain", "vegetation", "other_flat", "parking", "sidewalk", "driveable_surface",
                             "manmade", "others"))
    polygon: Polyline = spec("outline, at least 3 points", unit="m", required=True, lo=-COORD, hi=COORD,
                             max_items=MAX_POINTS, example="[[10,10],[30,10],[30,30]]")
    height: float = spec("height above ground; 0 for a flat surface", unit="m", default=0.0, lo=0.0, hi=30.0,
                         example="1.2")


@dataclass(frozen=True, kw_only=True)
class Building:
    """A building: footprint extruded to a height, class manmade."""

    id: str = spec("unique building name", required=True, example="b_north")
    footprint: Polyline = spec("outline, at least 3 points", unit="m", required=True, lo=-COORD, hi=COORD,
                               max_items=MAX_POINTS, example="[[12,12],[40,12],[40,40],[12,40]]")
    height: float = spec("roof height", unit="m", default=10.0, lo=1.0, hi=300.0, example="18")


@dataclass(frozen=True, kw_only=True)
class Prop:
    """A static object. Agent classes (barrier, traffic_cone, car, ...) become stationary annotated agents;
    pole, sign, traffic_light, bench, hydrant, bollard (manmade) and tree, bush (vegetation) are shapes of the
    static map."""

    id: str = spec("unique name (shares the namespace of agent ids)", required=True, example="cone_1")
    cls: str = spec("an agent class or a static prop class (pole, sign, tree, ...)", required=True,
                    example="traffic_cone")
    xy: Vec2 = spec("centre on the ground", unit="m", required=True, lo=-COORD, hi=COORD, example="[12.0, -3.5]")
    yaw: float = spec("heading of the length axis", unit="rad", default=0.0, lo=-7.0, hi=7.0, example="1.57")
    size: Optional[Size3] = spec("length, width, height; the class default when omitted", unit="m",
                                 hi=MAX_SIZE, example="[0.4, 0.4, 0.7]")
    shape: Optional[str] = spec("shape variant of the class (docs/shapes.md lists them); default: picked "
                                "per instance", example="round")


@dataclass(frozen=True, kw_only=True)
class LanePath:
    """A lane given by its centreline polyline, as imported maps (the nuScenes map expansion) describe lanes.
    It is map data for editing and planning; the drivable surface comes from roads and areas."""

    id: str = spec("unique lane name", required=True, example="lane_5e3f")
    kind: str = spec("lane, or lane_connector (a path through a junction)", default="lane",
                     choices=("lane", "lane_connector"), example="lane_connector")
    centerline: Polyline = spec("centreline points in driving order; at least 2", unit="m", required=True,
                                example="[[0, 0], [30, 0], [45, 4]]")


@dataclass(frozen=True, kw_only=True)
class StopLine:
    """Where vehicles stop (before a crossing, a light or a sign), as an outline on the ground."""

    id: str = spec("unique stop-line name", required=True, example="stop_1")
    polygon: Polyline = spec("outline, at least 3 points", unit="m", required=True,
                             example="[[10,-3],[10.5,-3],[10.5,0],[10,0]]")


@dataclass(frozen=True, kw_only=True)
class Map:
    """Everything static in the scene."""

    extent: Optional[tuple[float, float, float, float]] = spec(
        "xmin, ymin, xmax, ymax of the map; default: the bounds of all geometry and trajectories plus 80 m",
        unit="m", lo=-COORD, hi=COORD, example="[-150, -150, 150, 150]")
    ground: str = spec("class of the ground outside roads, sidewalks and areas", default="terrain",
                       choices=("terrain", "other_flat", "sidewalk", "vegetation", "driveable_surface"),
                       example="other_flat")
    roads: tuple[Road, ...] = spec("roads", factory=tuple, max_items=100, example="see Road")
    crosswalks: tuple[Crosswalk, ...] = spec("zebra crossings", factory=tuple, max_items=500, example="see Crosswalk")
    areas: tuple[Area, ...] = spec("static areas by class", factory=tuple, max_items=1000, example="see Area")
    buildings: tuple[Building, ...] = spec("buildings", factory=tuple, max_items=2000, example="see Building")
    props: tuple[Prop, ...] = spec("static objects", factory=tuple, max_items=MAX_PROPS, example="see Prop")
    lanes: tuple[LanePath, ...] = spec("lanes as centreline polylines (imported maps)", factory=tuple,
                                       max_items=5000, example="see LanePath")
    stop_lines: tuple[StopLine, ...] = spec("stop lines (imported maps)", factory=tuple, max_items=2000,
                                            example="see StopLine")


@dataclass(frozen=True, kw_only=True)
class Waypoint:
    """A timed waypoint. Position (and velocity, where given) are met exactly at time `t`."""

    t: float = spec("time from scene start", unit="s", required=True, lo=0.0, hi=MAX_TIME, example="2.5")
    xy: Vec2 = spec("centre position on the ground", unit="m", required=True, lo=-COORD, hi=COORD,
                    example="[3.0, 12.0]")
    velocity: Optional[Vec2] = spec("velocity vector at t; estimated from neighbours when omitted", unit="m/s",
                                    lo=-MAX_SPEED, hi=MAX_SPEED, example="[1.4, 0.0]")
    speed: Optional[float] = spec("speed at t along the path's direction (instead of velocity)", unit="m/s",
                                  lo=0.0, hi=MAX_SPEED, example="1.4")
    yaw: Optional[float] = spec("heading at t; follows the velocity when omitted", unit="rad", lo=-7.0, hi=7.0,
                                example="0.0")


@dataclass(frozen=True, kw_only=True)
class LaneFollow:
    """Driving along a lane's centreline: s(t) = s + speed·t + acceleration·t²/2, never backwards."""

    road: str = spec("road id", required=True, example="main")
    lane: int = spec("lane: 1..forward (1 next to the centreline) or -1..-backward", required=True, lo=-8, hi=8,
                     example="1")
    s: float = spec("arc length along the lane at t = start", unit="m", default=0.0, lo=0.0, hi=2 * COORD,
                    example="20")
    speed: float = spec("speed at t = start", unit="m/s", default=0.0, lo=0.0, hi=MAX_SPEED, example="10")
    acceleration: float = spec("constant acceleration; the agent stops at speed 0", unit="m/s²", default=0.0,
                               lo=-15.0, hi=15.0, example="-1.5")
    stop_s: Optional[float] = spec("arc length at which to come to rest, braking at `deceleration`", unit="m",
                                   lo=0.0, hi=2 * COORD, example="60")
    deceleration: float = spec("braking rate used with `stop_s`", unit="m/s²", default=3.0, lo=0.1, hi=15.0,
                               example="2.5")
    start: float = spec("time at which the agent is at `s`", unit="s", default=0.0, lo=0.0, hi=MAX_TIME,
                        example="0")


@dataclass(frozen=True, kw_only=True)
class Trajectory:
    """Exactly one of `waypoints` or `lane`."""

    waypoints: Optional[tuple[Waypoint, ...]] = spec("timed waypoints; one waypoint = standing still",
                                                      max_items=MAX_POINTS,
                                                      example="- {t: 0, xy: [0, 0], speed: 1.4}")
    lane: Optional[LaneFollow] = spec("lane following", example="{road: main, lane: 1, s: 0, speed: 12}")


@dataclass(frozen=True, kw_only=True)
class Ego:
    """The recording car. Its rear-axle centre on the ground is the ego frame's origin."""

    size: Size3 = spec("length, width, height", unit="m", default=(4.08, 1.73, 1.56), hi=MAX_SIZE,
                       example="[4.6, 1.9, 1.6]")
    rear_overhang: float = spec("distance from the rear axle to the rear bumper", unit="m", default=0.9,
                                lo=0.0, hi=3.0, example="0.85")
    trajectory: Trajectory = spec("where the rear-axle centre goes", required=True,
                                  example="{lane: {road: main, lane: 1, speed: 10}}")


@dataclass(frozen=True, kw_only=True)
class Agent:
    """A dynamic (or standing) object."""

    id: str = spec("unique name", required=True, example="ped_1")
    cls: str = spec("agent class (see the class table)", required=True, example="pedestrian")
    size: Optional[Size3] = spec("length, width, height; the class default when omitted", unit="m",
                                 hi=MAX_SIZE, example="[4.5, 1.9, 1.6]")
    shape: Optional[str] = spec("shape variant of the class (docs/shapes.md lists them); default: picked "
                                "per instance (cycles: with_rider)", example="suv")
    appear: Optional[float] = spec("first time present; default: start of its trajectory", unit="s", lo=0.0,
                                   hi=MAX_TIME, example="3.0")
    disappear: Optional[float] = spec("last time present; default: end of its trajectory", unit="s", lo=0.0,
                                      hi=MAX_TIME, example="20.0")
    trajectory: Trajectory = spec("motion", required=True, example="see Trajectory")


@dataclass(frozen=True, kw_only=True)
class Environment:
    """Scene-wide appearance: renderers read it (sun position, haze, the diffusion prompt)."""

    time_of_day: float = spec("local solar time; sets the sun's position and the light", unit="h", default=12.0,
                              lo=0.0, hi=24.0, example="18.5")
    weather: str = spec("clear, overcast, fog or rain", default="clear",
                        choices=("clear", "overcast", "fog", "rain"), example="overcast")
    tags: tuple[str, ...] = spec("free tags for filtering and prompts", factory=tuple, max_items=64,
                                 example="[dusk, urban]")


@dataclass(frozen=True, kw_only=True)
class CameraTimes:
    """When one camera fires, for scenes whose sensors keep their own times (imported recordings)."""

    channel: str = spec("camera channel; must be a rig camera when generating", required=True,
                        example="CAM_FRONT")
    times: tuple[float, ...] = spec("image times from t = 0, strictly ascending, microsecond resolution; from "
                                    "-0.1 s (a recording's first images fire just before its first LiDAR "
                                    "keyframe) to the scene's end", unit="s", required=True,
                                    example="[-0.034789, 0.048512, 0.131801]")


@dataclass(frozen=True, kw_only=True)
class SensorTimeline:
    """Recorded sensor times that replace the regular sensor rates (an imported scene's real timeline).
    Times are seconds from t = 0 (the first keyframe) at microsecond resolution (round(µs) / 1e6)."""

    epoch_us: Optional[int] = spec("absolute time of t = 0, µs since 1970; default: derived from the scene name",
                                   unit="µs", lo=0, example="1538984233547259")
    keyframes: tuple[float, ...] = spec("annotated sample times; each equals one of `lidar`; the first is 0",
                                        unit="s", required=True, example="[0.0, 0.499849, 1.000161]")
    lidar: tuple[float, ...] = spec("LIDAR_TOP sweep times, strictly ascending, within [0, duration]", unit="s",
                                    required=True, example="[0.0, 0.049965, 0.100207]")
    cameras: tuple[CameraTimes, ...] = spec("per-camera image times; empty: cameras at the regular rate",
                                            factory=tuple, example="see CameraTimes")


@dataclass(frozen=True, kw_only=True)
class Source:
    """Where an imported scene comes from. Its presence marks the layout as recorded data: the checks that real
    recordings break (overlaps, pedestrians inside vehicles, off-surface boxes, kinematic limits from track
    jitter, agents outside the map) report warnings instead of errors (docs/import.md lists them)."""

    dataset: str = spec("dataset family", required=True, choices=("nuscenes",), example="nuscenes")
    version: str = spec("dataset version folder", required=True, example="v1.0-mini")
    scene: str = spec("scene name in the dataset", required=True, example="scene-0916")
    dataroot_name: str = spec("base name of the dataroot folder it was read from", default="",
                              example="nuscenes-real")
    origin: Vec2 = spec("the dataset's global frame minus this layout's world frame (whole metres): "
                        "global = world + origin", unit="m", default=(0.0, 0.0), example="[650.0, 1784.0]")


@dataclass(frozen=True, kw_only=True)
class Layout:
    """One scene."""

    name: str = spec("scene name, used for file and folder names: 1 to 64 letters, digits, '.', '_' or '-', "
                     "starting with a letter or digit", required=True, example="four_way")
    duration: float = spec("scene length", unit="s", default=20.0, lo=0.5, hi=600.0, example="30")
    version: int = spec("layout language version", default=SCHEMA_VERSION, lo=1, hi=SCHEMA_VERSION, example="1")
    seed: int = spec("seed for everything random (textures, noise)", default=0, lo=0, hi=MAX_SEED, example="7")
    description: str = spec("free text", default="", example="left turn across traffic")
    environment: Environment = spec("light and weather", factory=Environment, example="see Environment")
    map: Map = spec("the static world", factory=Map, example="see Map")
    ego: Optional[Ego] = spec("the recording car; default: standing at the origin facing +x", example="see Ego")
    agents: tuple[Agent, ...] = spec("dynamic objects", factory=tuple, max_items=MAX_AGENTS, example="see Agent")
    timeline: Optional[SensorTimeline] = spec("recorded sensor times instead of the regular rates",
                                              example="see SensorTimeline")
    source: Optional[Source] = spec("origin of an imported scene; relaxes the checks real data breaks",
                                    example="see Source")

    def agent(self, agent_id: str) -> Agent:
        """The agent named `agent_id`; KeyError when absent."""
        for a in self.agents:
            if a.id == agent_id:
                return a
        raise KeyError(agent_id)


# YAML key of a field when it differs from the Python name (`class` is a Python keyword).
YAML_KEY = {"cls": "class"}
PY_NAME = {v: k for k, v in YAML_KEY.items()}
