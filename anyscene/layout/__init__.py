"""The layout language: schema, YAML reading/writing, layout-side checks and editing (validation of the whole
scene, which needs the compiled world: `anyscene.validation`)."""
from . import edit  # noqa: F401
from .schema import Agent, Layout, Trajectory, Waypoint  # noqa: F401
from .yamlio import dump_layout, load_layout, parse_layout, save_layout  # noqa: F401
