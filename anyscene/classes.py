"""The semantic taxonomy: Occ3D ids, nuScenes categories, lidarseg indices, default sizes and motion limits.

Everything that names a class reads it from here, so the occupancy, boxes, pixels and points agree.
"""
from __future__ import annotations

from dataclasses import dataclass

OCC3D_NAMES: tuple[str, ...] = (
    "others", "barrier", "bicycle", "bus", "car", "construction_vehicle", "motorcycle", "pedestrian",
    "traffic_cone", "trailer", "truck", "driveable_surface", "other_flat", "sidewalk", "terrain",
    "manmade", "vegetation", "free",
)
OCC3D_ID: dict[str, int] = {name: i for i, name in enumerate(OCC3D_NAMES)}
FREE = OCC3D_ID["free"]

# nuScenes lidarseg general indices, in the order of the real category.json.
LIDARSEG_NAMES: tuple[str, ...] = (
    "noise", "animal", "human.pedestrian.adult", "human.pedestrian.child",
    "human.pedestrian.construction_worker", "human.pedestrian.personal_mobility",
    "human.pedestrian.police_officer", "human.pedestrian.stroller", "human.pedestrian.wheelchair",
    "movable_object.barrier", "movable_object.debris", "movable_object.pushable_pullable",
    "movable_object.trafficcone", "static_object.bicycle_rack", "vehicle.bicycle", "vehicle.bus.bendy",
    "vehicle.bus.rigid", "vehicle.car", "vehicle.construction", "vehicle.emergency.ambulance",
    "vehicle.emergency.police", "vehicle.motorcycle", "vehicle.trailer", "vehicle.truck",
    "flat.driveable_surface", "flat.other", "flat.sidewalk", "flat.terrain", "static.manmade",
    "static.other", "static.vegetation", "vehicle.ego",
)
LIDARSEG_INDEX: dict[str, int] = {name: i for i, name in enumerate(LIDARSEG_NAMES)}

DETECTION_CLASSES: tuple[str, ...] = (
    "car", "truck", "bus", "trailer", "construction_vehicle", "pedestrian", "motorcycle", "bicycle",
    "traffic_cone", "barrier",
)


@dataclass(frozen=True)
class AgentClass:
    """What the package knows about one agent class of the layout language.

    `size` is the default (length, width, height) in metres. `occ3d` is the occupancy class the agent fills,
    `category` its nuScenes category (boxes and lidarseg). `shape` is how it fills its box: "box",
    "cylinder" (an upright elliptic cylinder inscribed in the box) or "cone" (tapering to the top).
    Speeds are m/s, accelerations m/s²: beyond `max_*` a layout is an error, beyond `typical_*` a warning.
    """

    name: str
    occ3d: str
    category: str
    size: tuple[float, float, float]
    shape: str
    kind: str  # "vehicle", "cycle", "pedestrian" or "object": picks attributes and drivable-surface checks
    max_speed: float
    typical_speed: float
    max_accel: float
    typical_accel: float


def _c(name, occ3d, category, size, shape, kind, max_speed, typical_speed, max_accel, typical_accel):
    return AgentClass(name, occ3d, category, size, shape, kind, max_speed, typical_speed, max_accel, typical_accel)


AGENT_CLASSES: dict[str, AgentClass] = {c.name: c for c in (
    _c("car", "car", "vehicle.car", (4.6, 1.9, 1.7), "box", "vehicle", 70.0, 40.0, 12.0, 5.0),
    _c("truck", "truck", "vehicle.truck", (7.5, 2.5, 3.2), "box", "vehicle", 45.0, 30.0, 8.0, 3.0),
    _c("bus", "bus", "vehicle.bus.rigid", (11.5, 2.9, 3.4), "box", "vehicle", 40.0, 25.0, 6.0, 2.5),
    _c("bendy_bus", "bus", "vehicle.bus.bendy", (18.0, 2.9, 3.4), "box", "vehicle", 35.0, 22.0, 5.0, 2.0),
    _c("trailer", "trailer", "vehicle.trailer", (10.0, 2.5, 3.6), "box", "vehicle", 40.0, 28.0, 6.0, 2.5),
    _c("construction_vehicle", "construction_vehicle", "vehicle.construction", (6.5, 2.8, 3.2), "box",
       "vehicle", 20.0, 12.0, 4.0, 2.0),
    _c("emergency_vehicle", "car", "vehicle.emergency.police", (5.0, 2.0, 1.8), "box", "vehicle",
       70.0, 45.0, 12.0, 6.0),
    _c("ambulance", "truck", "vehicle.emergency.ambulance", (6.5, 2.4, 2.8), "box", "vehicle",
       50.0, 35.0, 8.0, 4.0),
    _c("motorcycle", "motorcycle", "vehicle.motorcycle", (2.1, 0.8, 1.5), "box", "cycle", 70.0, 35.0,
       12.0, 6.0),
    _c("bicycle", "bicycle", "vehicle.bicycle", (1.8, 0.6, 1.5), "box", "cycle", 20.0, 8.0, 5.0, 2.5),
    _c("pedestrian", "pedestrian", "human.pedestrian.adult", (0.7, 0.7, 1.75), "cylinder", "pedestrian",
       10.0, 2.5, 6.0, 2.0),
    _c("child", "pedestrian", "human.pedestrian.child", (0.5, 0.5, 1.2), "cylinder", "pedestrian",
       8.0, 2.5, 6.0, 2.0),
    _c("construction_worker", "pedestrian", "human.pedestrian.construction_worker", (0.7, 0.7, 1.8),
       "cylinder", "pedestrian", 10.0, 2.0, 6.0, 2.0),
    _c("police_officer", "pedestrian", "human.pedestrian.police_officer", (0.7, 0.7, 1.8), "cylinder",
       "pedestrian", 10.0, 2.5, 6.0, 2.0),
    _c("stroller", "pedestrian", "human.pedestrian.stroller", (1.0, 0.6, 1.1), "box", "pedestrian",
       4.0, 1.8, 3.0, 1.5),
    _c("wheelchair", "pedestrian", "human.pedestrian.wheelchair", (1.1, 0.7, 1.3), "box", "pedestrian",
       5.0, 2.0, 3.0, 1.5),
    _c("personal_mobility", "pedestrian", "human.pedestrian.personal_mobility", (1.0, 0.5, 1.7), "box",
       "pedestrian", 12.0, 6.0, 5.0, 2.5),
    _c("traffic_cone", "traffic_cone", "movable_object.trafficcone", (0.45, 0.45, 0.75), "cone", "object",
       0.0, 0.0, 0.0, 0.0),
    _c("barrier", "barrier", "movable_object.barrier", (2.0, 0.6, 1.0), "box", "object", 0.0, 0.0, 0.0, 0.0),
    _c("pushable_pullable", "others", "movable_object.pushable_pullable", (0.8, 0.6, 1.0), "box", "object",
       3.0, 1.5, 3.0, 1.5),
    _c("debris", "others", "movable_object.debris", (0.6, 0.6, 0.3), "box", "object", 0.0, 0.0, 0.0, 0.0),
    _c("bicycle_rack", "others", "static_object.bicycle_rack", (2.5, 0.8, 1.0), "box", "object",
       0.0, 0.0, 0.0, 0.0),
    _c("animal", "others", "animal", (1.0, 0.4, 0.8), "box", "pedestrian", 15.0, 3.0, 8.0, 3.0),
)}

# Detection class (devkit evaluation name) of each nuScenes category; None where it is not evaluated.
DETECTION_NAME: dict[str, str | None] = {
    "vehicle.car": "car", "vehicle.truck": "truck", "vehicle.bus.rigid": "bus", "vehicle.bus.bendy": "bus",
    "vehicle.trailer": "trailer", "vehicle.construction": "construction_vehicle",
    "vehicle.emergency.police": None, "vehicle.emergency.ambulance": None,
    "vehicle.motorcycle": "motorcycle", "vehicle.bicycle": "bicycle",
    "human.pedestrian.adult": "pedestrian", "human.pedestrian.child": "pedestrian",
    "human.pedestrian.construction_worker": "pedestrian", "human.pedestrian.police_officer": "pedestrian",
    "human.pedestrian.stroller": None, "human.pedestrian.wheelchair": None,
    "human.pedestrian.personal_mobility": None, "movable_object.trafficcone": "traffic_cone",
    "movable_object.barrier": "barrier", "movable_object.pushable_pullable": None,
    "movable_object.debris": None, "static_object.bicycle_rack": None, "animal": None,
}

# Occ3D class of each static (map) class name the layout language accepts for areas and props.
STATIC_CLASSES: dict[str, str] = {
    "driveable_surface": "driveable_surface", "parking": "driveable_surface", "other_flat": "other_flat",
    "sidewalk": "sidewalk", "terrain": "terrain", "vegetation": "vegetation", "manmade": "manmade",
    "others": "others",
}
# Map props that are part of the static world (not annotated agents): Occ3D class, default size (l, w, h).
STATIC_PROPS: dict[str, tuple[str, tuple[float, float, float]]] = {
    "pole": ("manmade", (0.3, 0.3, 6.0)),
    "sign": ("manmade", (0.15, 0.9, 2.6)),
    "bench": ("manmade", (1.8, 0.6, 0.9)),
    "hydrant": ("manmade", (0.4, 0.4, 0.8)),
    "tree": ("vegetation", (2.5, 2.5, 6.0)),
    "traffic_light": ("manmade", (0.5, 0.5, 4.5)),
    "bush": ("vegetation", (1.4, 1.2, 1.1)),
    "bollard": ("manmade", (0.2, 0.2, 1.0)),
}
# lidarseg category of each Occ3D static class.
STATIC_CATEGORY: dict[str, str] = {
    "driveable_surface": "flat.driveable_surface", "other_flat": "flat.other", "sidewalk": "flat.sidewalk",
    "terrain": "flat.terrain", "manmade": "static.manmade", "vegetation": "static.vegetation",
    "others": "static.other",
}


def occ3d_to_lidarseg_static() -> dict[int, int]:
    """Map each static Occ3D id to its lidarseg general index (agents carry their own category)."""
    return {OCC3D_ID[k]: LIDARSEG_INDEX[v] for k, v in STATIC_CATEGORY.items()}

# Shape variants of each agent class and static prop (the procedural shape library, anyscene.shapes, builds
# them; the layout's optional `shape` field picks one). The first variant of a class is its canonical one.
# Cycles: with_rider / without_rider; left unset, a cycle carries a rider unless it is a parked prop.
SHAPE_VARIANTS: dict[str, tuple[str, ...]] = {
    "car": ("sedan", "hatchback", "suv", "van", "pickup"),
    "emergency_vehicle": ("police_sedan", "police_suv"),
    "ambulance": ("ambulance_van", "ambulance_box"),
    "truck": ("box_truck", "tanker", "flatbed"),
    "bus": ("city_bus", "coach"),
    "bendy_bus": ("articulated",),
    "trailer": ("box_trailer", "tank_trailer", "flatbed_trailer"),
    "construction_vehicle": ("excavator", "loader", "dump_truck"),
    "motorcycle": ("with_rider", "without_rider"),
    "bicycle": ("with_rider", "without_rider"),
    "pedestrian": ("casual", "backpack", "coat"),
    "child": ("child",),
    "construction_worker": ("hivis",),
    "police_officer": ("uniform",),
    "stroller": ("stroller",),
    "wheelchair": ("wheelchair",),
    "personal_mobility": ("kick_scooter",),
    "traffic_cone": ("cone",),
    "barrier": ("jersey", "fence"),
    "pushable_pullable": ("wheelie_bin", "cart"),
    "debris": ("rubble", "crate"),
    "bicycle_rack": ("hoops",),
    "animal": ("dog", "cat"),
    "pole": ("street_light", "plain"),
    "sign": ("rectangular", "round"),
    "tree": ("round", "conifer"),
    "bench": ("bench",),
    "hydrant": ("hydrant",),
    "traffic_light": ("three_lamp",),
    "bush": ("bush",),
    "bollard": ("bollard",),
}
