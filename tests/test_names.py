"""The one rule for names: `name_problem` says what breaks it, `safe_name` makes a name that follows it from any
text, and the exporter's scene names and the editor's new layouts both come from `safe_name`."""
from __future__ import annotations

import pytest

from anyscene.editor.session import _blank_layout
from anyscene.errors import ConfigError
from anyscene.export.scene import scene_name
from anyscene.layout import parse_layout
from anyscene.names import name_problem, safe_name


@pytest.mark.parametrize("text, expected", [
    ("urban_street", "urban_street"), ("my scene (2)", "my_scene_2"), ("../../etc/passwd", "etc_passwd"),
    ("_.hidden-", "hidden"), ("-rf", "rf"), ("x" * 80, "x" * 64), ("a" * 63 + "/b", "a" * 63),
])
def test_safe_name_follows_the_rule(text, expected):
    assert safe_name(text) == expected and name_problem(expected) is None


def test_safe_name_falls_back_when_nothing_is_left():
    assert safe_name("///", "new_layout") == "new_layout" and safe_name("...") == ""
    with pytest.raises(ConfigError, match="no usable characters"):
        scene_name("///")


def test_scene_names_and_new_layouts_share_the_rule():
    assert scene_name("my scene (2)") == safe_name("my scene (2)")
    layout, _ = parse_layout(_blank_layout("_my layout"), "new.yaml")
    assert layout.name == "my_layout" and name_problem(layout.name) is None
