"""The layout text being edited, and how edits reach it without disturbing the rest of the file.

An edit changes the ruamel round-trip tree of the text (comments stay attached to their nodes); the tree is
dumped again and only the lines the edit changed are taken from the new dump: every other line keeps its
original bytes, even where ruamel would re-wrap or re-space it (`merge_text`). The merged text is checked to
mean exactly what the new dump means; otherwise the new dump is used as it is.
"""
from __future__ import annotations

import difflib
import io
import re
import threading

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from ..errors import Issue, LayoutError, Location

DUMP_WIDTH = 120  # columns at which ruamel wraps the lines an edit rewrites


def rt_yaml(text: str = ""):
    """A ruamel round-trip YAML object indented like `text` (the project's style when it cannot tell)."""
    y = YAML(typ="rt")
    y.allow_duplicate_keys = False
    y.preserve_quotes = True
    y.width = DUMP_WIDTH
    offset = _sequence_offset(text)
    y.indent(mapping=2, sequence=offset + 2, offset=offset)
    return y


def _sequence_offset(text: str) -> int:
    """Columns between a key and the dash of its block sequence items (2 in `key:\\n  - a`, 0 in `key:\\n- a`)."""
    prev_key_col = None
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        col = len(line) - len(stripped)
        if stripped.startswith("- ") and prev_key_col is not None:
            return max(0, min(col - prev_key_col, 8))
        prev_key_col = col if re.match(r"[\w\"'-]+:\s*(#.*)?$", stripped) else None
    return 2


def dump(tree, text_hint: str = "") -> str:
    buf = io.StringIO()
    rt_yaml(text_hint).dump(tree, buf)
    return buf.getvalue()


def load_tree(text: str, file: str):
    """The round-trip tree of `text`; LayoutError with the line of a syntax error."""
    try:
        return rt_yaml(text).load(text)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = " ".join(str(p) for p in (e.context, e.problem) if p)
        raise LayoutError([Issue(Location(file, line, col), f"YAML syntax error: {problem}")]) from None
    except Exception as e:  # noqa: BLE001 - ruamel raises a few unmarked errors (duplicate keys, bad unicode)
        raise LayoutError([Issue(Location(file), f"YAML error: {e}")]) from None


def plain_load(text: str):
    """The plain data of YAML text with the fast C loader where present (for comparing two texts)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # a safe loader: plain data only


def plain_data(tree):
    """The round-trip tree as plain dicts, lists and scalars (what `plain_load` gives for its dump)."""
    if isinstance(tree, (CommentedMap, dict)):
        return {plain_data(k): plain_data(v) for k, v in tree.items()}
    if isinstance(tree, (CommentedSeq, list)):
        return [plain_data(v) for v in tree]
    if isinstance(tree, bool) or tree is None:
        return tree
    if isinstance(tree, int):
        return int(tree)
    if isinstance(tree, float):
        return float(tree)
    if isinstance(tree, str):
        return str(tree)
    return tree


def merge_text(original: str, before: str, after: str) -> str:
    """`original` with the changes that turn `before` into `after` applied.

    `before` is ruamel's dump of the unchanged tree of `original` and `after` the dump of the edited tree. Lines
    of `before` are aligned with `original` into units (a line kept as it is, or a block ruamel reformatted);
    each change from `before` to `after` is widened to whole units and replaces them, so the original bytes of
    every untouched unit survive.
    """
    o, a, b = (s.splitlines(keepends=True) for s in (original, before, after))
    # bound[k]: the original line where line k of `before` starts, for every k at a unit boundary.
    bound: dict[int, int] = {}
    for tag, o1, o2, a1, a2 in difflib.SequenceMatcher(None, o, a, autojunk=False).get_opcodes():
        if tag == "equal":
            for k in range(a2 - a1 + 1):
                bound[a1 + k] = o1 + k
        else:
            bound.setdefault(a1, o1)
            bound[a2] = o2
    bound.setdefault(0, 0)
    bound.setdefault(len(a), len(o))
    stops = sorted(bound)

    hunks: list[list[int]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        lo = max(s for s in stops if s <= i1)
        hi = min(s for s in stops if s >= i2)
        h = [lo, hi, j1 - (i1 - lo), j2 + (hi - i2)]
        if hunks and h[0] <= hunks[-1][1]:
            last = hunks[-1]
            last[1], last[3] = max(last[1], h[1]), max(last[3], h[3])
        else:
            hunks.append(h)
    out, pos = [], 0
    for i1, i2, j1, j2 in hunks:
        out += o[bound[pos]:bound[i1]]
        out += b[j1:j2]
        pos = i2
    out += o[bound[pos]:]
    return "".join(out)


class Document:
    """The text of one layout and its round-trip tree (loaded lazily, rebuilt after every change)."""

    def __init__(self, text: str, file: str, tree=None, before: str | None = None):
        self.text = text
        self.file = file
        self._tree = tree  # when given: a tree that means what `text` means, and `before` its dump
        self._before: str | None = before if tree is not None else None
        self._lock = threading.RLock()
        self.successor: tuple | None = None  # (tree, dump) of the last edit, for the next Document

    def tree(self):
        """The round-trip tree of the current text (LayoutError when it does not parse)."""
        with self._lock:
            return self._load()

    def _load(self):
        if self._tree is None:
            self._tree = load_tree(self.text, self.file)
            self._before = None
        return self._tree

    def before(self) -> str:
        """ruamel's dump of the unchanged tree (what `merge_text` aligns the original with)."""
        with self._lock:
            if self._before is None:
                self._before = dump(self._load(), self.text)
            return self._before

    def warm(self) -> None:
        """Load the tree and its dump now (called when the server is idle, so the next edit is quick)."""
        try:
            self.before()
        except LayoutError:
            pass

    def edited_text(self, apply) -> str:
        """The text after `apply(tree)` changed the tree in place. The tree moves to `successor` (it no longer
        matches this document's text): `Document(new_text, file, *doc.successor)` continues from it."""
        with self._lock:
            before = self.before()
            tree = self._tree
            self._tree, self._before = None, None
        apply(tree)
        after = dump(tree, self.text)
        if after == before:
            return self.text
        merged = merge_text(self.text, before, after)
        try:
            same = merged == after or plain_load(merged) == plain_data(tree)
        except Exception:  # noqa: BLE001 - a merge that does not even parse is not used
            same = False
        # The edited tree means what the new text means (checked above), so the next edit can start from it
        # without reading the text again.
        self.successor = (tree, after)
        return merged if same else after


class _Mismatch(Exception):
    """The text's node structure differs from the tree's (the fast re-read does not apply)."""


def relocate(tree, text: str) -> None:
    """Set the line/column records of the round-trip tree to where each node stands in `text`, a text that means
    what the tree means (the dump of an edited tree merged into the original). The positions come from the
    fast C composer of PyYAML; _Mismatch when the two node structures differ."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    _place(tree, yaml.compose(text, Loader=loader))


def _place(obj, node) -> None:
    if isinstance(obj, CommentedMap):
        if not isinstance(node, yaml.MappingNode) or len(node.value) != len(obj):
            raise _Mismatch
        obj.lc.line, obj.lc.col = node.start_mark.line, node.start_mark.column
        if obj.lc.data is None:  # a node an edit created
            obj.lc.data = {}
        for (key, value), (kn, vn) in zip(obj.items(), node.value):
            obj.lc.data[key] = [kn.start_mark.line, kn.start_mark.column, vn.start_mark.line, vn.start_mark.column]
            _place(value, vn)
    elif isinstance(obj, CommentedSeq):
        if not isinstance(node, yaml.SequenceNode) or len(node.value) != len(obj):
            raise _Mismatch
        obj.lc.line, obj.lc.col = node.start_mark.line, node.start_mark.column
        if obj.lc.data is None:
            obj.lc.data = {}
        for i, (value, vn) in enumerate(zip(obj, node.value)):
            obj.lc.data[i] = [vn.start_mark.line, vn.start_mark.column]
            _place(value, vn)
    elif not isinstance(node, yaml.ScalarNode):
        raise _Mismatch


def read_edited(tree, text: str, file: str):
    """(Layout, SourceMap) of `text` read from its already-built round-trip tree, positions taken from the text,
    as `parse_layout(text, file)` would give them; None when the quick way does not apply or the reader finds
    issues (the caller then parses the text, which reports them as `anyscene validate` does)."""
    try:
        relocate(tree, text)
        from ..layout.schema import Layout
        from ..layout.yamlio import _Reader

        reader = _Reader(file)
        layout = reader.read_dataclass(tree, Layout, "", Location(file, 1, 1))
    except _Mismatch:
        return None
    except Exception:  # noqa: BLE001 - the reader's internals moved: parse the text instead
        return None
    if reader.issues or layout is None:
        return None  # let parse_layout report the issues exactly as the validator does
    return layout, reader.source
