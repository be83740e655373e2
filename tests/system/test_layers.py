"""The floors of the house, read from the source: imports point only downward and never circle.

config < reports (what the crowd sends) < analytics (counts, detection, incidents, pages) < console
(operators). Every import counts, a function-level one included: a late import still ties the
modules together. Migrations are left out (they name other apps by label, not by import).
"""

import ast
from collections import defaultdict
from pathlib import Path

import pytest

from tests.factories import ROOT

FLOORS = ["config", "reports", "analytics", "console"]
PURE_CORE = "analytics.detector"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    found = {}
    for floor in FLOORS:
        for path in (ROOT / floor).rglob("*.py"):
            if "migrations" not in path.parts:
                found[module_name(path)] = path
    return found


def imports_of(path: Path, name: str, known: set[str]) -> set[str]:
    """The project modules `path` imports (a `from package import module` names the module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                targets.add(submodule if submodule in known else base)
    return {t for t in targets if t in known and t != name}


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = project_modules()
    known = set(modules)
    return {name: imports_of(path, name, known) for name, path in modules.items()}


def floor_of(module: str) -> int:
    return FLOORS.index(module.split(".")[0])


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{source} imports {target}"
        for source, targets in graph.items()
        for target in targets
        if floor_of(target) > floor_of(source)
    )


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    return sorted(sorted(c) for c in strongly_connected(graph) if len(c) > 1)


def test_every_import_points_to_its_own_floor_or_below(graph):
    assert upward_imports(graph) == []


def test_the_reports_floor_knows_nothing_of_analytics_or_the_console(graph):
    assert not {
        (s, t) for s, ts in graph.items() for t in ts if s.startswith("reports") and floor_of(t) > 1
    }


def test_nothing_outside_the_console_imports_it(graph):
    assert not {(s, t) for s, ts in graph.items() for t in ts if t.startswith("console")} - {
        (s, t) for s, ts in graph.items() for t in ts if s.startswith("console")
    }


def test_the_pure_detector_core_imports_only_itself(graph):
    outside = {
        (s, t)
        for s, ts in graph.items()
        if s.startswith(PURE_CORE)
        for t in ts
        if not t.startswith(PURE_CORE)
    }
    assert outside == set()


def test_no_modules_import_each_other_in_a_circle(graph):
    assert circles(graph) == []


def test_the_walker_sees_a_circle_and_an_upward_import():
    """The checks above can fail: a made-up graph with both faults is caught."""
    made_up = {"reports.a": {"analytics.b"}, "analytics.b": {"reports.a", "analytics.c"}}
    assert circles(made_up) == [["analytics.b", "reports.a"]]
    assert upward_imports(made_up) == ["reports.a imports analytics.b"]


def test_the_walker_resolves_relative_and_from_package_imports(tmp_path):
    source = tmp_path / "x.py"
    source.write_text("from . import binning\nfrom analytics.detector import Level\nimport os\n")
    known = {"analytics.binning", "analytics.detector", "analytics.x"}
    assert imports_of(source, "analytics.x", known) == {"analytics.binning", "analytics.detector"}


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components, iteratively (no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components = []
    counter = 0
    edges = defaultdict(set, graph)
    for root in list(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                components.append(component)
    return components
