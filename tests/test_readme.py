"""The README stays true: its example layout validates and it documents every command."""
from __future__ import annotations

import re

from anyscene.cli.main import COMMANDS
from anyscene.layout import parse_layout
from anyscene.validation import check

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_example_layout_is_valid():
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```yaml\n(.*?)```", text, re.S).group(1)
    layout, _ = parse_layout(block, "README.md")
    check(layout, strict=True, file="README.md")


def test_readme_starts_with_the_two_commands_and_lists_every_verb():
    text = (ROOT / "README.md").read_text()
    head = text[:400]
    assert "make demo" in head and "make test" in head
    for verb in COMMANDS:
        assert f"anyscene {verb}" in text, verb
