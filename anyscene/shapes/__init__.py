"""The procedural shape library: a closed triangle mesh with per-triangle materials for every agent class and
static prop, built from its box size, variant, seed and instance (and gait phase or articulation), fitted
inside its box. Pure numpy; imports nothing above `anyscene.classes`.

    mesh = shape_mesh("car", (4.6, 1.9, 1.7), variant="suv", instance=3)

The variants of each class are `anyscene.classes.SHAPE_VARIANTS`; `default_variant` picks one when a layout
leaves `shape` unset.
"""
from __future__ import annotations

import zlib
from collections.abc import Callable
from functools import lru_cache

import numpy as np

from ..classes import SHAPE_VARIANTS
from . import cars, cycles, objects, people, props, trucks
from .mesh import MARGIN, Builder, ShapeMesh, fit_to_box
from .people import gait_phase

__all__ = ["FAMILIES", "MARGIN", "ShapeMesh", "default_variant", "gait_phase", "shape_mesh", "walks",
           "articulates"]

# Family builder of each class: (variant, size, rng, cls=, phase=, articulation=) -> Builder.
FAMILIES: dict[str, Callable[..., Builder]] = {
    "car": cars.build_car, "emergency_vehicle": cars.build_car,
    "truck": trucks.build_truck, "bus": trucks.build_bus, "bendy_bus": trucks.build_bus,
    "trailer": trucks.build_trailer, "construction_vehicle": trucks.build_construction,
    "ambulance": trucks.build_ambulance,
    "motorcycle": cycles.build_motorcycle, "bicycle": cycles.build_bicycle,
    "pedestrian": people.build_person, "child": people.build_person, "construction_worker": people.build_person,
    "police_officer": people.build_person, "stroller": people.build_stroller,
    "wheelchair": people.build_wheelchair, "personal_mobility": people.build_scooter,
    "traffic_cone": objects.build_cone, "barrier": objects.build_barrier, "debris": objects.build_debris,
    "pushable_pullable": objects.build_pushable, "bicycle_rack": objects.build_rack, "animal": objects.build_animal,
    "pole": props.build_pole, "sign": props.build_sign, "tree": props.build_tree, "bench": props.build_bench,
    "hydrant": props.build_hydrant, "traffic_light": props.build_traffic_light, "bush": props.build_bush,
    "bollard": props.build_bollard,
}
WALKERS = frozenset({"pedestrian", "child", "construction_worker", "police_officer", "animal"})
ARTICULATED = frozenset({"bendy_bus"})
# Families whose meshes do not vary with the instance (so posed walkers share their meshes across instances).
INSTANCE_FREE = frozenset({"pedestrian", "child", "construction_worker", "police_officer", "animal", "stroller",
                           "wheelchair", "personal_mobility", "traffic_cone", "barrier", "bicycle_rack"})
PHASE_STEPS = 16  # gait phases are quantised to 1/16 of a cycle (9 cm of walking), so posed meshes can be cached


def walks(cls: str) -> bool:
    """Whether the class's mesh follows a gait phase (changes as it walks)."""
    return cls in WALKERS


def articulates(cls: str) -> bool:
    """Whether the class's mesh bends with its turn rate (articulated buses)."""
    return cls in ARTICULATED


def default_variant(cls: str, instance: int = 0, seed: int = 0, parked: bool = False) -> str:
    """The variant a class gets when none is authored: cycles carry a rider unless parked; otherwise one of the
    class's variants picked by (seed, instance), deterministically."""
    variants = SHAPE_VARIANTS[cls]
    if "with_rider" in variants:
        return "without_rider" if parked else "with_rider"
    return variants[zlib.crc32(f"{seed}:{instance}:{cls}".encode()) % len(variants)]


def quantise_phase(phase: float | None) -> float | None:
    if phase is None:
        return None
    k = int(np.floor(phase / (2 * np.pi) * PHASE_STEPS + 0.5)) % PHASE_STEPS
    return 2 * np.pi * k / PHASE_STEPS


@lru_cache(maxsize=8192)
def _cached(cls: str, size: tuple, variant: str, instance: int, seed: int, phase, articulation: float,
            margin: float) -> ShapeMesh:
    rng = np.random.default_rng([seed & 0xFFFFFFFF, instance & 0xFFFFFFFF, zlib.crc32(f"{cls}:{variant}".encode())])
    b = FAMILIES[cls](variant, size, rng, cls=cls, phase=phase, articulation=articulation)
    mesh = fit_to_box(b.build(), size, margin)
    for a in (mesh.vertices, mesh.triangles, mesh.material, mesh.part):
        a.flags.writeable = False
    return mesh


def shape_mesh(cls: str, size, variant: str | None = None, instance: int = 0, seed: int = 0,
               phase: float | None = None, articulation: float = 0.0, margin: float = MARGIN) -> ShapeMesh:
    """The mesh of an object of class `cls` in its box-local frame (x forward, z up, origin at the box centre),
    fitted inside the box of `size` (length, width, height) m with `margin` m to every face.

    `variant` one of SHAPE_VARIANTS[cls] (default: `default_variant`); `instance` and `seed` vary proportions
    and details deterministically; `phase` the gait phase (rad) of walking classes, None standing;
    `articulation` (rad) the joint angle of articulated buses. Results are cached (read-only arrays).
    """
    if cls not in FAMILIES:
        raise KeyError(f"no shape family for class {cls!r}")
    variant = variant or default_variant(cls, instance, seed)
    if variant not in SHAPE_VARIANTS[cls]:
        raise ValueError(f"unknown {cls} shape {variant!r}; one of {', '.join(SHAPE_VARIANTS[cls])}")
    size = tuple(float(s) for s in size)
    if min(size) <= 0:
        raise ValueError(f"box size must be positive, got {size}")
    phase = quantise_phase(phase) if walks(cls) else None
    art = round(float(articulation), 3) if articulates(cls) else 0.0
    if cls in INSTANCE_FREE:
        instance = seed = 0
    return _cached(cls, size, variant, int(instance), int(seed), phase, art, float(margin))
