"""The package's layering, read from the source with ast: every import of every module of anyscene/ (at the top,
inside functions, under TYPE_CHECKING) points at its own package, a shared leaf module, or a package the table
below allows; and no two modules import each other, directly or around a longer circle.

Stages from the bottom up: layout < world < sensors < render < pipeline < export < batch < cli, with the
other packages placed among them (ALLOWED). The shared leaf modules (LEAVES) import only each other."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from testdata import ROOT

PACKAGE = ROOT / "anyscene"
# Modules every package may import; they import nothing of anyscene but each other.
LEAVES = {"errors", "classes", "names", "atomic", "resources", "config"}
LAYOUT = {"layout"}
WORLD = LAYOUT | {"shapes", "world"}
SENSORS = WORLD | {"validation", "sensors"}
RENDER = SENSORS | {"render"}
PIPELINE = RENDER | {"pipeline"}
EXPORT = PIPELINE | {"export"}
# The anyscene packages (besides itself and LEAVES) each package may import.
ALLOWED: dict[str, set[str]] = {
    "layout": set(),
    "shapes": set(),  # procedural meshes of the agent classes, below the world that places them
    "world": WORLD,
    "validation": WORLD,  # the one front door of checking: layout and scene checks
    "sensors": WORLD,
    "render": RENDER,
    "pipeline": PIPELINE,
    "procgen": SENSORS,  # samples layouts and validates them
    "importers": SENSORS,  # real logs to layouts and rigs
    "export": EXPORT,
    "replay": EXPORT | {"importers", "replay"},  # a real scene beside its synthetic twin
    "training": PIPELINE | {"training"},  # the diffusion renderer's training data (conditions via the pipeline)
    "perception": EXPORT | {"perception"},  # a reference detector trained on exported datasets
    "editor": PIPELINE | {"procgen", "editor"},
    "batch": EXPORT | {"procgen", "batch"},
    "cli": EXPORT | {"training", "procgen", "importers", "replay", "perception", "editor", "batch", "cli"},
}
ALLOWED = {p: allowed | {p} for p, allowed in ALLOWED.items()}
# Circles that are known (none).
KNOWN_CYCLES: list[set[str]] = []


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(dotted: str) -> bool:
    base = ROOT.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def imports_of(path: Path, name: str | None = None) -> list[tuple[int, str]]:
    """(line, module) of every anyscene module `path` imports, wherever the import stands; `from P import M`
    of a module M counts as importing P.M, of any other name as importing P."""
    name = name or module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
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
            for a in node.names:
                out.append((node.lineno, f"{mod}.{a.name}" if _is_module(f"{mod}.{a.name}") else mod))
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
                "import_module", "__import__"):
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                out.append((node.lineno, node.args[0].value))
    return [(line, mod) for line, mod in out if mod == "anyscene" or mod.startswith("anyscene.")]


def top_package(module: str) -> str:
    """'layout' for anyscene.layout.schema, 'errors' for anyscene.errors, '' for anyscene itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def layering_problems(name: str, imports: list[tuple[int, str]]) -> list[str]:
    own = top_package(name)
    allowed = LEAVES | {""} if own in LEAVES or own == "" else ALLOWED[own] | LEAVES | {""}
    return [f"{name}:{line}: imports {mod}" for line, mod in imports if top_package(mod) not in allowed]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_package_has_a_row():
    packages = {top_package(module_name(p)) for p in MODULES} - {""}
    assert packages - LEAVES <= ALLOWED.keys(), f"no layering row for {sorted(packages - LEAVES - ALLOWED.keys())}"
    assert {"layout", "world", "sensors", "render", "pipeline", "export", "batch", "cli"} <= packages


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_module_imports_only_its_own_level_or_below(path):
    bad = layering_problems(module_name(path), imports_of(path))
    assert not bad, "an import points up the stages: " + "; ".join(bad)


def test_no_import_circles_between_modules():
    graph = {module_name(p): {m for _, m in imports_of(p)} for p in MODULES}
    found = [c for c in cycles(graph) if set(c) not in KNOWN_CYCLES]
    assert not found, "modules that import each other: " + "; ".join(" <-> ".join(c) for c in found)


def test_the_checks_see_every_kind_of_import(tmp_path):
    probe = ROOT / "anyscene" / "layout" / "probe.py"  # named as if it lived there; read from tmp_path
    src = tmp_path / "probe.py"
    src.write_text("from typing import TYPE_CHECKING\nfrom .. import names\nif TYPE_CHECKING:\n"
                   "    from ..render.style import RasterStyle\n"
                   "def f():\n    from ..world import World\n    import anyscene.export.scene\n"
                   "    __import__('anyscene.batch')\n")
    found = imports_of(src, module_name(probe))
    assert [m for _, m in found] == ["anyscene.names", "anyscene.render.style", "anyscene.world",
                                     "anyscene.export.scene", "anyscene.batch"]
    assert [p.split(": ")[1] for p in layering_problems("anyscene.layout.probe", found)] == [
        "imports anyscene.render.style", "imports anyscene.world", "imports anyscene.export.scene",
        "imports anyscene.batch"]
    assert layering_problems("anyscene.cli.main", found) == []
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
