"""Dead runs never block the warehouse.

A run whose process was killed (`kill -9`, OOM, a reboot) stays STARTED in
Dagster's run storage and keeps the concurrency slots it claimed, so every later
run waiting for the pool `build_db` would wait forever. Dagster's own run
monitoring cannot see it: the default run launcher has no worker health check,
and in-process runs (the CLI's) have no launcher at all.

`recover(instance)` finds such runs and ends them: a run is dead when the process
that executes it (the pid recorded in its tags by the CLI, or in the engine event
every executor writes when it starts) is gone, a zombie, or a newer process that
reused the pid. The run is marked failed with a one-line reason and its slots are
freed; slots held by runs that are already finished (or deleted) are freed too.
It is called by every CLI command that opens the instance, by each inbox-sensor
tick and before a CLI run waits for the pool.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import dagster as dg
from dagster._core.storage.dagster_run import FINISHED_STATUSES

from orchestration.processes import process_alive

# The CLI runs jobs in its own process; it records that process here.
PID_TAG = "smesurvey/pid"
# Set on a run ended because its process died, so `status` can call it crashed.
CRASHED_TAG = "smesurvey/crashed"
POOL_TIMEOUT_ENV = "SMESURVEY_POOL_TIMEOUT"
DEFAULT_POOL_TIMEOUT = 1800.0  # seconds: longer than any build of a yearly wave measured
POLL_SECONDS = 2.0
ENGINE_EVENTS_SCANNED = 20
UNFINISHED = [
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


class PoolTimeout(RuntimeError):
    """Waited too long for a pool slot; the message is one line naming the holder."""


@dataclass(frozen=True)
class EndedRun:
    run_id: str
    job_name: str
    pid: int
    reason: str


@dataclass(frozen=True)
class SlotHolder:
    pool: str
    run_id: str
    step_key: str
    job_name: str
    status: str  # the holding run's status, or "missing"


@dataclass(frozen=True)
class Recovery:
    ended: tuple[EndedRun, ...]
    freed_slots: int


def cli_run_tags() -> dict[str, str]:
    """Tags of a run executed in this process, so a later command can tell if it died."""
    return {PID_TAG: str(os.getpid())}


def run_process(instance: dg.DagsterInstance, run: dg.DagsterRun) -> tuple[int, float] | None:
    """The pid of the process executing `run`, and a time by which that process existed.

    The CLI's tag was written by the process itself when it created the run; the
    executor's engine event was written by the run worker once it ran. A process
    with that pid that started later than this time is another process (the pid
    was reused). For a run launched by the daemon, the run is created (queued)
    well before its worker starts, so the run's creation time would not do.
    """
    if run.tags.get(PID_TAG, "").isdigit():
        record = instance.get_run_record_by_id(run.run_id)
        created = record.create_timestamp.timestamp() if record is not None else None
        return int(run.tags[PID_TAG]), created if created is not None else 0.0
    records = instance.get_records_for_run(
        run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT, limit=ENGINE_EVENTS_SCANNED
    ).records
    for record in records:
        event = record.event_log_entry.dagster_event
        data = event.engine_event_data if event is not None else None
        pid = data.metadata.get("pid") if data is not None else None
        if pid is not None and str(pid.value).isdigit():
            return int(pid.value), record.event_log_entry.timestamp
    return None


def end_dead_runs(instance: dg.DagsterInstance) -> list[EndedRun]:
    """Mark failed, and free the slots of, every unfinished run whose process is gone."""
    ended = []
    for record in instance.get_run_records(dg.RunsFilter(statuses=UNFINISHED)):
        run = record.dagster_run
        owner = run_process(instance, run)
        if owner is None:
            continue  # not started by a process yet: run monitoring's start timeout applies
        pid, existed_by = owner
        if process_alive(pid, existed_by):
            continue
        reason = f"process {pid} died without finishing the run; ended by smesurvey"
        instance.add_run_tags(run.run_id, {CRASHED_TAG: str(pid)})
        instance.report_run_failed(run, message=reason)
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        ended.append(EndedRun(run.run_id, run.job_name, pid, reason))
    return ended


def slot_holders(instance: dg.DagsterInstance) -> list[SlotHolder]:
    """Who holds the slots of every pool (status `missing` for a deleted run)."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return []
    pools = [limit.name for limit in storage.get_pool_limits()]
    holders = []
    for pool, info in storage.get_concurrency_infos(pools).items():
        for slot in info.claimed_slots:
            run = instance.get_run_by_id(slot.run_id)
            holders.append(
                SlotHolder(
                    pool=pool,
                    run_id=slot.run_id,
                    step_key=slot.step_key,
                    job_name=run.job_name if run else "?",
                    status=run.status.value if run else "missing",
                )
            )
    return holders


def free_orphaned_slots(instance: dg.DagsterInstance) -> int:
    """Free slots (and pending claims) of runs that are finished or no longer exist."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return 0
    run_ids = set(storage.get_concurrency_run_ids())
    if not run_ids:
        return 0
    runs = {r.run_id: r for r in instance.get_runs(dg.RunsFilter(run_ids=list(run_ids)))}
    freed = 0
    for run_id in sorted(run_ids):
        run = runs.get(run_id)
        if run is None or run.status in FINISHED_STATUSES:
            storage.free_concurrency_slots_for_run(run_id)
            freed += 1
    return freed


def recover(instance: dg.DagsterInstance) -> Recovery:
    """End dead runs and free the slots nobody alive holds."""
    ended = end_dead_runs(instance)
    return Recovery(ended=tuple(ended), freed_slots=free_orphaned_slots(instance))


def pool_timeout() -> float:
    """SMESURVEY_POOL_TIMEOUT seconds (default 1800), validated."""
    raw = os.environ.get(POOL_TIMEOUT_ENV, "")
    if not raw:
        return DEFAULT_POOL_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value < 0:
        raise ValueError(f"{POOL_TIMEOUT_ENV}={raw!r}: expected a number of seconds >= 0")
    return value


def describe_holders(holders: list[SlotHolder]) -> str:
    return ", ".join(f"run {h.run_id[:8]} ({h.job_name}, step {h.step_key})" for h in holders)


def wait_for_pool(
    instance: dg.DagsterInstance,
    pool: str,
    timeout: float | None = None,
    say: Callable[[str], None] = lambda _: None,
    poll: float = POLL_SECONDS,
) -> None:
    """Return once `pool` has a free slot; say once what it waits for; give up after `timeout`.

    Dead holders are ended on every poll, so only a live run can make this wait.
    """
    timeout = pool_timeout() if timeout is None else timeout
    deadline = time.monotonic() + timeout
    announced = False
    while True:
        recover(instance)
        info = instance.event_log_storage.get_concurrency_info(pool)
        if info.limit is None or len(info.claimed_slots) < info.limit:
            return
        holders = [h for h in slot_holders(instance) if h.pool == pool]
        if time.monotonic() >= deadline:
            raise PoolTimeout(
                f"gave up after {timeout:.0f} s waiting for pool {pool}, held by "
                f"{describe_holders(holders)} (see `smesurvey status`; {POOL_TIMEOUT_ENV})"
            )
        if not announced:
            say(f"waiting for pool {pool}, held by {describe_holders(holders)}")
            announced = True
        time.sleep(min(poll, max(deadline - time.monotonic(), 0.0)))
