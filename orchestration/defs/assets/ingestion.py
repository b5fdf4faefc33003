"""`raw_delivery`: land, parse and load zone-waves into the build DB's raw schema."""

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import dagster as dg

from orchestration.defs.checks import (
    delivery_refused_result,
    quality_gate,
    quality_gate_result,
    quality_gate_summary,
    rows_accounted_for,
    rows_accounted_for_result,
)
from orchestration.defs.partitions import ZoneWave, zone_wave_partitions
from orchestration.defs.resources import BUILD_DB_POOL, SurveyHome
from orchestration.settings import Home

if TYPE_CHECKING:
    from orchestration.pipeline import Ingested
    from orchestration.quality.gate import GateResult

# Set by the inbox sensor and `smesurvey ingest`: the delivery (content hash) this run loads.
DELIVERY_TAG = "smesurvey/delivery_id"

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
    "schema (replaced as a whole), from the delivery landed in landing/<zone>/<wave>/.",
)
def raw_delivery(context: dg.AssetExecutionContext, survey: SurveyHome) -> Events:
    zone_waves = sorted(ZoneWave.from_key(key) for key in context.partition_keys)
    if len(zone_waves) == 1:
        yield from load_one(survey.paths, zone_waves[0], context.run.tags.get(DELIVERY_TAG))
    else:
        yield from load_many(context, survey.paths, zone_waves)


def load_one(home: Home, zone_wave: ZoneWave, delivery_id: str | None) -> Events:
    """One zone-wave (sensor, CLI, schedule): its gate's full findings in the checks."""
    from orchestration.pipeline import GateBlocked, IngestError, ingest_zone_wave

    try:
        ingested = ingest_zone_wave(
            home, zone_wave.zone_id, zone_wave.wave_id, delivery_id=delivery_id
        )
    except GateBlocked as exc:
        # The failed blocking check carries the reason and the suite's findings in the UI.
        yield quality_gate_result(exc.gate)
        raise dg.Failure(description=str(exc), allow_retries=False) from exc
    except IngestError as exc:
        # A file-level refusal is the gate failing before any expectation ran: the check
        # shows the one line too. Failure (not a trace) so the UI and the CLI show it.
        yield delivery_refused_result(str(exc))
        raise dg.Failure(description=str(exc), allow_retries=False) from exc
    result, landing = ingested.result, ingested.landing
    yield dg.MaterializeResult(
        metadata={
            "delivery_id": result.delivery_id,
            "landing_path": dg.MetadataValue.path(str(landing.path)),
            "instrument_version": landing.instrument_version or "",
            "rows_read": result.rows_read,
            "rows_accepted": result.rows_accepted,
            "rows_rejected": result.rows_rejected,
            "replaced_previous": result.replaced_previous,
        },
        check_results=[
            quality_gate_result(ingested.gate),
            rows_accounted_for_result(result.rows_read, result.rows_accepted, result.rows_rejected),
        ],
    )


def load_many(
    context: dg.AssetExecutionContext, home: Home, zone_waves: Sequence[ZoneWave]
) -> Events:
    """Several zone-waves (a backfill): each is loaded (or refused) on its own, all or nothing
    per zone-wave; the step fails afterwards if any was refused, so dbt does not build on a
    partial reload. Zone-waves without any delivery are holes of the wave x zone grid (a zone
    that joined later) and are skipped."""
    from orchestration.pipeline import GateBlocked, IngestError, ingest_zone_wave

    present = [zw for zw in zone_waves if has_delivery(home, zw)]
    holes = [str(zw) for zw in zone_waves if zw not in present]
    if not present:
        raise dg.Failure(description=f"none of the {len(zone_waves)} zone-waves has a delivery")
    if holes:
        context.log.info(f"no delivery, skipped: {', '.join(holes)}")
    loaded: dict[str, Ingested] = {}
    gates: dict[str, GateResult] = {}
    refused: dict[str, str] = {}
    for zw in present:
        try:
            ingested = ingest_zone_wave(home, zw.zone_id, zw.wave_id)
        except GateBlocked as exc:
            gates[str(zw)], refused[str(zw)] = exc.gate, str(exc)
        except IngestError as exc:
            refused[str(zw)] = str(exc)
        else:
            loaded[str(zw)], gates[str(zw)] = ingested, ingested.gate
    if refused:
        if gates:
            yield quality_gate_summary(gates)
        first = min(refused)
        raise dg.Failure(
            description=f"{len(refused)} of {len(present)} zone-waves not loaded; "
            f"{first}: {refused[first]}",
            metadata={"refused": dg.MetadataValue.json(refused)},
            allow_retries=False,
        )
    results = [ingested.result for ingested in loaded.values()]
    yield dg.MaterializeResult(
        metadata={
            "zone_waves": len(results),
            "without_delivery": dg.MetadataValue.json(holes),
            "delivery_ids": dg.MetadataValue.json(
                {zw: ingested.result.delivery_id for zw, ingested in loaded.items()}
            ),
            "rows_read": sum(r.rows_read for r in results),
            "rows_accepted": sum(r.rows_accepted for r in results),
            "rows_rejected": sum(r.rows_rejected for r in results),
        },
        check_results=[
            quality_gate_summary(gates),
            rows_accounted_for_result(
                sum(r.rows_read for r in results),
                sum(r.rows_accepted for r in results),
                sum(r.rows_rejected for r in results),
                zone_waves_without_rows=[
                    zw for zw, i in loaded.items() if i.result.rows_accepted == 0
                ],
            ),
        ],
    )


def has_delivery(home: Home, zone_wave: ZoneWave) -> bool:
    """A delivery is waiting in the inbox or archived in landing/ for this zone-wave."""
    from orchestration.ingest.landing import landed_deliveries

    inbox = home.inbox / zone_wave.zone_id / str(zone_wave.wave_id)
    dropped = inbox.is_dir() and any(
        p.is_file() and not p.name.startswith(".") for p in inbox.iterdir()
    )
    return dropped or bool(landed_deliveries(home, zone_wave.zone_id, zone_wave.wave_id))
