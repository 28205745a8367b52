"""The layout language stands apart from the world: no module under anyscene/layout/ imports world, sensors,
render or export, neither at the top nor inside a function (read from the source with ast)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from testdata import ROOT

LAYOUT = ROOT / "anyscene" / "layout"
FORBIDDEN = ("world", "sensors", "render", "export")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, absolute dotted module) of every import in a module of anyscene.layout, wherever it stands."""
    package = "anyscene.layout"
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.append((node.lineno, mod))
            out += [(node.lineno, f"{mod}.{a.name}") for a in node.names]  # from anyscene import world
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
                "import_module", "__import__"):
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                out.append((node.lineno, node.args[0].value))
    return out


def _forbidden(mod: str) -> bool:
    return any(mod == f"anyscene.{p}" or mod.startswith(f"anyscene.{p}.") for p in FORBIDDEN)


MODULES = sorted(LAYOUT.rglob("*.py"))


def test_the_layout_package_has_modules():
    assert {p.name for p in MODULES} >= {"schema.py", "yamlio.py", "checks.py", "validate.py", "geometry.py"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_layout_module_imports_nothing_above_it(path):
    bad = [f"{path.name}:{line}: {mod}" for line, mod in imported_modules(path) if _forbidden(mod)]
    assert not bad, "layout/ imports a higher stage: " + "; ".join(bad)


def test_the_parser_sees_function_level_imports(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from ..world.static import prop_footprint\n    import anyscene.export.scene\n"
                     "    from .. import render\n")
    mods = [m for _, m in imported_modules(probe)]
    assert _forbidden(mods[0]) and _forbidden("anyscene.export.scene") and "anyscene.render" in mods
