"""The one rule for names that become file or folder names: scene names (a layout's `name`), sensor channels
of a rig, the dataset version and split prefixes. `anyscene validate` and `anyscene generate` apply the same
rule, so nothing a layout or config names can reach outside the output folder."""
from __future__ import annotations

import re

NAME_RULE = "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def name_problem(name) -> str | None:
    """What is wrong with `name` as a file or folder name, or None when it follows the rule."""
    if not isinstance(name, str):
        return f"expected a name ({NAME_RULE}), got {name!r}"
    if _NAME.fullmatch(name) is None:
        shown = name if len(name) <= 80 else name[:77] + "..."
        return f"{shown!r} is not a usable file name; use {NAME_RULE}"
    return None
