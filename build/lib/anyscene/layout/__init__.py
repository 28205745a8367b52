"""The layout language: schema, YAML reading/writing, validation and editing."""
from . import edit  # noqa: F401
from .schema import Agent, Layout, Trajectory, Waypoint  # noqa: F401
from .validate import check_layout, check_layout_file, validate_layout  # noqa: F401
from .yamlio import dump_layout, load_layout, parse_layout, save_layout  # noqa: F401
