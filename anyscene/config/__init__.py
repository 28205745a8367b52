"""Reading a user's YAML (layouts and configs) and typed configs: `yaml` (the bounded, line-tracking reader
with anchors and merge keys), `typed` (strict checks against a config dataclass) and `structured`
(`load_structured`, options and overrides, provenance)."""
from .structured import (Provenance, apply_overrides, check_value, load_structured, omegaconf_message,
                         parse_override)
from .typed import check_typed, describe, field_type
from .yaml import YamlDoc, YamlFileError, load_config, parse, read_text

__all__ = ["Provenance", "YamlDoc", "YamlFileError", "apply_overrides", "check_typed", "check_value", "describe",
           "field_type", "load_config", "load_structured", "omegaconf_message", "parse", "parse_override",
           "read_text"]
