"""The sandbox a student kernel or a trusted runner runs in: the bubblewrap command line
and limits (bubblewrap.py), per-sandbox totals in cgroups (cgroups.py), the first
process inside it (launcher.py, run by path with the standard library only), and what a
read-only sandbox cannot write for itself: a warm matplotlib font list (fontcache.py) and
the project's bytecode (bytecode.py)."""
