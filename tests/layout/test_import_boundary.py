"""The layout language stands apart from the world: no module under anyscene/layout/ imports world, sensors,
render or export, neither at the top nor inside a function (read from the source with ast)."""
from __future__ import annotations

from pathlib import Path

import pytest

from test_layering import imports_of, module_name
from testdata import ROOT

LAYOUT = ROOT / "anyscene" / "layout"
FORBIDDEN = ("world", "sensors", "render", "export")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, absolute dotted module) of every import in a module of anyscene.layout, wherever it stands (the
    layering test's reader, tests/test_layering.py)."""
    inside = LAYOUT in path.parents
    return imports_of(path, module_name(path) if inside else f"anyscene.layout.{path.stem}")


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
