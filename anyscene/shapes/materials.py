"""Surface materials of shape parts: one id per triangle, read by the LiDAR (reflectivity), the radar (RCS)
and the raster renderer (shading). Id 0 is "default": the class's own material (static structure)."""
from __future__ import annotations

MATERIAL_NAMES: tuple[str, ...] = (
    "default", "paint", "glass", "tyre", "light", "metal", "skin", "cloth", "hivis", "plastic", "reflector",
    "bark", "foliage", "fur", "hair", "concrete", "plate",
)
MATERIAL_ID: dict[str, int] = {n: i for i, n in enumerate(MATERIAL_NAMES)}

DEFAULT = MATERIAL_ID["default"]
PAINT = MATERIAL_ID["paint"]
GLASS = MATERIAL_ID["glass"]
TYRE = MATERIAL_ID["tyre"]
LIGHT = MATERIAL_ID["light"]
METAL = MATERIAL_ID["metal"]
SKIN = MATERIAL_ID["skin"]
CLOTH = MATERIAL_ID["cloth"]
HIVIS = MATERIAL_ID["hivis"]
PLASTIC = MATERIAL_ID["plastic"]
REFLECTOR = MATERIAL_ID["reflector"]
BARK = MATERIAL_ID["bark"]
FOLIAGE = MATERIAL_ID["foliage"]
FUR = MATERIAL_ID["fur"]
HAIR = MATERIAL_ID["hair"]
CONCRETE = MATERIAL_ID["concrete"]
PLATE = MATERIAL_ID["plate"]  # licence plates: retro-reflective
