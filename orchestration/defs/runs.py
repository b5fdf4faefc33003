"""Running the code location in-process (the CLI's `demo` and `ingest`, and the tests).

Runs are recorded in the home's Dagster instance (`SMESURVEY_HOME/dagster`), so
`smesurvey ui` and `smesurvey status` show them afterwards.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from orchestration.defs.assets.ingestion import DELIVERY_TAG
from orchestration.defs.checks import RAW_DELIVERY
from orchestration.defs.partitions import WAVE, ZONE, ZoneWave, register_partitions
from orchestration.defs.resources import BUILD_DB_POOL, HOME_ENV, environment
from orchestration.settings import DBT_PROJECT_DIR, Home

if TYPE_CHECKING:
    from orchestration.demo.generator import GeneratorConfig
    from orchestration.ingest.landing import InboxDelivery, InboxRefusal

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
"""
# Runs print nothing to the console: the CLI prints its one-line reason, the details
# stay in the run logs (UI).
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
CLI_LOG = "cli-runs.log"
PARTITION_RANGE_START = "dagster/asset_partition_range_start"
PARTITION_RANGE_END = "dagster/asset_partition_range_end"


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
    if not config.is_file() or config.read_text(encoding="utf-8") != DAGSTER_YAML:
        config.write_text(DAGSTER_YAML, encoding="utf-8")
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
    """A progress line for the operator (stdout goes to the CLI log while runs execute)."""
    print(f"smesurvey: {message}", file=sys.stderr, flush=True)


def cli_run(instance: dg.DagsterInstance, tags: dict[str, str] | None = None) -> dict[str, str]:
    """Wait (bounded) for the build DB pool, then the tags of a run executed in this process."""
    from orchestration.recovery import cli_run_tags, wait_for_pool

    wait_for_pool(instance, BUILD_DB_POOL, say=say)
    return {**(tags or {}), **cli_run_tags()}


def cli_log(home: Home) -> Path:
    return home.dagster_home / CLI_LOG


@contextmanager
def output_to_log(home: Home) -> Iterator[None]:
    """dbt's console lines (dagster-dbt echoes them to stdout) go to a log file, not the screen."""
    cli_log(home).parent.mkdir(parents=True, exist_ok=True)
    with cli_log(home).open("a", encoding="utf-8") as log, redirect_stdout(log):
        yield


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


def run_zone_wave(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    zone_wave: ZoneWave,
    delivery_id: str | None = None,
    ingestion_only: bool = False,
) -> RunOutcome:
    """One zone-wave end to end (or its ingestion step only), in this process."""
    register_partitions(instance, [zone_wave])
    job = defs.resolve_job_def("ingest_zone_wave")
    result = job.execute_in_process(
        instance=instance,
        partition_key=zone_wave.key,
        raise_on_error=False,
        asset_selection=[RAW_DELIVERY] if ingestion_only else None,
        tags=cli_run(instance, {DELIVERY_TAG: delivery_id} if delivery_id else None),
        run_config=QUIET,
    )
    return _outcome(result)


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
    result = job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        tags=cli_run(instance, {PARTITION_RANGE_START: keys[0], PARTITION_RANGE_END: keys[-1]}),
        run_config=QUIET,
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
    ingestion: dict[ZoneWave, RunOutcome]
    rebuild: RunOutcome
    refusals: tuple[InboxRefusal, ...] = ()  # inbox folders admission refused (never run)


def run_demo(
    home: Home, config: GeneratorConfig | None = None, dbt_project_dir: Path = DBT_PROJECT_DIR
) -> DemoOutcome:
    """Generate the demo deliveries into the inbox, ingest every zone-wave, then one rebuild."""
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
        zone_waves = [ZoneWave(wave_id=d.wave_id, zone_id=d.zone_id) for d in deliveries]
        register_partitions(instance, zone_waves)
        ingestion = {
            zw: run_zone_wave(defs, instance, zw, d.fingerprint, ingestion_only=True)
            for zw, d in zip(zone_waves, deliveries, strict=True)
        }
        rebuild = run_rebuild_all(defs, instance)
        return DemoOutcome(ingestion=ingestion, rebuild=rebuild, refusals=tuple(refusals))


@dataclass(frozen=True)
class InboxOutcome:
    ingestion: dict[ZoneWave, RunOutcome]  # in inbox order (zone, then wave)
    rebuild: RunOutcome | None  # None when no zone-wave was loaded
    refusals: tuple[InboxRefusal, ...] = ()  # refused at admission: no run, no partition

    @property
    def refused(self) -> dict[ZoneWave, RunOutcome]:
        return {zw: o for zw, o in self.ingestion.items() if not o.success}


def waiting_drops(home: Home) -> tuple[list[InboxDelivery], list[InboxRefusal]]:
    """Admitted inbox drops whose content is not landed yet (what the inbox sensor would
    run), and the inbox folders admission refused."""
    from orchestration.ingest.landing import inbox_drops, landed_deliveries

    landed = {la.delivery_id for la in landed_deliveries(home)}
    deliveries, refusals = inbox_drops(home)
    return [d for d in deliveries if d.fingerprint not in landed], refusals


def waiting_deliveries(home: Home) -> list[InboxDelivery]:
    """Inbox drops whose content is not landed yet: what the inbox sensor would run."""
    return waiting_drops(home)[0]


def run_inbox(home: Home, dbt_project_dir: Path = DBT_PROJECT_DIR) -> InboxOutcome:
    """Every zone-wave waiting in the inbox in its own ingestion run, then one rebuild.

    The batch form of the sensor: one process, one code-location load, one dbt
    build (and publish) for all loaded zone-waves instead of one per
    zone-wave. A refused zone-wave does not stop the others; nothing is rebuilt
    when none was loaded, so the published files stay as they were.

    What a crashed run left undone is finished too (orchestration/unfinished.py):
    a landed delivery never judged is ingested again, and deliveries loaded but not
    in the current release make the rebuild and publish happen.
    """
    from orchestration.definitions import build_definitions
    from orchestration.unfinished import unfinished_work

    start_writing(home)
    waiting, refused = waiting_drops(home)
    unfinished = unfinished_work(home)
    work = {ZoneWave(wave_id=d.wave_id, zone_id=d.zone_id): d.fingerprint for d in waiting}
    for landing in unfinished.unjudged:  # a newer drop of the same zone-wave wins
        work.setdefault(
            ZoneWave(wave_id=landing.wave_id, zone_id=landing.zone_id), landing.delivery_id
        )
    if not work and not unfinished.unpublished:
        return InboxOutcome(ingestion={}, rebuild=None, refusals=tuple(refused))
    with home_instance(home) as instance, output_to_log(home):
        defs = build_definitions(dbt_project_dir)
        register_partitions(instance, work)
        ingestion = {
            zw: run_zone_wave(defs, instance, zw, delivery_id, ingestion_only=True)
            for zw, delivery_id in work.items()
        }
        loaded = any(o.success for o in ingestion.values()) or bool(unfinished.unpublished)
        rebuild = run_rebuild_all(defs, instance) if loaded else None
        return InboxOutcome(ingestion=ingestion, rebuild=rebuild, refusals=tuple(refused))


def run_ingest(
    home: Home,
    files: Sequence[Path],
    zone_id: str,
    wave_id: int,
    dbt_project_dir: Path = DBT_PROJECT_DIR,
) -> RunOutcome:
    """Land the files as a delivery of `zone_id`/`wave_id` and run that zone-wave end to end."""
    from orchestration.definitions import build_definitions
    from orchestration.ingest.landing import land_delivery

    start_writing(home)
    # Admission runs inside land_delivery, before the instance or a partition exists.
    landing = land_delivery(list(files), zone_id, wave_id, home)
    with home_instance(home) as instance, output_to_log(home):
        defs = build_definitions(dbt_project_dir)
        zone_wave = ZoneWave(wave_id=wave_id, zone_id=zone_id)
        return run_zone_wave(defs, instance, zone_wave, landing.delivery_id)
