"""The home's event log storage (orchestration/dagster_event_log.py) on a real instance:
Dagster's files and records, without a connection per statement."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from sqlalchemy import event
from sqlalchemy.engine import Engine

from orchestration.dagster_event_log import (
    EVENT_LOG_FOLDER,
    KEPT_SHARDS,
    KeptConnectionsEventLogStorage,
)
from orchestration.dagster_runs import write_dagster_yaml
from orchestration.settings import Home

CHECKS = 20


@dg.asset
def counted() -> int:
    return 1


def _check(number: int) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=counted, name=f"check_{number}")
    def check() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=True)

    return check


ASSETS = [counted, *(_check(n) for n in range(CHECKS))]


def test_runs_are_stored_as_dagster_stores_them_on_few_connections(tmp_path: Path) -> None:
    home = Home(tmp_path / "home").ensure()
    write_dagster_yaml(home)
    event_logs = home.dagster_home / EVENT_LOG_FOLDER
    opened: list[Path] = []

    def listener(dbapi_connection: object, _record: object) -> None:
        path = dbapi_connection.execute("pragma database_list").fetchone()[2]  # type: ignore[attr-defined]
        if Path(path).parent == event_logs:  # not the run storage's runs.db
            opened.append(Path(path))

    with dg.DagsterInstance.from_config(str(home.dagster_home)) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, KeptConnectionsEventLogStorage)
        run_ids = [dg.materialize(ASSETS, instance=instance).run_id for _ in range(KEPT_SHARDS + 2)]
        event.listen(Engine, "connect", listener)
        try:
            last = dg.materialize(ASSETS, instance=instance)
        finally:
            event.remove(Engine, "connect", listener)
        assert last.success
        kept = list(storage._engines)
        ours = {
            run_id: storage.get_records_for_run(run_id, limit=10_000).records
            for run_id in [*run_ids, last.run_id]
        }
    records = ours[last.run_id]
    # Every check stores a planned and an evaluated event; Dagster's class opened an
    # engine for each statement (and one per table check), this one the new run's shard.
    assert len(records) > 2 * CHECKS
    assert opened == [event_logs / f"{last.run_id}.db"]
    assert len(kept) <= KEPT_SHARDS
    # Dagster's own class reads the same files and finds the same events.
    plain = SqliteEventLogStorage(str(event_logs))
    try:
        for run_id, stored in ours.items():
            theirs = plain.get_records_for_run(run_id, limit=10_000).records
            assert [(r.storage_id, r.event_log_entry.dagster_event_type) for r in theirs] == [
                (r.storage_id, r.event_log_entry.dagster_event_type) for r in stored
            ]
    finally:
        plain.dispose()


def test_a_moved_home_stores_its_runs_in_its_own_folder(tmp_path: Path) -> None:
    first = Home(tmp_path / "first").ensure()
    write_dagster_yaml(first)
    moved = Home(tmp_path / "moved")
    shutil.copytree(first.root, moved.root)
    write_dagster_yaml(moved)
    assert str(first.root) not in (moved.dagster_home / "dagster.yaml").read_text("utf-8")
    with dg.DagsterInstance.from_config(str(moved.dagster_home)) as instance:
        run_id = dg.materialize([counted], instance=instance).run_id
    assert (moved.dagster_home / EVENT_LOG_FOLDER / f"{run_id}.db").is_file()
    assert not (first.dagster_home / EVENT_LOG_FOLDER / f"{run_id}.db").exists()


def test_a_moved_home_s_stale_file_is_refused_by_dagster_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dagster dev` by hand on a moved home, before any smesurvey command rewrote the
    file: one line naming the file, not runs written into the old home."""
    first = Home(tmp_path / "first").ensure()
    write_dagster_yaml(first)
    moved = Home(tmp_path / "moved")
    shutil.copytree(first.root, moved.root)
    monkeypatch.setenv("DAGSTER_HOME", str(moved.dagster_home))
    with pytest.raises(Exception, match="the home moved") as refused:
        dg.DagsterInstance.get()
    assert str(moved.dagster_home / "dagster.yaml") in str(refused.value)


def test_a_wipe_leaves_no_connection_to_a_deleted_file(tmp_path: Path) -> None:
    home = Home(tmp_path / "home").ensure()
    write_dagster_yaml(home)
    with dg.DagsterInstance.from_config(str(home.dagster_home)) as instance:
        before = dg.materialize([counted], instance=instance).run_id
        instance.event_log_storage.wipe()
        after = dg.materialize([counted], instance=instance).run_id
        assert instance.event_log_storage.get_records_for_run(before).records == []
    # the new run's events are in its file on disk, not in one unlinked under a kept connection
    plain = SqliteEventLogStorage(str(home.dagster_home / EVENT_LOG_FOLDER))
    try:
        assert plain.get_records_for_run(after).records
    finally:
        plain.dispose()
