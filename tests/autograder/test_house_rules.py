"""The grader's house rules, checked on the source: no import cycle among the project's
modules, no function over 60 lines and no module over 450 lines in autograder/, every
string-named entry point (the command table, entrypoints.py) real."""
import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import entrypoints
from autograder.commands import COMMANDS

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("autograder", "coursepkg", "courseref")
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 450


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for package in PACKAGES for p in (REPO / package).rglob("*.py")
            if "__pycache__" not in p.parts}


def import_graph() -> dict[str, set[str]]:
    """module -> the project modules it imports, at any level (inside functions too;
    imports only for type checking are left out: they never run)."""
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                       and "TYPE_CHECKING" in ast.unparse(node.test)
                       for n in ast.walk(node)}
        edges = set()
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level:  # relative: from the module's package
                    package = name.split(".")[:len(name.split(".")) - node.level
                                                 + (path.name == "__init__.py")]
                    module = ".".join(package + ([module] if module else []))
                # `from pkg import sub` imports the submodule; `from pkg import name`, pkg
                subs = [f"{module}.{a.name}" for a in node.names]
                targets = [t for t in subs if t in modules] or [module]
            edges |= {t for t in targets if t in modules and t != name}
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first == last), or None."""
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_planted_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_among_the_projects_modules():
    graph = import_graph()
    assert "autograder.grading.grader" in graph and graph["autograder.grading.grader"]
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_functions_and_modules_of_the_grader_stay_short():
    long_functions, long_modules = [], []
    for path in sorted((REPO / "autograder").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if len(source.splitlines()) > MAX_MODULE_LINES:
            long_modules.append(f"{path.relative_to(REPO)}: {len(source.splitlines())} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long_functions.append(f"{path.relative_to(REPO)}:{node.lineno} "
                                          f"{node.name}: {length} lines")
    assert not long_functions and not long_modules, long_functions + long_modules


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_of_the_table_has_its_two_functions(name):
    module = importlib.import_module(COMMANDS[name][0])
    assert callable(module.add_arguments) and callable(module.run)


def test_the_string_named_entry_points_exist():
    for module in entrypoints.WORKER_MODULES:
        importlib.import_module(module)
    assert (REPO / "autograder" / "runner" / "__main__.py").is_file()
    importlib.import_module(entrypoints.RUNNER_MODULE + ".__main__".replace(".__main__", ""))
    assert entrypoints.LAUNCHER.is_file() and (entrypoints.CHANNEL_PACKAGE / "agent.py").is_file()
    # the launcher runs with the standard library only (python -I -S, no site)
    usage = subprocess.run([sys.executable, "-I", "-S", str(entrypoints.LAUNCHER)],
                           capture_output=True, text=True)
    assert usage.returncode != 0 and "usage" in usage.stderr


def test_help_lists_every_command_without_importing_the_grader():
    code = ("import sys; from autograder.commands import build_parser; "
            "build_parser('validate').format_help(); "
            "print(sorted(m for m in sys.modules if m.startswith('autograder.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO, check=True).stdout
    loaded = set(ast.literal_eval(out.strip()))
    assert "autograder.commands.validate" in loaded
    assert not loaded & {"autograder.grading.grader", "autograder.commands.grade",
                         "autograder.worker.handin", "autograder.sandbox.bubblewrap"}
