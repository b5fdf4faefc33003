"""A one-op job in the pool `build_db`, run in its own process by the recovery tests.

`python pool_job.py DAGSTER_HOME die|hold`: `die` kills its own process while the
op holds the slot (what `kill -9` of `smesurvey ingest` leaves behind); `hold`
keeps the slot until the process is killed from outside.
"""

import os
import signal
import sys
import time

import dagster as dg

from orchestration.defs.resources import BUILD_DB_POOL
from orchestration.recovery import cli_run_tags


@dg.op(pool=BUILD_DB_POOL)
def touch_build_db() -> None:
    print("holding", flush=True)
    if sys.argv[2] == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(600)


@dg.job
def pool_job() -> None:
    touch_build_db()


if __name__ == "__main__":
    with dg.DagsterInstance.from_config(sys.argv[1]) as instance:
        pool_job.execute_in_process(instance=instance, tags=cli_run_tags())
