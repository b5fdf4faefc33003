"""Running the code location in-process (the CLI's `demo` and `ingest`, and the tests).

Runs are recorded in the home's Dagster instance (`SMESURVEY_HOME/dagster`), so
`smesurvey ui` and `smesurvey status` show them afterwards.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import duckdb

from orchestration.dagster_event_log import EVENT_LOG_FOLDER
from orchestration.defs.asset_checks import RAW_DELIVERY, quality_gate
from orchestration.defs.assets.ingestion import LOADED, REASON, REFUSED
from orchestration.defs.drops import RANGE_END, RANGE_START, drop_run_target, partition_order
from orchestration.defs.partitions import WAVE, ZONE, ZoneWave, register_partitions
from orchestration.defs.progress import echoed
from orchestration.defs.resources import BUILD_DB_POOL, HOME_ENV, environment
from orchestration.pipeline import DeliveryRow, blocked_zone_waves, delivery_rows
from orchestration.settings import DBT_PROJECT_DIR, Home

if TYPE_CHECKING:
    from orchestration.demo.generator import GeneratorConfig
    from orchestration.ingest.landing import InboxDelivery, InboxRefusal, Landing

DAGSTER_YAML = """\
# Written by smesurvey. Every pool admits one step at a time: the steps that open
# the build DB (ingestion, dbt, publish) share the pool `build_db`, and DuckDB
# allows one writing process per file.
concurrency:
  pools:
    default_limit: 1
# Runs whose worker died are failed by the daemon (and by smesurvey, which also
# checks the run's process: orchestration/recovery.py); slots of ended runs are freed.
run_monitoring:
  enabled: true
  start_timeout_seconds: 300
  poll_interval_seconds: 30
  free_slots_after_run_end_seconds: 5
telemetry:
  enabled: false
# Dagster's SQLite event log keeping its connections (orchestration/dagster_event_log.py),
# in Dagster's default folder. The path is this home's: rewritten when the home moves.
event_log_storage:
  module: orchestration.dagster_event_log
  class: KeptConnectionsEventLogStorage
  config:
    base_dir: {event_log_dir}
"""
# Runs print nothing to the console: the CLI prints its one-line reason, the details
# stay in the run logs (UI).
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
CLI_LOG = "cli-runs.log"
PROGRESS_ENV = "SMESURVEY_PROGRESS"


@dataclass(frozen=True)
class RunOutcome:
    run_id: str
    success: bool
    failure: str | None  # the first failed step's one-line reason
    # rows_read / rows_accepted / rows_rejected of the raw_delivery materialization, if any
    rows: dict[str, int] = field(default_factory=dict)


def start_writing(home: Home) -> None:
    """What every writing command does first: end the runs of dead processes (even when
    it then finds nothing to do) and remove the leftovers of crashed runs.

    Publishing sweeps too; sweeping here also clears landing staging folders when
    the run fails before it publishes.
    """
    from orchestration.release import sweep_leftovers

    if (home.dagster_home / "dagster.yaml").is_file():
        with home_instance(home):  # recovers on opening
            pass
    sweep_leftovers(home)


def write_dagster_yaml(home: Home) -> Path:
    """DAGSTER_HOME under SMESURVEY_HOME, with the pool limit the build DB needs."""
    home.dagster_home.mkdir(parents=True, exist_ok=True)
    config = home.dagster_home / "dagster.yaml"
    event_log_dir = json.dumps(str((home.dagster_home / EVENT_LOG_FOLDER).resolve()))
    text = DAGSTER_YAML.format(event_log_dir=event_log_dir)
    if not config.is_file() or config.read_text(encoding="utf-8") != text:
        config.write_text(text, encoding="utf-8")
    return config


@contextmanager
def home_instance(home: Home) -> Iterator[dg.DagsterInstance]:
    """The home's persistent Dagster instance, with SMESURVEY_HOME pointing at the home.

    Runs left unfinished by a dead process are ended first (orchestration/recovery.py),
    so nothing a crash left behind can block what this command does.
    """
    from orchestration.recovery import recover

    write_dagster_yaml(home)
    with (
        environment({HOME_ENV: str(home.root), "DAGSTER_HOME": str(home.dagster_home)}),
        dg.DagsterInstance.from_config(str(home.dagster_home)) as instance,
    ):
        recover(instance)
        yield instance


def say(message: str) -> None:
    """A line for the operator on stderr (stdout goes to the CLI log while runs execute)."""
    print(f"smesurvey: {message}", file=sys.stderr, flush=True)


def progress_on_terminal() -> bool:
    """Progress lines on stderr: at a terminal, or as PROGRESS_ENV says ("1" / "0").

    Scripts and CI read stderr for the one-line failure; an operator at a terminal
    watches a long command move.
    """
    setting = os.environ.get(PROGRESS_ENV, "")
    return setting == "1" if setting in ("0", "1") else sys.stderr.isatty()


def show_progress(message: str) -> None:
    """A progress line: to stderr (see progress_on_terminal) and to the CLI log."""
    if progress_on_terminal():
        say(message)
    print(f"smesurvey: {message}", flush=True)  # stdout: the CLI log while a run executes


def cli_run(instance: dg.DagsterInstance, tags: dict[str, str] | None = None) -> dict[str, str]:
    """Wait (bounded) for the build DB pool, then the tags of a run executed in this process."""
    from orchestration.recovery import cli_run_tags, wait_for_pool

    wait_for_pool(instance, BUILD_DB_POOL, say=say)
    return {**(tags or {}), **cli_run_tags()}


def cli_log(home: Home) -> Path:
    return home.dagster_home / CLI_LOG


# Dagster's executor warns through Python logging (no handler: stderr) when a step is
# skipped after a check-carrying step was: a run whose every zone-wave is refused skips
# dbt, whose checks then "emitted no result" for publishing. Not the operator's line.
EXECUTOR_LOGGER = "dagster._core.execution.plan.active"


@contextmanager
def output_to_log(home: Home) -> Iterator[None]:
    """dbt's console lines (dagster-dbt echoes them to stdout) and the executor's warnings
    go to a log file, not the screen."""
    cli_log(home).parent.mkdir(parents=True, exist_ok=True)
    executor = logging.getLogger(EXECUTOR_LOGGER)
    with cli_log(home).open("a", encoding="utf-8") as log, redirect_stdout(log):
        handler = logging.StreamHandler(log)
        propagate, executor.propagate = executor.propagate, False
        executor.addHandler(handler)
        try:
            yield
        finally:
            executor.removeHandler(handler)
            executor.propagate = propagate


def failure_reason(result: dg.ExecuteInProcessResult) -> str | None:
    """One line: the description of the first failed step (its error's first line otherwise)."""
    for event in result.all_events:
        if not event.is_step_failure:
            continue
        data = event.step_failure_data
        if data.user_failure_data is not None and data.user_failure_data.description:
            return data.user_failure_data.description.splitlines()[0]
        if data.error is not None:
            cause = data.error.cause or data.error
            return f"{event.step_key}: {cause.message.strip().splitlines()[0]}"
    return None if result.success else "run failed (see smesurvey ui for the run log)"


ROW_COUNTS = ("rows_read", "rows_accepted", "rows_rejected")


def delivery_row_counts(result: dg.ExecuteInProcessResult) -> dict[str, int]:
    """The row counts `raw_delivery` recorded on its materialization (empty when it failed)."""
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        if materialization.asset_key == RAW_DELIVERY:
            meta = materialization.metadata
            return {name: int(meta[name].value) for name in ROW_COUNTS if name in meta}
    return {}


def _outcome(result: dg.ExecuteInProcessResult) -> RunOutcome:
    return RunOutcome(
        result.run_id, result.success, failure_reason(result), delivery_row_counts(result)
    )


@dataclass(frozen=True)
class DropOutcome:
    """One run over the zone-waves of a drop: each loaded or refused, then the build."""

    run_id: str
    zone_waves: dict[ZoneWave, RunOutcome]  # loaded (rows) or refused (the reason)
    build: RunOutcome | None  # dbt build and publish; None when no zone-wave was loaded


def zone_wave_outcomes(
    result: dg.ExecuteInProcessResult, drop: Mapping[ZoneWave, str | None]
) -> dict[ZoneWave, RunOutcome]:
    """Each zone-wave's fate, from raw_delivery's materialization, or when it loaded
    nothing (and materialized nothing), from its failed quality_gate evaluations."""
    run_id = result.run_id
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        if materialization.asset_key != RAW_DELIVERY:
            continue
        meta = materialization.metadata
        loaded = meta[LOADED].value if LOADED in meta else {}
        refused = meta[REFUSED].value if REFUSED in meta else {}
        outcomes = {}
        for zw in sorted(drop):
            if str(zw) in loaded:
                rows = {name: int(loaded[str(zw)][name]) for name in ROW_COUNTS}
                outcomes[zw] = RunOutcome(run_id, True, None, rows)
            else:
                reason = refused.get(str(zw), "no delivery for this zone-wave")
                outcomes[zw] = RunOutcome(run_id, False, reason)
        return outcomes
    # Nothing loaded: each judged zone-wave's quality_gate evaluation holds its reason
    # (the step itself failing, e.g. a zone-wave without any delivery, is the fallback).
    refused, reason = refusals(result), failure_reason(result)
    return {
        zw: RunOutcome(run_id, False, refused.get(zw, reason or "no zone-wave loaded"))
        for zw in sorted(drop)
    }


def refusals(result: dg.ExecuteInProcessResult) -> dict[ZoneWave, str]:
    """The reason of every zone-wave whose quality_gate evaluation failed in the run."""
    found: dict[ZoneWave, str] = {}
    for evaluation in result.get_asset_check_evaluations():
        if (
            evaluation.asset_key != RAW_DELIVERY
            or evaluation.check_name != quality_gate.name
            or evaluation.passed
            or evaluation.partition is None
        ):
            continue
        meta = evaluation.metadata
        text = meta[REASON].value if REASON in meta else evaluation.description
        found[ZoneWave.from_key(evaluation.partition)] = str(text or "refused")
    return found


def run_drop(
    defs: dg.Definitions, instance: dg.DagsterInstance, drop: Mapping[ZoneWave, str | None]
) -> DropOutcome:
    """The zone-waves delivered together in ONE run: load each (a refused one does not
    stop the others), then one dbt build and one publish (a release with its dashboards).

    `drop` pins the delivery each zone-wave loads (None: its newest). The run covers one
    partition, or a partition range holding the drop with the drop listed in a tag
    (orchestration/defs/drops.py). Progress lines go to stderr as the run goes.
    """
    register_partitions(instance, drop)
    partition_key, tags = drop_run_target(drop, *partition_order(instance))
    run_id = str(uuid.uuid4())  # known before the run starts, for the first line
    job = defs.resolve_job_def("ingest_zone_wave")
    run_tags = cli_run(instance, tags)
    show_progress(f"run {run_id[:8]}: {len(drop)} zone-wave(s), then dbt build and publish")
    with echoed(show_progress):
        result = job.execute_in_process(
            instance=instance,
            partition_key=partition_key,
            run_id=run_id,
            raise_on_error=False,
            tags=run_tags,
            run_config=QUIET,
        )
    zone_waves = zone_wave_outcomes(result, drop)
    loaded = any(o.success for o in zone_waves.values())
    build = RunOutcome(run_id, result.success, failure_reason(result)) if loaded else None
    return DropOutcome(run_id=run_id, zone_waves=zone_waves, build=build)


def all_partition_keys(instance: dg.DagsterInstance) -> list[str]:
    from orchestration.defs.partitions import zone_wave_partitions

    return zone_wave_partitions.get_partition_keys(dynamic_partitions_store=instance)


def run_rebuild_all(
    defs: dg.Definitions, instance: dg.DagsterInstance, keys: Sequence[str] | None = None
) -> RunOutcome:
    """One run over every zone-wave: one dbt build, then publish (a release)."""
    keys = list(keys) if keys is not None else all_partition_keys(instance)
    if not keys:
        return RunOutcome("", False, "no zone-wave partitions yet: ingest a delivery first")
    job = defs.resolve_job_def("rebuild_all")
    tags = cli_run(instance, {RANGE_START: keys[0], RANGE_END: keys[-1]})
    run_id = str(uuid.uuid4())
    show_progress(f"run {run_id[:8]}: dbt build and publish of the loaded zone-waves")
    with echoed(show_progress):
        result = job.execute_in_process(
            instance=instance, run_id=run_id, raise_on_error=False, tags=tags, run_config=QUIET
        )
    return _outcome(result)


def registered_zone_waves(instance: dg.DagsterInstance) -> tuple[list[str], list[str]]:
    """The wave and zone partition keys the instance knows."""
    return (
        sorted(instance.get_dynamic_partitions(WAVE)),
        sorted(instance.get_dynamic_partitions(ZONE)),
    )


@dataclass(frozen=True)
class DemoOutcome:
    ingestion: dict[ZoneWave, RunOutcome]  # each zone-wave of the drop run
    rebuild: RunOutcome  # the drop run's dbt build and publish
    refusals: tuple[InboxRefusal, ...] = ()  # inbox folders admission refused (never run)


def nothing_loaded(drop: DropOutcome) -> RunOutcome:
    """The build outcome of a drop whose every zone-wave was refused (nothing built)."""
    first = next((o.failure for o in drop.zone_waves.values() if o.failure), None)
    return RunOutcome(drop.run_id, False, f"no zone-wave loaded; {first or 'see the run log'}")


def run_demo(
    home: Home, config: GeneratorConfig | None = None, dbt_project_dir: Path = DBT_PROJECT_DIR
) -> DemoOutcome:
    """Generate the demo deliveries into the inbox and run them as one drop (one run)."""
    from orchestration.definitions import build_definitions
    from orchestration.demo.generator import GeneratorConfig, write_deliveries
    from orchestration.demo.zones import demo_zones
    from orchestration.ingest.admission import register_zones
    from orchestration.ingest.landing import inbox_drops

    start_writing(home)
    config = config or GeneratorConfig()
    # Beyond the reference zones the generator invents Z08-01...: known once registered.
    register_zones(home, [z.zone_id for z in demo_zones(config.zones, config.seed)])
    write_deliveries(config, home.inbox)
    deliveries, refusals = inbox_drops(home)
    with home_instance(home) as instance, output_to_log(home):
        defs = build_definitions(dbt_project_dir)
        drop = {ZoneWave(wave_id=d.wave_id, zone_id=d.zone_id): d.fingerprint for d in deliveries}
        if not drop:
            return DemoOutcome({}, run_rebuild_all(defs, instance), tuple(refusals))
        outcome = run_drop(defs, instance, drop)
        return DemoOutcome(
            ingestion=outcome.zone_waves,
            rebuild=outcome.build or nothing_loaded(outcome),
            refusals=tuple(refusals),
        )


@dataclass(frozen=True)
class InboxOutcome:
    ingestion: dict[ZoneWave, RunOutcome]  # in inbox order (zone, then wave)
    rebuild: RunOutcome | None  # None when no zone-wave was loaded
    refusals: tuple[InboxRefusal, ...] = ()  # refused at admission: no run, no partition
    # Inbox drops landed and refused by an earlier run, still in the inbox unchanged.
    refused_before: tuple[DeliveryRow, ...] = ()

    @property
    def refused(self) -> dict[ZoneWave, RunOutcome]:
        return {zw: o for zw, o in self.ingestion.items() if not o.success}


def waiting_drops(home: Home) -> tuple[list[InboxDelivery], list[InboxRefusal]]:
    """Admitted inbox drops whose content is not landed yet (what the inbox sensor would
    run), and the inbox folders admission refused."""
    waiting, refusals, _ = inbox_state(home)
    return waiting, refusals


def inbox_state(
    home: Home,
) -> tuple[list[InboxDelivery], list[InboxRefusal], list[DeliveryRow]]:
    """What waits in the inbox (not landed yet), what admission refused, and the drops
    that were landed and refused before and still lie there unchanged."""
    from orchestration.ingest.landing import inbox_drops, landed_deliveries

    landed = {la.delivery_id for la in landed_deliveries(home)}
    deliveries, refusals = inbox_drops(home)
    waiting = [d for d in deliveries if d.fingerprint not in landed]
    still_there = {d.fingerprint for d in deliveries if d.fingerprint in landed}
    return waiting, refusals, refused_deliveries_in(home, still_there)


def refused_deliveries_in(home: Home, delivery_ids: set[str]) -> list[DeliveryRow]:
    """Of these landed deliveries, the refused ones still newest for their zone-wave."""
    if not delivery_ids:
        return []
    try:
        rows = delivery_rows(home.build_db)
    except duckdb.IOException:  # a run holds the build DB: nothing to add now
        return []
    return [r for r in blocked_zone_waves(rows) if r.delivery_id in delivery_ids]


def waiting_deliveries(home: Home) -> list[InboxDelivery]:
    """Inbox drops whose content is not landed yet: what the inbox sensor would run."""
    return waiting_drops(home)[0]


def run_inbox(home: Home, dbt_project_dir: Path = DBT_PROJECT_DIR) -> InboxOutcome:
    """Every zone-wave waiting in the inbox, as one drop: ONE run loads them all (a
    refused one does not stop the others), builds once and publishes once.

    The batch form of the sensor: one process, one code-location load, one run.
    Nothing is built when none was loaded, so the published files stay as they were.

    What a crashed run left undone is finished too (orchestration/unfinished.py):
    a landed delivery never judged is ingested again, and deliveries loaded but not
    in the current release make the build and publish happen (a `rebuild_all` run
    when the drop loads nothing itself).
    """
    from orchestration.definitions import build_definitions
    from orchestration.unfinished import unfinished_work

    start_writing(home)
    waiting, refused, refused_before = inbox_state(home)
    unfinished = unfinished_work(home)
    work = {ZoneWave(wave_id=d.wave_id, zone_id=d.zone_id): d.fingerprint for d in waiting}
    for landing in unfinished.unjudged:  # a newer drop of the same zone-wave wins
        work.setdefault(
            ZoneWave(wave_id=landing.wave_id, zone_id=landing.zone_id), landing.delivery_id
        )
    if not work and not unfinished.unpublished:
        return InboxOutcome(
            ingestion={},
            rebuild=None,
            refusals=tuple(refused),
            refused_before=tuple(refused_before),
        )
    with home_instance(home) as instance, output_to_log(home):
        defs = build_definitions(dbt_project_dir)
        ingestion: dict[ZoneWave, RunOutcome] = {}
        rebuild = None
        if work:
            drop = run_drop(defs, instance, work)
            ingestion = {zw: drop.zone_waves[zw] for zw in work}
            rebuild = drop.build
        if rebuild is None and unfinished.unpublished:
            rebuild = run_rebuild_all(defs, instance)
        return InboxOutcome(
            ingestion=ingestion,
            rebuild=rebuild,
            refusals=tuple(refused),
            refused_before=tuple(
                r for r in refused_before if ZoneWave(r.wave_id, r.zone_id) not in work
            ),
        )


def run_ingest(
    home: Home,
    files: Sequence[Path],
    zone_id: str,
    wave_id: int,
    dbt_project_dir: Path = DBT_PROJECT_DIR,
    landing: Landing | None = None,
) -> RunOutcome:
    """The files as the delivery of `zone_id`/`wave_id`, run end to end (one run).

    `landing`: the files already landed (the CLI lands and parses them first).
    """
    from orchestration.definitions import build_definitions
    from orchestration.ingest.landing import land_delivery

    start_writing(home)
    # Admission runs inside land_delivery, before the instance or a partition exists.
    landing = landing or land_delivery(list(files), zone_id, wave_id, home)
    with home_instance(home) as instance, output_to_log(home):
        defs = build_definitions(dbt_project_dir)
        zone_wave = ZoneWave(wave_id=wave_id, zone_id=zone_id)
        drop = run_drop(defs, instance, {zone_wave: landing.delivery_id})
        loaded = drop.zone_waves[zone_wave]
        if drop.build is None:
            return loaded
        return RunOutcome(drop.run_id, drop.build.success, drop.build.failure, loaded.rows)
