"""`ChannelSandbox`: a `Sandbox` with extra binds, environment and hidden folders, for the
two sandboxes of lock-step grading (the student kernel holding the channel's agent, and
the trusted runner)."""
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from autograder.sandbox.bubblewrap import Mounts, Sandbox


class ChannelSandbox(Sandbox):
    """`Sandbox` plus extra binds, environment and hidden folders for the channel.

    ro_binds / rw_binds: (outside, inside) pairs; env: (name, value) pairs; tmpfs:
    folders hidden under an empty tmpfs. The trusted runner's sandbox is one with
    scratch=None (no /handin) and uid_offset=1 (a uid apart from the student kernel's).
    Only `bwrap_argv` is extended; the base's life cycle (prepare, wrap, close) is kept."""

    def __init__(self, *args: Any, ro_binds: Iterable[tuple[Path, Path]] = (),
                 rw_binds: Iterable[tuple[Path, Path]] = (), env: Iterable[tuple[str, str]] = (),
                 tmpfs: Iterable[Path] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.ro_binds, self.rw_binds = tuple(ro_binds), tuple(rw_binds)
        self.env, self.tmpfs = tuple(env), tuple(tmpfs)

    def bwrap_argv(self) -> list[str]:
        argv = super().bwrap_argv()[:-1]  # drop the final "--"
        mounts = Mounts()
        mounts._made.update(a for a in argv if a.startswith("/"))
        for outside, inside in self.ro_binds:
            mounts.bind(outside, inside)
        for outside, inside in self.rw_binds:
            mounts.bind(outside, inside, writable=True)
        for folder in self.tmpfs:
            mounts.argv += ["--tmpfs", str(folder)]
        for name, value in self.env:
            mounts.argv += ["--setenv", name, value]
        return argv + mounts.argv + ["--"]
