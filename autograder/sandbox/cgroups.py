"""Per-sandbox totals enforced by the Linux kernel: one cgroup per sandbox.

A `Cgroup` holds, for one sandbox, a memory total (RAM + page cache + the sandbox's tmpfs
files, no swap), a process+thread total and a CPU share (one core). The sandbox's first
process joins it before it starts bubblewrap (`procs_files()`: the launcher writes its own
pid there, then execs), so everything the kernel ever starts is inside from the start.

Both layouts are supported:
- cgroup v1 (this project's grading machine): the `memory`, `pids` and `cpu` controllers,
  each mounted under /sys/fs/cgroup/<controller>; the sandbox gets a child of this
  process's own cgroup in each;
- cgroup v2 (unified): /sys/fs/cgroup/cgroup.controllers lists memory, pids and cpu; the
  sandbox gets one child of this process's cgroup, which must delegate them
  (cgroup.subtree_control), e.g. a systemd unit with Delegate=yes.

`usable()` says why not, when not (the caller falls back to per-process rlimits).
`close()` kills every task left in the cgroup, waits until it is empty and removes it:
the next hand-in starts with nothing of this one still running.
"""
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
V1_CONTROLLERS = ("memory", "pids", "cpu")
CPU_PERIOD_US = 100_000


def _own_path(controller: str) -> str:
    """This process's cgroup path in `controller`'s hierarchy ('' for v2's)."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, names, path = line.split(":", 2)
        if controller in names.split(",") or (controller == "" and names == ""):
            return path
    raise OSError(f"this process is in no {controller or 'unified'} cgroup")


def detect_version() -> int | None:
    """2 for a unified hierarchy with memory, pids and cpu; 1 for v1 controllers; else None."""
    controllers = ROOT / "cgroup.controllers"
    if controllers.is_file():
        wanted = {"memory", "pids", "cpu"}
        return 2 if wanted <= set(controllers.read_text().split()) else None
    if all((ROOT / c / "cgroup.procs").is_file() for c in V1_CONTROLLERS):
        return 1
    return None


def _write(path: Path, value: object) -> None:
    path.write_text(str(value))


def _read_keyed(path: Path) -> dict[str, int]:
    """'key value' lines (memory.events, pids.events, cpu.stat, oom_control) -> dict."""
    try:
        pairs = (line.split() for line in path.read_text().splitlines())
        return {p[0]: int(p[1]) for p in pairs if len(p) == 2 and p[1].lstrip("-").isdigit()}
    except OSError:
        return {}


@dataclass
class Cgroup:
    """The cgroup(s) of one sandbox, named `name` (unique on the machine while it runs)."""
    name: str
    memory_bytes: int
    max_tasks: int
    cpus: float = 1.0
    dirs: list[Path] = field(default_factory=list)  # v1: memory, pids, cpu; v2: one
    version: int | None = None                      # 1 or 2 once created

    def create(self) -> None:
        """Make the cgroup(s) and set the totals; raises OSError when that is not allowed."""
        self.version = detect_version()
        if self.version is None:
            raise OSError("no cgroup v1 memory/pids/cpu controllers and no v2 unified "
                          "hierarchy offering them")
        try:
            if self.version == 1:
                self.dirs = [ROOT / c / _own_path(c).lstrip("/") / self.name
                             for c in V1_CONTROLLERS]
                for d in self.dirs:
                    d.mkdir(exist_ok=True)
                memory, pids, cpu = self.dirs
                _write(memory / "memory.limit_in_bytes", self.memory_bytes)
                if (memory / "memory.memsw.limit_in_bytes").exists():  # no swap either
                    _write(memory / "memory.memsw.limit_in_bytes", self.memory_bytes)
                _write(pids / "pids.max", self.max_tasks)
                _write(cpu / "cpu.cfs_period_us", CPU_PERIOD_US)
                _write(cpu / "cpu.cfs_quota_us", int(self.cpus * CPU_PERIOD_US))
            else:
                d = ROOT / _own_path("").lstrip("/") / self.name
                self.dirs = [d]
                d.mkdir(exist_ok=True)
                _write(d / "memory.max", self.memory_bytes)
                if (d / "memory.swap.max").exists():
                    _write(d / "memory.swap.max", 0)
                _write(d / "pids.max", self.max_tasks)
                _write(d / "cpu.max", f"{int(self.cpus * CPU_PERIOD_US)} {CPU_PERIOD_US}")
        except OSError:
            self.close()
            raise

    def procs_files(self) -> list[str]:
        """The files a process writes its pid into to join this sandbox's cgroup(s)."""
        return [str(d / "cgroup.procs") for d in self.dirs]

    def _file(self, v1_controller: str, name: str) -> Path:
        if self.version == 1:  # dirs may lack a controller (a stale, half-made cgroup)
            for d in self.dirs:
                if d.relative_to(ROOT).parts[0] == v1_controller:
                    return d / name
            return ROOT / v1_controller / "(none)" / name
        return self.dirs[0] / name

    def pids(self) -> list[int]:
        try:
            text = self._file("pids", "cgroup.procs").read_text()
        except OSError:
            return []
        return [int(p) for p in text.split()]

    def is_empty(self) -> bool:
        """No process in any of the cgroup's directories."""
        for d in self.dirs:
            try:
                if (d / "cgroup.procs").read_text().strip():
                    return False
            except OSError:
                pass
        return True

    def n_tasks(self) -> int:
        """Processes + threads in the cgroup now."""
        try:
            return int(self._file("pids", "pids.current").read_text())
        except (OSError, ValueError):
            return 0

    def totals_hit(self) -> dict[str, int]:
        """Which totals the sandbox ran into: {'memory': oom kills, 'tasks': forks refused,
        'cpu': throttled periods}; zero where it did not."""
        if self.version == 1:
            oom = _read_keyed(self._file("memory", "memory.oom_control")).get("oom_kill", 0)
        else:
            oom = _read_keyed(self._file("memory", "memory.events")).get("oom_kill", 0)
        refused = _read_keyed(self._file("pids", "pids.events")).get("max", 0)
        throttled = _read_keyed(self._file("cpu", "cpu.stat")).get("nr_throttled", 0)
        return {"memory": oom, "tasks": refused, "cpu": throttled}

    def close(self, timeout: float = 20.0) -> None:
        """Kill every task in the cgroup, wait until it is empty, remove it."""
        if not self.dirs:
            return
        kill_file = self._file("pids", "cgroup.kill") if self.version == 2 else None
        deadline = time.monotonic() + timeout
        kill_until_empty(self.pids, deadline, kill_file)
        for d in self.dirs:
            while True:
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # EBUSY: a task still exiting
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.005)
        self.dirs = []


def read_pids(folder: Path) -> list[int]:
    """The pids in a cgroup folder ([] when it is gone)."""
    try:
        return [int(p) for p in (folder / "cgroup.procs").read_text().split()]
    except OSError:
        return []


def kill_until_empty(pids_of: Callable[[], list[int]], deadline: float,
                     kill_file: Path | None = None) -> None:
    """SIGKILL what `pids_of()` lists until it lists nothing or the deadline passes (a fork
    bomb forks while we kill; pids.max bounds it). A v2 `cgroup.kill` file, when given and
    present, kills them all at once instead."""
    pause = 0.002  # most sandboxes are empty a few ms after the kill: check soon, then less often
    while (pids := pids_of()) and time.monotonic() < deadline:
        if kill_file is not None and kill_file.exists():
            _write(kill_file, 1)
        else:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        time.sleep(pause)
        pause = min(2 * pause, 0.02)


def stale(prefix: str) -> list[Cgroup]:
    """Cgroups named `prefix<rest>` under this process's own cgroups (the caller decides
    which are stale: e.g. of a grading worker killed with -9)."""
    found = {}
    version_ = detect_version()
    tops = ([ROOT / c / _own_path(c).lstrip("/") for c in V1_CONTROLLERS] if version_ == 1 else
            [ROOT / _own_path("").lstrip("/")] if version_ == 2 else [])
    for top in tops:
        for d in top.glob(prefix + "*"):
            if d.is_dir():
                group = found.setdefault(d.name, Cgroup(d.name, 0, 0, version=version_))
                group.dirs.append(d)
    return list(found.values())


def usable(probe_name: str) -> str | None:
    """None when this process can make sandbox cgroups here, else why not (it makes and
    removes a cgroup `probe_name`)."""
    probe = Cgroup(probe_name, memory_bytes=2**30, max_tasks=64)
    try:
        probe.create()
    except OSError as error:
        return f"cannot create a cgroup: {error}"
    probe.close()
    return None
