"""Export: layouts to a dataset perception pipelines read (nuScenes tables and files, lidarseg, Occ3D,
condition maps, mmdetection3d infos, splits, previews). See docs/output.md."""
from .config import GenerateConfig, load_config  # noqa: F401
from .dataset import generate_dataset  # noqa: F401
from .merge import merge_datasets  # noqa: F401
from .scene import write_scene  # noqa: F401
from .scene_folder import SceneWriter  # noqa: F401
