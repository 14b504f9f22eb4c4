"""Cached bytecode for the code that sandboxed processes import.

A sandbox sees the project read-only (and sets PYTHONDONTWRITEBYTECODE), so a module
without a current .pyc file is compiled again in every student kernel and trusted runner
that imports it: about 40 ms of CPU per process for autograder's runner and channel and
coursepkg (benchmarks/grading.py). pip compiles what it installs into site-packages, but
not the source tree of an editable install, and a shell with PYTHONDONTWRITEBYTECODE=1
never writes the cache at all. `ensure()` compiles what is missing or stale before any
sandbox starts on a machine: the local engine's pool on this one, each Dask worker on its
own (engines/); compileall costs one stat per file when all is current.
Where the tree is not writable nothing changes: the sandboxes compile in memory as before.
"""
import compileall
import importlib.util

PACKAGES = ("autograder", "coursepkg", "courseref")


def ensure(packages: tuple[str, ...] = PACKAGES) -> int:
    """Compile the modules of `packages` whose bytecode is missing or stale; returns how
    many package folders were checked."""
    checked = 0
    for name in packages:
        spec = importlib.util.find_spec(name)
        for folder in (spec.submodule_search_locations or []) if spec else []:
            compileall.compile_dir(folder, quiet=2)  # failures (read-only) are not errors
            checked += 1
    return checked
