"""The sandbox a student kernel or a trusted runner runs in: the bubblewrap command line
and limits (bubblewrap.py), per-sandbox totals in cgroups (cgroups.py), and the first
process inside it (launcher.py, run by path with the standard library only)."""
