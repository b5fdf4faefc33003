"""Peak resident memory: per process (wait4) and per stage inside one process (VmHWM)."""

from __future__ import annotations

import re
import resource
from pathlib import Path

STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")
_HWM = re.compile(r"^VmHWM:\s+(\d+)\s+kB", re.M)
# Writing "5" to clear_refs resets the peak RSS (Linux >= 4.0), so one process can
# report the peak of each stage it runs rather than of everything before it.
RESET_PEAK = "5"


def reset_peak() -> bool:
    """Reset this process's peak RSS to its current RSS; False where the kernel refuses."""
    try:
        CLEAR_REFS.write_text(RESET_PEAK)
    except OSError:
        return False
    return True


def peak_mb() -> float:
    """This process's peak RSS since start or the last `reset_peak`, in MB."""
    try:
        match = _HWM.search(STATUS.read_text())
    except OSError:
        match = None
    if match:
        return int(match.group(1)) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rusage_peak_mb(usage: resource.struct_rusage) -> float:
    """ru_maxrss (kB on Linux) of a reaped child, in MB."""
    return usage.ru_maxrss / 1024
