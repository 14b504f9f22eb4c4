"""The first process of a sandbox: join its cgroup, give it sized storage, exec bubblewrap.

Run as `python -I -S launcher.py SPEC_JSON -- bwrap ...` (standard library only, no site:
it starts in milliseconds). SPEC_JSON is an object with

    cgroup_procs  [path, ...]   cgroup.procs files: this process writes its pid into each
                                first, so bwrap and everything below it start inside
    storage       null | {"dir": D, "bytes": N, "uid": U, "stage": S | null}
                  mount one tmpfs of N bytes on D, in a mount namespace of this process
                  (it vanishes with the sandbox, nothing is left mounted on the host),
                  with D/handin (a copy of the folder S), D/home, D/tmp and D/shm owned
                  by U; bwrap binds them as /handin, HOME, /tmp and /dev/shm, so all the
                  files a hand-in writes share one total (and count as its memory)

Errors exit with status 111 and a message on stderr (the kernel log).
"""
import ctypes
import json
import os
import shutil
import sys

CLONE_NEWNS = 0x00020000
MS_NOSUID, MS_NODEV, MS_REC, MS_PRIVATE = 0x2, 0x4, 0x4000, 0x40000
SUBDIRS = {"handin": 0o700, "home": 0o700, "tmp": 0o1777, "shm": 0o1777}


def _libc_call(name: str, *args: object) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if getattr(libc, name)(*args) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{name}: {os.strerror(errno)}")


def _chown_tree(top: str, uid: int) -> None:
    os.chown(top, uid, uid)
    for folder, dirs, files in os.walk(top):
        for name in dirs + files:
            os.chown(os.path.join(folder, name), uid, uid, follow_symlinks=False)


def mount_storage(folder: str, size: int, uid: int, stage: str | None) -> None:
    _libc_call("unshare", CLONE_NEWNS)
    _libc_call("mount", None, b"/", None, MS_REC | MS_PRIVATE, None)  # nothing leaks out
    options = f"size={size},mode=0755,nr_inodes=65536".encode()
    _libc_call("mount", b"tmpfs", folder.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options)
    for name, mode in SUBDIRS.items():
        path = os.path.join(folder, name)
        if name == "handin" and stage:
            shutil.copytree(stage, path, symlinks=True)
        else:
            os.mkdir(path)
        os.chmod(path, mode)
        _chown_tree(path, uid)


def main(argv: list[str]) -> None:
    if len(argv) < 4 or argv[2] != "--":
        sys.exit("usage: launcher.py SPEC_JSON -- COMMAND ...")
    spec = json.loads(argv[1])
    try:
        for procs in spec.get("cgroup_procs", []):
            with open(procs, "w") as f:
                f.write(str(os.getpid()))
        storage = spec.get("storage")
        if storage:
            mount_storage(storage["dir"], storage["bytes"], storage["uid"], storage["stage"])
    except OSError as error:
        print(f"autograder sandbox set-up failed: {error}", file=sys.stderr)
        sys.exit(111)
    os.execv(argv[3], argv[3:])


if __name__ == "__main__":
    main(sys.argv)
