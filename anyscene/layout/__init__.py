"""The layout language: schema, YAML reading/writing, validation and editing."""
from .schema import Agent, Layout, Trajectory, Waypoint  # noqa: F401
from .yamlio import dump_layout, load_layout, parse_layout, save_layout  # noqa: F401
