"""A user's YAML file read within bounds, with the line and column of every value.

Every YAML input (layouts, and the generate, grid, rig, raster style, sampler, batch and training configs)
goes through `read_text` and `parse`: the file must be a regular file of at most `max_bytes`, UTF-8 text
without control characters; the YAML must be syntactically valid, use only the plain types (mappings, lists,
strings, numbers, booleans, null), have no duplicate keys, and stay within `MAX_NODES` values once aliases
are expanded and `MAX_DEPTH` levels of nesting. Every problem is a `YamlFileError` naming FILE:LINE:COL.

`parse` composes the document with PyYAML (libyaml's parser where available, YAML 1.2 core resolution of
plain scalars) and builds ruamel CommentedMap / CommentedSeq objects from the nodes, so `.lc` gives each key's
and item's position (the layout reader uses it); `load_config` turns a config file into plain data plus a map
from dotted key paths to positions (`YamlDoc`).

Anchors, aliases and merge keys work as in YAML 1.1 (`<<: *base`, or `<<: [*a, *b]`): the keys of the merged
mappings are added where not given explicitly (an explicit key wins; of several merged mappings the first
wins), and every merged value keeps the position of the text it came from, so an error in a value
inherited from an anchored mapping names the line inside the anchored text.
"""
from __future__ import annotations

import math
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError, Location

MAX_CONFIG_BYTES = 1 << 20  # 1 MiB: the largest config file read
MAX_NODES = 1_000_000  # values (mappings, lists, scalars) in one file, aliases expanded
MAX_DEPTH = 64  # levels of nesting
MAX_NUMBER_CHARS = 40  # characters of one number (longer integers are not plausible values)
# YAML's printable set: tab, newline, carriage return, and everything from space up except DEL, C1 controls
# (other than NEL) and the surrogates and non-characters.
_BAD_CHAR = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class YamlFileError(ConfigError):
    """A problem at a place in a user's YAML file (or text given on the command line)."""

    def __init__(self, location: Location, message: str):
        self.location, self.message = location, message
        super().__init__(f"{location}: {message}")


def _line_col(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def read_text(path: str | Path, max_bytes: int = MAX_CONFIG_BYTES, what: str = "file") -> str:
    """The UTF-8 text of the regular file `path`, at most `max_bytes` long; YamlFileError otherwise (an
    OSError names the file and what the system said)."""
    path = Path(path)
    where = Location(str(path))
    try:
        mode = os.stat(path).st_mode  # before opening: opening a FIFO would wait for a writer
        if stat.S_ISDIR(mode):
            raise YamlFileError(where, f"is a folder; give a {what} (.yaml)")
        if not stat.S_ISREG(mode):
            raise YamlFileError(where, f"not a regular file; give a {what} (.yaml)")
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise YamlFileError(where, "file not found") from None
    except IsADirectoryError:
        raise YamlFileError(where, f"is a folder; give a {what} (.yaml)") from None
    except OSError as e:
        raise YamlFileError(where, f"cannot read the {what}: {e.strerror or e}") from None
    if len(data) > max_bytes:
        raise YamlFileError(where, f"the {what} is larger than the limit of {_size(max_bytes)}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        start = data.rfind(b"\n", 0, e.start) + 1
        line = data.count(b"\n", 0, e.start) + 1
        col = len(data[start:e.start].decode("utf-8", "replace")) + 1
        raise YamlFileError(Location(str(path), line, col),
                            f"not UTF-8 text (byte 0x{data[e.start]:02x}); save the file as UTF-8") from None
    return text.removeprefix("\ufeff")


def _size(n: int) -> str:
    return f"{n / (1 << 20):g} MiB" if n >= 1 << 20 else f"{n / 1024:g} KiB"


def check_characters(text: str, file: str) -> None:
    """YamlFileError at the first character YAML does not allow (NUL, other control characters)."""
    m = _BAD_CHAR.search(text)
    if m:
        line, col = _line_col(text, m.start())
        raise YamlFileError(Location(file, line, col), f"control character U+{ord(m.group()):04X} is not allowed "
                                                       "in YAML text; remove it")


def _loader():
    """A PyYAML loader class that composes nodes (with their marks) and resolves plain scalars by the YAML 1.2
    core schema: `yes`/`on` are strings, `0x10` and `0o17` integers, `1e5` a float, no timestamps. It uses
    libyaml's parser when PyYAML has it (fast, and libyaml bounds nesting itself)."""
    import yaml
    from yaml.resolver import BaseResolver

    from yaml.nodes import ScalarNode, SequenceNode

    t = "tag:yaml.org,2002:"
    plain = re.compile(r"(?P<null>~|null|Null|NULL|)|(?P<bool>true|True|TRUE|false|False|FALSE)"
                       r"|(?P<int>[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)"
                       r"|(?P<float>[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                       r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))")

    class Resolver12(BaseResolver):
        def resolve(self, kind, value, implicit):
            if kind is ScalarNode:
                m = plain.fullmatch(value) if implicit[0] else None
                return t + (m.lastgroup if m else "str")
            return t + ("seq" if kind is SequenceNode else "map")

    if getattr(yaml, "__with_libyaml__", False):
        from yaml import _yaml

        class Loader(_yaml.CParser, Resolver12):
            def __init__(self, stream):
                _yaml.CParser.__init__(self, stream)
                Resolver12.__init__(self)
    else:  # pragma: no cover - PyYAML built without libyaml
        from yaml.composer import Composer
        from yaml.parser import Parser
        from yaml.reader import Reader
        from yaml.scanner import Scanner

        class Loader(Reader, Scanner, Parser, Composer, Resolver12):
            def __init__(self, stream):
                Reader.__init__(self, stream)
                Scanner.__init__(self)
                Parser.__init__(self)
                Composer.__init__(self)
                Resolver12.__init__(self)
    return Loader


_LOADER = None


def parse(text: str, file: str, max_nodes: int = MAX_NODES):
    """YAML text -> CommentedMap / CommentedSeq / plain scalars with positions; None for an empty document."""
    import yaml

    global _LOADER
    if _LOADER is None:
        _LOADER = _loader()
    check_characters(text, file)
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = " ".join(str(p) for p in (e.context, e.problem) if p)
        raise YamlFileError(Location(file, line, col), f"YAML syntax error: {problem}") from None
    except yaml.YAMLError as e:  # unmarked reader errors
        raise YamlFileError(Location(file), f"YAML error: {str(e).splitlines()[0]}") from None
    if node is None:
        return None
    total = _expanded_size(node, {}, 0, file)
    if total > max_nodes:
        raise YamlFileError(Location(file, 1, 1), f"the document holds {total:,} values once its aliases are "
                                                  f"expanded; at most {max_nodes:,} are allowed")
    return _Builder(file).build(node)


def _pos(node) -> tuple[int, int]:
    return node.start_mark.line, node.start_mark.column


def _loc(file: str, node) -> Location:
    line, col = _pos(node)
    return Location(file, line + 1, col + 1)


def _expanded_size(node, memo: dict, depth: int, file: str) -> int:
    """Values in `node` with aliases expanded (memoised per node: linear in the document's size)."""
    from yaml.nodes import MappingNode, SequenceNode

    key = id(node)
    if key in memo:
        if memo[key] is None:
            raise YamlFileError(_loc(file, node), "an alias refers to a value that contains it (a cycle)")
        return memo[key]
    if depth > MAX_DEPTH:
        raise YamlFileError(_loc(file, node), f"nested more than {MAX_DEPTH} levels deep")
    memo[key] = None
    n = 1
    if isinstance(node, MappingNode):
        n += sum(_expanded_size(k, memo, depth + 1, file) + _expanded_size(v, memo, depth + 1, file)
                 for k, v in node.value)
    elif isinstance(node, SequenceNode):
        n += sum(_expanded_size(v, memo, depth + 1, file) for v in node.value)
    memo[key] = n
    return n


_FLOAT_SPECIAL = {".inf": math.inf, "+.inf": math.inf, "-.inf": -math.inf, ".nan": math.nan}
_PLAIN_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("null", "bool", "int", "float", "str", "map", "seq")}


def _is_merge_key(knode) -> bool:
    """A plain (unquoted) `<<` key: YAML's merge key."""
    from yaml.nodes import ScalarNode

    return isinstance(knode, ScalarNode) and knode.value == "<<" and knode.style in (None, "") and \
        str(knode.tag).endswith(":str")


class _Builder:
    """Composed YAML nodes -> CommentedMap / CommentedSeq / scalars, each container knowing its positions."""

    def __init__(self, file: str):
        self.file = file

    def build(self, node):
        from ruamel.yaml.comments import CommentedMap, CommentedSeq
        from yaml.nodes import MappingNode, SequenceNode

        tag = str(node.tag or "")
        if tag not in _PLAIN_TAGS:
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            raise YamlFileError(_loc(self.file, node), f"the YAML tag {shown} is not allowed; write plain values "
                                                       "(mappings, lists, strings, numbers, true/false, null)")
        if isinstance(node, MappingNode):
            out = CommentedMap()
            out._yaml_set_line_col(*_pos(node))
            explicit = []
            merged = []
            for knode, vnode in node.value:
                if isinstance(knode, (MappingNode, SequenceNode)):
                    raise YamlFileError(_loc(self.file, knode), "a mapping key must be a plain name")
                if _is_merge_key(knode):
                    merged.extend(self.merge_sources(vnode))
                else:
                    explicit.append((knode, vnode))
            given = set()
            for knode, _ in explicit:
                key = self.build(knode)
                if key in given:
                    raise YamlFileError(_loc(self.file, knode), f"duplicate key '{key}'; give each key once")
                given.add(key)
            # merged keys first (in the order of the merged mappings), then the explicit ones, which win
            pairs = [(k, v, True) for k, v in merged] + [(k, v, False) for k, v in explicit]
            for knode, vnode, inherited in pairs:
                key = self.build(knode)
                if inherited and (key in given or key in out):
                    continue
                out[key] = self.build(vnode)
                out._yaml_set_kv_line_col(key, [*_pos(knode), *_pos(vnode)])
            return out
        if isinstance(node, SequenceNode):
            out = CommentedSeq()
            out._yaml_set_line_col(*_pos(node))
            for i, vnode in enumerate(node.value):
                out.append(self.build(vnode))
                out._yaml_set_idx_line_col(i, list(_pos(vnode)))
            return out
        return self.scalar(node, tag)

    def merge_sources(self, vnode) -> list:
        """The (key node, value node) pairs a merge key `<<` brings in: from one mapping (usually an alias) or
        a list of mappings, the first one's keys winning; nested merge keys are resolved in them."""
        from yaml.nodes import MappingNode, SequenceNode

        sources = vnode.value if isinstance(vnode, SequenceNode) else [vnode]
        pairs, seen = [], set()
        for src in sources:
            if not isinstance(src, MappingNode):
                raise YamlFileError(_loc(self.file, src), "a merge key '<<' takes a mapping (e.g. *base) or a list "
                                                          "of mappings")
            own = [(k, v) for k, v in src.value if not _is_merge_key(k)]
            inner = [p for k, v in src.value if _is_merge_key(k) for p in self.merge_sources(v)]
            for knode, vnode2 in own + inner:
                name = getattr(knode, "value", None)
                if isinstance(name, str) and name not in seen:
                    seen.add(name)
                    pairs.append((knode, vnode2))
        return pairs

    def scalar(self, node, tag: str):
        v = node.value
        kind = tag.rsplit(":", 1)[-1]
        if kind == "null":
            if v not in ("", "~", "null", "Null", "NULL"):
                raise YamlFileError(_loc(self.file, node), f"'{v}' is not null")
            return None
        if kind == "bool":
            if v.lower() not in ("true", "false"):
                raise YamlFileError(_loc(self.file, node), f"'{v}' is not true or false")
            return v.lower() == "true"
        if kind in ("int", "float") and len(v) > MAX_NUMBER_CHARS:
            raise YamlFileError(_loc(self.file, node), f"number of {len(v)} characters; at most "
                                                       f"{MAX_NUMBER_CHARS} are allowed")
        if kind == "int":
            t = v.strip()
            try:
                if t.startswith("0x"):
                    return int(t[2:], 16)
                if t.startswith("0o"):
                    return int(t[2:], 8)
                return int(t, 10)
            except ValueError:
                raise YamlFileError(_loc(self.file, node), f"'{v}' is not an integer") from None
        if kind == "float":
            special = _FLOAT_SPECIAL.get(v.lower())
            if special is not None:
                return special
            try:
                return float(v)
            except ValueError:
                raise YamlFileError(_loc(self.file, node), f"'{v}' is not a number") from None
        return v


# --------------------------------------------------------------------------------------------- configs


@dataclass
class YamlDoc:
    """A config file as plain data (dicts, lists, scalars), with the 1-based (line, col) of every value by
    dotted path ('a.b', 'cameras[2].width'); keys of mappings are located at the key."""

    file: str
    data: Any
    lines: dict[str, tuple[int, int]] = field(default_factory=dict)

    def location(self, path: str = "") -> Location:
        """Where the value at `path` stands, or its nearest located parent, or just the file."""
        p = path
        while p:
            if p in self.lines:
                line, col = self.lines[p]
                return Location(self.file, line, col, path)
            p = p[: p.rindex("[")] if p.endswith("]") else (p.rsplit(".", 1)[0] if "." in p else "")
        return Location(self.file, 0, 0, path)

    def where(self, path: str = "") -> str:
        """'FILE:LINE:COL' of the value at `path` (see `location`)."""
        return str(self.location(path))

    def error(self, path: str, message: str) -> YamlFileError:
        """A YamlFileError at `path` ('key.sub: message')."""
        return YamlFileError(self.location(path), f"{path}: {message}" if path else message)


def plain(obj, path: str = "", lines: dict | None = None):
    """A parsed tree as plain dicts and lists; `lines` receives the 1-based (line, col) of every dotted path."""
    lines = {} if lines is None else lines
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            kp = f"{path}.{k}" if path else str(k)
            try:
                line, col = obj.lc.key(k)
                lines[kp] = (line + 1, col + 1)
            except (AttributeError, KeyError, TypeError):
                pass
            out[k] = plain(v, kp, lines)
        return out
    if isinstance(obj, list):
        out = []
        for i, v in enumerate(obj):
            ip = f"{path}[{i}]"
            try:
                line, col = obj.lc.item(i)
                lines[ip] = (line + 1, col + 1)
            except (AttributeError, KeyError, TypeError, IndexError):
                pass
            out.append(plain(v, ip, lines))
        return out
    return obj


def load_config(path: str | Path, what: str = "config file", max_bytes: int = MAX_CONFIG_BYTES) -> YamlDoc:
    """A config file read within bounds as a YamlDoc; an empty file is an empty mapping, anything but a
    mapping at the top is an error."""
    text = read_text(path, max_bytes, what)
    tree = parse(text, str(path))
    lines: dict = {}
    data = plain(tree, "", lines) if tree is not None else {}
    doc = YamlDoc(str(path), data, lines)
    if not isinstance(data, dict):
        raise YamlFileError(Location(str(path), 1, 1), f"a {what} must be a mapping of keys to values")
    return doc


def parse_value(text: str, where: str = "<override>"):
    """One value written on the command line (`key=VALUE`), read as YAML within the same rules (no tags, no
    aliases, plain types)."""
    if len(text) > 4096:
        raise YamlFileError(Location(where), "the value is longer than 4096 characters")
    tree = parse(text, where, max_nodes=10_000)
    return plain(tree, "", {})
