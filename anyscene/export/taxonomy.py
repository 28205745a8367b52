"""The shared nuScenes tables: category (with lidarseg indices), attribute, visibility and sensor records."""
from __future__ import annotations

from ..classes import LIDARSEG_NAMES
from .tokens import shared_token

CAMERA_CHANNELS: tuple[str, ...] = (
    "CAM_FRONT", "CAM_FRONT_RIGHT", "CAM_FRONT_LEFT", "CAM_BACK", "CAM_BACK_LEFT", "CAM_BACK_RIGHT",
)
LIDAR_CHANNEL = "LIDAR_TOP"

ATTRIBUTES: dict[str, str] = {
    "vehicle.moving": "Vehicle is moving.",
    "vehicle.stopped": "Vehicle, with a driver/rider in/on it, is currently stationary but has an intent to move.",
    "vehicle.parked": "Vehicle is stationary (usually for longer duration) with no immediate intent to move.",
    "cycle.with_rider": "There is a rider on the bicycle or motorcycle.",
    "cycle.without_rider": "There is NO rider on the bicycle or motorcycle.",
    "pedestrian.moving": "The human is moving.",
    "pedestrian.standing": "The human is standing.",
    "pedestrian.sitting_lying_down": "The human is sitting or lying down.",
}

# visibility token -> (level, description): fraction of the annotation visible in all camera images.
VISIBILITY: dict[str, tuple[str, str]] = {
    "1": ("v0-40", "visibility of whole object is between 0 and 40%"),
    "2": ("v40-60", "visibility of whole object is between 40 and 60%"),
    "3": ("v60-80", "visibility of whole object is between 60 and 80%"),
    "4": ("v80-100", "visibility of whole object is between 80 and 100%"),
}


def category_token(name: str) -> str:
    return shared_token("category", name)


def attribute_token(name: str) -> str:
    return shared_token("attribute", name)


def sensor_token(channel: str) -> str:
    return shared_token("sensor", channel)


def category_records() -> list[dict]:
    """All 32 lidarseg categories, `index` = the general index the lidarseg .bin files use."""
    return [{"token": category_token(n), "name": n, "index": i, "description": _category_description(n)}
            for i, n in enumerate(LIDARSEG_NAMES)]


def attribute_records() -> list[dict]:
    return [{"token": attribute_token(n), "name": n, "description": d} for n, d in ATTRIBUTES.items()]


def visibility_records() -> list[dict]:
    return [{"token": t, "level": lvl, "description": d} for t, (lvl, d) in VISIBILITY.items()]


def sensor_records(cameras: tuple[str, ...] = CAMERA_CHANNELS, radars: tuple[str, ...] = ()) -> list[dict]:
    recs = [{"token": sensor_token(c), "channel": c, "modality": "camera"} for c in cameras]
    recs.append({"token": sensor_token(LIDAR_CHANNEL), "channel": LIDAR_CHANNEL, "modality": "lidar"})
    recs += [{"token": sensor_token(r), "channel": r, "modality": "radar"} for r in radars]
    return recs


def _category_description(name: str) -> str:
    if name == "noise":
        return "Points that are not reliable or that belong to no class."
    if name == "vehicle.ego":
        return "The recording vehicle itself."
    return f"Synthetic {name.replace('.', ' / ').replace('_', ' ')}."
