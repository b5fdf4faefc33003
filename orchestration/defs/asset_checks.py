"""Asset checks the orchestration owns, and the guard that holds publishing back.

dbt tests arrive as asset checks through dagster-dbt (tests of severity `error`
are blocking). This module adds:
- `raw_delivery` / `quality_gate` and `rows_accounted_for` (blocking, evaluated inside
  the ingestion step, partitioned like the asset: one result per zone-wave of the run,
  so the UI finds a zone-wave's verdict under its partition): the gate's verdict, and
  every data row read was accepted or rejected, at least one accepted;
- `analytics_db` / `no_restricted_columns` (blocking): the published file carries
  no column named like a restricted codebook item. It re-reads what analysts open;
  the guard that stops a leak before it is published is in `write_marts`, since
  the dashboards are part of the release and nothing runs after it any more;
- `staged_responses_suite` on the staged responses model and `indicator_estimates_suite`
  / `enterprise_wave_suite` on the two marts (blocking, the rules of
  orchestration/quality/downstream.py judged in DuckDB on the build DB, read-only,
  and their per-zone-wave outcome table validated by Great Expectations, see
  downstream_outcomes.py): publishing waits for them;
- `failed_blocking_checks`: what `analytics_db` asks before it publishes, so a
  publish launched on its own still refuses while any blocking check upstream
  last failed.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import duckdb

from orchestration.defs.drops import waves_of_run
from orchestration.defs.partitions import ZoneWave, zone_wave_partitions
from orchestration.defs.resources import BUILD_DB_POOL, SurveyHome
from orchestration.publish import MARTS, RestrictedNames
from orchestration.quality.docs_server import page_url
from orchestration.settings import Home

if TYPE_CHECKING:
    from orchestration.quality.gate import GateResult
    from orchestration.quality.results import SuiteResult

RAW_DELIVERY = dg.AssetKey("raw_delivery")
ANALYTICS_DB = dg.AssetKey("analytics_db")

# Partitioned asset checks are a Dagster preview feature (1.13): its warning says so on
# every import. Silenced here only, for these two specs.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", category=dg.PreviewWarning)

    rows_accounted_for = dg.AssetCheckSpec(
        "rows_accounted_for",
        asset=RAW_DELIVERY,
        blocking=True,
        partitions_def=zone_wave_partitions,
        description="Every data row read from the zone-wave's delivery was accepted or "
        "rejected; at least one was accepted.",
    )

    quality_gate = dg.AssetCheckSpec(
        "quality_gate",
        asset=RAW_DELIVERY,
        blocking=True,
        partitions_def=zone_wave_partitions,
        description="The zone-wave's delivery passed the Great Expectations raw-responses "
        "suite of its instrument version: no file-level failure, and rows failing row-level "
        "rules (quarantined to raw.rejected_rows) stay below the zone-wave's threshold. A "
        "refused delivery fails it with the reason.",
    )


def suite_metadata(suite: SuiteResult) -> dict[str, dg.RawMetadataValue]:
    """What a check shows of one GX suite run: counts, offending values, its Data Docs page."""
    meta = suite.to_metadata()
    metadata: dict[str, dg.RawMetadataValue] = {
        "suite": suite.suite_name,
        "expectations_evaluated": suite.evaluated,
        "expectations_failed": suite.failed,
        "unexpected_counts": dg.MetadataValue.json(meta["unexpected_counts"]),
        "top_offending_values": dg.MetadataValue.json(meta["top_offending_values"]),
    }
    metadata.update(data_docs_metadata(suite.data_docs_pages[:1]))
    return metadata


def data_docs_metadata(pages: Iterable[Path]) -> dict[str, dg.RawMetadataValue]:
    """Each distinct page as a path (`data_docs`, `data_docs_2`...) and, when `smesurvey ui`
    serves the Data Docs, as a URL (`data_docs_url`...): the UI opens URLs only."""
    metadata: dict[str, dg.RawMetadataValue] = {}
    root = Home.from_env().data_docs
    for n, page in enumerate(dict.fromkeys(pages)):
        suffix = "" if n == 0 else f"_{n + 1}"
        metadata[f"data_docs{suffix}"] = dg.MetadataValue.path(str(page))
        url = page_url(page, root)
        if url is not None:
            metadata[f"data_docs_url{suffix}"] = dg.MetadataValue.url(url)
    return metadata


def quality_gate_result(gate: GateResult) -> dg.AssetCheckResult:
    """The gate's verdict with what the survey team needs to act on it."""
    metadata: dict[str, dg.RawMetadataValue] = {
        "reason": gate.reason,
        "rows_read": gate.rows_read,
        "rows_rejected": gate.rows_rejected,
        "rejected_share": round(gate.rejected_share, 6),
        "threshold": gate.threshold,
        "normalizations": gate.normalizations.num_rows,
    }
    for suite in gate.suite_results:
        metadata.update(suite_metadata(suite))
    metadata.update(rejected_rows_metadata(gate))
    return dg.AssetCheckResult(
        check_name=quality_gate.name,
        asset_key=RAW_DELIVERY,
        passed=gate.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=gate.reason,
        metadata=metadata,
    )


def rejected_rows_metadata(gate: GateResult) -> dict[str, dg.RawMetadataValue]:
    """The zone-wave's first rejected rows (row in the file, column, value, rule, reason)
    and the command that lists or exports all of them; nothing when none was rejected."""
    rows = gate.rejected_rows
    if not rows.num_rows:
        return {}
    from orchestration.codebook import load_codebook
    from orchestration.quality.gate import restricted_columns
    from orchestration.rejections import ROWS_SHOWN_IN_UI, rejected_rows_markdown

    first = rows.slice(0, ROWS_SHOWN_IN_UI).to_pylist()
    zone, wave = first[0]["zone_id"], first[0]["wave_id"]
    table = rejected_rows_markdown(first, restricted_columns(load_codebook()), rows.num_rows)
    return {
        "rejected_rows": dg.MetadataValue.md(table),
        "all_rejected_rows": f"smesurvey rejected {zone} {wave} --csv rejected-{zone}-{wave}.csv",
    }


def delivery_refused_result(reason: str) -> dg.AssetCheckResult:
    """A file-level refusal (unreadable file, wrong version, missing column...): the gate failed
    before any expectation could run; the one-line reason names the file."""
    return dg.AssetCheckResult(
        check_name=quality_gate.name,
        asset_key=RAW_DELIVERY,
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
        description=reason,
        metadata={"reason": reason, "level": "file"},
    )


def rows_accounted_for_result(
    rows_read: int, rows_accepted: int, rows_rejected: int
) -> dg.AssetCheckResult:
    """One zone-wave's rows: every one read accepted or rejected, at least one accepted."""
    return dg.AssetCheckResult(
        check_name=rows_accounted_for.name,
        asset_key=RAW_DELIVERY,
        passed=rows_read == rows_accepted + rows_rejected and rows_accepted > 0,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "rows_read": rows_read,
            "rows_accepted": rows_accepted,
            "rows_rejected": rows_rejected,
        },
    )


def for_zone_wave(
    result: dg.AssetCheckResult,
    zone_wave: ZoneWave,
    severity: dg.AssetCheckSeverity | None = None,
) -> dg.AssetCheckEvaluation:
    """A check result of `raw_delivery` as the evaluation of one zone-wave's partition.

    A run of several zone-waves has no single partition key, so Dagster cannot attach an
    AssetCheckResult to a partition: the step logs one evaluation per zone-wave instead.
    """
    return dg.AssetCheckEvaluation(
        asset_key=RAW_DELIVERY,
        check_name=str(result.check_name),
        passed=result.passed,
        metadata={"zone_wave": str(zone_wave), **result.metadata},
        severity=severity or result.severity,
        description=result.description,
        blocking=True,
        partition=str(zone_wave.key),
    )


def restricted_columns_in(analytics_db: str, restricted: RestrictedNames) -> list[str]:
    """`table.column` of every published column that looks restricted (reads the file read-only)."""
    with duckdb.connect(analytics_db, read_only=True) as con:
        rows = con.execute(
            "select table_name, column_name from information_schema.columns where table_schema = ?",
            [MARTS],
        ).fetchall()
    return [f"{t}.{c}" for t, c in rows if restricted.matches(c)]


def failed_blocking_checks(
    instance: dg.DagsterInstance, check_keys: Iterable[dg.AssetCheckKey]
) -> list[str]:
    """The blocking checks whose latest evaluation failed, as `asset:check` strings."""
    keys = list(check_keys)
    if not keys:
        return []
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
    # The record status enum is not public API; its value is ("FAILED" = explicit fail).
    return sorted(
        f"{record.key.asset_key.to_user_string()}:{record.key.name}"
        for record in latest.values()
        if record.status.value == "FAILED"
    )


# ---------------------------------------------------------------- staged and mart suites

# the staged responses as classified: the suite judges the kept questionnaires (rank 1)
STAGED_MODEL = "int_responses_classified"
INDICATORS_MODEL = "fct_indicator_estimates"
ENTERPRISES_MODEL = "fct_enterprise_wave"
STAGED_SUITE_CHECK = "staged_responses_suite"
INDICATORS_SUITE_CHECK = "indicator_estimates_suite"
ENTERPRISES_SUITE_CHECK = "enterprise_wave_suite"


def suite_check_result(
    suite: SuiteResult,
    asset_key: dg.AssetKey,
    check_name: str,
    waves: Sequence[int] | None = None,
) -> dg.AssetCheckResult:
    """A downstream suite's verdict; the description names the failed rules and the
    metadata the waves whose rows were validated (`waves_checked`, "all" when None)."""
    shown = ", ".join(suite.failed_rules[:3]) + (
        f" and {len(suite.failed_rules) - 3} more" if len(suite.failed_rules) > 3 else ""
    )
    description = (
        f"{suite.suite_name}: {suite.evaluated} expectations passed"
        if suite.success
        else f"{suite.suite_name}: {suite.failed} of {suite.evaluated} expectations failed: {shown}"
    )
    metadata = suite_metadata(suite)
    metadata["failed_rules"] = dg.MetadataValue.json(list(suite.failed_rules))
    metadata["waves_checked"] = dg.MetadataValue.text(
        "all" if waves is None else ", ".join(str(w) for w in waves)
    )
    return dg.AssetCheckResult(
        check_name=check_name,
        asset_key=asset_key,
        passed=suite.success,
        severity=dg.AssetCheckSeverity.ERROR,
        description=description,
        metadata=metadata,
    )


def unreadable_result(
    asset_key: dg.AssetKey, check_name: str, exc: Exception
) -> dg.AssetCheckResult:
    """The suite could not read its relation (build DB or model missing): a failed check."""
    reason = f"{check_name}: cannot read the build DB: {str(exc).strip().splitlines()[0]}"
    return dg.AssetCheckResult(
        check_name=check_name,
        asset_key=asset_key,
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
        description=reason,
        metadata={"reason": reason},
    )


def spark_warehouse(survey: SurveyHome) -> Path | None:
    """The local Spark warehouse holding the models (Spark target), else None (build DB)."""
    marts = survey.spark_marts()
    return None if marts is None else marts.parent


def build_downstream_checks(dbt_defs: dg.AssetsDefinition) -> list[dg.AssetChecksDefinition]:
    """Blocking GX checks on the staged model and the marts (keys from the dbt manifest)."""
    from dagster_dbt import get_asset_key_for_model

    staged = get_asset_key_for_model([dbt_defs], STAGED_MODEL)
    indicators = get_asset_key_for_model([dbt_defs], INDICATORS_MODEL)
    enterprises = get_asset_key_for_model([dbt_defs], ENTERPRISES_MODEL)

    @dg.asset_check(
        asset=staged,
        name=STAGED_SUITE_CHECK,
        blocking=True,
        # Reads the build DB, which no other process may hold while a writer has it.
        pool=BUILD_DB_POOL,
        description="Great Expectations suite staged_responses: codes of the codebook, skip "
        "rules, ranges, provenance, one answer per enterprise and wave (of the questionnaires "
        "kept: duplicates dropped by rule are listed in fct_duplicate_questionnaires).",
    )
    # `context` unannotated: Dagster rejects the string annotations of this module
    def staged_responses_suite(context, survey: SurveyHome) -> dg.AssetCheckResult:
        from orchestration.quality.downstream_validation import validate_staged

        paths = survey.paths
        waves = waves_of_run(context.run.tags)
        try:
            suite = validate_staged(
                paths.build_db,
                data_docs_dir=paths.data_docs,
                spark_warehouse=spark_warehouse(survey),
                waves=waves,
            )
        except (ValueError, duckdb.Error) as exc:
            return unreadable_result(staged, STAGED_SUITE_CHECK, exc)
        return suite_check_result(suite, staged, STAGED_SUITE_CHECK, waves)

    @dg.multi_asset_check(
        specs=[
            dg.AssetCheckSpec(
                INDICATORS_SUITE_CHECK,
                asset=indicators,
                blocking=True,
                description="Great Expectations suite marts_indicator_estimates: shares in "
                "[0, 1], ci_low <= estimate <= ci_high, bases consistent across indicators.",
            ),
            dg.AssetCheckSpec(
                ENTERPRISES_SUITE_CHECK,
                asset=enterprises,
                blocking=True,
                description="Great Expectations suite marts_enterprise_wave: one row per "
                "enterprise and wave, positive weights, scores in 0..100 with their levels.",
            ),
        ],
        pool=BUILD_DB_POOL,
    )
    def mart_suites(context, survey: SurveyHome) -> Iterator[dg.AssetCheckResult]:
        from orchestration.quality.downstream_validation import validate_marts

        paths = survey.paths
        waves = waves_of_run(context.run.tags)
        try:
            # One read of the build DB for both marts.
            indicator_suite, enterprise_suite = validate_marts(
                paths.build_db,
                data_docs_dir=paths.data_docs,
                spark_warehouse=spark_warehouse(survey),
                waves=waves,
            )
        except (ValueError, duckdb.Error) as exc:
            yield unreadable_result(indicators, INDICATORS_SUITE_CHECK, exc)
            yield unreadable_result(enterprises, ENTERPRISES_SUITE_CHECK, exc)
            return
        yield suite_check_result(indicator_suite, indicators, INDICATORS_SUITE_CHECK, waves)
        yield suite_check_result(enterprise_suite, enterprises, ENTERPRISES_SUITE_CHECK, waves)

    return [staged_responses_suite, mart_suites]


def check_keys(checks: Sequence[dg.AssetChecksDefinition]) -> list[dg.AssetCheckKey]:
    return sorted((key for c in checks for key in c.check_keys), key=str)


def checked_assets(checks: Sequence[dg.AssetChecksDefinition]) -> list[dg.AssetKey]:
    """The assets these checks judge (publishing depends on them so the checks gate it)."""
    return sorted({key.asset_key for key in check_keys(checks)})
