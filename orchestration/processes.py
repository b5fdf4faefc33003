"""Is the process that owns a run, a staging folder or a lock still alive?

Linux-only (/proc), like the rest of the deployment. A pid alone is not enough:
pids are reused, so a process whose start time is later than the thing it is
supposed to own is a different process, and a zombie (killed, not yet reaped by
its parent) is dead for our purposes although `kill(pid, 0)` still succeeds.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

PROC = Path("/proc")
# Start times are known to 1/CLK_TCK s and a run is recorded a moment after its
# process starts; this much slack keeps a live owner from looking "newer" than its run.
START_SLACK_SECONDS = 5.0


@cache
def _boot_time() -> float:
    for line in (PROC / "stat").read_text().splitlines():
        if line.startswith("btime "):
            return float(line.split()[1])
    return 0.0


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (which may hold spaces)."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return text[text.rfind(")") + 2 :].split()


def process_start_time(pid: int) -> float | None:
    """Epoch seconds at which `pid` started, or None if there is no such process."""
    fields = _stat_fields(pid)
    if fields is None:
        return None
    # field 22 of stat is the start time in clock ticks since boot; fields[0] is field 3
    return _boot_time() + int(fields[19]) / os.sysconf("SC_CLK_TCK")


def process_alive(pid: int, owned_since: float | None = None) -> bool:
    """True if `pid` runs (not a zombie) and, given `owned_since`, started no later than it."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    fields = _stat_fields(pid)
    if fields is None or fields[0] in ("Z", "X"):
        return False
    if owned_since is not None:
        started = process_start_time(pid)
        if started is not None and started > owned_since + START_SLACK_SECONDS:
            return False  # the pid was reused by a newer process
    return True
