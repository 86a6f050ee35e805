"""The scraper's modules import each other without cycles (run-time imports, typing-only ones aside)."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import scraper

PACKAGE = Path(scraper.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_imports(tree: ast.Module, modules: set[str]) -> set[str]:
    """Modules of `modules` imported at module level, outside `if TYPE_CHECKING:`."""
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            # `a.b.c` runs `a` and `a.b` first: a package is imported with its modules.
            found |= {m for m in modules if name == m or name.startswith(m + ".")}
    return found


def import_graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    graph = {}
    for path in paths:
        name = module_name(path)
        imported = runtime_imports(ast.parse(path.read_text(encoding="utf-8")), modules)
        graph[name] = {m for m in imported if m != name and not name.startswith(m + ".")}
    return graph


def test_scraper_modules_import_without_cycles() -> None:
    graph = import_graph()
    assert {"scraper.discover", "scraper.sources", "scraper.sources.wpcom"} <= graph.keys()
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise AssertionError(f"import cycle: {' -> '.join(exc.args[1])}") from exc
    assert order.index("scraper.discover") < order.index("scraper.sources.wpcom")
