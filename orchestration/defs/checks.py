"""Asset checks the orchestration owns, and the guard that holds publishing back.

dbt tests arrive as asset checks through dagster-dbt (tests of severity `error`
are blocking). This module adds:
- `raw_delivery` / `rows_accounted_for` (blocking, evaluated inside the ingestion
  step): every data row read was accepted or rejected, and at least one accepted;
- `analytics_db` / `no_restricted_columns` (blocking for the dashboards): the
  published file carries no column named like a restricted codebook item;
- `failed_blocking_checks`: what `analytics_db` asks before it publishes, so a
  publish launched on its own still refuses while any blocking check upstream
  last failed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import dagster as dg
import duckdb

from orchestration.publish import MARTS, RestrictedNames

if TYPE_CHECKING:
    from orchestration.quality.gate import GateResult

RAW_DELIVERY = dg.AssetKey("raw_delivery")
ANALYTICS_DB = dg.AssetKey("analytics_db")

rows_accounted_for = dg.AssetCheckSpec(
    "rows_accounted_for",
    asset=RAW_DELIVERY,
    blocking=True,
    description="Every data row read from the delivery was accepted or rejected; "
    "at least one was accepted.",
)


quality_gate = dg.AssetCheckSpec(
    "quality_gate",
    asset=RAW_DELIVERY,
    blocking=True,
    description="The delivery passed the Great Expectations raw-responses suite of its "
    "instrument version: no file-level failure, and rows failing row-level rules (quarantined "
    "to raw.rejected_rows) stay below the zone-wave's threshold.",
)


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
        meta = suite.to_metadata()
        metadata["suite"] = suite.suite_name
        metadata["expectations_evaluated"] = suite.evaluated
        metadata["expectations_failed"] = suite.failed
        metadata["unexpected_counts"] = dg.MetadataValue.json(meta["unexpected_counts"])
        metadata["top_offending_values"] = dg.MetadataValue.json(meta["top_offending_values"])
        if suite.data_docs_pages:
            metadata["data_docs"] = dg.MetadataValue.path(str(suite.data_docs_pages[0]))
    return dg.AssetCheckResult(
        check_name=quality_gate.name,
        asset_key=RAW_DELIVERY,
        passed=gate.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=gate.reason,
        metadata=metadata,
    )


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


def quality_gate_summary(gates: Mapping[str, GateResult]) -> dg.AssetCheckResult:
    """One verdict for the zone-waves of a backfill run (a check has one result per step):
    passed when every gate passed; the failed zone-waves are listed first."""
    failed = sorted(zw for zw, gate in gates.items() if not gate.passed)
    by_zone_wave = {
        zw: {
            "passed": gate.passed,
            "reason": gate.reason,
            "rows_read": gate.rows_read,
            "rows_rejected": gate.rows_rejected,
        }
        for zw, gate in sorted(gates.items())
    }
    description = (
        f"{len(failed)} of {len(gates)} zone-waves refused: "
        + "; ".join(f"{zw}: {gates[zw].reason}" for zw in failed[:3])
        if failed
        else f"all {len(gates)} zone-waves passed"
    )
    return dg.AssetCheckResult(
        check_name=quality_gate.name,
        asset_key=RAW_DELIVERY,
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=description,
        metadata={
            "zone_waves": len(gates),
            "failed": dg.MetadataValue.json(failed),
            "rows_read": sum(g.rows_read for g in gates.values()),
            "rows_rejected": sum(g.rows_rejected for g in gates.values()),
            "by_zone_wave": dg.MetadataValue.json(by_zone_wave),
        },
    )


def rows_accounted_for_result(
    rows_read: int,
    rows_accepted: int,
    rows_rejected: int,
    zone_waves_without_rows: Sequence[str] = (),
) -> dg.AssetCheckResult:
    """Totals of the step's zone-waves; every one of them must have accepted a row."""
    balanced = rows_read == rows_accepted + rows_rejected
    metadata: dict[str, dg.RawMetadataValue] = {
        "rows_read": rows_read,
        "rows_accepted": rows_accepted,
        "rows_rejected": rows_rejected,
    }
    if zone_waves_without_rows:
        metadata["zone_waves_without_rows"] = dg.MetadataValue.json(list(zone_waves_without_rows))
    return dg.AssetCheckResult(
        check_name=rows_accounted_for.name,
        asset_key=RAW_DELIVERY,
        passed=balanced and rows_accepted > 0 and not zone_waves_without_rows,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=metadata,
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
