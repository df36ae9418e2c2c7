"""The package's layers import downwards only (docs/design.md): every import of every module under include/,
those inside functions and ``TYPE_CHECKING`` blocks included, read with ``ast``. No import cycle; no
``airflow`` import below the Airflow edge (include/ins_report/airflow_edge/ and the alerts' delivery:
notifier, deadline, channels, delivery); no import of a higher layer.

A package's ``__init__`` is a module of its own here. Importing ``a.b.c`` also runs ``a/__init__`` and
``a/b/__init__``: those count for what a module reaches (a pure module must not reach Airflow through a
package's ``__init__``), not for the layer order.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

from tests.conftest import ROOT

INCLUDE = ROOT / "include"
PACKAGE = "include.ins_report"

# Lowest first; a module may import its own layer and those below it. The first matching prefix wins.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("model", "joblog"),
    ("config",),
    ("store",),
    ("sources",),
    ("steps",),
    ("weeks",),  # the INS weeks page's rows, queries and charts (plugins/ins_weeks.py)
    ("alerts.messages",),
    ("airflow_edge",),
    ("alerts.channels", "alerts.delivery", "alerts.notifier", "alerts.deadline", "alerts"),
)
# Where an ``airflow`` import may stand (modules and packages by prefix).
AIRFLOW_ALLOWED = ("airflow_edge", "alerts.notifier", "alerts.deadline", "alerts.channels", "alerts.delivery")


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module ``source`` names in an import statement, anywhere in the file (relative imports
    resolved against ``module``); for ``from x import y`` both ``x`` and ``x.y`` (the graph keeps the one
    that is a module)."""
    found: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def import_graph(root: Path = INCLUDE) -> dict[str, set[str]]:
    """Each module under ``root`` and what it imports: the package's own modules by name, and any
    ``airflow`` import as ``airflow``."""
    raw = {
        module_name(path): imports_of(
            path.read_text(encoding="utf-8"), module_name(path), path.stem == "__init__"
        )
        for path in sorted(root.rglob("*.py"))
    }
    graph: dict[str, set[str]] = {}
    for module, names in raw.items():
        edges = {name for name in names if name in raw and name != module}
        # ``from pkg import module``: the module, not the package as well.
        edges -= {name.rpartition(".")[0] for name in edges if name.rpartition(".")[0] in edges}
        if any(name == "airflow" or name.startswith("airflow.") for name in names):
            edges.add("airflow")
        graph[module] = edges
    return graph


def _relative(module: str) -> str:
    return module[len(PACKAGE) + 1 :] if module.startswith(PACKAGE + ".") else ""


def _matches(relative: str, prefix: str) -> bool:
    return relative == prefix or relative.startswith(prefix + ".")


def layer_of(module: str) -> int | None:
    relative = _relative(module)
    for rank, prefixes in enumerate(LAYERS):
        if any(_matches(relative, prefix) for prefix in prefixes):
            return rank
    return None


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles of ``graph`` (one per strongly connected component of more than one module, or a
    module importing itself)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in graph:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def airflow_below_the_edge(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        module
        for module, edges in graph.items()
        if "airflow" in edges and not any(_matches(_relative(module), prefix) for prefix in AIRFLOW_ALLOWED)
    )


def upward_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(importer, imported) where the imported module's layer is above the importer's."""
    found = []
    for module, edges in graph.items():
        rank = layer_of(module)
        for target in edges:
            target_rank = layer_of(target)
            if rank is not None and target_rank is not None and target_rank > rank:
                found.append((module, target))
    return sorted(found)


def _ancestors(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:end]) for end in range(1, len(parts))]


def reaches_airflow_below_the_edge(graph: dict[str, set[str]]) -> list[str]:
    """Modules below the edge that import Airflow when imported: through any chain of imports, and the
    packages whose ``__init__`` Python runs on the way (their own and their imports')."""
    edge = layer_of(f"{PACKAGE}.airflow_edge")
    reached: dict[str, bool] = {}

    def reaches(module: str, seen: frozenset[str]) -> bool:
        if module == "airflow":
            return True
        if module in reached:
            return reached[module]
        targets = set(graph.get(module, ()))
        for name in [module, *graph.get(module, ())]:
            targets.update(ancestor for ancestor in _ancestors(name) if ancestor in graph)
        targets -= seen | {module}
        result = any(reaches(target, seen | {module}) for target in sorted(targets))
        reached[module] = result
        return result

    return sorted(
        module
        for module in graph
        if (rank := layer_of(module)) is not None and rank < edge and reaches(module, frozenset())
    )


def problems(graph: dict[str, set[str]]) -> list[str]:
    return [
        *(f"import cycle: {' -> '.join(cycle)}" for cycle in cycles(graph)),
        *(f"airflow imported below the Airflow edge: {module}" for module in airflow_below_the_edge(graph)),
        *(
            f"airflow reached below the Airflow edge: {module}"
            for module in reaches_airflow_below_the_edge(graph)
            if module not in airflow_below_the_edge(graph)
        ),
        *(f"import up the layers: {low} imports {high}" for low, high in upward_imports(graph)),
    ]


# --- the package as it is --------------------------------------------------------------------------------


def test_every_module_is_in_a_layer():
    unplaced = [m for m in import_graph() if m.startswith(PACKAGE + ".") and layer_of(m) is None]
    assert unplaced == []


def test_the_package_has_no_cycle_no_airflow_below_the_edge_and_no_upward_import():
    assert problems(import_graph()) == []


# --- the checks can fail ---------------------------------------------------------------------------------


def _graph(edges: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for source, target in edges:
        graph.setdefault(f"{PACKAGE}.{source}", set()).add(
            target if target == "airflow" else f"{PACKAGE}.{target}"
        )
        if target != "airflow":
            graph.setdefault(f"{PACKAGE}.{target}", set())
    return graph


def test_a_synthetic_violating_graph_is_refused_on_every_count():
    graph = _graph(
        [
            ("steps.gate", "steps.job"),
            ("steps.job", "steps.gate"),  # a cycle within a layer
            ("sources.http", "airflow"),  # Airflow below the edge
            ("store.farm_db", "steps.context"),  # up from the store to the steps
            ("airflow_edge.context", "airflow"),  # allowed
            ("alerts.notifier", "airflow_edge.context"),  # down: allowed
            ("alerts", "alerts.channels"),  # a package's __init__ importing its delivery ...
            ("alerts.channels", "airflow"),
            ("alerts.messages.failure", "alerts.messages.alert"),  # ... reaches Airflow from a pure module
        ]
    )
    assert problems(graph) == [
        f"import cycle: {PACKAGE}.steps.gate -> {PACKAGE}.steps.job",
        f"airflow imported below the Airflow edge: {PACKAGE}.sources.http",
        f"airflow reached below the Airflow edge: {PACKAGE}.alerts.messages.alert",
        f"airflow reached below the Airflow edge: {PACKAGE}.alerts.messages.failure",
        f"import up the layers: {PACKAGE}.store.farm_db imports {PACKAGE}.steps.context",
    ]


def test_imports_inside_functions_and_type_checking_blocks_are_read():
    source = """
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from include.ins_report.steps.context import StepContext
def later():
    import airflow.sdk
    from . import sibling
"""
    names = imports_of(source, f"{PACKAGE}.store.farm_db")
    assert {f"{PACKAGE}.steps.context", "airflow.sdk", f"{PACKAGE}.store.sibling"} <= names
