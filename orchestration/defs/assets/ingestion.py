"""`raw_delivery`: land, parse and load one zone-wave into the build DB's raw schema."""

from collections.abc import Iterator

import dagster as dg

from orchestration.defs.checks import (
    quality_gate,
    quality_gate_result,
    rows_accounted_for,
    rows_accounted_for_result,
)
from orchestration.defs.partitions import ZoneWave, zone_wave_partitions
from orchestration.defs.resources import BUILD_DB_POOL, SurveyHome

# Set by the inbox sensor and `smesurvey ingest`: the delivery (content hash) this run loads.
DELIVERY_TAG = "smesurvey/delivery_id"


@dg.asset(
    partitions_def=zone_wave_partitions,
    # A delivery per run: one bad file fails its own zone-wave, not a whole backfill.
    backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=1),
    pool=BUILD_DB_POOL,
    group_name="ingestion",
    kinds={"python", "duckdb"},
    check_specs=[quality_gate, rows_accounted_for],
    description="Questionnaires and zone register of one zone-wave in the build DB's raw "
    "schema (replaced as a whole), from the delivery landed in landing/<zone>/<wave>/.",
)
def raw_delivery(
    context: dg.AssetExecutionContext, survey: SurveyHome
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    from orchestration.pipeline import GateBlocked, IngestError, ingest_zone_wave

    zone_wave = ZoneWave.from_key(context.partition_key)
    try:
        ingested = ingest_zone_wave(
            survey.paths,
            zone_wave.zone_id,
            zone_wave.wave_id,
            delivery_id=context.run.tags.get(DELIVERY_TAG),
        )
    except GateBlocked as exc:
        # The failed blocking check carries the reason and the suite's findings in the UI.
        yield quality_gate_result(exc.gate)
        raise dg.Failure(description=str(exc), allow_retries=False) from exc
    except IngestError as exc:
        # Failure (not an exception trace) so the UI and the CLI show the one line.
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
