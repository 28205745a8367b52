"""The page's ES modules import each other without cycles: their `import` lines, read from static/*.js, form
a graph in which every import names a module that is there and no module reaches itself."""
from __future__ import annotations

import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "anyscene" / "editor" / "static"
STRINGS_FIRST = re.compile(r"""("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`)|/\*.*?\*/|//[^\n]*""", re.S)
IMPORTS = re.compile(r"""(?:^|[;\s])(?:import|export)\s+(?:[\w*{}\s,$]+?\s+from\s+)?["']([^"']+)["']"""
                     r"""|\bimport\s*\(\s*["']([^"']+)["']\s*\)""", re.M)


def _code(text: str) -> str:
    """The text without comments (string literals, where `//` may occur, are kept)."""
    return STRINGS_FIRST.sub(lambda m: m.group(1) or " ", text)


def import_graph(folder: Path) -> dict[str, list[str]]:
    """Module file name -> the file names it imports (static and dynamic imports of relative paths)."""
    graph = {}
    for path in sorted(folder.glob("*.js")):
        targets = []
        for m in IMPORTS.finditer(_code(path.read_text(encoding="utf-8"))):
            spec = m.group(1) or m.group(2)
            assert spec.startswith("./"), f"{path.name}: import '{spec}' is not a module of the page"
            targets.append(spec[2:])
        graph[path.name] = targets
    return graph


def find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """One import cycle as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    stack: list[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in graph:
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_pages_modules_import_each_other_without_cycles():
    graph = import_graph(STATIC)
    assert {"app.js", "state.js", "handles.js", "pointer.js"} <= set(graph)
    for module, targets in graph.items():
        for t in targets:
            assert t in graph, f"{module} imports {t}, which is not in static/"
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))
    assert graph["state.js"] == []  # the state imports nothing: everything may import it
    assert not any("app.js" in targets for targets in graph.values())  # the entry module is imported by none
    # every module is loaded from the entry module
    seen, todo = set(), ["app.js"]
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo += graph[m]
    assert seen == set(graph), set(graph) - seen


def test_the_checker_finds_cycles_through_every_kind_of_import(tmp_path):
    (tmp_path / "a.js").write_text('// import { x } from "./c.js";\nimport { b } from "./b.js";\n')
    (tmp_path / "b.js").write_text('import {\n  c,\n  d,\n} from "./c.js";\nconst s = "http://x";\n')
    (tmp_path / "c.js").write_text('export async function f() { return (await import("./a.js")).b; }\n')
    graph = import_graph(tmp_path)
    assert graph == {"a.js": ["b.js"], "b.js": ["c.js"], "c.js": ["a.js"]}
    assert find_cycle(graph) == ["a.js", "b.js", "c.js", "a.js"]
    (tmp_path / "c.js").write_text('import "./d.js";\nexport { y } from "./b.js";\n')
    (tmp_path / "d.js").write_text("")
    graph = import_graph(tmp_path)
    assert graph["c.js"] == ["d.js", "b.js"] and find_cycle(graph) == ["b.js", "c.js", "b.js"]
    (tmp_path / "c.js").write_text('import "./d.js";\n')
    assert find_cycle(import_graph(tmp_path)) is None
