"""Real servers for the instructor-ecosystem tests, started on 127.0.0.1 on a free port
and stopped afterwards: a PostgreSQL server (Debian's binaries, a throw-away cluster run
by a throw-away user) and a Jupyter server with nbgrader's formgrader."""
import contextlib
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from autograder.commands.formgrader import server_command
from autograder.common.course import Course


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_bin() -> Path | None:
    """Debian's PostgreSQL binaries folder (the newest version), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    return Path(found[-1]).parent if found else None


def _wait(check, what: str, proc: subprocess.Popen, limit: float = 120):
    """Poll `check` until it returns true (a readiness wait, not a timing assertion)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not come up within {limit} s")


@contextlib.contextmanager
def postgres(database: str = "gradebook"):
    """Yields the SQLAlchemy URL of a fresh database on a new PostgreSQL server."""
    import psycopg
    bin_dir = postgres_bin()
    user = f"agpg{os.getpid() % 100000:05d}"
    base = Path(tempfile.mkdtemp(prefix="agpg-", dir="/tmp"))
    base.chmod(0o755)
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin",
                    "--user-group", user], check=True)
    proc = None
    try:
        shutil.chown(base, user, user)
        password = "pw-" + os.urandom(6).hex()
        (base / "pw").write_text(password)
        shutil.chown(base / "pw", user, user)

        def as_user(*argv, **kw):
            return ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups",
                    "--", *argv]

        subprocess.run(as_user(str(bin_dir / "initdb"), "-D", str(base / "data"),
                               "-U", "postgres", "--auth=scram-sha-256",
                               f"--pwfile={base / 'pw'}", "-E", "UTF8"),
                       check=True, capture_output=True)
        port = free_port()
        proc = subprocess.Popen(as_user(str(bin_dir / "postgres"), "-D", str(base / "data"),
                                        "-h", "127.0.0.1", "-p", str(port),
                                        "-k", str(base)),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        dsn = dict(host="127.0.0.1", port=port, user="postgres", password=password)
        _wait(lambda: psycopg.connect(dbname="postgres", **dsn).close() or True,
              "postgres", proc)
        conn = psycopg.connect(dbname="postgres", **dsn)
        conn.autocommit = True
        conn.cursor().execute(f"CREATE DATABASE {database}")
        conn.close()
        yield f"postgresql://postgres:{password}@127.0.0.1:{port}/{database}"
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGINT)   # postgres' "fast" shutdown
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        subprocess.run(["userdel", user], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


class Formgrader:
    """A running Jupyter server with formgrader; `api(path, method)` calls its REST API."""

    def __init__(self, url: str, token: str):
        self.url, self.token = url, token

    def request(self, path: str, method: str = "GET", timeout: float = 300):
        req = urllib.request.Request(self.url + path, method=method, data=b"" if
                                     method == "POST" else None,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.read().decode()

    def api(self, path: str, method: str = "GET"):
        status, body = self.request(path, method)
        return json.loads(body)


@contextlib.contextmanager
def formgrader(course: Course, env_extra: dict | None = None):
    """The server `python -m autograder formgrader` starts, with a token, on a free port."""
    token = os.urandom(12).hex()
    port = free_port()
    runtime = tempfile.TemporaryDirectory(prefix="agfg-runtime-")
    argv, env, cwd = server_command(course, port, extra=[
        f"--IdentityProvider.token={token}", "--ServerApp.open_browser=False",
        *(["--allow-root"] if os.geteuid() == 0 else [])])
    env.update(env_extra or {}, JUPYTER_RUNTIME_DIR=runtime.name)
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    server = Formgrader(f"http://127.0.0.1:{port}", token)
    try:
        _wait(lambda: server.request("/api/status", timeout=5)[0] == 200, "jupyter server", proc)
        yield server
    except BaseException:
        log.seek(0)
        print(log.read().decode(errors="replace")[-4000:])
        raise
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        runtime.cleanup()
