"""Progress lines: one per stage and zone-wave as the run goes (stage, rows, seconds).

Every line goes to the run's log (`context.log`, what the UI shows) and to the
listeners registered in this process: the CLI prints them to stderr while it
executes a run in-process (`smesurvey: SH-01/2021 parsed 212 rows 0.3 s`). Runs
started by the daemon have no listener; their lines are in the run log only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import dagster as dg

Listener = Callable[[str], None]
_listeners: list[Listener] = []


@contextmanager
def echoed(listener: Listener) -> Iterator[None]:
    """Send every progress line of this process to `listener` too, while inside."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)


def progress(log: dg.DagsterLogManager | None, message: str) -> None:
    if log is not None:
        log.info(message)
    for listener in list(_listeners):
        listener(message)


def seconds(started: float) -> str:
    return f"{time.perf_counter() - started:.1f} s"


def step_seconds(context: dg.HookContext) -> str:
    """How long the hooked step took, from its recorded start and end ('' if unknown)."""
    stats = context.instance.get_run_step_stats(context.run_id, step_keys=[context.step_key])
    if stats and stats[0].start_time and stats[0].end_time:
        return f" {stats[0].end_time - stats[0].start_time:.1f} s"
    return ""


@dg.success_hook(name="progress_step_done")
def step_done(context: dg.HookContext) -> None:
    progress(context.log, f"{context.step_key} done{step_seconds(context)}")


@dg.failure_hook(name="progress_step_failed")
def step_failed(context: dg.HookContext) -> None:
    progress(context.log, f"{context.step_key} failed{step_seconds(context)}")
