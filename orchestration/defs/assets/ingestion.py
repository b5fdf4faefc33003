"""`raw_delivery`: land, parse and load zone-waves into the build DB's raw schema."""

import os
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

import dagster as dg

from orchestration.dbt_state import parse_beside
from orchestration.defs.asset_checks import (
    delivery_refused_result,
    for_zone_wave,
    quality_gate,
    quality_gate_result,
    rows_accounted_for,
    rows_accounted_for_result,
)
from orchestration.defs.drops import DELIVERY_TAG, DROP_TAG, drop_of_run
from orchestration.defs.partitions import ZoneWave, zone_wave_partitions
from orchestration.defs.progress import progress, seconds
from orchestration.defs.resources import BUILD_DB_POOL, SurveyHome, dbt_target_now
from orchestration.settings import Home

if TYPE_CHECKING:
    from orchestration.pipeline import Ingested, IngestError

__all__ = ["DELIVERY_TAG", "DROP_TAG", "LOADED", "REFUSED", "raw_delivery"]

# Metadata of the materialization of a run that loaded any zone-wave: what the CLI
# reports per zone-wave. A run that loaded none materializes nothing: its zone-waves'
# reasons are their quality_gate evaluations (metadata REASON, partition = zone-wave).
LOADED = "loaded"  # {"SH-01/2021": {"delivery_id", "rows_read", "rows_accepted", "rows_rejected"}}
REFUSED = "refused"  # {"SH-01/2021": "<one-line reason>"}
REASON = "reason"

Events = Iterator[dg.MaterializeResult | dg.Output]


@dg.asset(
    partitions_def=zone_wave_partitions,
    # The dbt assets' policy. Dagster puts a child in its parent's run only when their
    # backfill policies match: with one run per zone-wave here, a backfill of raw_delivery
    # and everything downstream became a `dbt build` per zone-wave and model layer (15 runs
    # for 4 zone-waves, each rebuilding every table). Now: one run loads the zone-waves and
    # builds once, one run publishes.
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=BUILD_DB_POOL,
    group_name="ingestion",
    kinds={"python", "duckdb"},
    check_specs=[quality_gate, rows_accounted_for],
    # A run whose every zone-wave is refused materializes nothing, so the steps after it
    # are skipped (not failed): see load_drop.
    output_required=False,
    description="Questionnaires and zone register of each zone-wave in the build DB's raw "
    "schema (replaced as a whole), from the delivery landed in `landing/<zone>/<wave>/`.",
)
def raw_delivery(context: dg.AssetExecutionContext, survey: SurveyHome) -> Events:
    drop = drop_of_run(context.run.tags, context.partition_keys)
    yield from load_drop(
        context, survey.paths, drop, len(context.partition_keys), lambda: start_first_parse(survey)
    )


def start_first_parse(survey: SurveyHome) -> None:
    """A new home's first dbt parse, beside the loads (orchestration/dbt_state.py): called
    once the gate has passed a zone-wave, so a build will follow and use it."""
    try:
        env, target = {**os.environ, **survey.dbt_env()}, dbt_target_now()
    except ValueError:  # a bad key (PseudonymKeyError) or target: the build says so
        return
    parse_beside(survey.paths.dbt_runs, target, env)


def load_drop(
    context: dg.AssetExecutionContext,
    home: Home,
    drop: Mapping[ZoneWave, str | None],
    partitions: int,
    before_load: Callable[[], None] | None = None,
) -> Events:
    """Load the drop's zone-waves, each all or nothing on its own (`before_load`: see
    `pipeline.ingest_zone_waves`).

    Each zone-wave judged gets its own `quality_gate` evaluation on its partition (and,
    when loaded, its own `rows_accounted_for`): a refused one fails its check with the
    one-line reason, severity WARN when others of the run loaded (dbt and publish go on
    with them), ERROR when none did. When none did, nothing is materialized: the run's
    later steps are skipped and the published release stays as it was. Either way a
    refusal is a failed check, not a step failure (no stack trace, no failed
    dependencies; the run succeeds). Zone-waves without any delivery are holes of the
    wave x zone grid in a backfill (a zone that joined later) and are skipped.
    """
    from orchestration.pipeline import Work, ingest_zone_waves

    started = time.perf_counter()
    present = {zw: d for zw, d in drop.items() if d is not None or has_delivery(home, zw)}
    holes = [str(zw) for zw in sorted(drop) if zw not in present]
    if not present:
        raise dg.Failure(description=f"none of the {len(drop)} zone-waves has a delivery")
    if holes:
        progress(context.log, f"no delivery, skipped: {', '.join(holes)}")
    work = [Work(zw.zone_id, zw.wave_id, d) for zw, d in sorted(present.items())]
    outcomes = ingest_zone_waves(
        home, work, say=lambda line: progress(context.log, line), before_load=before_load
    )
    loaded: dict[ZoneWave, Ingested] = {}
    refused: dict[ZoneWave, IngestError] = {}
    for item, outcome in outcomes.items():
        zone_wave = ZoneWave(wave_id=item.wave_id, zone_id=item.zone_id)
        if isinstance(outcome, Exception):
            refused[zone_wave] = outcome
        else:
            loaded[zone_wave] = outcome
    progress(
        context.log,
        f"raw {len(loaded)} of {len(work)} zone-wave(s) loaded, {len(refused)} refused "
        f"{seconds(started)}",
    )
    if loaded:
        metadata = materialization_metadata(loaded, refused, holes)
        # The run's partition range may hold zone-waves the drop did not send: Dagster
        # records the materialization on all of them, their rows are untouched.
        metadata["not_in_drop"] = partitions - len(drop)
        yield dg.MaterializeResult(metadata=metadata)
    # A refusal stops the run's later steps only when nothing was loaded, so its check
    # is an ERROR then; otherwise the others go on and it is a WARN.
    refusal = dg.AssetCheckSeverity.WARN if loaded else dg.AssetCheckSeverity.ERROR
    failed_rows: list[str] = []
    for zone_wave in sorted([*loaded, *refused]):
        if zone_wave in loaded:
            ingested = loaded[zone_wave]
            context.log_event(for_zone_wave(quality_gate_result(ingested.gate), zone_wave))
            rows = ingested.result
            check = rows_accounted_for_result(
                rows.rows_read, rows.rows_accepted, rows.rows_rejected
            )
            context.log_event(for_zone_wave(check, zone_wave))
            if not check.passed:
                failed_rows.append(str(zone_wave))
        else:
            exc = refused[zone_wave]
            gate = getattr(exc, "gate", None)  # None: a file-level refusal
            result = quality_gate_result(gate) if gate is not None else None
            result = result or delivery_refused_result(str(exc))
            context.log_event(for_zone_wave(result, zone_wave, severity=refusal))
    # Every check of the step has an output (Dagster's AssetCheckResult yields it): the
    # evaluations above carry the results, per partition.
    for spec in (quality_gate, rows_accounted_for):
        yield dg.Output(
            None, output_name=context.assets_def.get_output_name_for_asset_check_key(spec.key)
        )
    if failed_rows:
        # Rows lost between reading and loading: a defect, not a refused delivery.
        raise dg.Failure(
            description=f"rows_accounted_for failed: {', '.join(failed_rows)}",
            allow_retries=False,
        )


def materialization_metadata(
    loaded: Mapping[ZoneWave, "Ingested"],
    refused: Mapping[ZoneWave, "IngestError"],
    holes: list[str],
) -> "dict[str, dg.RawMetadataValue]":
    """Row totals and each zone-wave's fate (LOADED, REFUSED), what the CLI reports."""
    results = {str(zw): ingested.result for zw, ingested in loaded.items()}
    metadata: dict[str, dg.RawMetadataValue] = {
        "zone_waves": len(results),
        "rows_read": sum(r.rows_read for r in results.values()),
        "rows_accepted": sum(r.rows_accepted for r in results.values()),
        "rows_rejected": sum(r.rows_rejected for r in results.values()),
        LOADED: dg.MetadataValue.json(
            {
                zw: {
                    "delivery_id": r.delivery_id,
                    "rows_read": r.rows_read,
                    "rows_accepted": r.rows_accepted,
                    "rows_rejected": r.rows_rejected,
                }
                for zw, r in sorted(results.items())
            }
        ),
        REFUSED: dg.MetadataValue.json({str(zw): str(exc) for zw, exc in sorted(refused.items())}),
        "without_delivery": dg.MetadataValue.json(holes),
    }
    if len(loaded) == 1 and not refused:
        [ingested] = loaded.values()
        metadata.update(
            {
                "delivery_id": ingested.result.delivery_id,
                "landing_path": dg.MetadataValue.path(str(ingested.landing.path)),
                "instrument_version": ingested.landing.instrument_version or "",
                "replaced_previous": ingested.result.replaced_previous,
            }
        )
    return metadata


def has_delivery(home: Home, zone_wave: ZoneWave) -> bool:
    """A delivery is waiting in the inbox or archived in landing/ for this zone-wave."""
    from orchestration.ingest.landing import landed_deliveries

    inbox = home.inbox / zone_wave.zone_id / str(zone_wave.wave_id)
    dropped = inbox.is_dir() and any(
        p.is_file() and not p.name.startswith(".") for p in inbox.iterdir()
    )
    return dropped or bool(landed_deliveries(home, zone_wave.zone_id, zone_wave.wave_id))
