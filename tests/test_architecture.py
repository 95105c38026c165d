"""The shape of the house: pure rules in bot/core, Slack only in its layer, no import cycles.

Read from the source (every import statement, inside functions too), so a rule broken by a
lazy import is caught as well as one at the top of a module. Imports for annotations only
(`if TYPE_CHECKING:`) are left out: they are never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OURS = ("app", "bot", "handlers", "store", "sandbox")
SLACK_LIBRARIES = ("slack_sdk", "slack_bolt")
FEATURES = ("questions", "escalations", "promises", "digest", "roadmap")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    found = {"app": ROOT / "app.py"}
    for package in OURS[1:]:
        for path in (ROOT / package).rglob("*.py"):
            found[_module_name(path)] = path
    return found


MODULES = _modules()


def _run_time_nodes(tree: ast.AST):
    """Every node, except what sits under `if TYPE_CHECKING:` (annotations only)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in (
            "TYPE_CHECKING",
            "typing.TYPE_CHECKING",
        ):
            yield from (n for child in node.orelse for n in (child, *_run_time_nodes(child)))
            continue
        yield node
        yield from _run_time_nodes(node)


def _imports(path: Path) -> set[str]:
    """Every module a file imports at run time (absolute names), wherever the statement is."""
    names: set[str] = set()
    for node in _run_time_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            # `from bot.slack import sends` imports the module bot.slack.sends
            names.update(
                f"{node.module}.{alias.name}"
                for alias in node.names
                if f"{node.module}.{alias.name}" in MODULES
            )
    return names


def _ours(names: set[str]) -> set[str]:
    return {name for name in names if name in MODULES}


def test_the_modules_are_found():
    assert "bot.core.truth" in MODULES
    assert "bot.slack.sends" in MODULES
    assert len(MODULES) > 60


def test_bot_is_organised_by_feature():
    loose = sorted(p.name for p in (ROOT / "bot").glob("*.py"))
    # what every feature shares at run time, and nothing else, sits at the top of bot/
    assert loose == ["__init__.py", "clock.py", "context.py", "settings.py", "workers.py"]
    for package in (*FEATURES, "core", "slack", "cli"):
        assert (ROOT / "bot" / package / "__init__.py").exists(), package


def test_the_core_imports_nothing_else_of_ours():
    for name, path in MODULES.items():
        if name.startswith("bot.core."):
            outside = {m for m in _ours(_imports(path)) if not m.startswith("bot.core")}
            assert not outside, f"{name} imports {sorted(outside)}"


def test_only_the_slack_layer_and_handlers_import_slack_libraries():
    for name, path in MODULES.items():
        if name.startswith(("bot.", "store.")) and not name.startswith("bot.slack."):
            slack = {m for m in _imports(path) if m.split(".")[0] in SLACK_LIBRARIES}
            assert not slack, f"{name} imports {sorted(slack)}"


def test_only_the_slack_layer_writes_to_the_outbox():
    for name, path in MODULES.items():
        if name.startswith("bot.") and not name.startswith("bot.slack."):
            assert "store.outbox" not in _imports(path), f"{name} writes the outbox itself"


def test_the_store_knows_nothing_of_the_bot():
    for name, path in MODULES.items():
        if name.startswith("store."):
            above = {m for m in _ours(_imports(path)) if not m.startswith("store")}
            assert not above, f"{name} imports {sorted(above)}"


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle in `graph`, or None (depth-first search)."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = "done"
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def _package_parents(name: str) -> set[str]:
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def test_no_import_cycles():
    graph = {
        name: _ours(_imports(path)) - {name} - _package_parents(name)
        for name, path in MODULES.items()
    }
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_type_checking_imports_are_left_out(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import bot.cli\n"
        "def f():\n    import store.db\n"
    )
    assert _imports(module) == {"typing", "store.db"}


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
