"""The sandbox a hand-in's kernel runs in: a cgroup, sized storage, bubblewrap, rlimits.

`Sandbox.wrap(kernel_cmd)` turns `python -m ipykernel_launcher -f conn.json` into

    python -I -S launcher.py SPEC --          (joins the cgroup, mounts the storage tmpfs)
    bwrap <namespaces> <read-only system, Python, venv, coursepkg>
          <storage: handin -> /handin, home -> HOME, tmp -> /tmp, shm -> /dev/shm>
          <runtime dir (rw, same path)> --
      [setpriv --reuid U ...]                 (only when we are root, see below)
      prlimit --as --cpu [--nproc] --fsize --core --
      python -m ipykernel_launcher -f conn.json

What the kernel can see: the system (/usr, /etc), the Python installation and the venv
(read-only), the repo's coursepkg/ (read-only; the venv imports it from the repo because
the project is installed editable), its own scratch folder (/handin: a copy of the
notebook and the small files released beside it; no /handin at all with scratch=None)
and the kernel's runtime folder (connection file and `ipc` sockets, bound at the same path
so both sides find them). Nothing else of the repo (solutions/, exercises/,
autograder/course/ with the gradebook and other hand-ins), nor the instructor's home:
HOME is empty.

Namespaces: network (only a loopback), PID (the kernel cannot see or signal outside
processes; when the kernel exits, everything it started is killed), IPC, UTS, cgroup.
`--die-with-parent` ties the sandbox to the grading worker.

Totals per sandbox (cgroups.py; the launcher joins the cgroup before bwrap starts, so
nothing escapes it): memory incl. page cache and tmpfs, processes+threads, a CPU share.
Storage: one tmpfs of `storage_mb` (root only: it is mounted in a private mount namespace
of the launcher, so it vanishes with the sandbox) holds /handin, HOME, /tmp and /dev/shm.
Per process (prlimit): address space (`memory_mb`), CPU seconds, file size, no core
dumps; RLIMIT_NPROC only where there is no cgroup (it counts per uid, so leftovers of an
earlier sandbox of the same uid used to starve the next kernel at start-up).

Users: as root, `setpriv` switches the kernel to a uid/gid of its own (no capabilities,
no supplementary groups): SANDBOX_UID_BASE + 2 * worker pid (+1 for a second sandbox of
the same worker), unique on the machine while the worker lives. Sandboxes a killed worker
left are reaped by the next one's `prepare` (`reap_orphans`).
As a normal user bwrap adds a user namespace; no cgroups or sized storage then (unless a
cgroup v2 subtree is delegated), and `grade` says so at start.
"""
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from autograder.common import defaults
from autograder.common.course import REPO
from autograder.entrypoints import LAUNCHER
from autograder.sandbox import fontcache
from autograder.sandbox.cgroups import Cgroup, kill_until_empty, read_pids
from autograder.sandbox.cgroups import stale as stale_cgroups
from autograder.sandbox.cgroups import usable as cgroups_usable
from autograder.sandbox.processes import SANDBOX_UID_BASE, count_processes

BWRAP = "/usr/bin/bwrap"
INSIDE_SCRATCH = "/handin"
INSIDE_HOME = "/home/student"
CGROUP_PREFIX = "autograder-"

DROPPED_WITHOUT_SANDBOX = """\
!!! --no-sandbox: student code runs WITHOUT bubblewrap, with YOUR user's rights. Dropped:
!!!   - no network isolation (hand-ins can open sockets, reach the internet/LAN)
!!!   - no filesystem isolation (hand-ins can read solutions/, the gradebook, other
!!!     hand-ins and your home, and write anywhere you can)
!!!   - no PID namespace (hand-ins can see and signal your processes)
!!!   - no separate user id and no process-count limit (a fork bomb is stopped only by
!!!     the timeouts)
!!! Kept: address-space, CPU-time, file-size limits; per-cell and per-notebook timeouts.
!!! Only grade hand-ins you trust this way."""


@dataclass(frozen=True)
class Limits:
    memory_mb: int = defaults.MEMORY_MB  # total of the sandbox (cgroup); RLIMIT_AS per process
    cpu_seconds: int = 1800      # RLIMIT_CPU per process
    n_processes: int = 256       # total processes + threads (cgroup pids.max; else RLIMIT_NPROC)
    file_mb: int = 256           # RLIMIT_FSIZE: largest file the kernel may write
    storage_mb: int = defaults.STORAGE_MB  # one tmpfs for /handin, HOME, /tmp, /dev/shm
    cpus: float = 1.0            # CPU share (cgroup quota), in cores

    def prlimit_argv(self, nproc: bool = True) -> list[str]:
        """prlimit's command line; `nproc=False` leaves the process count to a cgroup."""
        argv = ["prlimit", f"--as={self.memory_mb * 2**20}", f"--cpu={self.cpu_seconds}",
                f"--fsize={self.file_mb * 2**20}", "--core=0", "--"]
        return argv[:3] + [f"--nproc={self.n_processes}"] + argv[3:] if nproc else argv


INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


def inside_env(n_threads: int = 1) -> dict[str, str]:
    """The whole environment of a sandboxed kernel (nothing of the instructor's leaks in)."""
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": INSIDE_HOME, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
        # inline figures (PNG display_data) in the notebook, as in Jupyter; the trusted
        # runner, no kernel, draws with Agg (worker/runner_client.start_runner)
        "MPLBACKEND": INLINE_BACKEND, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2", "NBGRADER_EXECUTION": "autograde",
        "CUDA_VISIBLE_DEVICES": "-1",  # no GPU in the sandbox: spares TF's cuInit error
    }
    # one BLAS/OpenMP thread per kernel: parallel workers already fill the cores
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(n_threads)
    return env


def _system_binds() -> list[str]:
    """Read-only /usr and /etc; /bin, /lib, ... as on the host (symlinks or binds)."""
    argv = ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            argv += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            argv += ["--ro-bind", top, top]
    return argv


class Mounts:
    """Builds bind arguments, creating missing parent folders world-traversable (0755):
    bwrap would create them 0700 and the unprivileged kernel could not pass them."""

    def __init__(self):
        self.argv: list[str] = []
        self._made = {"/", "/usr", "/etc", "/tmp", "/home"}

    def _parents(self, inside: str) -> None:
        parts = Path(inside).parts
        for i in range(2, len(parts)):
            parent = str(Path(*parts[:i]))
            if parent not in self._made:
                self._made.add(parent)
                self.argv += ["--perms", "0755", "--dir", parent]

    def bind(self, outside: str | Path, inside: str | Path | None = None, *, writable: bool = False) -> None:
        inside = str(inside or outside)
        self._parents(inside)
        self._made.add(inside)
        self.argv += ["--bind" if writable else "--ro-bind", str(outside), inside]


def _task_id() -> int:
    """This thread's id on the machine (the process id in a process's main thread): two
    grading threads of one process (a Dask worker with several threads) never share a
    sandbox uid or cgroup name."""
    return threading.get_native_id()


def is_root() -> bool:
    """Whether grading runs as root, which decides how sandboxes separate: as root each
    gets a uid of its own (setpriv), a sized tmpfs and cgroups; otherwise a user namespace
    of the grading user, per-process limits and plain tmpfs."""
    return os.geteuid() == 0


class Sandbox:
    """One sandbox: its scratch folder (None: no /handin at all, e.g. a second, trusted
    process of the same hand-in), the kernel's runtime folder, limits, a uid of its own.

    `shared_cgroup`: join that cgroup (made by another sandbox of the same hand-in, which
    also removes it) instead of making one: the student's kernel and the trusted runner
    of one hand-in share one memory and process total; on cgroup v1 each keeps a cpu
    cgroup (one core's share) of its own, on v2 they share the CPU share too.

    Life cycle: `prepare()` (folders, cgroup), `wrap(cmd)` (the command line),
    `watch(pid)` now and then while it runs, `report()` (totals hit), `close()` (kills
    whatever is left, removes the cgroup). With cgroups the totals are per sandbox; where
    they are not usable (`notes` says why) it falls back to per-process rlimits.
    """

    def __init__(self, scratch: Path | None, runtime_dir: Path, limits: Limits = Limits(),
                 *, uid_offset: int = 0, use_cgroups: bool = True,
                 shared_cgroup: Cgroup | None = None):
        self.scratch = Path(scratch) if scratch is not None else None
        self.runtime_dir = Path(runtime_dir)
        self.limits = limits
        self.uid_offset = uid_offset            # 0: the student's kernel; 1: a second sandbox
        self.task_id = _task_id()               # the creating thread: picks uid and cgroup
        self.use_cgroups = use_cgroups
        self.cgroup: Cgroup | None = None
        # another sandbox's cgroup to join (one total for both); that one removes it
        self.shared_cgroup = shared_cgroup
        self.notes: list[str] = []              # why a protection fell back
        self.storage_dir = self.runtime_dir.with_name(self.runtime_dir.name + ".storage")
        self.most_tasks = 0
        self.most_storage = 0

    @property
    def uid(self) -> int:
        """The uid the kernel runs as: unique on the machine while this process lives (two
        per process id: the student's sandbox and a second one), when we are root."""
        if not is_root():
            return os.geteuid()  # one uid for all: the user namespace separates them
        return SANDBOX_UID_BASE + 2 * self.task_id + self.uid_offset

    @property
    def cgroup_name(self) -> str:
        """autograder-<uid base>-<pid>-<offset>: unique while this process lives, and it
        says whose it is (the sweep of a later run removes only its own base's, of dead
        processes)."""
        return f"{CGROUP_PREFIX}{SANDBOX_UID_BASE}-{self.task_id}-{self.uid_offset}"

    @property
    def sized_storage(self) -> bool:
        """Scratch, HOME, /tmp, /dev/shm on one size-limited tmpfs (needs root to mount)."""
        return is_root()

    def prepare(self) -> None:
        """Make the folders (scratch is copied into the sandbox's storage at start, or
        handed to its uid), and the cgroup."""
        folders = [self.runtime_dir] + ([self.scratch] if self.scratch else [])
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)
        if is_root():
            chowned = [self.runtime_dir] if self.sized_storage else folders
            for folder in chowned:
                for path in [folder, *folder.rglob("*")]:
                    os.chown(path, self.uid, self.uid)
        if self.sized_storage:
            self.storage_dir.mkdir(exist_ok=True)
        if self.shared_cgroup is not None:
            self.cgroup = self.shared_cgroup
            self._own_cpu_cgroup()
        elif self.use_cgroups:
            reap_orphans()  # of workers killed while their sandboxes ran
            cgroup = Cgroup(self.cgroup_name, memory_bytes=self.limits.memory_mb * 2**20,
                            max_tasks=self.limits.n_processes, cpus=self.limits.cpus)
            try:
                cgroup.create()
                self.cgroup = cgroup
            except OSError as error:
                self.notes.append(f"no cgroup ({error}): per-process limits only")

    def _own_cpu_cgroup(self) -> None:
        """cgroup v1 with a shared cgroup: a cpu cgroup of our own (memory and pids stay
        shared), so each process of the pair keeps its own core's share."""
        self.cpu_cgroup = None
        if self.shared_cgroup.version != 1 or not self.use_cgroups:
            return
        own = Cgroup(self.cgroup_name, memory_bytes=self.limits.memory_mb * 2**20,
                     max_tasks=self.limits.n_processes, cpus=self.limits.cpus)
        try:
            own.create()
            self.cpu_cgroup = own
        except OSError as error:
            self.notes.append(f"no cpu cgroup of its own ({error}): the CPU share is shared")

    def _procs_files(self) -> list[str]:
        if self.cgroup is None:
            return []
        files = self.cgroup.procs_files()
        own = getattr(self, "cpu_cgroup", None)
        if own is not None:  # v1 dirs: memory, pids, cpu
            files = files[:2] + own.procs_files()[2:]
        return files

    def enter_argv(self) -> list[str]:
        """The launcher that joins the cgroup and mounts the storage, then execs bwrap."""
        spec = {"cgroup_procs": self._procs_files(),
                "storage": {"dir": str(self.storage_dir), "uid": self.uid,
                            "bytes": self.limits.storage_mb * 2**20,
                            "stage": str(self.scratch) if self.scratch else None}
                if self.sized_storage else None}
        if not spec["cgroup_procs"] and not spec["storage"]:
            return []
        return [sys.executable, "-I", "-S", str(LAUNCHER), json.dumps(spec), "--"]

    def bwrap_argv(self) -> list[str]:
        namespaces = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                      "--unshare-cgroup-try"]
        if not is_root():
            namespaces.append("--unshare-user")
        mounts = Mounts()
        python_home = Path(sys.base_prefix).resolve()
        venv = Path(sys.prefix).resolve()
        mounts.bind(python_home)
        if venv != python_home:
            mounts.bind(venv)
        if (REPO / "coursepkg").is_dir():  # editable install: imported from the repo
            mounts.bind(REPO / "coursepkg")
        argv = [BWRAP, *namespaces, "--die-with-parent", "--new-session",
                *_system_binds(), "--proc", "/proc", "--dev", "/dev"]
        store = self.storage_dir
        if self.sized_storage:  # joblib/multiprocessing need /dev/shm; all four share a total
            argv += ["--bind", f"{store}/shm", "/dev/shm", "--bind", f"{store}/tmp", "/tmp",
                     "--perms", "0755", "--dir", "/home", "--bind", f"{store}/home", INSIDE_HOME]
        else:
            argv += ["--perms", "01777", "--tmpfs", "/dev/shm", "--perms", "01777",
                     "--tmpfs", "/tmp", "--perms", "0755", "--dir", "/home",
                     "--perms", "01777", "--tmpfs", INSIDE_HOME]
        if self.scratch is not None:
            if self.sized_storage:
                mounts.bind(f"{store}/handin", INSIDE_SCRATCH, writable=True)
            else:
                mounts.bind(self.scratch, INSIDE_SCRATCH, writable=True)
        mounts.bind(self.runtime_dir, writable=True)
        inside = INSIDE_SCRATCH if self.scratch is not None else INSIDE_HOME
        argv += mounts.argv + ["--chdir", inside, "--clearenv"]
        env = inside_env()
        if self.scratch is not None:  # a warm font list staged there (fontcache.py)
            env["MPLCONFIGDIR"] = f"{INSIDE_SCRATCH}/{fontcache.FOLDER}"
        for name, value in env.items():
            argv += ["--setenv", name, value]
        return argv + ["--"]

    def user_argv(self) -> list[str]:
        if not is_root():
            return []
        return ["setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]

    def wrap(self, cmd: list[str]) -> list[str]:
        limits = self.limits.prlimit_argv(nproc=self.cgroup is None)
        return self.enter_argv() + self.bwrap_argv() + self.user_argv() + limits + list(cmd)

    def watch(self, pid: int | None) -> None:
        """Sample the sandbox's process count and storage use (`pid`: the launched process,
        whose mount namespace holds the storage)."""
        if self.cgroup is not None:
            self.most_tasks = max(self.most_tasks, self.cgroup.n_tasks())
        elif is_root():
            self.most_tasks = max(self.most_tasks, count_processes(self.uid))
        if pid and self.sized_storage:
            try:
                st = os.statvfs(f"/proc/{pid}/root{self.storage_dir}")
                self.most_storage = max(self.most_storage, (st.f_blocks - st.f_bfree) * st.f_frsize)
            except OSError:
                pass

    def report(self) -> list[str]:
        """The totals this sandbox ran into, for the record (call before `close`)."""
        limits, problems = self.limits, []
        hit = self.cgroup.totals_hit() if self.cgroup is not None else {}
        if hit.get("memory"):
            problems.append(f"memory total ({limits.memory_mb} MB for all processes and files "
                            f"of the hand-in) hit: {hit['memory']} process(es) killed")
        if hit.get("tasks"):
            problems.append(f"process total ({limits.n_processes} processes+threads) hit: "
                            f"{hit['tasks']} fork(s)/thread(s) refused")
        elif self.cgroup is None and self.most_tasks >= limits.n_processes // 2:
            problems.append(f"process limit: {self.most_tasks} processes seen (limit "
                            f"{limits.n_processes} processes+threads), fork bomb?")
        if hit.get("cpu", 0) >= 10:
            problems.append(f"CPU share ({limits.cpus:g} core) enforced: throttled in "
                            f"{hit['cpu']} periods of 0.1 s")
        if self.most_storage >= 0.98 * limits.storage_mb * 2**20:
            problems.append(f"storage total ({limits.storage_mb} MB for /handin, HOME, /tmp "
                            "and /dev/shm) full")
        return problems

    def close(self) -> None:
        """Kill what is left of the sandbox, wait until it is gone, remove its cgroup (a
        shared one is left to the sandbox that made it, which kills all in it)."""
        if self.shared_cgroup is not None:
            self.cgroup = None
            own, self.cpu_cgroup = getattr(self, "cpu_cgroup", None), None
            if own is not None:  # its processes are listed in its cpu dir only
                kill_until_empty(lambda: read_pids(own.dirs[-1]) if own.dirs else [],
                                 time.monotonic() + 10)
                own.close()
        elif self.cgroup is not None:
            self.cgroup.close()
            self.cgroup = None
        elif is_root():  # no cgroup: wait for the dead PID namespace to empty
            deadline = time.monotonic() + 10
            while count_processes(self.uid) and time.monotonic() < deadline:
                time.sleep(0.05)


def unsandboxed_wrap(cmd: list[str], limits: Limits) -> list[str]:
    """--no-sandbox: only the resource limits, minus the process count (without a uid
    or user namespace of its own it would count all of the instructor's processes)."""
    return limits.prlimit_argv(nproc=False) + list(cmd)


def reap_orphans() -> None:
    """Kill and remove the cgroups of sandboxes whose creating thread (in the cgroup's
    name) is gone: a worker killed with -9 left them, with its kernel still running."""
    for group in stale_cgroups(f"{CGROUP_PREFIX}{SANDBOX_UID_BASE}-"):
        owner = group.name.split("-")[2]
        if owner.isdigit() and not os.path.exists(f"/proc/{owner}"):
            try:
                group.close(timeout=5)
            except OSError:
                pass


def check_cgroups() -> str | None:
    """None when sandboxes get per-hand-in totals (cgroups) here, else why not."""
    problem = cgroups_usable(f"{CGROUP_PREFIX}{SANDBOX_UID_BASE}-{os.getpid()}-probe")
    if problem is None:
        reap_orphans()
    return problem


def check_bwrap() -> str | None:
    """None when bubblewrap can build our sandbox here, else why not (for the error)."""
    if not os.path.exists(BWRAP):
        return f"{BWRAP} is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    for tool in ("prlimit", "setpriv"):
        if shutil.which(tool) is None:
            return f"{tool} (util-linux) is not on PATH"
    import tempfile
    with tempfile.TemporaryDirectory(prefix="autograder-probe-") as tmp:
        sandbox = Sandbox(Path(tmp) / "scratch", Path(tmp) / "run")
        sandbox.prepare()
        cmd = sandbox.wrap([sys.executable, "-c", "print('ok')"])
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"bubblewrap could not start: {error}"
        finally:
            sandbox.close()
    if done.returncode != 0 or done.stdout.strip() != "ok":
        return (f"bubblewrap failed to start a sandboxed Python (exit {done.returncode}): "
                f"{done.stderr.strip()[-500:]}")
    return None
