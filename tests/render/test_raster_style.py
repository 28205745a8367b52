"""Raster style loading: the packaged default, user files merged over it, overrides, and clear errors."""
from __future__ import annotations

import pytest

from anyscene.errors import ConfigError
from anyscene.render.style import DEFAULT_STYLE, TEXTURES, load_style


def test_default_style_covers_every_class_and_comments_every_field():
    from anyscene.classes import OCC3D_NAMES

    style = load_style()
    assert set(style.materials) == set(OCC3D_NAMES) - {"free"}
    assert all(m.texture in TEXTURES for m in style.materials.values())
    for line in DEFAULT_STYLE.read_text().splitlines():
        stripped = line.strip()
        key_line = stripped and not stripped.startswith(("#", "-")) and ":" in stripped
        if key_line and not stripped.startswith(tuple(f"{c}:" for c in style.materials)):
            assert "#" in line, f"field without a comment: {line}"


def test_overrides_as_mapping_and_as_strings():
    s = load_style(overrides={"time_of_day": 20, "materials.car.palette": None, "palettes.paint": [[1, 2, 3]]})
    assert s.time_of_day == 20.0 and s.materials["car"].palette is None and s.palettes["paint"] == ((1, 2, 3),)
    assert s.palettes["clothing"] == load_style().palettes["clothing"]  # other palettes kept
    s = load_style(overrides=["time_of_day=null", "sun_elevation=12.5", "materials.sidewalk.color=[10, 20, 30]"])
    assert s.time_of_day is None and s.sun_elevation == 12.5 and s.materials["sidewalk"].color == (10, 20, 30)
    assert s.materials["sidewalk"].texture == "paving"  # other fields of the material kept


def test_user_file_is_merged_over_the_default(tmp_path):
    p = tmp_path / "dusk.yaml"
    p.write_text("time_of_day: 19.2  # dusk\nmaterials:\n  car: {jitter: 0.2}\n")
    s = load_style(p)
    assert s.time_of_day == 19.2 and s.materials["car"].jitter == 0.2
    assert s.materials["car"].texture == "vehicle"


@pytest.mark.parametrize("text, fragment", [
    ("exposure: 1.0\nsun_colour: [1, 2, 3]\n", ":2:1: unknown raster style key 'sun_colour'"),
    ("materials:\n  car:\n    colour: [1, 2, 3]\n", ":3:5: unknown material key 'materials.car.colour'"),
    ("materials:\n  spaceship: {color: [1, 2, 3]}\n", ":2:3: unknown class 'spaceship'"),
    ("sun_color: [1, 2]\n", "sun_color must be an sRGB colour"),
    ("haze_density: -1\n", "bad.yaml:1:1: haze_density = -1 is outside"),
    ("materials:\n  car: {texture: chrome}\n", "materials.car.texture 'chrome' is not one of"),
    ("materials:\n  car: {palette: neon}\n", "materials.car.palette 'neon' is not a palette"),
    ("exposure: [\n", "bad.yaml:2:1: YAML syntax error"),
])
def test_bad_style_files_name_the_file_and_place(tmp_path, text, fragment):
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_style(p)
    assert str(p) in str(e.value) and fragment in str(e.value)


def test_bad_overrides_and_missing_files():
    with pytest.raises(ConfigError, match="override: unknown raster style key 'nope'"):
        load_style(overrides={"nope": 1})
    with pytest.raises(ConfigError, match="expected key=value"):
        load_style(overrides=["exposure"])
    with pytest.raises(ConfigError, match="no such raster style"):
        load_style("no_such_style")
