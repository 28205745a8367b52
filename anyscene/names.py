"""The one rule for names that become file or folder names: scene names (a layout's `name`), sensor channels
of a rig, the dataset version and split prefixes. `anyscene validate` and `anyscene generate` apply the same
rule, so nothing a layout or config names can reach outside the output folder. `safe_name` makes a name that
follows it out of any text (a file's stem, an imported scene's name)."""
from __future__ import annotations

import re

NAME_RULE = "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_LENGTH = 64


def name_problem(name) -> str | None:
    """What is wrong with `name` as a file or folder name, or None when it follows the rule."""
    if not isinstance(name, str):
        return f"expected a name ({NAME_RULE}), got {name!r}"
    if _NAME.fullmatch(name) is None:
        shown = name if len(name) <= 80 else name[:77] + "..."
        return f"{shown!r} is not a usable file name; use {NAME_RULE}"
    return None


def safe_name(text: str, fallback: str = "") -> str:
    """`text` made to follow the rule: each run of other characters becomes one '_', leading and trailing
    '.', '_' and '-' are dropped, and the rest is cut to 64 characters; `fallback` when nothing is left."""
    clean = _UNSAFE.sub("_", text).strip("._-")[:MAX_LENGTH].rstrip("._-")
    return clean or fallback
