"""nuScenes categories and attributes -> AnyScene agent classes, and which instances stand still."""
from __future__ import annotations

from ...classes import AGENT_CLASSES

# Every one of the 23 nuScenes annotation categories names exactly one agent class (classes.py).
CATEGORY_CLASS: dict[str, str] = {c.category: name for name, c in AGENT_CLASSES.items()}

# Attributes that say an instance is left standing: it becomes a map prop when its boxes do not move.
PARKED_ATTRIBUTES = frozenset({"vehicle.parked", "cycle.without_rider"})


def agent_class(category: str) -> str | None:
    """The agent class of a nuScenes category name, None when AnyScene has no class for it."""
    return CATEGORY_CLASS.get(category)


def is_parked(class_name: str, attributes: list[set[str]]) -> bool:
    """Whether an instance is parked: every annotation carries a parked attribute, or its class cannot move
    (bicycle racks, cones, barriers, debris)."""
    if AGENT_CLASSES[class_name].max_speed == 0:
        return True
    return bool(attributes) and all(a & PARKED_ATTRIBUTES for a in attributes)
