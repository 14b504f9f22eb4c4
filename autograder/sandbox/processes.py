"""Processes by sandbox uid: how many a sandbox runs (its `watch`), and every one left
of this uid base (what the tests check after a run)."""
import os
from pathlib import Path

# far above any real account; + 2 * process id (+1). AUTOGRADER_UID_BASE moves it (two
# grading runs on one machine at once, e.g. parallel test suites, must not share uids)
SANDBOX_UID_BASE = int(os.environ.get("AUTOGRADER_UID_BASE", "1500000000"))


def count_processes(uid: int) -> int:
    """Processes owned by `uid` (the sandbox's own uid when we run as root)."""
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                count += entry.stat().st_uid == uid
            except OSError:
                pass
    return count


def sandbox_processes() -> list[int]:
    """Pids of every process running as some sandbox's uid of this uid base (tests)."""
    try:
        pid_max = int(Path("/proc/sys/kernel/pid_max").read_text())
    except (OSError, ValueError):
        pid_max = 2**22
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if 0 <= entry.stat().st_uid - SANDBOX_UID_BASE < 2 * pid_max + 2:
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids
