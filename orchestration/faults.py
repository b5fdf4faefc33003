"""Named crash points, so tests can kill the pipeline where a real crash would hurt most.

`crash_point("publish.parquet")` does nothing unless `SMESURVEY_CRASH_AT` names
that point; then the whole process group dies by SIGKILL, exactly as `kill -9`
of the command would leave it (no cleanup handler, no `finally`). Dagster keeps
similar debug crash flags for its daemons; the points are listed in
docs/operations.md ("Crashes and recovery").
"""

from __future__ import annotations

import os
import signal

CRASH_ENV = "SMESURVEY_CRASH_AT"


def crash_point(name: str) -> None:
    """Die here, as by `kill -9` of the process group, when SMESURVEY_CRASH_AT == name."""
    if os.environ.get(CRASH_ENV) != name:
        return
    try:
        os.killpg(os.getpgrp(), signal.SIGKILL)
    finally:
        os.kill(os.getpid(), signal.SIGKILL)
