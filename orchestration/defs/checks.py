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

from collections.abc import Iterable

import dagster as dg
import duckdb

from orchestration.publish import MARTS, RestrictedNames

RAW_DELIVERY = dg.AssetKey("raw_delivery")
ANALYTICS_DB = dg.AssetKey("analytics_db")

rows_accounted_for = dg.AssetCheckSpec(
    "rows_accounted_for",
    asset=RAW_DELIVERY,
    blocking=True,
    description="Every data row read from the delivery was accepted or rejected; "
    "at least one was accepted.",
)


def rows_accounted_for_result(
    rows_read: int, rows_accepted: int, rows_rejected: int
) -> dg.AssetCheckResult:
    balanced = rows_read == rows_accepted + rows_rejected
    return dg.AssetCheckResult(
        check_name=rows_accounted_for.name,
        asset_key=RAW_DELIVERY,
        passed=balanced and rows_accepted > 0,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "rows_read": rows_read,
            "rows_accepted": rows_accepted,
            "rows_rejected": rows_rejected,
        },
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
