"""Generated parts of the layout reference page (`docs/layout.md`): one field table per schema dataclass and the
class tables, rendered from the schema and the class registry so the page cannot drift from the code.

`python -m anyscene.layout.docgen docs/layout.md` rewrites the generated blocks in place;
`--check` only reports whether they are up to date (exit 1 when not).
"""
from __future__ import annotations

import argparse
import dataclasses
import re
import sys
import types
import typing
from pathlib import Path

from ..classes import AGENT_CLASSES, STATIC_CLASSES
from ..classes import STATIC_PROPS
from .schema import YAML_KEY, Layout
from .yamlio import to_plain

BLOCKS = ("schema-tables", "class-tables")
_BEGIN = "<!-- generated: {} begin (python -m anyscene.layout.docgen docs/layout.md) -->"
_END = "<!-- generated: {} end -->"
TABLE_HEADER = "| field | type | unit | default | description | example |\n| --- | --- | --- | --- | --- | --- |"


def schema_classes(root=Layout) -> list[type]:
    """Every schema dataclass reachable from `root`, in depth-first field order, each once."""
    seen: list[type] = []

    def visit(cls):
        if cls in seen:
            return
        seen.append(cls)
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            for inner in _dataclasses_in(hints[f.name]):
                visit(inner)

    visit(root)
    return seen


def _dataclasses_in(tp) -> list[type]:
    if dataclasses.is_dataclass(tp):
        return [tp]
    return [c for a in typing.get_args(tp) for c in _dataclasses_in(a)]


def _unwrap_optional(tp):
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return args[0], True
    return tp, False


def type_name(tp) -> str:
    """How a field's type reads in the reference: number, [x, y], list of Road, ..."""
    tp, _ = _unwrap_optional(tp)
    if dataclasses.is_dataclass(tp):
        return f"[{tp.__name__}](#{tp.__name__.lower()})"
    if typing.get_origin(tp) is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return f"list of {type_name(args[0])}"
        return {2: "[x, y]", 3: "[length, width, height]", 4: "[xmin, ymin, xmax, ymax]"}.get(
            len(args), f"[{', '.join(type_name(a) for a in args)}]")
    return {float: "number", int: "integer", bool: "boolean", str: "string"}[tp]


def _num(v) -> str:
    return f"{v:g}".replace("e+0", "e").replace("e+", "e") if isinstance(v, float) else str(v)


def type_cell(f: dataclasses.Field, tp) -> str:
    """The type with its bounds: 'number ≥ 0', 'integer in [0, 8]', 'string, one of: a, b'; for lists of numbers
    or points the bounds hold for every number."""
    meta = f.metadata
    text = type_name(tp)
    lo, hi, choices = meta.get("lo"), meta.get("hi"), meta.get("choices")
    if lo is not None and hi is not None:
        text += f" in [{_num(lo)}, {_num(hi)}]"
    elif lo is not None:
        text += f" ≥ {_num(lo)}"
    elif hi is not None:
        text += f" ≤ {_num(hi)}"
    if choices:
        text += ", one of: " + ", ".join(f"`{c}`" for c in choices)
    if meta.get("max_items") is not None:
        text += f", at most {meta['max_items']} entries"
    return text


def default_value(f: dataclasses.Field):
    """The field's default value, or dataclasses.MISSING for a required field."""
    if f.metadata.get("required"):
        return dataclasses.MISSING
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


def _flow(value) -> str:
    """A plain value in YAML flow style."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _num(value)
    if isinstance(value, str):
        return value if value and re.fullmatch(r"[A-Za-z_][\w.-]*", value) else f'"{value}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no flow form for {value!r}")


def default_cell(f: dataclasses.Field) -> str:
    """'required', '—' (omitted: see the description), or the default in YAML flow style."""
    value = default_value(f)
    if value is dataclasses.MISSING:
        return "required"
    if value is None:
        return "—"
    return f"`{_flow(to_plain(value))}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _example_cell(example: str) -> str:
    m = re.fullmatch(r"see (\w+)", example)
    if m:
        return f"see [{m.group(1)}](#{m.group(1).lower()})"
    return f"`{_cell(example)}`" if example else ""


def field_table(cls) -> str:
    """The Markdown field table of one schema dataclass (YAML key names)."""
    hints = typing.get_type_hints(cls)
    rows = [TABLE_HEADER]
    for f in dataclasses.fields(cls):
        meta = f.metadata
        rows.append("| " + " | ".join([
            f"`{YAML_KEY.get(f.name, f.name)}`", _cell(type_cell(f, hints[f.name])), meta.get("unit") or "—",
            default_cell(f), _cell(meta.get("doc", "")), _example_cell(meta.get("example", "")),
        ]) + " |")
    return "\n".join(rows)


def render_schema_tables() -> str:
    """A `### Name` section with the docstring and field table for every schema dataclass."""
    parts = []
    for cls in schema_classes():
        doc = " ".join((cls.__doc__ or "").split())
        parts.append(f"### {cls.__name__}\n\n{doc}\n\n{field_table(cls)}")
    return "\n\n".join(parts)


def render_class_tables() -> str:
    """Agent classes, static prop classes and area classes."""
    rows = ["### Agent classes", "",
            "| class | kind | default size l × w × h (m) | shape | Occ3D class | nuScenes category | "
            "max / typical speed (m/s) | max / typical acceleration (m/s²) |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for k in AGENT_CLASSES.values():
        size = " × ".join(_num(v) for v in k.size)
        rows.append(f"| `{k.name}` | {k.kind} | {size} | {k.shape} | {k.occ3d} | {k.category} | "
                    f"{_num(k.max_speed)} / {_num(k.typical_speed)} | {_num(k.max_accel)} / {_num(k.typical_accel)} |")
    rows += ["", "### Static prop classes", "",
             "Props of these classes are part of the static map (structure columns), not annotated agents.", "",
             "| class | Occ3D class | default size l × w × h (m) |", "| --- | --- | --- |"]
    for name, (occ, size) in STATIC_PROPS.items():
        rows.append(f"| `{name}` | {occ} | {' × '.join(_num(v) for v in size)} |")
    rows += ["", "### Area and ground classes", "", "| class | Occ3D class |", "| --- | --- |"]
    for name, occ in STATIC_CLASSES.items():
        rows.append(f"| `{name}` | {occ} |")
    return "\n".join(rows)


RENDERERS = {"schema-tables": render_schema_tables, "class-tables": render_class_tables}


def generated_block(name: str) -> str:
    """The full generated block, markers included."""
    return f"{_BEGIN.format(name)}\n\n{RENDERERS[name]()}\n\n{_END.format(name)}"


def update_reference(text: str) -> str:
    """`text` with every generated block replaced by its current rendering."""
    for name in BLOCKS:
        begin, end = _BEGIN.format(name), _END.format(name)
        i, j = text.find(begin), text.find(end)
        if i < 0 or j < i:
            raise ValueError(f"the reference page has no '{name}' block (markers {begin!r} ... {end!r})")
        text = text[:i] + generated_block(name) + text[j + len(end):]
    return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("page", type=Path, help="the reference page, docs/layout.md")
    ap.add_argument("--check", action="store_true", help="only check that the generated blocks are current")
    args = ap.parse_args(argv)
    text = args.page.read_text(encoding="utf-8")
    new = update_reference(text)
    if args.check:
        if new != text:
            print(f"{args.page}: generated blocks are out of date; run python -m anyscene.layout.docgen {args.page}")
            return 1
        return 0
    if new != text:
        args.page.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
