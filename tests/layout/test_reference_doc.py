"""docs/layout.md documents exactly the schema: every field of every mapping, with its real default, and the
class tables; the generated blocks are current."""
from __future__ import annotations

import dataclasses
import re
import types
import typing

import pytest

from anyscene.classes import AGENT_CLASSES, STATIC_CLASSES
from anyscene.layout import docgen
from anyscene.layout.schema import YAML_KEY, Layout
from anyscene.world.static import STATIC_PROPS
from testdata import ROOT

PAGE = ROOT / "docs" / "layout.md"
HEADER = ["field", "type", "unit", "default", "description", "example"]


def _split_row(line: str) -> list[str]:
    cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
    return [c.strip().replace("\\|", "|") for c in cells]


def documented_tables(text: str) -> dict[str, list[dict[str, str]]]:
    """`### Name` section -> rows of the field table that follows it (sections with other tables skipped)."""
    tables: dict[str, list[dict[str, str]]] = {}
    section, lines = None, text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("### "):
            section = line[4:].strip()
        elif line.startswith("|") and section and _split_row(line) == HEADER:
            rows = []
            for row in lines[i + 2:]:
                if not row.startswith("|"):
                    break
                rows.append(dict(zip(HEADER, _split_row(row))))
            assert section not in tables, f"two field tables under '### {section}'"
            tables[section] = rows
    return tables


def reachable(cls=Layout, seen=None) -> dict[str, type]:
    seen = {} if seen is None else seen
    seen[cls.__name__] = cls
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        stack = [hints[f.name]]
        while stack:
            tp = stack.pop()
            if dataclasses.is_dataclass(tp):
                if tp.__name__ not in seen:
                    reachable(tp, seen)
            else:
                stack.extend(typing.get_args(tp))
    return seen


def from_plain(value, tp):
    """YAML data as the schema type `tp` (tuples, dataclasses), to compare with a real default."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        tp = next(a for a in typing.get_args(tp) if a is not type(None))
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        names = {YAML_KEY.get(f.name, f.name): f.name for f in dataclasses.fields(tp)}
        return tp(**{names[k]: from_plain(v, hints[names[k]]) for k, v in value.items()})
    if typing.get_origin(tp) is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_plain(v, args[0]) for v in value)
        return tuple(from_plain(v, a) for v, a in zip(value, args))
    return value


def _yaml_value(cell: str):
    from ruamel.yaml import YAML

    assert cell.startswith("`") and cell.endswith("`"), f"default {cell!r} should be `code`, required or —"
    return YAML(typ="safe").load(cell[1:-1])


@pytest.fixture(scope="module")
def text() -> str:
    return PAGE.read_text(encoding="utf-8")


def test_every_mapping_has_exactly_its_fields(text):
    tables = documented_tables(text)
    classes = reachable()
    assert set(tables) == set(classes), "sections without a mapping or mappings without a section"
    for name, cls in classes.items():
        documented = [r["field"].strip("`") for r in tables[name]]
        real = [YAML_KEY.get(f.name, f.name) for f in dataclasses.fields(cls)]
        assert sorted(documented) == sorted(real), name
        assert len(set(documented)) == len(documented), f"{name}: a field is documented twice"


def test_documented_defaults_are_the_real_defaults(text):
    tables = documented_tables(text)
    for name, cls in reachable().items():
        rows = {r["field"].strip("`"): r for r in tables[name]}
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            row = rows[YAML_KEY.get(f.name, f.name)]
            cell = row["default"]
            where = f"{name}.{f.name}: documented default {cell!r}"
            if f.metadata.get("required"):
                assert cell == "required", where
                continue
            real = f.default if f.default is not dataclasses.MISSING else f.default_factory()
            if real is None:
                assert cell == "—", where
            else:
                assert from_plain(_yaml_value(cell), hints[f.name]) == real, where
            assert row["unit"] == (f.metadata.get("unit") or "—"), f"{name}.{f.name}: unit"
            assert row["description"], f"{name}.{f.name}: no description"


def _section_rows(text: str, title: str) -> dict[str, list[str]]:
    body = text.split(f"### {title}\n", 1)[1].split("\n#", 1)[0]
    rows = [_split_row(line) for line in body.splitlines() if line.startswith("| `")]
    return {r[0].strip("`"): r for r in rows}


def test_class_tables_match_the_registry(text):
    agents = _section_rows(text, "Agent classes")
    assert set(agents) == set(AGENT_CLASSES)
    for k in AGENT_CLASSES.values():
        row = agents[k.name]
        assert [float(v) for v in row[2].split(" × ")] == list(k.size)
        assert row[1] == k.kind and row[3] == k.shape and row[4] == k.occ3d and row[5] == k.category
        assert row[6] == f"{k.max_speed:g} / {k.typical_speed:g}" and row[7] == f"{k.max_accel:g} / {k.typical_accel:g}"
    props = _section_rows(text, "Static prop classes")
    assert set(props) == set(STATIC_PROPS)
    for name, (occ, size) in STATIC_PROPS.items():
        assert props[name][1] == occ and [float(v) for v in props[name][2].split(" × ")] == list(size)
    areas = _section_rows(text, "Area and ground classes")
    assert {k: r[1] for k, r in areas.items()} == STATIC_CLASSES


def test_generated_blocks_are_current(text):
    assert docgen.update_reference(text) == text, \
        "docs/layout.md is out of date: run python -m anyscene.layout.docgen docs/layout.md"


def test_reference_covers_conventions_and_validation(text):
    for phrase in ("x east, y north", "counter-clockwise", "[length, width, height]", "cubic Hermite",
                   "three-point finite difference", "keeps its last heading", "Forward lanes", "Backward lanes",
                   "## Validation", "--strict", "overlap at t=4.20 s"):
        assert phrase in text, phrase
