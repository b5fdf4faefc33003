"""The home's Dagster storage read directly with sqlite3, read-only, without importing dagster.

`smesurvey status` must answer in well under two seconds, and `import dagster` alone
takes about four here. The home's instance (`SMESURVEY_HOME/dagster`, the default
SQLite storages written by `dagster.yaml` of orchestration/dagster_runs.py) keeps:

    history/runs.db             runs (job, status, times) and run_tags
    history/runs/index.db       the cross-run index: asset check executions, pool
                                limits and the slots claimed in each pool
    history/runs/<run_id>.db    one shard per run: its event log (failures, engine events)

Only the columns read here are relied upon. tests/unit/test_dagster_storage.py executes
real runs through the Dagster API and compares everything this module returns with
what `DagsterInstance` reports, so a Dagster upgrade that changes the schema fails the
test suite, not an operator's `status`. Nothing here writes: dead runs are only
judged (orchestration/processes.py), and ended by the next writing command
(orchestration/recovery.py), which also frees their slots.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestration.processes import process_alive

# The same strings as orchestration/recovery.py (which imports dagster); a test keeps
# them equal.
PID_TAG = "smesurvey/pid"
CRASHED_TAG = "smesurvey/crashed"
PARTITION_TAG = "dagster/partition"
PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
# DagsterRunStatus values of a run not finished yet (recovery.UNFINISHED).
UNFINISHED = ("NOT_STARTED", "STARTING", "STARTED", "CANCELING")
FAILURE = "FAILURE"
# Event types as stored (DagsterEventType values): RUN_FAILURE is stored under its old name.
STEP_FAILURE, RUN_FAILURE, ENGINE_EVENT = "STEP_FAILURE", "PIPELINE_FAILURE", "ENGINE_EVENT"
CHECK_EVALUATION = "ASSET_CHECK_EVALUATION"
QUALITY_GATE = "quality_gate"  # orchestration/defs/asset_checks.py; a test keeps them equal
ENGINE_EVENTS_SCANNED = 20  # as recovery.ENGINE_EVENTS_SCANNED
# Executions whose check was evaluated (AssetCheckExecutionRecordStatus); PLANNED ones
# never produced a result.
EVALUATED = {"SUCCEEDED": True, "FAILED": False}
BUSY_TIMEOUT_SECONDS = 5.0


class StorageError(RuntimeError):
    """The Dagster storage is not what this module reads: one line naming the file."""


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    job_name: str
    status: str  # DagsterRunStatus value
    tags: dict[str, str]
    created: float  # epoch seconds (the run record's create_timestamp)
    start_time: float | None

    @property
    def finished(self) -> bool:
        return self.status not in UNFINISHED


@dataclass(frozen=True)
class Owner:
    """The process executing a run and a time by which it existed (recovery.run_process)."""

    pid: int
    existed_by: float


@dataclass(frozen=True)
class SlotInfo:
    pool: str
    run_id: str
    step_key: str


@dataclass(frozen=True, order=True)
class CheckResult:
    asset: str  # AssetKey.to_user_string()
    check: str
    passed: bool
    partition: str | None = None
    # The zone-waves a failed evaluation names (the gate's `refused` metadata).
    zone_waves: tuple[str, ...] = ()


def _naive_utc(value: str | None) -> float:
    """A SQLite DATETIME (naive UTC, as Dagster stores it) as epoch seconds."""
    if not value:
        return 0.0
    return datetime.fromisoformat(value).replace(tzinfo=UTC).timestamp()


class DagsterStorage:
    """Read-only queries on the SQLite storages under one DAGSTER_HOME."""

    def __init__(self, dagster_home: Path) -> None:
        self.root = dagster_home
        self.runs_db = dagster_home / "history" / "runs.db"
        self.shards = dagster_home / "history" / "runs"
        self.index_db = self.shards / "index.db"

    def exists(self) -> bool:
        return self.runs_db.is_file()

    @contextmanager
    def _read(self, path: Path) -> Iterator[sqlite3.Connection]:
        # mode=ro: never creates or migrates a file; a missing shard is an error to catch.
        uri = f"{path.resolve().as_uri()}?mode=ro"
        try:
            with closing(sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_SECONDS)) as con:
                yield con
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"{path}: cannot read Dagster's storage ({exc})") from exc

    def _runs(self, where: str, params: Sequence[object], limit: int | None) -> list[RunInfo]:
        # Tags from the run's body (the serialized DagsterRun): the run_tags table also
        # holds Dagster's hidden index tags (`.dagster/pool/...`) that a run's tags lack.
        query = (
            "select run_id, pipeline_name, status, create_timestamp, start_time, run_body "
            f"from runs {where} order by id desc"
        )
        if limit is not None:
            query += f" limit {int(limit)}"
        with self._read(self.runs_db) as con:
            rows = con.execute(query, params).fetchall()
        return [
            RunInfo(
                run_id=run_id,
                job_name=job,
                status=status,
                tags=dict(json.loads(body).get("tags") or {}),
                created=_naive_utc(created),
                start_time=start,
            )
            for run_id, job, status, created, start, body in rows
        ]

    def recent_runs(self, limit: int) -> list[RunInfo]:
        """The newest runs first (DagsterInstance.get_run_records(limit=...))."""
        return self._runs("", (), limit)

    def unfinished_runs(self) -> list[RunInfo]:
        marks = ",".join("?" * len(UNFINISHED))
        return self._runs(f"where status in ({marks})", UNFINISHED, None)

    def runs_by_id(self, run_ids: Sequence[str]) -> dict[str, RunInfo]:
        ids = sorted(set(run_ids))
        if not ids:
            return {}
        runs = self._runs(f"where run_id in ({','.join('?' * len(ids))})", ids, None)
        return {r.run_id: r for r in runs}

    def _events(self, run_id: str, types: Sequence[str], limit: int | None = None) -> list[dict]:
        """The run's events of `types`, oldest first (get_records_for_run's order)."""
        shard = self.shards / f"{run_id}.db"
        if not shard.is_file():
            return []
        query = (
            f"select event from event_logs where dagster_event_type in "
            f"({','.join('?' * len(types))}) order by id"
        )
        if limit is not None:
            query += f" limit {int(limit)}"
        with self._read(shard) as con:
            return [json.loads(row[0]) for row in con.execute(query, list(types))]

    def owner(self, run: RunInfo) -> Owner | None:
        """The process executing `run`, as recovery.run_process finds it."""
        pid = run.tags.get(PID_TAG, "")
        if pid.isdigit():
            return Owner(int(pid), run.created)
        for entry in self._events(run.run_id, [ENGINE_EVENT], ENGINE_EVENTS_SCANNED):
            data = (entry.get("dagster_event") or {}).get("event_specific_data") or {}
            value = _metadata(data).get("pid")
            if value is not None and str(value).isdigit():
                return Owner(int(value), float(entry.get("timestamp") or 0.0))
        return None

    def is_dead(self, run: RunInfo) -> Owner | None:
        """The dead owner of an unfinished run (one recovery would end), else None."""
        if run.finished:
            return None
        owner = self.owner(run)
        if owner is None or process_alive(owner.pid, owner.existed_by):
            return None
        return owner

    def failure_reason(self, run: RunInfo) -> str:
        """A failed run's one-line reason: its first step failure, else the run failure."""
        if run.status != FAILURE:
            return ""
        for entry in self._events(run.run_id, [STEP_FAILURE, RUN_FAILURE]):
            event = entry.get("dagster_event") or {}
            data = event.get("event_specific_data") or {}
            user = data.get("user_failure_data") or {}
            # A step's exception comes wrapped (DagsterExecutionStepExecutionError: Error
            # occurred while executing op ...): its cause is the operator's problem.
            error = data.get("error") or {}
            error = error.get("cause") or error
            text = user.get("description") or error.get("message") or event.get("message") or ""
            if text.strip():
                return text.strip().splitlines()[0]
        return ""

    def gate_verdicts(self, run: RunInfo) -> dict[str, str | None]:
        """The run's quality_gate results by partition: None when passed, else the reason.

        A refused delivery is a failed check, not a failed run: this is where a run's
        refusals are (the evaluations' `partition`, `success` and `description`)."""
        verdicts: dict[str, str | None] = {}
        for entry in self._events(run.run_id, [CHECK_EVALUATION]):
            data = (entry.get("dagster_event") or {}).get("event_specific_data") or {}
            partition = data.get("partition")
            if data.get("check_name") != QUALITY_GATE or not partition:
                continue
            reason = (data.get("description") or "refused").strip().splitlines()[0]
            verdicts[partition] = None if data.get("success") else reason
        return verdicts

    def slots(self) -> list[SlotInfo]:
        """Claimed slots of every pool with a limit (get_concurrency_infos' claimed_slots)."""
        if not self.index_db.is_file():
            return []
        with self._read(self.index_db) as con:
            rows = con.execute(
                "select s.concurrency_key, s.run_id, s.step_key from concurrency_slots s "
                "join concurrency_limits l on l.concurrency_key = s.concurrency_key "
                "where s.run_id is not null order by l.id, s.id"
            ).fetchall()
        return [SlotInfo(pool, run_id, step_key) for pool, run_id, step_key in rows]

    def check_results(self) -> list[CheckResult]:
        """The newest evaluation of every asset check and partition, sorted by asset and check.

        A partitioned check (raw_delivery's, one result per zone-wave) keeps one result per
        partition: a zone-wave's failure stays until a later evaluation of that same
        zone-wave passes, whatever passed elsewhere since. An unpartitioned result of a
        check that is partitioned now (written before it was) counts until the check's
        first partitioned result.
        """
        if not self.index_db.is_file():
            return []
        with self._read(self.index_db) as con:
            rows = con.execute(
                "select asset_key, check_name, execution_status, evaluation_event_storage_id, "
                "partition, evaluation_event "
                "from asset_check_executions where execution_status in (?, ?)",
                list(EVALUATED),
            ).fetchall()
        newest: dict[tuple[str, str, str | None], tuple[int, bool, str | None]] = {}
        for asset_key, check, status, storage_id, partition, event in rows:
            key = ("/".join(json.loads(asset_key)), check, partition)
            if key not in newest or (storage_id or 0) > newest[key][0]:
                newest[key] = (storage_id or 0, EVALUATED[status], event)
        partitioned: dict[tuple[str, str], int] = {}
        for (asset, check, partition), (storage_id, _, _) in newest.items():
            if partition is not None:
                partitioned[asset, check] = max(storage_id, partitioned.get((asset, check), 0))
        return sorted(
            CheckResult(a, c, passed, partition, () if passed else _refused_zone_waves(event))
            for (a, c, partition), (storage_id, passed, event) in newest.items()
            if partition is not None or storage_id > partitioned.get((a, c), 0)
        )


def _refused_zone_waves(event: str | None) -> tuple[str, ...]:
    """The keys of an evaluation's `refused` metadata ({"SH-01/2024": reason}), if any."""
    if not event:
        return ()
    try:
        data = json.loads(event)["dagster_event"]["event_specific_data"]
        refused = (data.get("metadata") or {}).get("refused") or {}
    except (ValueError, KeyError, TypeError, AttributeError):
        return ()
    found = refused.get("data") if isinstance(refused, dict) else None
    return tuple(sorted(found)) if isinstance(found, dict) else ()


def _metadata(data: dict[str, Any]) -> dict[str, object]:
    """EngineEventData's metadata as label -> value, in the form Dagster serializes it
    (a list of EventMetadataEntry under `metadata_entries`) or as a plain mapping."""
    found: dict[str, object] = {}
    for entry in data.get("metadata_entries") or []:
        payload = entry.get("entry_data") or {}
        value = next((payload[k] for k in ("text", "value", "int_value") if k in payload), None)
        found[entry.get("label", "")] = value
    for label, payload in (data.get("metadata") or {}).items():
        found[label] = payload.get("value") if isinstance(payload, dict) else payload
    return found
