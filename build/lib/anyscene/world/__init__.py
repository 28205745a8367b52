"""The 4D occupancy world compiled from a layout."""
from .grid import GridSpec, load_grid  # noqa: F401
from .world import EgoPose, OccupancyFrame, World, frame_times  # noqa: F401
