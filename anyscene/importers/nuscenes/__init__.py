"""The nuScenes adapter: a scene of a nuScenes dataroot (tables, map mask, map expansion) -> Layout + rig."""
from .scene import ImportedScene, import_nuscenes, import_scene
from .tables import NuScenesTables, read_tables

__all__ = ["ImportedScene", "import_nuscenes", "import_scene", "NuScenesTables", "read_tables"]
