"""The sandbox a hand-in's kernel runs in: bubblewrap namespaces + resource limits.

`Sandbox.wrap(kernel_cmd)` turns `python -m ipykernel_launcher -f conn.json` into

    bwrap <namespaces> <read-only system, Python, venv, coursepkg> <tmpfs /tmp, HOME>
          <scratch -> /handin (rw)> <runtime dir (rw, same path)> --
      [setpriv --reuid U ...]                 (only when we are root, see below)
      prlimit --as --cpu --nproc --fsize --core --
      python -m ipykernel_launcher -f conn.json

What the kernel can see: the system (/usr, /etc), the Python installation and the venv
(read-only), the repo's coursepkg/ (read-only; the venv imports it from the repo because
the project is installed editable), its own scratch folder (/handin: the notebook and the
small files released beside it) and the kernel's runtime folder (connection file and
`ipc` sockets, bound at the same path so both sides find them). Nothing else of the repo
(solutions/, exercises/, autograder/course/ with the gradebook and other hand-ins), nor
the instructor's home: HOME is an empty tmpfs.

Namespaces: network (only a loopback), PID (the kernel cannot see or signal outside
processes; when the kernel exits, everything it started is killed), IPC, UTS, cgroup.
`--die-with-parent` ties the sandbox to the grading worker.

Limits (prlimit, per process): address space (`memory_mb`), CPU seconds, file size, no
core dumps, and the number of processes/threads. RLIMIT_NPROC counts per real user id and
does not apply to root, so:
- run as root: bwrap keeps the real ids and `setpriv` switches the kernel to an unused
  uid/gid of its own per worker slot (no capabilities, no supplementary groups), so a
  fork bomb exhausts only that uid's quota, inside a PID namespace that dies with it;
- run as a normal user: bwrap adds a user namespace; since Linux 5.14 RLIMIT_NPROC is
  counted per user namespace, so the quota is again per sandbox.
"""
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .course import REPO

BWRAP = "/usr/bin/bwrap"
INSIDE_SCRATCH = "/handin"
INSIDE_HOME = "/home/student"
# far above any real account; + worker slot. AUTOGRADER_UID_BASE moves it (two grading
# runs on one machine at once, e.g. parallel test suites, must not share uids)
SANDBOX_UID_BASE = int(os.environ.get("AUTOGRADER_UID_BASE", "1500000000"))

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
    memory_mb: int = 2048        # RLIMIT_AS per process
    cpu_seconds: int = 1800      # RLIMIT_CPU per process
    n_processes: int = 256       # RLIMIT_NPROC: processes + threads of the sandbox's uid
    file_mb: int = 256           # RLIMIT_FSIZE: largest file the kernel may write

    def prlimit_argv(self) -> list[str]:
        return ["prlimit", f"--as={self.memory_mb * 2**20}", f"--cpu={self.cpu_seconds}",
                f"--nproc={self.n_processes}", f"--fsize={self.file_mb * 2**20}",
                "--core=0", "--"]


def inside_env(n_threads: int = 1) -> dict[str, str]:
    """The whole environment of a sandboxed kernel (nothing of the instructor's leaks in)."""
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": INSIDE_HOME, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
        "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1",
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


class _Mounts:
    """Builds bind arguments, creating missing parent folders world-traversable (0755):
    bwrap would create them 0700 and the unprivileged kernel could not pass them."""

    def __init__(self):
        self.argv: list[str] = []
        self._made = {"/", "/usr", "/etc", "/tmp", "/home"}

    def _parents(self, inside: str):
        parts = Path(inside).parts
        for i in range(2, len(parts)):
            parent = str(Path(*parts[:i]))
            if parent not in self._made:
                self._made.add(parent)
                self.argv += ["--perms", "0755", "--dir", parent]

    def bind(self, outside, inside=None, *, writable=False):
        inside = str(inside or outside)
        self._parents(inside)
        self._made.add(inside)
        self.argv += ["--bind" if writable else "--ro-bind", str(outside), inside]


@dataclass(frozen=True)
class Sandbox:
    """One hand-in's sandbox: its scratch folder, the kernel's runtime folder, limits."""
    scratch: Path
    runtime_dir: Path
    limits: Limits = Limits()
    slot: int = 0               # worker slot: picks the uid when running as root
    n_threads: int = 1

    @property
    def uid(self) -> int:
        """The uid the kernel runs as (and owns the scratch and runtime folders)."""
        return SANDBOX_UID_BASE + self.slot if os.geteuid() == 0 else os.geteuid()

    def prepare(self) -> None:
        """Hand the scratch and runtime folders to the sandbox's uid."""
        for folder in (self.scratch, self.runtime_dir):
            folder.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                for path in [folder, *folder.rglob("*")]:
                    os.chown(path, self.uid, self.uid)

    def bwrap_argv(self) -> list[str]:
        namespaces = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                      "--unshare-cgroup-try"]
        if os.geteuid() != 0:
            namespaces.append("--unshare-user")
        mounts = _Mounts()
        python_home = Path(sys.base_prefix).resolve()
        venv = Path(sys.prefix).resolve()
        mounts.bind(python_home)
        if venv != python_home:
            mounts.bind(venv)
        if (REPO / "coursepkg").is_dir():  # editable install: imported from the repo
            mounts.bind(REPO / "coursepkg")
        argv = [BWRAP, *namespaces, "--die-with-parent", "--new-session",
                *_system_binds(), "--proc", "/proc", "--dev", "/dev",
                "--perms", "01777", "--tmpfs", "/dev/shm",  # joblib/multiprocessing need it
                "--tmpfs", "/tmp", "--perms", "0755", "--dir", "/home",
                "--perms", "01777", "--tmpfs", INSIDE_HOME]
        mounts.bind(self.scratch, INSIDE_SCRATCH, writable=True)
        mounts.bind(self.runtime_dir, writable=True)
        argv += mounts.argv + ["--chdir", INSIDE_SCRATCH, "--clearenv"]
        for name, value in inside_env(self.n_threads).items():
            argv += ["--setenv", name, value]
        return argv + ["--"]

    def user_argv(self) -> list[str]:
        if os.geteuid() != 0:
            return []
        return ["setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]

    def wrap(self, cmd: list[str]) -> list[str]:
        return self.bwrap_argv() + self.user_argv() + self.limits.prlimit_argv() + list(cmd)


def unsandboxed_wrap(cmd: list[str], limits: Limits) -> list[str]:
    """--no-sandbox: only the resource limits, minus the process count (without a uid
    or user namespace of its own it would count all of the instructor's processes)."""
    argv = [a for a in limits.prlimit_argv() if not a.startswith("--nproc=")]
    return argv + list(cmd)


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
    if done.returncode != 0 or done.stdout.strip() != "ok":
        return (f"bubblewrap failed to start a sandboxed Python (exit {done.returncode}): "
                f"{done.stderr.strip()[-500:]}")
    return None
