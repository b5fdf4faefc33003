"""`raw_delivery`: land, parse and load zone-waves into the build DB's raw schema."""

import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

import dagster as dg

from orchestration.defs.checks import (
    RAW_DELIVERY,
    data_docs_metadata,
    delivery_refused_result,
    quality_gate,
    quality_gate_result,
    rows_accounted_for,
    rows_accounted_for_result,
)
from orchestration.defs.drops import DELIVERY_TAG, DROP_TAG, drop_of_run
from orchestration.defs.partitions import ZoneWave, zone_wave_partitions
from orchestration.defs.progress import progress, seconds
from orchestration.defs.resources import BUILD_DB_POOL, SurveyHome
from orchestration.settings import Home

if TYPE_CHECKING:
    from orchestration.pipeline import Ingested, IngestError

__all__ = ["DELIVERY_TAG", "DROP_TAG", "LOADED", "REFUSED", "raw_delivery"]

# Metadata of a run of several zone-waves (on the materialization; REFUSED also on the
# failure when none was loaded): what the CLI reports per zone-wave.
LOADED = "loaded"  # {"SH-01/2021": {"delivery_id", "rows_read", "rows_accepted", "rows_rejected"}}
REFUSED = "refused"  # {"SH-01/2021": "<one-line reason>"}

Events = Iterator[dg.MaterializeResult | dg.AssetCheckResult]


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
    description="Questionnaires and zone register of each zone-wave in the build DB's raw "
    "schema (replaced as a whole), from the delivery landed in `landing/<zone>/<wave>/`.",
)
def raw_delivery(context: dg.AssetExecutionContext, survey: SurveyHome) -> Events:
    drop = drop_of_run(context.run.tags, context.partition_keys)
    yield from load_drop(context, survey.paths, drop, len(context.partition_keys))


def load_drop(
    context: dg.AssetExecutionContext,
    home: Home,
    drop: Mapping[ZoneWave, str | None],
    partitions: int,
) -> Events:
    """Load the drop's zone-waves, each all or nothing on its own.

    A refused zone-wave (recorded as blocked) does not stop the others: the step
    succeeds when any was loaded, so dbt and publish run on them, and the quality gate
    check fails with severity WARN naming the refused ones (ERROR would stop the run's
    downstream steps, which Dagster does for a failed blocking check). When none was
    loaded the check fails with ERROR and the step fails: nothing downstream runs, the
    published release stays as it was. Zone-waves without any delivery are holes of
    the wave x zone grid in a backfill (a zone that joined later) and are skipped.
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
    outcomes = ingest_zone_waves(home, work, say=lambda line: progress(context.log, line))
    loaded: dict[str, Ingested] = {}
    refused: dict[str, IngestError] = {}
    for item, outcome in outcomes.items():
        if isinstance(outcome, Exception):
            refused[str(item)] = outcome
        else:
            loaded[str(item)] = outcome
    progress(
        context.log,
        f"raw {len(loaded)} of {len(work)} zone-wave(s) loaded, {len(refused)} refused "
        f"{seconds(started)}",
    )
    reasons = {zw: str(exc) for zw, exc in sorted(refused.items())}
    if len(work) == 1 and refused:
        # One zone-wave: the check carries the gate's full findings (or the file's problem).
        [exc] = refused.values()
        gate = getattr(exc, "gate", None)
        yield quality_gate_result(gate) if gate is not None else delivery_refused_result(str(exc))
        raise dg.Failure(description=str(exc), allow_retries=False)
    if not loaded:
        yield gate_summary(loaded, refused, severity=dg.AssetCheckSeverity.ERROR)
        first = min(reasons)
        raise dg.Failure(
            description=f"{len(refused)} of {len(work)} zone-waves refused; "
            f"{first}: {reasons[first]}",
            metadata={REFUSED: dg.MetadataValue.json(reasons)},
            allow_retries=False,
        )
    results = {zw: ingested.result for zw, ingested in loaded.items()}
    read = sum(r.rows_read for r in results.values())
    accepted = sum(r.rows_accepted for r in results.values())
    rejected = sum(r.rows_rejected for r in results.values())
    metadata: dict[str, dg.RawMetadataValue] = {
        "zone_waves": len(results),
        "rows_read": read,
        "rows_accepted": accepted,
        "rows_rejected": rejected,
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
        REFUSED: dg.MetadataValue.json(reasons),
        "without_delivery": dg.MetadataValue.json(holes),
        # The run's partition range may hold zone-waves the drop did not send: Dagster
        # records the materialization on all of them, their rows are untouched.
        "not_in_drop": partitions - len(drop),
    }
    if len(work) == 1:
        [ingested] = loaded.values()
        metadata.update(
            {
                "delivery_id": ingested.result.delivery_id,
                "landing_path": dg.MetadataValue.path(str(ingested.landing.path)),
                "instrument_version": ingested.landing.instrument_version or "",
                "replaced_previous": ingested.result.replaced_previous,
            }
        )
        gate_check = quality_gate_result(ingested.gate)
    else:
        gate_check = gate_summary(loaded, refused, severity=dg.AssetCheckSeverity.WARN)
    yield dg.MaterializeResult(
        metadata=metadata,
        check_results=[
            gate_check,
            rows_accounted_for_result(
                read,
                accepted,
                rejected,
                zone_waves_without_rows=[
                    zw for zw, r in sorted(results.items()) if r.rows_accepted == 0
                ],
            ),
        ],
    )


def gate_summary(
    loaded: Mapping[str, "Ingested"],
    refused: Mapping[str, "IngestError"],
    severity: dg.AssetCheckSeverity,
) -> dg.AssetCheckResult:
    """One verdict for the zone-waves of a run (a check has one result per step): passed
    when none was refused; else failed, the refused ones first with their reasons."""
    by_zone_wave: dict[str, dict[str, str | int | bool]] = {}
    rows_read = rows_rejected = 0
    for zw, ingested in loaded.items():
        gate = ingested.gate
        by_zone_wave[zw] = {
            "passed": True,
            "reason": gate.reason,
            "rows_read": gate.rows_read,
            "rows_rejected": gate.rows_rejected,
        }
        rows_read, rows_rejected = rows_read + gate.rows_read, rows_rejected + gate.rows_rejected
    for zw, exc in refused.items():
        refusing_gate = getattr(exc, "gate", None)  # None: a file-level refusal
        read = refusing_gate.rows_read if refusing_gate is not None else 0
        by_zone_wave[zw] = {
            "passed": False,
            "reason": str(exc),
            "rows_read": read,
            "rows_rejected": read,  # a refused delivery loads nothing
            "level": "gate" if refusing_gate is not None else "file",
        }
        rows_read, rows_rejected = rows_read + read, rows_rejected + read
    failed = sorted(refused)
    total = len(by_zone_wave)
    # One page per run and instrument version, shared by its zone-waves.
    gates = [i.gate for i in loaded.values()]
    gates += [g for g in (getattr(exc, "gate", None) for exc in refused.values()) if g is not None]
    pages = [
        page for gate in gates for suite in gate.suite_results for page in suite.data_docs_pages
    ]
    description = (
        f"{len(failed)} of {total} zone-waves refused: "
        + "; ".join(f"{zw}: {refused[zw]}" for zw in failed[:3])
        if failed
        else f"all {total} zone-waves passed"
    )
    return dg.AssetCheckResult(
        check_name=quality_gate.name,
        asset_key=RAW_DELIVERY,
        passed=not failed,
        severity=severity,
        description=description,
        metadata={
            "zone_waves": total,
            "failed": dg.MetadataValue.json(failed),
            "rows_read": rows_read,
            "rows_rejected": rows_rejected,
            "by_zone_wave": dg.MetadataValue.json(dict(sorted(by_zone_wave.items()))),
            **data_docs_metadata(pages),
        },
    )


def has_delivery(home: Home, zone_wave: ZoneWave) -> bool:
    """A delivery is waiting in the inbox or archived in landing/ for this zone-wave."""
    from orchestration.ingest.landing import landed_deliveries

    inbox = home.inbox / zone_wave.zone_id / str(zone_wave.wave_id)
    dropped = inbox.is_dir() and any(
        p.is_file() and not p.name.startswith(".") for p in inbox.iterdir()
    )
    return dropped or bool(landed_deliveries(home, zone_wave.zone_id, zone_wave.wave_id))
