"""A run whose process died is ended and its pool slot freed, by real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.events import EngineEventData

from orchestration.dagster_runs import home_instance
from orchestration.defs.resources import BUILD_DB_POOL
from orchestration.processes import START_SLACK_SECONDS, process_alive
from orchestration.recovery import PoolTimeout, recover, slot_holders, wait_for_pool
from orchestration.run_report import status_report
from orchestration.settings import Home
from tests.support.timeouts import HANG_GUARD

JOB = Path(__file__).with_name("pool_job.py")


def start_job(home: Home, mode: str) -> subprocess.Popen:
    """The job in its own process, once its op holds the pool slot."""
    with home_instance(home):
        pass  # writes dagster.yaml (pool limit 1)
    env = {**os.environ, "DAGSTER_HOME": str(home.dagster_home)}
    proc = subprocess.Popen(
        [sys.executable, str(JOB), str(home.dagster_home), mode],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "holding"
    return proc


def runs_of(instance: dg.DagsterInstance) -> list[dg.DagsterRun]:
    return list(instance.get_runs())


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home(tmp_path / "home").ensure()


def test_killed_run_is_ended_and_its_slot_freed(home: Home) -> None:
    proc = start_job(home, "die")
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with dg.DagsterInstance.from_config(str(home.dagster_home)) as instance:
        (run,) = runs_of(instance)
        assert run.status == dg.DagsterRunStatus.STARTED  # what the crash leaves
        assert [h.run_id for h in slot_holders(instance)] == [run.run_id]
        recovery = recover(instance)
        assert [e.run_id for e in recovery.ended] == [run.run_id]
        assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE
        assert slot_holders(instance) == []
        wait_for_pool(instance, BUILD_DB_POOL, timeout=0)  # free now: returns at once
        failure = instance.get_records_for_run(
            run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE
        ).records
        message = failure[-1].event_log_entry.dagster_event.message
        assert "died without finishing" in message and "\n" not in message


def test_home_instance_recovers_by_itself(home: Home) -> None:
    start_job(home, "die").wait()
    with home_instance(home) as instance:
        (run,) = runs_of(instance)
        assert run.status == dg.DagsterRunStatus.FAILURE
        assert slot_holders(instance) == []
        report = status_report(home)
    line = next(x for x in report.splitlines() if x.startswith(run.run_id[:8]))
    assert "CRASHED" in line and "died without finishing" in line
    assert "Pools: every slot free" in report


def test_live_holder_makes_the_wait_give_up_with_one_line(home: Home) -> None:
    proc = start_job(home, "hold")
    try:
        said: list[str] = []
        with dg.DagsterInstance.from_config(str(home.dagster_home)) as instance:
            (run,) = runs_of(instance)
            assert recover(instance).ended == ()  # alive: left alone
            report = status_report(home)
            holder = f"build_db: held by run {run.run_id[:8]} (pool_job, step touch_build_db"
            assert holder in report
            with pytest.raises(PoolTimeout) as caught:
                wait_for_pool(instance, BUILD_DB_POOL, timeout=0.5, say=said.append, poll=0.1)
            message = str(caught.value)
            assert "\n" not in message
            assert run.run_id[:8] in message and "touch_build_db" in message
            assert said and BUILD_DB_POOL in said[0]
            # once the holder is killed, the same wait returns by itself
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            wait_for_pool(instance, BUILD_DB_POOL, timeout=HANG_GUARD, poll=0.1)
            assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE
    finally:
        if proc.poll() is None:
            proc.kill()


def test_zombie_and_reused_pids_count_as_dead() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    time.sleep(0.5)  # exited, not yet reaped: a zombie
    assert not process_alive(child.pid)
    child.wait()
    assert not process_alive(child.pid)
    assert process_alive(os.getpid())
    # this process started before now: owning something since a minute ago is plausible,
    # owning something since before it started (a reused pid) is not
    assert process_alive(os.getpid(), owned_since=time.time())
    assert not process_alive(os.getpid(), owned_since=0.0)


def test_a_queued_run_whose_worker_started_later_is_alive(home: Home) -> None:
    """The daemon creates a run, then (after the queue) starts its worker: the worker is
    younger than the run, yet it is the run's own process, not a reused pid."""
    with home_instance(home) as instance:
        run = instance.add_run(
            dg.DagsterRun(job_name="ingest_zone_wave", status=dg.DagsterRunStatus.STARTED)
        )
        time.sleep(START_SLACK_SECONDS + 1)  # the run waited in the queue
        worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        try:
            instance.report_engine_event(
                f"Started process for run (pid: {worker.pid}).",
                run,
                EngineEventData.in_process(worker.pid),
            )
            assert recover(instance).ended == ()
            worker.kill()
            worker.wait()
            assert [e.run_id for e in recover(instance).ended] == [run.run_id]
        finally:
            if worker.poll() is None:
                worker.kill()
