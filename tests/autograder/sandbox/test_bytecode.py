"""sandbox/bytecode.py: the modules sandboxed processes import get their bytecode cached by
the grading process, whatever PYTHONDONTWRITEBYTECODE says (a sandbox cannot write it)."""
import importlib.util
import os
import sys

from autograder.sandbox import bytecode


def _package(tmp_path, monkeypatch):
    pkg = tmp_path / "agprobe_pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "mod.py").write_text("X = 1\n")
    (pkg / "sub" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    return pkg


def test_missing_bytecode_is_written_even_when_python_is_told_not_to(tmp_path, monkeypatch):
    pkg = _package(tmp_path, monkeypatch)
    assert bytecode.ensure(("agprobe_pkg", "no_such_package_here")) == 1
    cached = importlib.util.cache_from_source(str(pkg / "mod.py"))
    assert os.path.isfile(cached)
    assert os.path.isfile(importlib.util.cache_from_source(str(pkg / "sub" / "__init__.py")))


def test_current_bytecode_is_left_alone_and_stale_bytecode_is_renewed(tmp_path, monkeypatch):
    pkg = _package(tmp_path, monkeypatch)
    bytecode.ensure(("agprobe_pkg",))
    cached = importlib.util.cache_from_source(str(pkg / "mod.py"))
    first = (os.stat(cached).st_ino, open(cached, "rb").read())
    bytecode.ensure(("agprobe_pkg",))
    assert (os.stat(cached).st_ino, open(cached, "rb").read()) == first  # not rewritten
    (pkg / "mod.py").write_text("X = 2  # edited\n")
    later = os.stat(pkg / "mod.py").st_mtime + 10  # compileall compares whole seconds
    os.utime(pkg / "mod.py", (later, later))
    bytecode.ensure(("agprobe_pkg",))
    assert open(cached, "rb").read() != first[1]


def test_a_read_only_tree_is_not_an_error(tmp_path, monkeypatch):
    pkg = _package(tmp_path, monkeypatch)
    for folder in (pkg, pkg / "sub"):
        folder.chmod(0o555)
    try:
        if os.access(pkg, os.W_OK):  # root ignores the mode: nothing to check here
            return
        assert bytecode.ensure(("agprobe_pkg",)) == 1
    finally:
        for folder in (pkg, pkg / "sub"):
            folder.chmod(0o755)


def test_the_project_packages_have_current_bytecode_after_ensure():
    bytecode.ensure()
    import autograder.runner.runner as runner
    import coursepkg.dp.node as node
    for module in (runner, node):
        cached = importlib.util.cache_from_source(module.__file__)
        assert os.path.getmtime(cached) >= os.path.getmtime(module.__file__)
