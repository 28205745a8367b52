"""Read and write layout YAML. Reading checks syntax, keys, types and ranges field by field and records where
every value stands in the file, so later checks can name FILE:LINE:COL."""
from __future__ import annotations

import dataclasses
import difflib
import io
import math
import types
import typing
from pathlib import Path

from .. import yamlfile
from ..errors import Issue, LayoutError, Location
from .schema import PY_NAME, YAML_KEY, Layout

SourceMap = dict[str, Location]
MAX_LAYOUT_BYTES = 1 << 20  # 1 MiB: the largest layout file read
MAX_LAYOUT_NODES = 500_000  # YAML values in one layout, aliases expanded
MAX_STRING_CHARS = 10_000  # characters of one string (names, descriptions, tags)
MAX_READER_ISSUES = 1000  # problems kept while reading one file; the rest are counted


class _Reader:
    """Converts a ruamel node tree into schema dataclasses, collecting issues instead of stopping at the first."""

    def __init__(self, file: str):
        self.file = file
        self.issues: list[Issue] = []
        self.dropped = 0  # issues past MAX_READER_ISSUES
        self.source: SourceMap = {}

    def loc(self, path: str, parent=None, key=None) -> Location:
        line = col = 0
        try:
            if parent is not None and key is not None:
                if isinstance(key, int):
                    line, col = parent.lc.item(key)
                else:
                    line, col = parent.lc.value(key) if key in parent else (parent.lc.line, parent.lc.col)
            elif parent is not None:
                line, col = parent.lc.line, parent.lc.col
        except (AttributeError, KeyError, TypeError, IndexError):
            pass
        if parent is None:
            return Location(self.file, 0, 0, path)
        return Location(self.file, line + 1, col + 1, path)

    def error(self, loc: Location, message: str) -> None:
        if len(self.issues) >= MAX_READER_ISSUES:  # the rest are counted, not kept
            self.dropped += 1
            return
        self.issues.append(Issue(loc, message))

    def read(self, node, tp, path: str, loc: Location):
        self.source[path] = loc
        origin = typing.get_origin(tp)
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if node is None:
                return None
            return self.read(node, args[0], path, loc)
        if dataclasses.is_dataclass(tp):
            return self.read_dataclass(node, tp, path, loc)
        if origin is tuple:
            args = typing.get_args(tp)
            if not isinstance(node, list):
                self.error(loc, f"{path or 'value'}: expected a list, got {_kind(node)}")
                return None
            if len(args) == 2 and args[1] is Ellipsis:
                return tuple(self.read(v, args[0], f"{path}[{i}]", self.loc(f"{path}[{i}]", node, i))
                             for i, v in enumerate(node))
            if len(node) != len(args):
                self.error(loc, f"{path}: expected {len(args)} numbers, got {len(node)}")
                return None
            return tuple(self.read(v, a, f"{path}[{i}]", self.loc(f"{path}[{i}]", node, i))
                         for i, (v, a) in enumerate(zip(node, args)))
        if tp is float:
            if isinstance(node, bool) or not isinstance(node, (int, float)):
                self.error(loc, f"{path}: expected a number, got {_kind(node)}")
                return None
            if not math.isfinite(float(node)):
                self.error(loc, f"{path}: must be finite, got {node}")
                return None
            return float(node)
        if tp is int:
            if isinstance(node, bool) or not isinstance(node, int):
                self.error(loc, f"{path}: expected an integer, got {_kind(node)}")
                return None
            return int(node)
        if tp is bool:
            if not isinstance(node, bool):
                self.error(loc, f"{path}: expected true or false, got {_kind(node)}")
                return None
            return bool(node)
        if tp is str:
            if not isinstance(node, str):
                self.error(loc, f"{path}: expected a string, got {_kind(node)}")
                return None
            if len(node) > MAX_STRING_CHARS:
                self.error(loc, f"{path}: a string of {len(node)} characters; at most {MAX_STRING_CHARS} are allowed")
                return None
            return str(node)
        raise TypeError(f"unsupported schema type {tp!r}")  # a bug in the schema, not in the user's file

    def read_dataclass(self, node, cls, path: str, loc: Location):
        if not isinstance(node, dict):
            self.error(loc, f"{path or 'layout'}: expected a mapping of {cls.__name__} fields, got {_kind(node)}")
            return None
        hints = typing.get_type_hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls)}
        known = [YAML_KEY.get(n, n) for n in fields]
        values = {}
        for key in node:
            name = PY_NAME.get(key, key)
            kpath = f"{path}.{key}" if path else str(key)
            if name not in fields or key in PY_NAME.values() and key not in known:
                if len(self.issues) >= MAX_READER_ISSUES:
                    self.dropped += 1
                    continue
                hint = difflib.get_close_matches(str(key)[:100], known, n=1, cutoff=0.6)
                more = f"; did you mean '{hint[0]}'?" if hint else f"; known keys: {', '.join(known)}"
                self.error(self._key_loc(kpath, node, key), f"unknown key '{key}' in {path or 'layout'}{more}")
                continue
            vloc = self.loc(kpath, node, key)
            most = fields[name].metadata.get("max_items")
            if most is not None and isinstance(node[key], list) and len(node[key]) > most:
                self.error(vloc, f"{kpath}: {len(node[key])} entries; at most {most} are allowed")
                continue
            value = self.read(node[key], hints[name], kpath, vloc)
            if value is None:
                if node[key] is None and not fields[name].metadata.get("required"):
                    continue
                if node[key] is None:
                    self.error(vloc, f"{kpath}: a value is required")
                continue
            self.check_range(value, fields[name].metadata, kpath, vloc)
            values[name] = value
        for name, f in fields.items():
            if f.metadata.get("required") and name not in values and YAML_KEY.get(name, name) not in node:
                self.error(self.loc(path, node), f"{path or 'layout'}: missing required key "
                                                 f"'{YAML_KEY.get(name, name)}'")
        try:
            return cls(**values)
        except TypeError:
            return None  # a required field failed; already reported

    def _key_loc(self, path, node, key) -> Location:
        try:
            line, col = node.lc.key(key)
            return Location(self.file, line + 1, col + 1, path)
        except (AttributeError, KeyError, TypeError):
            return self.loc(path, node)

    def check_range(self, value, meta, path, loc) -> bool:
        """Report a number outside [lo, hi] (for lists of numbers or points: the first such number) or a
        string outside its choices; False when reported."""
        lo, hi, choices = meta.get("lo"), meta.get("hi"), meta.get("choices")
        if isinstance(value, tuple):
            for i, v in enumerate(value):
                sub = f"{path}[{i}]"
                if not self.check_range(v, {"lo": lo, "hi": hi}, sub, self.source.get(sub, loc)):
                    return False
            return True
        before = len(self.issues)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            allowed = ("; allowed: " + (f"{_num(lo)} to {_num(hi)}" if lo is not None and hi is not None else
                                        f"at least {_num(lo)}" if lo is not None else f"at most {_num(hi)}"))
            if lo is not None and value < lo:
                self.error(loc, f"{path}: {_num(value)} is below the minimum {_num(lo)}{allowed}")
            if hi is not None and value > hi:
                self.error(loc, f"{path}: {_num(value)} is above the maximum {_num(hi)}{allowed}")
        if choices and isinstance(value, str) and value not in choices:
            hint = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
            more = f"did you mean '{hint[0]}'? " if hint else ""
            self.error(loc, f"{path}: unknown value '{value}'; {more}expected one of: {', '.join(choices)}")
        return len(self.issues) == before


def _num(v) -> str:
    """A number as written in messages: 9.0, 1e6, 1e308."""
    text = str(v)
    if isinstance(v, float) and ("e" in text or abs(v) >= 1e5):
        text = f"{v:.6g}".replace("e+0", "e").replace("e+", "e")
    return text


def _kind(node) -> str:
    if node is None:
        return "nothing"
    if isinstance(node, bool):
        return f"boolean {node}"
    if isinstance(node, dict):
        return "a mapping"
    if isinstance(node, list):
        return "a list"
    if isinstance(node, str):
        return f"string '{node if len(node) <= 60 else node[:57] + '...'}'"
    return f"{type(node).__name__} {node}"


def parse_layout(text: str, file: str = "<string>") -> tuple[Layout, SourceMap]:
    """Parse YAML text into a Layout and the source location of every value; raise LayoutError on any issue."""
    try:
        node = yamlfile.parse(text, file, max_nodes=MAX_LAYOUT_NODES)
    except yamlfile.YamlFileError as e:
        raise LayoutError([Issue(e.location, e.message)]) from None
    if node is None:
        raise LayoutError([Issue(Location(file, 1, 1), "the file is empty; a layout needs at least 'name'")])
    reader = _Reader(file)
    layout = reader.read_dataclass(node, Layout, "", Location(file, 1, 1))
    if reader.dropped:
        reader.issues.append(Issue(Location(file), f"... and {reader.dropped:,} more problems in the file"))
    if reader.issues or layout is None:
        raise LayoutError(reader.issues or [Issue(Location(file, 1, 1), "not a layout")])
    return layout, reader.source


def load_layout(path: str | Path) -> tuple[Layout, SourceMap]:
    """Read a layout file (syntax, keys, types, ranges) of at most MAX_LAYOUT_BYTES. Scene checks are
    `anyscene.validation.validate`'s job."""
    try:
        text = yamlfile.read_text(path, MAX_LAYOUT_BYTES, "layout file")
    except yamlfile.YamlFileError as e:
        raise LayoutError([Issue(e.location, e.message)]) from None
    return parse_layout(text, str(path))


def to_plain(obj):
    """A Layout (or any schema dataclass) as plain YAML-ready data, omitting fields left at their default."""
    if dataclasses.is_dataclass(obj):
        out = {}
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            default = f.default if f.default is not dataclasses.MISSING else (
                f.default_factory() if f.default_factory is not dataclasses.MISSING else dataclasses.MISSING)
            if value is None or (value == default and not f.metadata.get("required")):
                continue
            out[YAML_KEY.get(f.name, f.name)] = to_plain(value)
        return out
    if isinstance(obj, tuple):
        return [to_plain(v) for v in obj]
    return obj


def dump_layout(layout: Layout) -> str:
    """The layout as YAML text; `parse_layout(dump_layout(x))[0] == x`."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedSeq

    def flow(obj):
        # Number lists (points, sizes) in flow style keep files readable.
        if isinstance(obj, dict):
            return {k: flow(v) for k, v in obj.items()}
        if isinstance(obj, list):
            items = [flow(v) for v in obj]
            if all(isinstance(v, (int, float)) or isinstance(v, CommentedSeq) for v in items):
                seq = CommentedSeq(items)
                seq.fa.set_flow_style()
                return seq
            return items
        return obj

    y = YAML()
    y.default_flow_style = False
    y.width = 120
    buf = io.StringIO()
    y.dump(flow(to_plain(layout)), buf)
    return buf.getvalue()


def save_layout(layout: Layout, path: str | Path) -> None:
    """Write the layout to `path` as YAML (atomically: a temporary file renamed into place)."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(dump_layout(layout), encoding="utf-8")
    tmp.replace(path)
