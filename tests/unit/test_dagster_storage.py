"""orchestration/defs/dagster_storage.py reads what DagsterInstance reports, on real runs.

A real persistent instance (the home's dagster.yaml, SQLite storage in tmp) executes
real runs: successes, failures with a reason, asset checks that pass then fail; a live
run holds a pool slot and dead runs are left as a crash leaves them. Everything the
sqlite3 reader returns is compared with the Dagster API's answer, so a Dagster upgrade
that changes the storage schema fails here rather than in `smesurvey status`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.event_api import PartitionKeyFilter
from dagster._core.events import EngineEventData

from orchestration import recovery
from orchestration.dagster_runs import write_dagster_yaml
from orchestration.defs import dagster_storage as ds
from orchestration.defs.asset_checks import quality_gate
from orchestration.defs.resources import BUILD_DB_POOL
from orchestration.run_report import status_report
from orchestration.settings import Home

OTHER_POOL = "other_pool"
CHECK_PASSES = {"value": True}


@dg.asset
def survey_asset() -> int:
    return 1


@dg.asset_check(asset=survey_asset)
def flips() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=CHECK_PASSES["value"])


@dg.asset_check(asset=survey_asset)
def always_passes() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


@dg.op(pool=BUILD_DB_POOL)
def in_pool() -> None:
    pass


@dg.op
def refuses() -> None:
    raise dg.Failure(description="inbox/SH-01/2024/a.csv: the file is empty\nsecond line")


@dg.op
def breaks() -> None:
    raise ValueError("a plain error, first line\nand a traceback")


@dg.job
def pool_job() -> None:
    in_pool()


@dg.job
def refusing_job() -> None:
    refuses()


@dg.job
def breaking_job() -> None:
    breaks()


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # reaped: the pid names no process now
    return child.pid


def reference_failure(instance: dg.DagsterInstance, run: dg.DagsterRun) -> str:
    """Through the Dagster API: the first step failure's reason (its exception's cause)."""
    if run.status != dg.DagsterRunStatus.FAILURE:
        return ""
    kinds = {dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.RUN_FAILURE}
    for record in instance.get_records_for_run(run.run_id, of_type=kinds).records:
        event = record.event_log_entry.dagster_event
        data = event.event_specific_data if event is not None else None
        user = getattr(data, "user_failure_data", None)
        error = getattr(data, "error", None)
        error = (error.cause or error) if error is not None else None
        text = (
            (user.description if user is not None and user.description else None)
            or (error.message if error is not None else None)
            or (event.message if event is not None else None)
            or ""
        )
        if text.strip():
            return text.strip().splitlines()[0]
    return ""


def reference_checks(instance: dg.DagsterInstance) -> list[tuple[str, str, bool]]:
    """The newest evaluation of every check, from the event log through the Dagster API."""
    records = instance.get_event_records(
        dg.EventRecordsFilter(event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION),
        ascending=False,
    )
    latest: dict[tuple[str, str], bool] = {}
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        key = (evaluation.asset_key.to_user_string(), evaluation.check_name)
        latest.setdefault(key, evaluation.passed)
    return sorted((asset, check, passed) for (asset, check), passed in latest.items())


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Home, dict[str, str]]]:
    """A home whose instance holds every kind of run status shows; names -> run ids."""
    home = Home(tmp_path_factory.mktemp("storage") / "home").ensure()
    write_dagster_yaml(home)
    ids: dict[str, str] = {}
    with dg.DagsterInstance.from_config(str(home.dagster_home)) as instance:
        assets = [survey_asset, flips, always_passes]
        CHECK_PASSES["value"] = True
        ids["checks_pass"] = dg.materialize(assets, instance=instance).run_id
        CHECK_PASSES["value"] = False
        ids["checks_fail"] = dg.materialize(assets, instance=instance, raise_on_error=False).run_id
        ids["pool"] = pool_job.execute_in_process(instance=instance).run_id
        for name, job in (("refused", refusing_job), ("broken", breaking_job)):
            ids[name] = job.execute_in_process(instance=instance, raise_on_error=False).run_id
        # A live CLI run (this process) holding the build DB's slot.
        live = instance.add_run(
            dg.DagsterRun(
                job_name="ingest_zone_wave",
                status=dg.DagsterRunStatus.STARTED,
                tags={ds.PID_TAG: str(os.getpid()), ds.PARTITION_TAG: "2024|SH-01"},
            )
        )
        ids["live"] = live.run_id
        storage = instance.event_log_storage
        # A killed CLI run still holding a slot of another pool.
        killed = instance.add_run(
            dg.DagsterRun(
                job_name="rebuild_all",
                status=dg.DagsterRunStatus.STARTED,
                tags={ds.PID_TAG: str(dead_pid())},
            )
        )
        ids["killed"] = killed.run_id
        storage.set_concurrency_slots(OTHER_POOL, 1)
        for pool, run_id, step in (
            (BUILD_DB_POOL, live.run_id, "raw_delivery"),
            (OTHER_POOL, killed.run_id, "warehouse_dbt"),
        ):
            claim = storage.claim_concurrency_slot(pool, run_id, step)
            assert claim.is_claimed, claim
        # A daemon-launched run (no pid tag): its worker's pid is in the engine event.
        daemon = instance.add_run(
            dg.DagsterRun(job_name="ingest_zone_wave", status=dg.DagsterRunStatus.STARTED)
        )
        instance.report_engine_event(
            "Started process for run.", daemon, EngineEventData.in_process(dead_pid())
        )
        ids["daemon_dead"] = daemon.run_id
    yield home, ids
    CHECK_PASSES["value"] = True


def test_constants_match_recovery() -> None:
    assert ds.PID_TAG == recovery.PID_TAG
    assert ds.CRASHED_TAG == recovery.CRASHED_TAG
    assert ds.ENGINE_EVENTS_SCANNED == recovery.ENGINE_EVENTS_SCANNED
    assert list(ds.UNFINISHED) == [s.value for s in recovery.UNFINISHED]
    assert dg.DagsterEventType.RUN_FAILURE.value == ds.RUN_FAILURE
    assert dg.DagsterEventType.STEP_FAILURE.value == ds.STEP_FAILURE
    assert dg.DagsterEventType.ENGINE_EVENT.value == ds.ENGINE_EVENT
    assert dg.DagsterEventType.ASSET_CHECK_EVALUATION.value == ds.CHECK_EVALUATION
    assert quality_gate.name == ds.QUALITY_GATE


def test_runs_tags_and_times_match(populated: tuple[Home, dict[str, str]]) -> None:
    home, ids = populated
    reader = ds.DagsterStorage(home.dagster_home)
    with dg.DagsterInstance.from_config(str(home.dagster_home)) as instance:
        for limit in (3, 100):
            records = instance.get_run_records(limit=limit)
            mine = reader.recent_runs(limit)
            assert [r.run_id for r in mine] == [r.dagster_run.run_id for r in records]
            for run, record in zip(mine, records, strict=True):
                assert run.job_name == record.dagster_run.job_name
                assert run.status == record.dagster_run.status.value
                assert run.tags == dict(record.dagster_run.tags)
                assert run.start_time == pytest.approx(record.start_time)
                assert run.created == pytest.approx(record.create_timestamp.timestamp(), abs=1e-3)
        unfinished = instance.get_runs(dg.RunsFilter(statuses=recovery.UNFINISHED))
        assert {r.run_id for r in reader.unfinished_runs()} == {r.run_id for r in unfinished}
    assert len(ids) == len(reader.recent_runs(100))


def test_failure_reasons_match(populated: tuple[Home, dict[str, str]]) -> None:
    home, ids = populated
    reader = ds.DagsterStorage(home.dagster_home)
    runs = reader.runs_by_id(list(ids.values()))
    with dg.DagsterInstance.from_config(str(home.dagster_home)) as instance:
        for run_id, run in runs.items():
            assert reader.failure_reason(run) == reference_failure(
                instance, instance.get_run_by_id(run_id)
            )
    refused = reader.failure_reason(runs[ids["refused"]])
    assert refused == "inbox/SH-01/2024/a.csv: the file is empty"
    assert "a plain error, first line" in reader.failure_reason(runs[ids["broken"]])
    assert reader.failure_reason(runs[ids["pool"]]) == ""


def test_owners_and_slots_match(populated: tuple[Home, dict[str, str]]) -> None:
    home, ids = populated
    reader = ds.DagsterStorage(home.dagster_home)
    with dg.DagsterInstance.from_config(str(home.dagster_home)) as instance:
        for run in reader.recent_runs(100):
            expected = recovery.run_process(instance, instance.get_run_by_id(run.run_id))
            owner = reader.owner(run)
            if expected is None:
                assert owner is None
            else:
                assert owner is not None and owner.pid == expected[0]
                assert owner.existed_by == pytest.approx(expected[1], abs=1e-3)
        holders = recovery.slot_holders(instance)
    slots = reader.slots()
    assert sorted((s.pool, s.run_id, s.step_key) for s in slots) == sorted(
        (h.pool, h.run_id, h.step_key) for h in holders
    )
    assert {s.run_id for s in slots} == {ids["live"], ids["killed"]}


@dg.asset_check(asset=survey_asset)
def gate_like() -> dg.AssetCheckResult:
    """Fails as the quality gate does when it refuses zone-waves (WARN, `refused`)."""
    return dg.AssetCheckResult(
        passed=False,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"refused": dg.MetadataValue.json({"SH-01/2024": "bad", "GD-01/2024": "bad"})},
    )


def test_a_failed_check_names_the_zone_waves_it_refused(tmp_path: Path) -> None:
    home = Home(tmp_path / "home").ensure()
    write_dagster_yaml(home)
    with dg.DagsterInstance.from_config(str(home.dagster_home)) as instance:
        dg.materialize([survey_asset, gate_like], instance=instance)
    [result] = ds.DagsterStorage(home.dagster_home).check_results()
    assert (result.check, result.passed, result.zone_waves) == (
        "gate_like",
        False,
        ("GD-01/2024", "SH-01/2024"),
    )
    assert "  FAILED survey_asset: gate_like failed (GD-01/2024, SH-01/2024)" in status_report(home)


ZONE_WAVES = dg.MultiPartitionsDefinition(
    {
        "wave": dg.StaticPartitionsDefinition(["2024"]),
        "zone": dg.StaticPartitionsDefinition(["GD-01", "SH-01"]),
    }
)
GATE_PASSES: dict[str, bool] = {}
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", category=dg.PreviewWarning)
    PARTITIONED_GATE = dg.AssetCheckSpec(
        ds.QUALITY_GATE, asset="zone_wave_asset", partitions_def=ZONE_WAVES
    )


@dg.asset(partitions_def=ZONE_WAVES, check_specs=[PARTITIONED_GATE])
def zone_wave_asset(context) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    yield dg.MaterializeResult()
    passed = GATE_PASSES[context.partition_key]
    reason = f"{context.partition_key} blocked: bad\nsecond line"
    yield dg.AssetCheckResult(passed=passed, description=None if passed else reason)


def test_a_zone_waves_failed_check_stays_until_that_zone_wave_passes(tmp_path: Path) -> None:
    home = Home(tmp_path / "home").ensure()
    write_dagster_yaml(home)
    with dg.DagsterInstance.from_config(str(home.dagster_home)) as instance:
        # an unpartitioned failure, as the check wrote it before it was partitioned
        instance.report_runless_asset_event(
            dg.AssetCheckEvaluation(
                asset_key=dg.AssetKey("zone_wave_asset"), check_name=ds.QUALITY_GATE, passed=False
            )
        )
        [legacy] = ds.DagsterStorage(home.dagster_home).check_results()
        assert (legacy.passed, legacy.partition) == (False, None)
        for key, passed in (("2024|SH-01", False), ("2024|GD-01", True)):
            GATE_PASSES[key] = passed
            dg.materialize([zone_wave_asset], instance=instance, partition_key=key)
        results = ds.DagsterStorage(home.dagster_home).check_results()
        # per partition: SH-01's failure is not hidden by GD-01's later pass, and the
        # unpartitioned result is superseded by the partitioned ones
        assert sorted((c.partition, c.passed) for c in results) == [
            ("2024|GD-01", True),
            ("2024|SH-01", False),
        ]
        expected = {
            key: instance.event_log_storage.get_asset_check_execution_history(
                dg.AssetCheckKey(dg.AssetKey("zone_wave_asset"), ds.QUALITY_GATE),
                limit=1,
                partition_filter=PartitionKeyFilter(key=key),
            )[0].status.value
            for key in ("2024|GD-01", "2024|SH-01")
        }
        assert expected == {"2024|GD-01": "SUCCEEDED", "2024|SH-01": "FAILED"}
        report = status_report(home)
        assert "  FAILED zone_wave_asset: quality_gate failed (SH-01/2024)" in report
        # the refused zone-wave in its run's line, as the Dagster API reports the run
        reader = ds.DagsterStorage(home.dagster_home)
        for run in reader.recent_runs(5):
            logs = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
            reference = {
                e.partition: None if e.passed else (e.description or "").splitlines()[0]
                for e in (log.dagster_event.asset_check_evaluation_data for log in logs)
            }
            assert reader.gate_verdicts(run) == reference
        assert "1 of 1 zone-waves refused; SH-01/2024: 2024|SH-01 blocked: bad" in report
        GATE_PASSES["2024|SH-01"] = True
        dg.materialize([zone_wave_asset], instance=instance, partition_key="2024|SH-01")
    results = ds.DagsterStorage(home.dagster_home).check_results()
    assert all(c.passed for c in results) and len(results) == 2


def test_checks_match(populated: tuple[Home, dict[str, str]]) -> None:
    home, _ = populated
    mine = ds.DagsterStorage(home.dagster_home).check_results()
    with dg.DagsterInstance.from_config(str(home.dagster_home)) as instance:
        expected = reference_checks(instance)
    assert [(c.asset, c.check, c.passed) for c in mine] == expected
    # the newest evaluation wins: `flips` passed first, then failed
    assert ("survey_asset", "flips", False) in expected


def stored(home: Home) -> dict[Path, tuple[int, bytes]]:
    """Every file of the instance but SQLite's -wal/-shm (a WAL reader's shared memory,
    which SQLite itself creates for readers), with its mtime and bytes."""
    return {
        p: (p.stat().st_mtime_ns, p.read_bytes())
        for p in home.dagster_home.rglob("*")
        if p.is_file() and not p.name.endswith(("-wal", "-shm"))
    }


def test_status_is_read_only_and_names_the_dead(populated: tuple[Home, dict[str, str]]) -> None:
    home, ids = populated
    before = stored(home)
    report = status_report(home)
    assert stored(home) == before  # nothing written
    lines = report.splitlines()

    def line_of(name: str) -> str:
        return next(x for x in lines if x.startswith(ids[name][:8]))

    for dead in ("killed", "daemon_dead"):
        assert "CRASHED" in line_of(dead) and "ended by the next writing command" in line_of(dead)
    assert "STARTED" in line_of("live") and "2024|SH-01" in line_of("live")
    assert "the file is empty" in line_of("refused") and "second line" not in report
    live = f"{BUILD_DB_POOL}: held by run {ids['live'][:8]} (ingest_zone_wave, step raw_delivery"
    assert f"{live}, STARTED)" in report
    dead = f"{OTHER_POOL}: held by run {ids['killed'][:8]} (rebuild_all, step warehouse_dbt"
    assert f"{dead}, STARTED, process dead; ended by the next writing command)" in report
    assert "FAILED survey_asset: flips" in report


def test_dead_runs_are_those_recovery_ends(populated: tuple[Home, dict[str, str]]) -> None:
    """Last: recovery writes. What status calls dead is exactly what recovery ends, and
    afterwards the reader sees them ended (CRASHED tag, reason) and their slots freed."""
    home, ids = populated
    reader = ds.DagsterStorage(home.dagster_home)
    judged = {r.run_id for r in reader.unfinished_runs() if reader.is_dead(r) is not None}
    assert judged == {ids["killed"], ids["daemon_dead"]}
    with dg.DagsterInstance.from_config(str(home.dagster_home)) as instance:
        ended = recovery.recover(instance)
        holders = recovery.slot_holders(instance)
    assert {e.run_id for e in ended.ended} == judged
    assert [(s.pool, s.run_id) for s in reader.slots()] == [(h.pool, h.run_id) for h in holders]
    assert {s.run_id for s in reader.slots()} == {ids["live"]}
    killed = reader.runs_by_id([ids["killed"]])[ids["killed"]]
    assert ds.CRASHED_TAG in killed.tags and killed.status == "FAILURE"
    assert "died without finishing" in reader.failure_reason(killed)


def test_missing_storage_is_reported(tmp_path: Path) -> None:
    home = Home(tmp_path / "home").ensure()
    assert not ds.DagsterStorage(home.dagster_home).exists()
    assert "no Dagster instance yet" in status_report(home)
