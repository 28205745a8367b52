"""Sensor simulation: cameras and LiDAR cast against the world (labelled by construction), visibility masks,
sensor rigs and timing. open3d is imported only when a scene is first built."""
from .camera import CalibratedCameraFrame, cast_pixels, project, render_camera, render_cameras  # noqa: F401
from .lidar import LidarScan, sweep_lidar, sweep_to_world  # noqa: F401
from .raycast import RayHits, SceneSnapshot, StaticGeometry, VoxelScene, WorldScene  # noqa: F401
from .rig import load_rig  # noqa: F401
from .timing import camera_trigger_offset  # noqa: F401
from .types import Camera, CameraFrame, LidarModel, LidarSweep, SensorRig  # noqa: F401
from .visibility import AgentVisibility, agent_visibility, occupancy_masks  # noqa: F401
