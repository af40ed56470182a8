"""How the code hangs together: domain services announce events instead of calling
federation, feeds or notifications, and no import hides inside a function to dodge a
circle (DESIGN.md, "Domain events")."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Imported late on purpose, and not to dodge a circle: a tracker given its own predicate
# (bench/tracker.py, tests) has no use for the database layer KnownSwarms brings in.
LATE_ON_PURPOSE = {
    ("handlers/tracker.py", "app.tracker_swarms"),
    ("handlers/tracker.py", "app.tracker_swarms.KnownSwarms"),
}
# (Subscribing is federation itself: app/subscriptions.py sends Follows.)
SERVICES = ["app/videos.py", "app/channels.py", "app/auth.py"]
SERVICES += [str(p.relative_to(ROOT)) for p in (ROOT / "app" / "social").glob("*.py")]
LISTENING_LAYERS = ("app.federation", "app.feeds", "app.notifications")


def _imports(tree: ast.AST) -> list[tuple[ast.AST, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found += [(node, node.module)] + [(node, f"{node.module}.{a.name}") for a in node.names]
        elif isinstance(node, ast.Import):
            found += [(node, a.name) for a in node.names]
    return found


def _function_level(tree: ast.AST) -> set[int]:
    inside = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            inside |= {id(child) for child in ast.walk(node) if child is not node}
    return inside


def test_no_import_hides_inside_a_function():
    hidden = []
    for folder in ("app", "handlers", "workers"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = str(path.relative_to(ROOT))
            tree = ast.parse(path.read_text())
            inside = _function_level(tree)
            for node, module in _imports(tree):
                if id(node) in inside and (name, module) not in LATE_ON_PURPOSE:
                    hidden.append(f"{name}:{node.lineno} imports {module}")
    assert sorted(set(hidden)) == []


def test_domain_services_import_no_federation_feeds_or_notifications():
    crossing = []
    for name in SERVICES:
        tree = ast.parse((ROOT / name).read_text())
        for node, module in _imports(tree):
            if module.startswith(LISTENING_LAYERS) or module in ("app.federation", "app.feeds"):
                crossing.append(f"{name}:{node.lineno} imports {module}")
    assert sorted(set(crossing)) == []
